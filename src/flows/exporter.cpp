// SPDX-License-Identifier: BSD-3-Clause
// Flow export off the data path: rings -> IPFIX datagrams and JSON Lines.
#include "exporter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

namespace ingestd::flows {

using dataplane::Status;

FlowExporter::~FlowExporter() {
  if (socket_ >= 0) close(socket_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

Status FlowExporter::Open(const config::FlowsConfig& cfg, const ExportClock& clock, std::unique_ptr<FlowExporter>& out) {
  std::unique_ptr<FlowExporter> e(new FlowExporter());
  e->clock_ = clock;
  e->batch_.resize(256);
  if (cfg.ipfix_port != 0) {
    e->socket_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(cfg.ipfix_port);
    std::memcpy(&to.sin_addr, cfg.ipfix_address, 4);
    if (e->socket_ < 0 || connect(e->socket_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
      return Status::Error(errno, fmt::format("flows.ipfix: cannot open a UDP socket to the collector: {}",
                                              std::strerror(errno)));
    e->ipfix_ = std::make_unique<IpfixEncoder>(cfg.domain_id);
  }
  if (!cfg.jsonl.empty()) {
    e->jsonl_ = std::fopen(cfg.jsonl.c_str(), "ae");
    if (e->jsonl_ == nullptr)
      return Status::Error(errno, fmt::format("flows.jsonl: cannot open {}: {}", cfg.jsonl, std::strerror(errno)));
  }
  out = std::move(e);
  return Status::Ok();
}

size_t FlowExporter::Poll() {
  size_t total = 0;
  for (rte_ring* ring : rings_) {
    for (;;) {
      const unsigned n = rte_ring_sc_dequeue_burst_elem(ring, batch_.data(), sizeof(FlowRecord),
                                                        static_cast<unsigned>(batch_.size()), nullptr);
      if (n == 0) break;
      Export({batch_.data(), n});
      total += n;
    }
  }
  if (jsonl_ != nullptr && total != 0) std::fflush(jsonl_);
  return total;
}

void FlowExporter::Export(std::span<const FlowRecord> records) {
  if (records.empty()) return;
  records_ += records.size();
  if (jsonl_ != nullptr) {
    for (const FlowRecord& r : records) {
      const std::string line = FlowJson(r, clock_);
      std::fwrite(line.data(), 1, line.size(), jsonl_);
      std::fputc('\n', jsonl_);
    }
  }
  if (ipfix_) {
    for (const std::vector<uint8_t>& m : ipfix_->Encode(records, clock_, static_cast<uint32_t>(std::time(nullptr)))) {
      if (send(socket_, m.data(), m.size(), 0) < 0) ++send_errors_;  // e.g. ECONNREFUSED: nobody listening yet
      else ++messages_;
    }
  }
}

}  // namespace ingestd::flows
