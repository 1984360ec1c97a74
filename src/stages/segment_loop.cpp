// SPDX-License-Identifier: BSD-3-Clause
// The lcore loop: source -> stages -> sink, one template instance per span of
// stages, so each stage is a direct, inlinable call and the layout costs no
// per-packet branch.
#include <type_traits>

#include <rte_cycles.h>

#include "drop_sink.hpp"
#include "idle_backoff.hpp"
#include "ingestd/stats/alloc_tally.hpp"
#include "measure.hpp"
#include "segment_plan.hpp"
#include "stage_context.hpp"

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

constexpr bool Covers(Stage first, Stage last, Stage s) {
  return first <= s && s <= last;
}

/// Runs stage `S` on the burst and accounts for it: packets and bytes in, time
/// (timed bursts), and the bytes it dropped taken off the burst's count.
template <Stage S, typename StageT>
inline uint16_t RunStage(StageT& stage, rte_mbuf** pkts, uint16_t n, StageContext& ctx, StageClock& clock) noexcept {
  const uint16_t out = stage.Burst(pkts, n, ctx);
  clock.Done(S, n, ctx.bytes);
  ctx.bytes -= ctx.drops.TakeDroppedBytes();
  return out;
}

/// No fan-out starts on this lcore: its packets all stay (or all leave through its sink).
constexpr Stage kNoSplit = static_cast<Stage>(config::kStageCount);

/// Stamps the packets about to enter a ring, so the next lcore can time their wait.
inline void StampRingEntry(rte_mbuf** pkts, uint16_t n, StageClock& clock) noexcept {
  if constexpr (kMeasure) {
    const uint64_t stamp = clock.timed() ? clock.Now() : rte_rdtsc();
    for (uint16_t i = 0; i < n; ++i) packet::Meta(pkts[i]).ring_tsc = stamp;
  }
}

/// Before stage `kSplit` (a fan-out this lcore is the first lcore of): the other lcores'
/// shares go to their rings, this lcore's stays in `pkts` for the rest of its stages.
inline uint16_t HandOffOthers(SegmentPlan& plan, rte_mbuf** pkts, uint16_t n, StageContext& ctx,
                              StageClock& clock) noexcept {
  StampRingEntry(pkts, n, clock);
  n = plan.ring_out.SendOthers(pkts, n, ctx);
  ctx.drops.TakeDroppedBytes();  // ring_full drops are counted by reason, not off a stage's bytes
  return n;
}

