// SPDX-License-Identifier: BSD-3-Clause
// Per-thread counter slots: claimed lazily with one atomic increment, summed by the main thread.
#include "tally.hpp"

namespace ingestd::bench::owned {

namespace {

ThreadTally g_slots[kTallySlots];
std::atomic<unsigned> g_claimed{0};

// Executable TLS, constant-initialised: reading it from operator new never allocates.
constinit thread_local ThreadTally* t_tally = nullptr;

}  // namespace

ThreadTally& ThisThreadTally() noexcept {
  if (t_tally == nullptr) [[unlikely]] {
    const unsigned i = g_claimed.fetch_add(1, std::memory_order_relaxed);
    t_tally = &g_slots[i < kTallySlots ? i : kTallySlots - 1];
  }
  return *t_tally;
}

TallyTotals SumTallies() noexcept {
  TallyTotals t;
  const unsigned claimed = g_claimed.load(std::memory_order_relaxed);
  const unsigned used = claimed < kTallySlots ? claimed : kTallySlots;
  for (unsigned s = 0; s < used; ++s) {
    const ThreadTally& slot = g_slots[s];
    t.heap_allocs += slot.heap_allocs.Get();
    t.heap_bytes += slot.heap_bytes.Get();
    t.heap_frees += slot.heap_frees.Get();
    for (unsigned i = 0; i < kStageCount; ++i) {
      t.filter_calls[i] += slot.filter_calls[i].Get();
      t.timed_calls[i] += slot.timed_calls[i].Get();
      t.stage_cycles[i] += slot.stage_cycles[i].Get();
      t.bytes_copied[i] += slot.bytes_copied[i].Get();
      t.slot_filter_calls[s] += slot.filter_calls[i].Get();
    }
    for (unsigned v = 0; v < packet::kParseVerdictCount; ++v) t.drops[v] += slot.drops[v].Get();
    t.route_drops += slot.route_drops.Get();
    if (t.slot_filter_calls[s] != 0) ++t.threads_with_filter_calls;
  }
  return t;
}

TallyTotals TallyTotals::operator-(const TallyTotals& before) const noexcept {
  TallyTotals d;
  d.heap_allocs = heap_allocs - before.heap_allocs;
  d.heap_bytes = heap_bytes - before.heap_bytes;
  d.heap_frees = heap_frees - before.heap_frees;
  for (unsigned i = 0; i < kStageCount; ++i) {
    d.filter_calls[i] = filter_calls[i] - before.filter_calls[i];
    d.timed_calls[i] = timed_calls[i] - before.timed_calls[i];
    d.stage_cycles[i] = stage_cycles[i] - before.stage_cycles[i];
    d.bytes_copied[i] = bytes_copied[i] - before.bytes_copied[i];
  }
  for (unsigned v = 0; v < packet::kParseVerdictCount; ++v) d.drops[v] = drops[v] - before.drops[v];
  d.route_drops = route_drops - before.route_drops;
  for (unsigned s = 0; s < kTallySlots; ++s) {
    d.slot_filter_calls[s] = slot_filter_calls[s] - before.slot_filter_calls[s];
    if (d.slot_filter_calls[s] != 0) ++d.threads_with_filter_calls;
  }
  return d;
}

bool TallySlotsOverflowed() noexcept {
  return g_claimed.load(std::memory_order_relaxed) > kTallySlots;
}

}  // namespace ingestd::bench::owned
