// SPDX-License-Identifier: BSD-3-Clause
// The hand-off between two lcores: an SP/SC rte_ring of mbuf pointers.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "drop_sink.hpp"
#include "idle_backoff.hpp"
#include "prefetch.hpp"

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

/// The consuming side of a hand-off, one burst ahead. Everything of a packet
/// this side touches was last written on the other core: the mbuf's two
/// header lines (the second holds the pool pointer TX frees through), its
/// PktMeta line and its first data line (encode rewrites the addresses). A
/// cross-core transfer costs hundreds of cycles, more than a burst's stages
/// take once the lines are here, so each burst is dequeued and its lines
/// requested one burst before the stages see it.
class RingReader {
 public:
  /// Returns the burst dequeued on the previous call (`bytes`: its length)
  /// and dequeues the next one.
  uint16_t Next(const SegmentPlan& plan, rte_mbuf** pkts, uint64_t& bytes) noexcept {
    const uint16_t n = ahead_n_;
    bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = ahead_[i];
      pkts[i] = m;
      bytes += m->pkt_len;
      PrefetchForWrite(rte_pktmbuf_mtod(m, void*));  // the data offset is in a line here now
    }
    ahead_n_ = static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
        plan.in_ring, reinterpret_cast<void**>(ahead_), plan.burst, nullptr));
    for (uint16_t i = 0; i < ahead_n_; ++i) {
      PrefetchForWrite(ahead_[i]);
      PrefetchForWrite(&ahead_[i]->cacheline1);
      PrefetchForWrite(rte_mbuf_to_priv(ahead_[i]));
    }
    return n;
  }
  /// Packets dequeued but not yet returned.
  bool HasAhead() const noexcept { return ahead_n_ != 0; }

 private:
  rte_mbuf* ahead_[kMaxBurst];
  uint16_t ahead_n_ = 0;
};

}  // namespace ingestd::stages
