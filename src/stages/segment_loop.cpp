// SPDX-License-Identifier: BSD-3-Clause
// The lcore loop: one template instance per span of stages, so each stage is a
// direct, inlinable call and the layout costs no per-packet branch.
#include <rte_cycles.h>

#include "drop_sink.hpp"
#include "encode_stage.hpp"
#include "idle_backoff.hpp"
#include "parse_stage.hpp"
#include "ring_link.hpp"
#include "route_stage.hpp"
#include "rx_stage.hpp"
#include "segment_plan.hpp"
#include "tx_stage.hpp"

namespace ingestd::stages {
namespace {

constexpr bool Covers(Stage first, Stage last, Stage s) {
  return first <= s && s <= last;
}

template <Stage kFirst, Stage kLast>
int RunSegment(SegmentPlan& plan) noexcept {
  stats::LcoreCounters& c = plan.counters;
  rte_mbuf* pkts[kMaxBurst];
  IdleBackoff backoff;
  unsigned next_queue = 0;
  uint64_t last_tsc = rte_rdtsc();
  bool last_busy = false;

  for (;;) {
    // One TSC read per iteration: the time since the last one was busy or idle.
    const uint64_t now = rte_rdtsc();
    (last_busy ? c.busy_cycles : c.idle_cycles).Add(now - last_tsc);
    last_tsc = now;

    uint16_t n;
    if constexpr (kFirst == Stage::kRx) {
      if (plan.control->stop_rx.load(std::memory_order_relaxed)) break;
      n = RxBurst(plan, next_queue, pkts);
    } else {
      n = DequeueBurst(plan, pkts);
      if (n == 0 && plan.upstream_done->load(std::memory_order_acquire)) {
        // The producer has finished: what it enqueued before `done` is
        // visible now. Drain it, then stop.
        n = DequeueBurst(plan, pkts);
        if (n == 0) break;
      }
      c.ring_in_pkts.Add(n);
    }
    last_busy = n != 0;
    if (n == 0) {
      backoff.Idle(c);
      continue;
    }
    backoff.Busy();

    DropSink drops(c);
    if constexpr (Covers(kFirst, kLast, Stage::kParse)) n = ParseBurst(pkts, n, drops);
    if constexpr (Covers(kFirst, kLast, Stage::kProcess)) n = RouteBurst(pkts, n, *plan.routes, drops);
    if constexpr (Covers(kFirst, kLast, Stage::kEncode)) EncodeBurst(pkts, n, *plan.encode);
    if constexpr (kLast == Stage::kTx) {
      TxBurst(pkts, n, plan, c, drops);
    } else {
      EnqueueBurst(plan, pkts, n, c, drops);
    }
  }
  plan.done.store(true, std::memory_order_release);
  return 0;
}

template <unsigned F, unsigned L>
constexpr SegmentFn Entry() {
  if constexpr (F <= L) {
    return &RunSegment<static_cast<Stage>(F), static_cast<Stage>(L)>;
  } else {
    return nullptr;
  }
}

template <unsigned F, unsigned... L>
constexpr std::array<SegmentFn, config::kStageCount> Row(std::integer_sequence<unsigned, L...>) {
  return {Entry<F, L>()...};
}

template <unsigned... F>
constexpr auto Table(std::integer_sequence<unsigned, F...>) {
  return std::array<std::array<SegmentFn, config::kStageCount>, config::kStageCount>{
      Row<F>(std::make_integer_sequence<unsigned, config::kStageCount>())...};
}

constexpr auto kSegmentTable = Table(std::make_integer_sequence<unsigned, config::kStageCount>());

}  // namespace

SegmentFn SegmentEntry(Stage first, Stage last) noexcept {
  return kSegmentTable[static_cast<unsigned>(first)][static_cast<unsigned>(last)];
}

}  // namespace ingestd::stages
