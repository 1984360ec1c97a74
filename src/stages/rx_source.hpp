// SPDX-License-Identifier: BSD-3-Clause
// rx: the source of a chain's first segment. One burst from the chain's next RX
// queue, stamped with the RX TSC and its origin.
#pragma once

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ingestd/packet/mbuf_meta.hpp"
#include "prefetch.hpp"
#include "stage_context.hpp"
#include "tables.hpp"

namespace ingestd::stages {

/// Reserves up to `want` packets of the --packets budget; returns how many may be received.
inline uint16_t ReserveRxBudget(RunControl& control, uint16_t want) noexcept {
  const int64_t before = control.rx_budget.fetch_sub(want, std::memory_order_relaxed);
  if (before >= want) return want;
  const int64_t granted = before > 0 ? before : 0;
  control.rx_budget.fetch_add(want - granted, std::memory_order_relaxed);  // give back the excess
  return static_cast<uint16_t>(granted);
}

/// In a pipeline another lcore frees this lcore's packets, so the buffers the
/// PMD hands out next were last written there and each first store to one
/// waits for a cross-core transfer. The next burst's buffers are the top of
/// this lcore's mempool cache (a stack): request their header, PktMeta and
/// first data lines one burst ahead. Run to completion has no need: its
/// buffers come back warm from its own TX.
inline void PrefetchNextRxBuffers(const RxQueue& q, uint16_t burst) noexcept {
  const rte_mempool_cache* cache = q.pool_cache;
  if (cache == nullptr) return;
  const unsigned n = cache->len < burst ? cache->len : burst;
  for (unsigned i = 1; i <= n; ++i) {
    auto* m = static_cast<rte_mbuf*>(cache->objs[cache->len - i]);
    PrefetchForWrite(m);
    PrefetchForWrite(&m->cacheline1);
    PrefetchForWrite(rte_mbuf_to_priv(m));
    PrefetchForWrite(reinterpret_cast<const char*>(m) + q.data_offset);
  }
}

/// The chain's RX queues, polled in turn. Built on the control path (Add), then
/// owned by its lcore.
class RxSource {
 public:
  void Add(const RxQueue& q) noexcept { queues_[count_++] = q; }
  void Configure(RunControl* control, uint16_t burst) noexcept {
    control_ = control;
    burst_ = burst;
  }

  /// Receives into `pkts` from the queue after the last one polled; `ctx.bytes`
  /// gets their total length. False once RX is asked to stop (nothing received
  /// then). `kLookAhead`: the segment hands its packets to another lcore (see
  /// PrefetchNextRxBuffers). Ownership: returned mbufs belong to the caller.
  template <bool kLookAhead>
  bool Poll(rte_mbuf** pkts, uint16_t& n, StageContext& ctx) noexcept {
    n = 0;
    if (control_->stop_rx.load(std::memory_order_relaxed)) return false;
    const RxQueue q = queues_[next_];
    next_ = next_ + 1 == count_ ? 0 : next_ + 1;

    uint16_t want = burst_;
    if (control_->rx_limited) [[unlikely]] {
      want = ReserveRxBudget(*control_, want);
      if (want == 0) return true;
    }
    n = rte_eth_rx_burst(q.port_id, q.queue, pkts, want);
    if (control_->rx_limited && n < want) [[unlikely]]
      control_->rx_budget.fetch_add(want - n, std::memory_order_relaxed);
    if (n == 0) return true;

    // One TSC per burst: every packet of a burst arrived by this instant.
    const uint64_t now = rte_rdtsc();
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
      packet::PktMeta& meta = packet::Meta(pkts[i]);
      meta.rx_tsc = now;
      meta.in_port = q.port_id;
      meta.in_queue = q.queue;
      bytes += pkts[i]->pkt_len;
    }
    ctx.bytes = bytes;
    stats::LcoreCounters& c = ctx.counters;
    c.rx_pkts.Add(n);
    c.rx_bytes.Add(bytes);
    c.rx_bursts.Add(1);
    c.mbufs_taken.Add(n);  // the PMD took one RX buffer per frame
    if constexpr (kLookAhead) PrefetchNextRxBuffers(queues_[next_], burst_);
    return true;
  }

  uint16_t count() const noexcept { return count_; }

 private:
  RunControl* control_ = nullptr;
  uint16_t burst_ = 32;
  uint16_t count_ = 0;
  unsigned next_ = 0;
  RxQueue queues_[kMaxRxQueuesPerChain] = {};
};

}  // namespace ingestd::stages
