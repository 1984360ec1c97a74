// SPDX-License-Identifier: BSD-3-Clause
// The hand-off between two lcores: an SP/SC rte_ring of mbuf pointers (one per
// lcore of a fan-out). The producing segment ends in a RingSink, the consuming one
// starts with a RingSource.
#pragma once

#include <atomic>
#include <cstring>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "drop_sink.hpp"
#include "flow_spread.hpp"
#include "idle_backoff.hpp"
#include "ingestd/limits.hpp"
#include "prefetch.hpp"
#include "stage_context.hpp"

namespace ingestd::stages {

/// The sink of a segment that hands its packets to the next lcore, or, before a
/// fan-out, to the one of the next lcores its flow goes to (flow_spread.hpp). A
/// fan-out's first lcore may be this one: then its share stays here (SendOthers).
class RingSink {
 public:
  /// Adds the ring to the next segment's lcore (one per lcore of a fan-out, in order),
  /// which gets `weight` of the hash's slots.
  void Add(rte_ring* ring, config::RingPolicy policy, unsigned weight = 1) noexcept {
    AddSlots(weight);
    rings_[count_++] = ring;
    capacity_ = rte_ring_get_capacity(ring);
    policy_ = policy;
  }
  /// The fan-out's first lcore is this one: it keeps the packets of its `weight` slots.
  /// Called before the others' Add.
  void KeepOwnShare(unsigned weight) noexcept {
    AddSlots(weight);
    rings_[count_++] = nullptr;
    keeps_own_ = true;
  }

  void Send(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    if (count_ == 1) return SendOn(0, pkts, n, ctx);
    Spread(pkts, n, ctx);
  }

