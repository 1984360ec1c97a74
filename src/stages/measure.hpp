// SPDX-License-Identifier: BSD-3-Clause
// What the lcore loop measures per burst: stage time (sampled), ring wait and
// RX->TX latency (per packet), heap bytes per packet. All into the lcore's own block.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/stats/counters.hpp"

namespace ingestd::stages {

/// Records `now - stamp(m)` for each packet. Packets of one burst share their
/// stamp, so equal runs become one weighted record: usually one per burst.
template <typename StampOf>
inline void RecordSince(stats::Histogram& h, rte_mbuf* const* pkts, uint16_t n, uint64_t now,
                        StampOf stamp_of) noexcept {
  uint16_t i = 0;
  while (i < n) {
    const uint64_t stamp = stamp_of(packet::Meta(pkts[i]));
    uint16_t run = 1;
    while (i + run < n && stamp_of(packet::Meta(pkts[i + run])) == stamp) ++run;
    h.Record(now > stamp ? now - stamp : 0, run);
    i = static_cast<uint16_t>(i + run);
  }
}

/// A stage boundary clock for one burst. Untimed bursts cost two counter adds
/// per stage; timed ones add a TSC read and a histogram record per stage.
class StageClock {
 public:
  StageClock(stats::LcoreCounters& c, bool timed, uint64_t start) noexcept
      : c_(c), timed_(timed), last_(start) {}

  /// Stage `s` has processed `count` packets of `bytes` (its input) and just returned.
  void Done(config::Stage s, uint16_t count, uint64_t bytes) noexcept {
    stats::StageCounters& sc = c_.stages[static_cast<unsigned>(s)];
    sc.pkts.Add(count);
    sc.bytes.Add(bytes);
    sc.bursts.Add(1);
    if (!timed_ || count == 0) return;
    const uint64_t now = rte_rdtsc();
    const uint64_t cycles = now - last_;
    last_ = now;
    sc.cycles.Add(cycles);
    sc.timed_pkts.Add(count);
    c_.stage_service[static_cast<unsigned>(s)].Record(cycles / count, count);
  }

  /// The last stage boundary (timed bursts only).
  uint64_t Now() const noexcept { return last_; }
  bool timed() const noexcept { return timed_; }

 private:
  stats::LcoreCounters& c_;
  const bool timed_;
  uint64_t last_;
};

}  // namespace ingestd::stages
