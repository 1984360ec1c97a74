// SPDX-License-Identifier: BSD-3-Clause
// The one place a packet that will not leave is freed: counted by reason, freed in bulk.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "ingestd/stats/counters.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

/// Collects a burst's drops, then frees them in one rte_pktmbuf_free_bulk.
/// Threading: one lcore; lives for one stage call. Ownership: takes the mbuf.
class DropSink {
 public:
  explicit DropSink(stats::LcoreCounters& c) noexcept : counters_(c) {}
  DropSink(const DropSink&) = delete;
  DropSink& operator=(const DropSink&) = delete;
  ~DropSink() { Flush(); }

  void Drop(rte_mbuf* m, unsigned slot) noexcept {
    counters_.drops[slot].Add(1);  // drops are the exception: per-packet work is fine
    dropped_bytes_ += m->pkt_len;
    pending_[count_++] = m;
    if (count_ == kMaxBurst) [[unlikely]] Flush();
  }

  /// Drops `n` packets at once under one reason (ring full, tx full).
  void DropBurst(rte_mbuf* const* pkts, uint16_t n, unsigned slot) noexcept {
    if (n == 0) return;
    counters_.drops[slot].Add(n);
    for (uint16_t i = 0; i < n; ++i) dropped_bytes_ += pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(pkts), n);
  }

  /// Bytes dropped since the last call: what a stage took out of its burst.
  uint64_t TakeDroppedBytes() noexcept {
    const uint64_t b = dropped_bytes_;
    dropped_bytes_ = 0;
    return b;
  }

  void Flush() noexcept {
    if (count_ == 0) return;
    rte_pktmbuf_free_bulk(pending_, count_);
    count_ = 0;
  }

 private:
  stats::LcoreCounters& counters_;
  uint16_t count_ = 0;
  uint64_t dropped_bytes_ = 0;
  rte_mbuf* pending_[kMaxBurst];
};

}  // namespace ingestd::stages