/// `kSplit`: kNoSplit, or the first stage of a fan-out whose first lcore is this one
/// (then kLast is tx, and the others' shares leave before kSplit).
template <Stage kFirst, Stage kLast, Stage kSplit = kNoSplit>
int RunSegment(SegmentPlan& plan) noexcept {
  constexpr bool kFromRx = kFirst == Stage::kRx;
  constexpr bool kToTx = kLast == Stage::kTx;
  constexpr bool kProcess = Covers(kFirst, kLast, Stage::kProcess);
  stats::LcoreCounters& c = plan.counters;
  const stats::ScopedAllocTally count_allocations(c);
  auto& source = [&plan]() -> auto& {
    if constexpr (kFromRx) return plan.rx;
    else return plan.ring_in;
  }();
  auto& sink = [&plan]() -> auto& {
    if constexpr (kToTx) return plan.tx;
    else return plan.ring_out;
  }();
  DropSink drops(c, plan.drop_tap);
  StageContext ctx{c, drops};
  rte_mbuf* pkts[kMaxBurstOut];
  IdleBackoff backoff;
  uint32_t burst_number = 0;
  uint64_t last_tsc = rte_rdtsc();
  bool last_busy = false;
  if constexpr (kProcess) plan.process.Online();

  for (;;) {
    if constexpr (kProcess) plan.process.BetweenBursts(last_tsc, c);
    // One TSC read per iteration: the time since the last one was busy or idle.
    const uint64_t now = rte_rdtsc();
    (last_busy ? c.busy_cycles : c.idle_cycles).Add(now - last_tsc);
    last_tsc = now;

    uint16_t n;
    ctx.bytes = 0;  // bytes into the next stage
    ctx.now = now;
    bool more;
    if constexpr (kFromRx) {
      more = source.template Poll<!kToTx || kSplit != kNoSplit>(pkts, n, ctx);
    } else {
      more = source.Poll(pkts, n, ctx);
    }
    if (!more) break;
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
    if constexpr (kFromRx) {
      clock.Done(Stage::kRx, n, ctx.bytes);
    } else {
      if (clock.timed())
        RecordSince(c.ring_wait, pkts, n, now, [](const packet::PktMeta& m) { return m.ring_tsc; });
    }
    if constexpr (Covers(kFirst, kLast, Stage::kParse)) n = RunStage<Stage::kParse>(plan.parse, pkts, n, ctx, clock);
    if constexpr (kSplit == Stage::kProcess) n = HandOffOthers(plan, pkts, n, ctx, clock);
    if constexpr (kProcess) n = RunStage<Stage::kProcess>(plan.process, pkts, n, ctx, clock);
    if constexpr (kSplit == Stage::kEncode) n = HandOffOthers(plan, pkts, n, ctx, clock);
    if constexpr (Covers(kFirst, kLast, Stage::kEncode))
      n = RunStage<Stage::kEncode>(plan.encode, pkts, n, ctx, clock);
    if constexpr (kSplit == Stage::kTx) n = HandOffOthers(plan, pkts, n, ctx, clock);
#ifdef INGESTD_ALLOC_PROBE
    AllocateOncePerPacket(n);
#endif
    if constexpr (kToTx) {
      // Read the RX stamps before TX: after it the mbufs are the PMD's.
      if (clock.timed())
        RecordSince(c.e2e, pkts, n, clock.Now(), [](const packet::PktMeta& m) { return m.rx_tsc; });
      sink.Send(pkts, n, ctx);
      clock.Done(Stage::kTx, n, ctx.bytes);
    } else {
      StampRingEntry(pkts, n, clock);
      sink.Send(pkts, n, ctx);
    }
    // The burst's drops freed (or captured) in bulk; what the sink dropped is
    // counted by reason, not taken off a stage's bytes.
    drops.Flush();
    drops.TakeDroppedBytes();
    if constexpr (kMeasure) {
      if (clock.timed()) c.timed_bursts.Add(1);
      // Every burst: this is the histogram that must read zero. No division when it does.
      const uint64_t heap_bytes = c.heap_bytes.Load() - heap_bytes_before;
      c.heap_bytes_per_packet.Record(heap_bytes == 0 ? 0 : heap_bytes / n_in, n_in);
    }
  }
  if constexpr (kProcess) plan.process.Offline();
  plan.done.store(true, std::memory_order_release);
  return 0;
}

/// The loop of the span F..L (F <= L).
template <unsigned F, unsigned L>
struct SpanLoop {
  static constexpr SegmentFn Get() {
    if constexpr (F <= L) return &RunSegment<static_cast<Stage>(F), static_cast<Stage>(L)>;
    else return nullptr;
  }
};

/// The loop of F..tx on a fan-out's first lcore, the fan-out starting at S: after
/// parse (process, encode or tx).
template <unsigned F, unsigned S>
struct KeepingShareLoop {
  static constexpr SegmentFn Get() {
    if constexpr (F < S && S > static_cast<unsigned>(Stage::kParse))
      return &RunSegment<static_cast<Stage>(F), Stage::kTx, static_cast<Stage>(S)>;
    else return nullptr;
  }
};

using LoopTable = std::array<std::array<SegmentFn, config::kStageCount>, config::kStageCount>;

template <template <unsigned, unsigned> class Loop, unsigned F, unsigned... S>
constexpr std::array<SegmentFn, config::kStageCount> Row(std::integer_sequence<unsigned, S...>) {
  return {Loop<F, S>::Get()...};
}

/// Every stage pair's loop, indexed [first][second]: one template instance each.
template <template <unsigned, unsigned> class Loop, unsigned... F>
constexpr LoopTable Table(std::integer_sequence<unsigned, F...>) {
  return LoopTable{Row<Loop, F>(std::make_integer_sequence<unsigned, config::kStageCount>())...};
}

constexpr auto kStages = std::make_integer_sequence<unsigned, config::kStageCount>();
constexpr LoopTable kSegmentTable = Table<SpanLoop>(kStages);
constexpr LoopTable kKeepingShareTable = Table<KeepingShareLoop>(kStages);

}  // namespace

SegmentFn SegmentEntry(Stage first, Stage last) noexcept {
  return kSegmentTable[static_cast<unsigned>(first)][static_cast<unsigned>(last)];
}

SegmentFn SegmentKeepingShareEntry(Stage first, Stage fanout_first) noexcept {
  return kKeepingShareTable[static_cast<unsigned>(first)][static_cast<unsigned>(fanout_first)];
}

}  // namespace ingestd::stages
