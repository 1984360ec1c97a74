// SPDX-License-Identifier: BSD-3-Clause
// The hand-off between two lcores: an SP/SC rte_ring of mbuf pointers.
#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "drop_sink.hpp"
#include "idle_backoff.hpp"

namespace ingestd::stages {

/// Enqueues `pkts[0..n)` for the next lcore. On a full ring the drop policy
/// frees the rest as ring_full; backpressure retries until the consumer makes
/// room (it never exits before its producer, so this ends).
inline void EnqueueBurst(const SegmentPlan& plan, rte_mbuf** pkts, uint16_t n,
                         stats::LcoreCounters& c, DropSink& drops) noexcept {
  unsigned free_space = 0;
  uint16_t done = static_cast<uint16_t>(rte_ring_sp_enqueue_burst(
      plan.out_ring, reinterpret_cast<void* const*>(pkts), n, &free_space));
  c.ring_high_water.Max(plan.out_ring_capacity - free_space);
  if (done < n) [[unlikely]] {
    c.ring_full_events.Add(1);
    if (plan.ring_policy == config::RingPolicy::kDrop) {
      drops.DropBurst(pkts + done, n - done, stats::DropSlot(stats::OtherDrop::kRingFull));
    } else {
      IdleBackoff wait;
      while (done < n) {
        wait.Idle(c);
        done += static_cast<uint16_t>(rte_ring_sp_enqueue_burst(
            plan.out_ring, reinterpret_cast<void* const*>(pkts + done), n - done, nullptr));
      }
    }
  }
  c.ring_out_pkts.Add(done);
}

/// Dequeues up to `plan.burst` packets from the previous lcore, and
/// prefetches each one's mbuf header and PktMeta line: both were last written
/// on the other core, so they would otherwise miss one by one in the stages.
inline uint16_t DequeueBurst(const SegmentPlan& plan, rte_mbuf** pkts) noexcept {
  const auto n = static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
      plan.in_ring, reinterpret_cast<void**>(pkts), plan.burst, nullptr));
  for (uint16_t i = 0; i < n; ++i) {
    rte_prefetch0(pkts[i]);
    rte_prefetch0(rte_mbuf_to_priv(pkts[i]));
  }
  return n;
}

}  // namespace ingestd::stages
