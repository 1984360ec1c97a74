// SPDX-License-Identifier: BSD-3-Clause
// The control side of the drop capture: drains the lcores' capture rings, filters,
// writes each drop to pcapng with its reason as the packet's comment, frees it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pcap/pcap.h>

#include "ingestd/capture/drop_tap.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/stats/counters.hpp"
#include "ingestd/status.hpp"
#include "pcapng_writer.hpp"

namespace ingestd::capture {

/// One lcore's tap and counters, as the control thread sees them.
struct TapRef {
  unsigned lcore;
  DropTap* tap;
  stats::LcoreCounters* counters;  // the control thread writes only the drop_capture_{filtered,written,discarded}
};

/// TSC readings as Unix time: an anchor taken once.
struct TscClock {
  uint64_t hz = 1;
  uint64_t tsc0 = 0;
  uint64_t unix_ns0 = 0;
  /// Now, on this machine's TSC and wall clock.
  static TscClock Now();
  uint64_t UnixNs(uint64_t tsc) const noexcept;
};

/// Threading: every method on the control (main) thread, the rings' only consumer.
/// Ownership: every mbuf taken from a ring is freed here, written or not.
class DropCapture {
 public:
  /// `ports`: the config's port names and their DPDK port ids, in config order
  /// (the file's interfaces, in that order).
  DropCapture(std::vector<TapRef> taps, std::vector<std::pair<std::string, uint16_t>> ports, TscClock clock);
  ~DropCapture();
  DropCapture(const DropCapture&) = delete;
  DropCapture& operator=(const DropCapture&) = delete;

  /// Opens `cfg.file` (truncating it), compiles the filter and switches every tap
  /// on. On an error nothing changes.
  Status Start(const config::DropCaptureConfig& cfg);
  /// Switches every tap off, writes what they had queued, closes the file.
  void Stop(std::string_view why);
  /// Takes what the rings hold: each record is written, filtered out, or (capture
  /// stopped) discarded, and its mbuf freed. Stops the capture at its packet limit.
  /// Returns the records taken.
  size_t Poll();
  /// After the lcores have returned: writes what is queued, stops, and empties
  /// every ring, so every captured mbuf is back in its pool.
  void Finish();

  bool active() const noexcept { return active_; }
  const config::DropCaptureConfig& settings() const noexcept { return cfg_; }
  uint64_t written() const noexcept { return written_; }

 private:
  size_t Drain();
  void Handle(const TapRef& t, const DropRecord& r);
  void Close(std::string_view why);
  void SetTaps(bool on);

  std::vector<TapRef> taps_;
  std::vector<std::string> port_names_;  // by config index: the file's interfaces
  std::vector<uint16_t> interface_of_port_;  // DPDK port id -> interface index
  TscClock clock_;
  bool active_ = false;
  config::DropCaptureConfig cfg_;
  uint64_t written_ = 0;  // by the capture running now (or the last one)
  bool has_filter_ = false;
  bpf_program filter_{};
  PcapngWriter writer_;
  std::vector<uint8_t> buffer_;  // one packet's bytes, for filter and file
  std::string comment_;
};

}  // namespace ingestd::capture
