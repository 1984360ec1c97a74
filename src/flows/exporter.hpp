// SPDX-License-Identifier: BSD-3-Clause
// The flow exporter: on the control thread, drains the lcores' flow rings and writes
// each record as IPFIX over UDP (IPv4 or IPv6) to a collector and/or a JSON Lines file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/result.hpp"
#include "ipfix.hpp"

struct rte_ring;

namespace ingestd::flows {

/// Threading: the control thread only.
class FlowExporter {
 public:
  FlowExporter(const FlowExporter&) = delete;
  FlowExporter& operator=(const FlowExporter&) = delete;
  ~FlowExporter();

  /// Opens the collector's UDP socket and the JSON Lines file the config names.
  static dataplane::Status Open(const config::FlowsConfig& cfg, const ExportClock& clock,
                                std::unique_ptr<FlowExporter>& out);

  void AddRing(rte_ring* ring) { rings_.push_back(ring); }
  /// Takes what the lcores have queued and exports it, and sends the templates alone
  /// when their refresh is due. Returns the records exported.
  size_t Poll();
  /// Exports `records` (the end-of-run drain, or records a caller holds).
  void Export(std::span<const FlowRecord> records);

  uint64_t records() const noexcept { return records_; }
  uint64_t messages() const noexcept { return messages_; }
  uint64_t send_errors() const noexcept { return send_errors_; }
  /// Messages sent that carried the templates (the first, then each refresh).
  uint64_t template_messages() const noexcept { return template_messages_; }

 private:
  FlowExporter() = default;
  void Send(const IpfixMessage& m);

  std::vector<rte_ring*> rings_;
  ExportClock clock_;
  std::unique_ptr<IpfixEncoder> ipfix_;
  int socket_ = -1;
  std::FILE* jsonl_ = nullptr;
  std::vector<FlowRecord> batch_;
  uint64_t records_ = 0;
  uint64_t messages_ = 0;
  uint64_t send_errors_ = 0;
  uint64_t template_messages_ = 0;
};

}  // namespace ingestd::flows
