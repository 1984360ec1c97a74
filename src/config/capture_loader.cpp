// SPDX-License-Identifier: BSD-3-Clause
// The `capture:` section: the drop capture's file, filter, bounds and ring size.
#include "capture_loader.hpp"

#include <fmt/format.h>

#include "ingestd/config/capture_filter.hpp"

namespace ingestd::config::internal {
namespace {

const std::vector<std::string> kCaptureKeys = {"ring_size", "drops"};
const std::vector<std::string> kDropsKeys = {"file", "filter", "snaplen", "packets"};

class CaptureLoader : ValueReader {
 public:
  explicit CaptureLoader(Diagnostics& diag) : ValueReader(diag) {}

  void Run(const Field& field, const std::filesystem::path& base_dir, CaptureConfig& out) {
    MapReader r(diag_, field.value, "capture", kCaptureKeys, field.at);
    if (!r.is_map()) return;
    SetPowerOfTwo(r.Get("ring_size"), out.ring_size, 16, 65536);
    if (const Field* f = r.Get("drops")) Drops(*f, base_dir, out);
    r.Finish("in capture");
  }

 private:
  void Drops(const Field& field, const std::filesystem::path& base_dir, CaptureConfig& out) {
    MapReader r(diag_, field.value, "capture.drops", kDropsKeys, field.at);
    if (!r.is_map()) return;
    DropCaptureConfig d;
    if (const Field* f = r.Require("file", "in capture.drops (where the pcapng goes)")) {
      if (std::optional<std::string> s = String(*f)) {
        if (s->empty()) {
          diag_.Error(f->at, "file: expected a path", "write file: drops.pcapng");
        } else {
          const std::filesystem::path p(*s);
          d.file = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
        }
      }
    }
    Set(r.Get("snaplen"), d.snaplen, 64, 65535);
    Set(r.Get("packets"), d.packets, 1, 1'000'000'000);
    if (const Field* f = r.Get("filter")) {
      if (std::optional<std::string> s = String(*f)) {
        if (const Status st = CheckCaptureFilter(*s, d.snaplen); !st.ok()) {
          diag_.Error(f->at, fmt::format("filter '{}': {}", Printable(*s), st.message()),
                      "libpcap filter syntax, as tcpdump's: e.g. 'udp and port 53' (see pcap-filter(7))");
        } else {
          d.filter = *s;
        }
      }
    }
    r.Finish("in capture.drops");
    out.drops = std::move(d);
  }
};

}  // namespace

void LoadCapture(const Field& field, Diagnostics& diag, const std::filesystem::path& base_dir, CaptureConfig& out) {
  CaptureLoader(diag).Run(field, base_dir, out);
}

}  // namespace ingestd::config::internal
