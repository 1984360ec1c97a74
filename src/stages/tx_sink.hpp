// SPDX-License-Identifier: BSD-3-Clause
// tx: the sink of a chain's last segment. Sends each packet on its output port;
// what the queue will not take after the retries is dropped as tx_full.
#pragma once

#include <rte_ethdev.h>

#include "drop_sink.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "stage_context.hpp"

namespace ingestd::stages {

/// Sends `pkts[0..n)` on `port`/`queue`, retrying a partial send up to
/// `retries` times. Ownership: every mbuf is the PMD's or freed on return.
inline void SendBurst(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n,
                      uint16_t retries, stats::LcoreCounters& c, DropSink& drops) noexcept {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += pkts[i]->pkt_len;  // before the PMD may free them
  uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
  uint16_t calls = 1;
  for (uint16_t r = 0; sent < n && r < retries; ++r, ++calls)
    sent += rte_eth_tx_burst(port, queue, pkts + sent, n - sent);
  if (sent < n) [[unlikely]] {
    for (uint16_t i = sent; i < n; ++i) bytes -= pkts[i]->pkt_len;
    drops.DropBurst(pkts + sent, n - sent, stats::DropSlot(stats::OtherDrop::kTxFull));
  }
  c.tx_pkts.Add(sent);
  c.tx_bytes.Add(bytes);
  c.tx_bursts.Add(calls);
  if (calls > 1) c.tx_retries.Add(calls - 1);
}

/// This chain's TX queue on every output port.
class TxSink {
 public:
  void Configure(uint16_t queue, uint16_t retries) noexcept {
    queue_ = queue;
    retries_ = retries;
  }

  /// Sends a burst whose packets may go to different ports: one tx_burst per
  /// output port, in arrival order within each port. Usually one pass.
  /// Ownership: every mbuf is the PMD's or dropped on return.
  void Send(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    rte_mbuf* group[kMaxBurstOut];
    while (n > 0) {
      const uint16_t port = packet::Meta(pkts[0]).out_port;
      uint16_t same = 0;
      uint16_t rest = 0;
      for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        if (packet::Meta(m).out_port == port) {
          group[same++] = m;
        } else {
          pkts[rest++] = m;
        }
      }
      SendBurst(port, queue_, group, same, retries_, ctx.counters, ctx.drops);
      n = rest;
    }
  }

 private:
  uint16_t queue_ = 0;
  uint16_t retries_ = 4;
};

}  // namespace ingestd::stages
