// SPDX-License-Identifier: BSD-3-Clause
// IPFIX (RFC 7011) messages of flow records: templates 256 (IPv4) and 257 (IPv6), resent
// periodically over UDP.
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

/// When the templates go out again over UDP (RFC 7011 section 8.4): a collector that
/// starts or restarts decodes nothing until it has them. 0 turns a trigger off.
struct TemplateRefresh {
  uint32_t seconds = 10;   // since the templates were last sent
  uint32_t messages = 20;  // the templates ride in at least one message in this many
};

/// One message, and whether it carries the template set.
struct IpfixMessage {
  std::vector<uint8_t> bytes;
  bool templates = false;
};

/// Builds IPFIX messages: the template set (both templates) in the first message and
/// again whenever the refresh is due, data sets per address family. Threading: one
/// exporter thread.
class IpfixEncoder {
 public:
  static constexpr size_t kMaxMessage = 1400;  // fits an Ethernet MTU with IP and UDP headers

  explicit IpfixEncoder(uint32_t domain_id, TemplateRefresh refresh = {}) : domain_id_(domain_id), refresh_(refresh) {}

  /// True when the next message must carry the templates; `now_ms` is a monotonic clock.
  bool TemplatesDue(uint64_t now_ms) const noexcept;

  /// `records` as messages of at most kMaxMessage bytes, stamped `export_time_s`.
  std::vector<IpfixMessage> Encode(std::span<const FlowRecord> records, const ExportClock& clock,
                                   uint32_t export_time_s, uint64_t now_ms = 0);
  /// A message of the template set alone (the refresh when no records are waiting).
  IpfixMessage Templates(uint32_t export_time_s, uint64_t now_ms);

  /// Data records sent so far (the next message's sequence number).
  uint32_t sequence() const noexcept { return sequence_; }

 private:
  void Header(std::vector<uint8_t>& m, uint32_t export_time_s) const;
  /// Appends the template set when due (or `force`d), and counts the message.
  bool MaybeTemplates(std::vector<uint8_t>& m, uint64_t now_ms, bool force);

  uint32_t domain_id_;
  TemplateRefresh refresh_;
  uint32_t sequence_ = 0;
  bool templates_sent_ = false;
  uint64_t templates_ms_ = 0;          // when they last went out
  uint32_t since_templates_ = 0;       // messages since, that one included
};

/// One record as a JSON Lines line (no newline): addresses as text, times in Unix ms.
std::string FlowJson(const FlowRecord& r, const ExportClock& clock);

}  // namespace ingestd::flows
