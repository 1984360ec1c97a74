// SPDX-License-Identifier: BSD-3-Clause
// rx: one burst from the chain's next RX queue, stamped with the RX TSC and its origin.
#pragma once

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ingestd/packet/mbuf_meta.hpp"
#include "prefetch.hpp"
#include "segment_plan.hpp"

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

/// Receives into `pkts` from the queue after `next_queue`, cycling through the
/// chain's queues; `bytes` gets their total length. `kLookAhead`: the segment
/// hands its packets to another lcore (see PrefetchNextRxBuffers).
/// Ownership: returned mbufs belong to the caller.
template <bool kLookAhead>
inline uint16_t RxBurst(SegmentPlan& plan, unsigned& next_queue, rte_mbuf** pkts,
                        uint64_t& bytes) noexcept {
  const RxQueue q = plan.rx[next_queue];
  next_queue = next_queue + 1 == plan.rx_count ? 0 : next_queue + 1;

  uint16_t want = plan.burst;
  if (plan.control->rx_limited) [[unlikely]] {
    want = ReserveRxBudget(*plan.control, want);
    if (want == 0) return 0;
  }
  const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, pkts, want);
  if (plan.control->rx_limited && n < want) [[unlikely]]
    plan.control->rx_budget.fetch_add(want - n, std::memory_order_relaxed);
  if (n == 0) return 0;

  // One TSC per burst: every packet of a burst arrived by this instant.
  const uint64_t now = rte_rdtsc();
  bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    packet::PktMeta& meta = packet::Meta(pkts[i]);
    meta.rx_tsc = now;
    meta.in_port = q.port_id;
    meta.in_queue = q.queue;
    bytes += pkts[i]->pkt_len;
  }
  stats::LcoreCounters& c = plan.counters;
  c.rx_pkts.Add(n);
  c.rx_bytes.Add(bytes);
  c.rx_bursts.Add(1);
  c.mbufs_taken.Add(n);  // the PMD took one RX buffer per frame
  if constexpr (kLookAhead) PrefetchNextRxBuffers(plan.rx[next_queue], plan.burst);
  return n;
}

}  // namespace ingestd::stages
