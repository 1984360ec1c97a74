// SPDX-License-Identifier: BSD-3-Clause
// The `flows:` section: table size, timeouts, and where expired flows are exported.
#include "flows_loader.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace ingestd::config::internal {
namespace {

const std::vector<std::string> kFlowsKeys = {"capacity", "idle_timeout_ms", "active_timeout_ms", "ipfix", "domain_id",
                                             "jsonl"};

class FlowsLoader : ValueReader {
 public:
  explicit FlowsLoader(Diagnostics& diag) : ValueReader(diag) {}

  void Run(const Field& field, const std::filesystem::path& base_dir, FlowsConfig& out) {
    MapReader r(diag_, field.value, "flows", kFlowsKeys, field.at);
    if (!r.is_map()) return;
    out.enabled = true;
    Set(r.Get("capacity"), out.capacity, 1024, 16777216);
    Set(r.Get("idle_timeout_ms"), out.idle_timeout_ms, 10, 86400000);
    Set(r.Get("active_timeout_ms"), out.active_timeout_ms, 10, 86400000);
    Set(r.Get("domain_id"), out.domain_id, 0, 0xffffffff);
    if (const Field* f = r.Get("ipfix")) Collector(*f, out);
    if (const Field* f = r.Get("jsonl")) {
      if (std::optional<std::string> s = String(*f)) {
        std::filesystem::path p(*s);
        out.jsonl = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
      }
    }
    if (out.ipfix_port == 0 && out.jsonl.empty() && !r.Get("ipfix") && !r.Get("jsonl")) {
      diag_.Error(field.at, "flows: nowhere to export expired flows",
                  "add ipfix: 127.0.0.1:4739 (a collector) and/or jsonl: flows.jsonl (a file)");
    }
    r.Finish("in flows");
  }

 private:
  /// "192.0.2.10:4739": an IPv4 collector and its UDP port.
  void Collector(const Field& f, FlowsConfig& out) {
    std::optional<std::string> s = String(f);
    if (!s) return;
    const size_t colon = s->rfind(':');
    const std::string host = s->substr(0, colon);
    uint16_t port = 0;
    const char* first = s->data() + (colon == std::string::npos ? s->size() : colon + 1);
    const char* last = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(first, last, port);
    if (colon == std::string::npos || ec != std::errc() || ptr != last || port == 0 ||
        inet_pton(AF_INET, host.c_str(), out.ipfix_address) != 1) {
      diag_.Error(f.at, fmt::format("ipfix: '{}' is not an IPv4 address and UDP port", Printable(*s)),
                  "write the collector as 192.0.2.10:4739");
      return;
    }
    out.ipfix_port = port;
  }
};

}  // namespace

void LoadFlows(const Field& field, Diagnostics& diag, const std::filesystem::path& base_dir, FlowsConfig& out) {
  FlowsLoader(diag).Run(field, base_dir, out);
}

}  // namespace ingestd::config::internal
