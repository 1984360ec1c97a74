// SPDX-License-Identifier: BSD-3-Clause
// Per-lcore counters: one block per lcore, written only by its owner.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <rte_common.h>

#include "ingestd/config/stage.hpp"
#include "ingestd/packet/verdict.hpp"
#include "ingestd/stats/histogram.hpp"

namespace ingestd::stats {

/// A counter with one writer. Add is a relaxed load plus a relaxed store: no
/// locked instruction on the data path, and readers on other threads see a
/// whole value (no data race), possibly a moment old.
class Counter {
 public:
  void Add(uint64_t n) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Load() const noexcept { return value_.load(std::memory_order_relaxed); }
  /// Keeps the largest value seen (a high-water mark), same single writer.
  void Max(uint64_t v) noexcept {
    if (v > value_.load(std::memory_order_relaxed)) value_.store(v, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> value_{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// Drops that are not parse verdicts. X(enumerator, "name", "why the packet did not leave")
#define INGESTD_OTHER_DROPS(X)                                                            \
  X(kRouteDrop, "route_drop", "the port map routes its input to drop")                   \
  X(kRingFull, "ring_full", "the ring to the next lcore was full (policy: drop)")         \
  X(kTxFull, "tx_full", "the output queue refused it after every retry")                  \
  X(kRuleDrop, "rule_drop", "a rule's action is drop")                                    \
  X(kSampledOut, "sampled_out", "a rule samples 1 in N packets, and this was not the one")   \
  X(kNoHeadroom, "no_headroom", "too little mbuf headroom for the output port's encapsulation")

/// Every drop reason lives in one index space ("slots") so one array holds all
/// drop counters: slots 0..kParseVerdictCount-1 are parse verdicts (slot 0,
/// "ok", is never used), then the reasons above.
inline constexpr unsigned kOtherDropBase = packet::kParseVerdictCount;
enum class OtherDrop : uint16_t {
#define INGESTD_X(e, name, desc) e,
  INGESTD_OTHER_DROPS(INGESTD_X)
#undef INGESTD_X
};
inline constexpr unsigned kOtherDropCount = 0
#define INGESTD_X(e, name, desc) +1
    INGESTD_OTHER_DROPS(INGESTD_X)
#undef INGESTD_X
    ;
inline constexpr unsigned kDropSlots = kOtherDropBase + kOtherDropCount;

constexpr unsigned DropSlot(packet::ParseVerdict v) noexcept { return static_cast<unsigned>(v); }
constexpr unsigned DropSlot(OtherDrop d) noexcept {
  return kOtherDropBase + static_cast<unsigned>(d);
}

/// Name of a drop slot as shown in stats: "malformed:<verdict>" or the reason.
/// Slot 0 (parse ok) is never a drop. Control path only.
std::string DropSlotName(unsigned slot);

inline constexpr std::string_view kOtherDropNames[kOtherDropCount] = {
#define INGESTD_X(e, name, desc) name,
    INGESTD_OTHER_DROPS(INGESTD_X)
#undef INGESTD_X
};
inline constexpr std::string_view kOtherDropDescriptions[kOtherDropCount] = {
#define INGESTD_X(e, name, desc) desc,
    INGESTD_OTHER_DROPS(INGESTD_X)
#undef INGESTD_X
};

/// The counters of one ring between two lcores, written by its producer alone (a
/// fan-out's rings each have their own: how the flows spread shows in `packets`).
struct RingCounters {
  Counter packets;      // enqueued
  Counter full_events;  // enqueues that found it full
  Counter dropped;      // packets the drop policy freed because it was full
  Counter high_water;   // gauge: most packets seen in it
};

// The counters of one lcore. X(name, "unit", "meaning")
#define INGESTD_LCORE_COUNTERS(X)                                                     \
  X(rx_pkts, "packets", "frames received from RX queues")                             \
  X(rx_bytes, "bytes", "bytes received from RX queues")                               \
  X(rx_bursts, "bursts", "RX bursts that returned at least one frame")                \
  X(ring_in_pkts, "packets", "packets dequeued from the ring of the previous lcore")  \
  X(ring_out_pkts, "packets", "packets enqueued to the ring of the next lcore")       \
  X(tx_pkts, "packets", "frames the output queues accepted")                          \
  X(tx_bytes, "bytes", "bytes the output queues accepted")                            \
  X(tx_bursts, "bursts", "tx_burst calls")                                            \
  X(tx_retries, "calls", "tx_burst calls repeated for a partially accepted burst")    \
  X(busy_cycles, "cycles", "TSC cycles in loop iterations that moved packets")        \
  X(idle_cycles, "cycles", "TSC cycles in loop iterations that found nothing")        \
  X(idle_sleeps, "events", "short sleeps taken while idle, to yield the CPU")           \
  X(mbufs_taken, "mbufs", "mbufs taken from a pool: RX buffers, clones, allocations")   \
  X(clones, "packets", "mirror copies made: indirect mbufs sharing the original's data") \
  X(clone_failures, "packets", "mirror copies not made: the clone pool was empty")      \
  X(rewrites_skipped, "packets", "frames sent unrewritten: their bytes are shared with a mirror copy") \
  X(flows_created, "flows", "flows added to this lcore's flow table")                  \
  X(flows_exported, "flows", "flow records handed to the exporter (idle, active, evicted)") \
  X(flow_evictions, "flows", "flows exported early because the table was full")        \
  X(flow_records_lost, "flows", "flow records dropped: the export ring was full")       \
  X(drop_capture_queued, "packets", "dropped packets handed to the drop capture ring (the mbuf itself)") \
  X(drop_capture_missed, "packets", "dropped packets not captured: the capture ring was full (freed at once)") \
  X(drop_capture_filtered, "packets", "captured drops the capture filter did not select (control thread)") \
  X(drop_capture_written, "packets", "captured drops written to the capture file (control thread)") \
  X(drop_capture_discarded, "packets", "captured drops freed unwritten: capture stopped or the file failed (control thread)") \
  X(heap_allocs, "allocations", "malloc/new calls on this lcore")                        \
  X(heap_bytes, "bytes", "bytes asked of malloc/new on this lcore")                      \
  X(heap_frees, "frees", "free/delete calls on this lcore")                              \
  X(bytes_copied, "bytes", "bytes of packet data moved or copied (VLAN push and pop: 12 per packet)") \
  X(timed_bursts, "bursts", "bursts whose stages were timed (1 in stats.stage_timing_every)")

/// What one stage did on this lcore. Timing is sampled (timed bursts only):
/// cycles / timed_pkts is the stage's cost per packet.
struct StageCounters {
  Counter pkts;        // packets that entered the stage
  Counter bytes;       // bytes that entered the stage
  Counter bursts;      // bursts that entered the stage
  Counter timed_pkts;  // packets of the timed bursts
  Counter cycles;      // TSC cycles spent in the stage during timed bursts
};

struct alignas(RTE_CACHE_LINE_SIZE) LcoreCounters {
#define INGESTD_X(name, unit, desc) Counter name;
  INGESTD_LCORE_COUNTERS(INGESTD_X)
#undef INGESTD_X
  Counter drops[kDropSlots];  // indexed by DropSlot(...)
  StageCounters stages[config::kStageCount];

  // Latency, in TSC ticks (fixed buckets, no allocation).
  Histogram stage_service[config::kStageCount];  // per packet, amortised over a timed burst
  Histogram ring_wait;        // time in the ring from the previous lcore, per packet
  Histogram e2e;              // RX to TX, per packet (on the lcore that transmits)
  Histogram heap_bytes_per_packet;  // heap bytes a burst allocated / its packets
};

struct CounterInfo {
  std::string_view name;
  std::string_view unit;
  std::string_view description;
  Counter LcoreCounters::*member;
};

inline constexpr CounterInfo kLcoreCounterInfo[] = {
#define INGESTD_X(name, unit, desc) {#name, unit, desc, &LcoreCounters::name},
    INGESTD_LCORE_COUNTERS(INGESTD_X)
#undef INGESTD_X
};

}  // namespace ingestd::stats
