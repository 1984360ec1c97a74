// SPDX-License-Identifier: BSD-3-Clause
// The lcore loop: one template instance per span of stages, so each stage is a
// direct, inlinable call and the layout costs no per-packet branch.
#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "drop_sink.hpp"
#include "encode_stage.hpp"
#include "flow_stage.hpp"
#include "idle_backoff.hpp"
#include "ingestd/stats/alloc_tally.hpp"
#include "measure.hpp"
#include "parse_stage.hpp"
#include "ring_link.hpp"
#include "route_stage.hpp"
#include "rules_stage.hpp"
#include "rx_stage.hpp"
#include "segment_plan.hpp"
#include "tx_stage.hpp"

namespace ingestd::stages {
namespace {

#ifdef INGESTD_ALLOC_PROBE
/// Test builds only: one heap allocation per packet, so a test can prove the
/// allocation counters see what happens (the asm keeps the pair from being elided).
void AllocateOncePerPacket(uint16_t n) noexcept {
  for (uint16_t i = 0; i < n; ++i) {
    void* p = std::malloc(64);
    asm volatile("" : : "r"(p) : "memory");
    std::free(p);
  }
}
#endif

/// Latency histograms, sampled stage timing and heap-per-packet. Builds with
/// INGESTD_NO_MEASURE keep only the counters: the baseline that prices measuring.
#ifdef INGESTD_NO_MEASURE
constexpr bool kMeasure = false;
#else
constexpr bool kMeasure = true;
#endif

/// Flow table positions examined for expiry per loop iteration.
constexpr unsigned kFlowExpiryBudget = 8;

constexpr bool Covers(Stage first, Stage last, Stage s) {
  return first <= s && s <= last;
}

template <Stage kFirst, Stage kLast>
int RunSegment(SegmentPlan& plan) noexcept {
  stats::LcoreCounters& c = plan.counters;
  const stats::ScopedAllocTally count_allocations(c);
  rte_mbuf* pkts[kMaxBurstOut];
  IdleBackoff backoff;
  RingReader ring_reader;
  unsigned next_queue = 0;
  uint32_t burst_number = 0;
  uint64_t last_tsc = rte_rdtsc();
  bool last_busy = false;
  if (plan.qsbr != nullptr) rte_rcu_qsbr_thread_online(plan.qsbr, plan.qsbr_thread);

  for (;;) {
    // Between bursts this lcore holds no rules pointer: a reload may retire the old set.
    if (plan.qsbr != nullptr) rte_rcu_qsbr_quiescent(plan.qsbr, plan.qsbr_thread);
    // A few table positions per iteration, busy or idle: expiry is bounded work.
    if (plan.flows != nullptr) plan.flows->Expire(last_tsc, kFlowExpiryBudget, c);
    // One TSC read per iteration: the time since the last one was busy or idle.
    const uint64_t now = rte_rdtsc();
    (last_busy ? c.busy_cycles : c.idle_cycles).Add(now - last_tsc);
    last_tsc = now;

    uint16_t n;
    uint64_t bytes = 0;  // bytes into the next stage
    if constexpr (kFirst == Stage::kRx) {
      if (plan.control->stop_rx.load(std::memory_order_relaxed)) break;
      n = RxBurst<kLast != Stage::kTx>(plan, next_queue, pkts, bytes);
    } else {
      n = ring_reader.Next(plan, pkts, bytes);
      if (n == 0 && !ring_reader.HasAhead() &&
          plan.upstream_done->load(std::memory_order_acquire)) {
        // The producer has finished: what it enqueued before `done` is
        // visible now. Drain it, then stop.
        ring_reader.Next(plan, pkts, bytes);
        if (!ring_reader.HasAhead()) break;
      }
      c.ring_in_pkts.Add(n);
    }
    last_busy = n != 0;
    if (n == 0) {
      backoff.Idle(c);
      continue;
    }
    backoff.Busy();

    [[maybe_unused]] const uint64_t heap_bytes_before = c.heap_bytes.Load();
    [[maybe_unused]] const uint16_t n_in = n;
    // 1 burst in timing_mask + 1 is measured: stage times, ring wait and RX->TX
    // latency of every packet in it. Uniform over bursts, so percentiles hold.
    StageClock clock(c, kMeasure && (++burst_number & plan.timing_mask) == 0, now);
    if constexpr (kFirst == Stage::kRx) {
      clock.Done(Stage::kRx, n, bytes);
    } else {
      if (clock.timed())
        RecordSince(c.ring_wait, pkts, n, now, [](const packet::PktMeta& m) { return m.ring_tsc; });
    }
    {
      DropSink drops(c, plan.drop_tap);
      if constexpr (Covers(kFirst, kLast, Stage::kParse)) {
        const uint16_t in = n;
        n = ParseBurst(pkts, n, drops, plan.parse_options);
        clock.Done(Stage::kParse, in, bytes);
        bytes -= drops.TakeDroppedBytes();
      }
      if constexpr (Covers(kFirst, kLast, Stage::kProcess)) {
        const uint16_t in = n;
        if (plan.flows != nullptr) TrackFlows(pkts, n, *plan.flows, now, c);
        n = ProcessBurst(pkts, n, plan, drops, c, bytes);
        clock.Done(Stage::kProcess, in, bytes);
        bytes -= drops.TakeDroppedBytes();
      }
      if constexpr (Covers(kFirst, kLast, Stage::kEncode)) {
        const uint16_t in = n;
        n = EncodeBurst(pkts, n, *plan.encode, drops, c);
        clock.Done(Stage::kEncode, in, bytes);
        bytes -= drops.TakeDroppedBytes();
      }
#ifdef INGESTD_ALLOC_PROBE
      AllocateOncePerPacket(n);
#endif
      if constexpr (kLast == Stage::kTx) {
        // Read the RX stamps before TX: after it the mbufs are the PMD's.
        if (clock.timed())
          RecordSince(c.e2e, pkts, n, clock.Now(), [](const packet::PktMeta& m) { return m.rx_tsc; });
        const uint16_t in = n;
        TxBurst(pkts, n, plan, c, drops);
        clock.Done(Stage::kTx, in, bytes);
      } else {
        if constexpr (kMeasure) {
          const uint64_t stamp = clock.timed() ? clock.Now() : rte_rdtsc();
          for (uint16_t i = 0; i < n; ++i) packet::Meta(pkts[i]).ring_tsc = stamp;
        }
        EnqueueBurst(plan, pkts, n, c, drops);
      }
    }
    if constexpr (kMeasure) {
      if (clock.timed()) c.timed_bursts.Add(1);
      // Every burst: this is the histogram that must read zero. No division when it does.
      const uint64_t heap_bytes = c.heap_bytes.Load() - heap_bytes_before;
      c.heap_bytes_per_packet.Record(heap_bytes == 0 ? 0 : heap_bytes / n_in, n_in);
    }
  }
  if (plan.qsbr != nullptr) rte_rcu_qsbr_thread_offline(plan.qsbr, plan.qsbr_thread);
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