  /// With this lcore's own share (KeepOwnShare): hands the other lcores theirs and
  /// keeps its own at the front of `pkts`, in order; returns how many (`ctx.bytes`:
  /// their length).
  uint16_t SendOthers(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept { return Spread(pkts, n, ctx); }

  rte_ring* ring(unsigned i = 0) const noexcept { return rings_[i]; }
  unsigned rings() const noexcept { return count_; }
  /// The counters of `ring`, one of this sink's; null if it is not.
  const stats::RingCounters* CountersOf(const rte_ring* ring) const noexcept {
    for (unsigned i = 0; i < count_; ++i)
      if (rings_[i] == ring && ring != nullptr) return &counters_[i];
    return nullptr;
  }

 private:
  void AddSlots(unsigned weight) noexcept {
    for (unsigned w = 0; w < weight && slots_ < kMaxFanoutSlots; ++w) owner_[slots_++] = static_cast<uint8_t>(count_);
  }

  /// Each packet to the lcore of its flow's slot, grouped per lcore by a counting sort
  /// that keeps each flow's order: one enqueue per ring. Returns the packets kept.
  uint16_t Spread(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    uint8_t pick[kMaxBurstOut];
    uint16_t start[kMaxFanout + 1] = {};
    for (uint16_t i = 0; i < n; ++i) {
      pick[i] = owner_[PickReplica(SymmetricPacketHash(pkts[i], packet::Meta(pkts[i])), slots_)];
      ++start[pick[i] + 1];
    }
    for (unsigned r = 1; r <= count_; ++r) start[r] += start[r - 1];
    uint16_t at[kMaxFanout];
    std::memcpy(at, start, sizeof(at));
    rte_mbuf* grouped[kMaxBurstOut];
    for (uint16_t i = 0; i < n; ++i) grouped[at[pick[i]]++] = pkts[i];
    unsigned first_ring = 0;
    uint16_t kept = 0;
    if (keeps_own_) {
      kept = start[1];
      ctx.bytes = 0;
      for (uint16_t i = 0; i < kept; ++i) {
        pkts[i] = grouped[i];
        ctx.bytes += grouped[i]->pkt_len;
      }
      first_ring = 1;
    }
    for (unsigned r = first_ring; r < count_; ++r)
      if (start[r + 1] != start[r])
        SendOn(r, grouped + start[r], static_cast<uint16_t>(start[r + 1] - start[r]), ctx);
    return kept;
  }

  /// Enqueues `pkts[0..n)` on ring `r`. On a full ring the drop policy frees the
  /// rest as ring_full; backpressure retries until the consumer makes room (it
  /// never exits before its producer, so this ends).
  void SendOn(unsigned r, rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    stats::LcoreCounters& c = ctx.counters;
    stats::RingCounters& rc = counters_[r];
    rte_ring* ring = rings_[r];
    unsigned free_space = 0;
    uint16_t done = static_cast<uint16_t>(
        rte_ring_sp_enqueue_burst(ring, reinterpret_cast<void* const*>(pkts), n, &free_space));
    rc.high_water.Max(capacity_ - free_space);
    if (done < n) [[unlikely]] {
      rc.full_events.Add(1);
      if (policy_ == config::RingPolicy::kDrop) {
        rc.dropped.Add(n - done);
        ctx.drops.DropBurst(pkts + done, n - done, stats::DropSlot(stats::OtherDrop::kRingFull));
      } else {
        IdleBackoff wait;
        while (done < n) {
          wait.Idle(c);
          done += static_cast<uint16_t>(
              rte_ring_sp_enqueue_burst(ring, reinterpret_cast<void* const*>(pkts + done), n - done, nullptr));
        }
      }
    }
    rc.packets.Add(done);
    c.ring_out_pkts.Add(done);
  }

  rte_ring* rings_[kMaxFanout] = {};  // nullptr: this lcore's own share
  stats::RingCounters counters_[kMaxFanout];
  uint8_t owner_[kMaxFanoutSlots] = {};  // slot -> index into rings_
  unsigned slots_ = 0;
  unsigned count_ = 0;
  uint32_t capacity_ = 0;
  bool keeps_own_ = false;
  config::RingPolicy policy_ = config::RingPolicy::kDrop;
};


/// The consuming side of a hand-off, one burst ahead. Everything of a packet
/// this side touches was last written on the other core: the mbuf's two
/// header lines (the second holds the pool pointer TX frees through), its
/// PktMeta line and its first data line (encode rewrites the addresses). A
/// cross-core transfer costs hundreds of cycles, more than a burst's stages
/// take once the lines are here, so each burst is dequeued and its lines
/// requested one burst before the stages see it.
class RingSource {
 public:
  /// `upstream_done`: the producing segment's flag, set (release) after its last enqueue.
  void Configure(rte_ring* ring, uint16_t burst, const std::atomic<bool>* upstream_done) noexcept {
    ring_ = ring;
    burst_ = burst;
    upstream_done_ = upstream_done;
  }

  /// The burst dequeued on the previous call into `pkts` (`ctx.bytes`: its
  /// length), and the next one dequeued. False once the producer has finished
  /// and every packet it enqueued has been returned.
  bool Poll(rte_mbuf** pkts, uint16_t& n, StageContext& ctx) noexcept {
    n = Next(pkts, ctx.bytes);
    if (n == 0 && !HasAhead() && upstream_done_->load(std::memory_order_acquire)) {
      // The producer has finished: what it enqueued before `done` is
      // visible now. Drain it, then stop.
      uint64_t none;
      Next(pkts, none);
      if (!HasAhead()) return false;
    }
    ctx.counters.ring_in_pkts.Add(n);
    return true;
  }

  /// Returns the burst dequeued on the previous call (`bytes`: its length)
  /// and dequeues the next one.
  uint16_t Next(rte_mbuf** pkts, uint64_t& bytes) noexcept {
    const uint16_t n = ahead_n_;
    bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = ahead_[i];
      pkts[i] = m;
      bytes += m->pkt_len;
      PrefetchForWrite(rte_pktmbuf_mtod(m, void*));  // the data offset is in a line here now
    }
    ahead_n_ = static_cast<uint16_t>(
        rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(ahead_), burst_, nullptr));
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
  rte_ring* ring_ = nullptr;
  uint16_t burst_ = 32;
  uint16_t ahead_n_ = 0;
  const std::atomic<bool>* upstream_done_ = nullptr;
  rte_mbuf* ahead_[kMaxBurst];
};

}  // namespace ingestd::stages
