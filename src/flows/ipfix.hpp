// SPDX-License-Identifier: BSD-3-Clause
// IPFIX (RFC 7011) messages of flow records: templates 256 (IPv4) and 257 (IPv6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ingestd/flows/flow_record.hpp"

namespace ingestd::flows {

/// Converts the data path's TSC stamps to Unix milliseconds.
struct ExportClock {
  uint64_t tsc_hz = 1;
  uint64_t tsc0 = 0;      // a TSC reading ...
  uint64_t unix_ms0 = 0;  // ... and the Unix time it was taken at
  uint64_t UnixMs(uint64_t tsc) const {
    const int64_t dt = static_cast<int64_t>(tsc - tsc0);
    return static_cast<uint64_t>(static_cast<int64_t>(unix_ms0) + dt * 1000 / static_cast<int64_t>(tsc_hz));
  }
};

/// Builds IPFIX messages. Over UDP a collector may join at any time, so every message
/// carries both templates (RFC 7011 section 8.4 asks for periodic resending; this is
/// the simplest period). Threading: one exporter thread.
class IpfixEncoder {
 public:
  static constexpr size_t kMaxMessage = 1400;  // fits an Ethernet MTU with IP and UDP headers

  explicit IpfixEncoder(uint32_t domain_id) : domain_id_(domain_id) {}

  /// `records` as messages of at most kMaxMessage bytes, stamped `export_time_s`.
  std::vector<std::vector<uint8_t>> Encode(std::span<const FlowRecord> records, const ExportClock& clock,
                                           uint32_t export_time_s);

  /// Data records sent so far (the next message's sequence number).
  uint32_t sequence() const noexcept { return sequence_; }

 private:
  uint32_t domain_id_;
  uint32_t sequence_ = 0;
};

/// One record as a JSON Lines line (no newline): addresses as text, times in Unix ms.
std::string FlowJson(const FlowRecord& r, const ExportClock& clock);

}  // namespace ingestd::flows
