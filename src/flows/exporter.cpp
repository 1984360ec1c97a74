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

namespace {

/// "192.0.2.10:4739" or "[2001:db8::10]:4739", as the config spells it.
std::string CollectorText(const config::FlowsConfig& cfg) {
  char host[INET6_ADDRSTRLEN] = {};
  inet_ntop(cfg.ipfix_ipv6 ? AF_INET6 : AF_INET, cfg.ipfix_address, host, sizeof host);
  return cfg.ipfix_ipv6 ? fmt::format("[{}]:{}", host, cfg.ipfix_port) : fmt::format("{}:{}", host, cfg.ipfix_port);
}

uint64_t MonotonicMs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_nsec) / 1'000'000;
}

}  // namespace

FlowExporter::~FlowExporter() {
  if (socket_ >= 0) close(socket_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

Status FlowExporter::Open(const config::FlowsConfig& cfg, const ExportClock& clock, std::unique_ptr<FlowExporter>& out) {
  std::unique_ptr<FlowExporter> e(new FlowExporter());
  e->clock_ = clock;
  e->batch_.resize(256);
  if (cfg.ipfix_port != 0) {
    sockaddr_storage to{};
    socklen_t to_len = 0;
    if (cfg.ipfix_ipv6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&to);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(cfg.ipfix_port);
      std::memcpy(&a->sin6_addr, cfg.ipfix_address, 16);
      to_len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&to);
      a->sin_family = AF_INET;
      a->sin_port = htons(cfg.ipfix_port);
      std::memcpy(&a->sin_addr, cfg.ipfix_address, 4);
      to_len = sizeof *a;
    }
    e->socket_ = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (e->socket_ < 0 || connect(e->socket_, reinterpret_cast<const sockaddr*>(&to), to_len) != 0) {
      const int err = errno;
      return Status::Error(err, fmt::format("flows.ipfix: cannot open a UDP socket to the collector {}: {}{}",
                                            CollectorText(cfg), std::strerror(err),
                                            err == EAFNOSUPPORT || err == ENETUNREACH || err == EADDRNOTAVAIL
                                                ? " (is IPv6 enabled, and is there a route to the collector?)"
                                                : ""));
    }
    e->ipfix_ = std::make_unique<IpfixEncoder>(
        cfg.domain_id, TemplateRefresh{cfg.template_refresh_s, cfg.template_refresh_messages});
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
  // The refresh falls due with no records waiting too: a collector that (re)starts while
  // the traffic is quiet has the templates before the next records.
  const uint64_t now_ms = MonotonicMs();
  if (ipfix_ && ipfix_->TemplatesDue(now_ms)) Send(ipfix_->Templates(static_cast<uint32_t>(std::time(nullptr)), now_ms));
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
    for (const IpfixMessage& m : ipfix_->Encode(records, clock_, static_cast<uint32_t>(std::time(nullptr)), MonotonicMs()))
      Send(m);
  }
}

void FlowExporter::Send(const IpfixMessage& m) {
  if (send(socket_, m.bytes.data(), m.bytes.size(), 0) < 0) {
    ++send_errors_;  // e.g. ECONNREFUSED: nobody listening yet
    return;
  }
  ++messages_;
  if (m.templates) ++template_messages_;
}

}  // namespace ingestd::flows
