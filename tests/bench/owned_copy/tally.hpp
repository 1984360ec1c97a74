// SPDX-License-Identifier: BSD-3-Clause
// Per-thread counters of the owned-copy baseline: heap calls, stage cycles, bytes copied, drops.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "ingestd/packet/verdict.hpp"

namespace ingestd::bench::owned {

enum class Stage : unsigned { kReceive, kParse, kProcess, kEncode, kTransmit };
inline constexpr unsigned kStageCount = 5;
inline constexpr const char* kStageNames[kStageCount] = {"receive", "parse", "process", "encode",
                                                         "transmit"};

/// A single-writer counter, as ingestd's stats::Counter: a relaxed load plus a relaxed
/// store, no locked instruction, and no data race with the thread summing at the end.
class Counter {
 public:
  void Add(uint64_t n) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

/// One thread's counters. Whole cache lines, so no two threads share one.
struct alignas(64) ThreadTally {
  Counter heap_allocs;
  Counter heap_bytes;
  Counter heap_frees;
  Counter filter_calls[kStageCount];  // every call of the stage's filter body
  Counter timed_calls[kStageCount];   // the sampled calls that were timed
  Counter stage_cycles[kStageCount];  // TSC cycles of the timed calls
  Counter bytes_copied[kStageCount];  // packet bytes copied into new buffers or objects
  Counter drops[packet::kParseVerdictCount];
  Counter route_drops;                         // no route for the input port
  uint64_t next_timed_call[kStageCount] = {};  // owner only: filter_calls value to time next
};

/// Slots for every thread that ever allocates or runs a filter. Threads past the last slot
/// share it: their counts may then be lost (a warning is printed), never corrupted.
inline constexpr unsigned kTallySlots = 256;

/// The calling thread's slot, claimed on first use. Never allocates (operator new calls it).
ThreadTally& ThisThreadTally() noexcept;

/// Sums of every slot at one moment. Taken on both sides of a run; the run is the difference.
struct TallyTotals {
  uint64_t heap_allocs = 0;
  uint64_t heap_bytes = 0;
  uint64_t heap_frees = 0;
  std::array<uint64_t, kStageCount> filter_calls{};
  std::array<uint64_t, kStageCount> timed_calls{};
  std::array<uint64_t, kStageCount> stage_cycles{};
  std::array<uint64_t, kStageCount> bytes_copied{};
  std::array<uint64_t, packet::kParseVerdictCount> drops{};
  uint64_t route_drops = 0;
  std::array<uint64_t, kTallySlots> slot_filter_calls{};  // per slot, to tell threads apart
  unsigned threads_with_filter_calls = 0;                 // slots whose filter_calls are nonzero

  /// The interval from `before` to this sum; threads_with_filter_calls then counts the
  /// threads that ran a filter in the interval.
  TallyTotals operator-(const TallyTotals& before) const noexcept;
};

TallyTotals SumTallies() noexcept;

/// True when more threads than kTallySlots have claimed a slot.
bool TallySlotsOverflowed() noexcept;

}  // namespace ingestd::bench::owned
