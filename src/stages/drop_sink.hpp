// SPDX-License-Identifier: BSD-3-Clause
// The one place a packet that will not leave is freed: counted by reason, freed in bulk
// (or, while the drop capture is on, handed with its reason to the control thread).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ingestd/capture/drop_tap.hpp"
#include "ingestd/stats/counters.hpp"
#include "tables.hpp"

namespace ingestd::stages {

/// A tap that is never on: for sinks built without one (unit tests).
inline capture::DropTap g_no_drop_tap;

/// Collects a burst's drops, then frees them in one rte_pktmbuf_free_bulk.
/// Threading: one lcore; lives for one stage call. Ownership: takes the mbuf;
/// while `tap` is on, a dropped mbuf goes to the tap's ring (the control thread
/// frees it) or, if the ring is full, is freed here and counted as missed.
class DropSink {
 public:
  explicit DropSink(stats::LcoreCounters& c, capture::DropTap& tap = g_no_drop_tap) noexcept
      : counters_(c), tap_(tap) {}
  DropSink(const DropSink&) = delete;
  DropSink& operator=(const DropSink&) = delete;
  ~DropSink() { Flush(); }

  void Drop(rte_mbuf* m, unsigned slot) noexcept {
    counters_.drops[slot].Add(1);  // drops are the exception: per-packet work is fine
    dropped_bytes_ += m->pkt_len;
    pending_slot_[count_] = static_cast<uint16_t>(slot);
    pending_[count_++] = m;
    if (count_ == kMaxBurst) [[unlikely]] Flush();
  }

  /// Drops `n` packets at once under one reason (ring full, tx full).
  void DropBurst(rte_mbuf* const* pkts, uint16_t n, unsigned slot) noexcept {
    if (n == 0) return;
    counters_.drops[slot].Add(n);
    for (uint16_t i = 0; i < n; ++i) dropped_bytes_ += pkts[i]->pkt_len;
    // The one test the capture costs when it is off: a flag in a line only the control thread writes.
    if (tap_.on.load(std::memory_order_relaxed)) [[unlikely]] {
      CaptureBurst(pkts, nullptr, static_cast<uint16_t>(slot), n);
    } else {
      rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(pkts), n);
    }
  }

  /// Bytes dropped since the last call: what a stage took out of its burst.
  uint64_t TakeDroppedBytes() noexcept {
    const uint64_t b = dropped_bytes_;
    dropped_bytes_ = 0;
    return b;
  }

  void Flush() noexcept {
    if (count_ == 0) return;
    if (tap_.on.load(std::memory_order_relaxed)) [[unlikely]] {
      CaptureBurst(pending_, pending_slot_, 0, count_);
    } else {
      rte_pktmbuf_free_bulk(pending_, count_);
    }
    count_ = 0;
  }

 private:
  /// Hands `pkts[0..n)` to the capture ring with their reasons (`slots`, or `slot`
  /// for all); what does not fit is freed now. Never waits. Out of line: the
  /// capture is the exception, and its 2 KB of records stay off the hot frame.
  [[gnu::noinline, gnu::cold]] void CaptureBurst(rte_mbuf* const* pkts, const uint16_t* slots, uint16_t slot,
                                                 uint16_t n) noexcept {
    capture::DropRecord records[kMaxBurstOut];
    for (uint16_t i = 0; i < n; ++i) records[i] = {pkts[i], slots != nullptr ? slots[i] : slot, 0};
    const unsigned queued = rte_ring_sp_enqueue_burst_elem(tap_.ring, records, sizeof(capture::DropRecord), n,
                                                           nullptr);
    counters_.drop_capture_queued.Add(queued);
    if (queued < n) {
      counters_.drop_capture_missed.Add(n - queued);
      rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(pkts + queued), n - queued);
    }
  }

  stats::LcoreCounters& counters_;
  capture::DropTap& tap_;
  uint16_t count_ = 0;
  uint64_t dropped_bytes_ = 0;
  rte_mbuf* pending_[kMaxBurst];
  uint16_t pending_slot_[kMaxBurst];
};

}  // namespace ingestd::stages
