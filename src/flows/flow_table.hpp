// SPDX-License-Identifier: BSD-3-Clause
// One process lcore's flow table: rte_hash over FlowKey, entries preallocated at
// start. Only its lcore writes it; expired and evicted flows leave through an SP/SC
// ring of FlowRecords that the control thread drains, so the data path never waits.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ingestd/dataplane/result.hpp"
#include "ingestd/flows/flow_record.hpp"
#include "ingestd/stats/counters.hpp"

namespace ingestd::flows {

/// A flow's totals, one cache line each, indexed by the rte_hash position of its key:
/// an update touches this line only (beside rte_hash's bucket and key lines).
///
/// | bytes | field     |
/// |-------|-----------|
/// | 0–39  | packets, bytes, ip_bytes, first_tsc, last_tsc |
/// | 40    | tcp_flags |
/// | 41    | in_use    |
/// | 42–63 | padding (an entry never shares or straddles a line) |
struct alignas(RTE_CACHE_LINE_SIZE) FlowEntry {
  uint64_t packets;
  uint64_t bytes;
  uint64_t ip_bytes;
  uint64_t first_tsc;
  uint64_t last_tsc;
  uint8_t tcp_flags;
  bool in_use;  // the position holds a flow (rte_hash's iterator would skip empty slots unboundedly)
};
static_assert(sizeof(FlowEntry) == RTE_CACHE_LINE_SIZE);

/// What one packet adds to its flow.
struct FlowUpdate {
  uint32_t bytes;     // the frame's length
  uint32_t ip_bytes;  // the outer IP header's total length
  uint8_t tcp_flags;  // 0 for anything but TCP
};

class FlowTable {
 public:
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable();

  /// Control path: a table of `capacity` flows and an export ring of `ring_size`
  /// records on `socket`. Timeouts in TSC ticks.
  static dataplane::Status Create(const std::string& name, uint32_t capacity, uint32_t ring_size,
                                  uint64_t idle_tsc, uint64_t active_tsc, int socket, std::unique_ptr<FlowTable>& out);

  /// Data path: counts one packet of `key` (`bytes` of frame, `ip_bytes` of IP). A new
  /// flow in a full table evicts the flow at the scan cursor (exported, counted) rather
  /// than wait or go untracked.
  void Update(const FlowKey& key, uint32_t bytes, uint32_t ip_bytes, uint8_t tcp_flags, uint64_t now,
              stats::LcoreCounters& c) noexcept {
    int32_t pos = rte_hash_lookup(hash_, &key);
    if (pos < 0) [[unlikely]] {
      pos = rte_hash_add_key(hash_, &key);
      if (pos == -ENOSPC) {
        EvictOne(c);
        pos = rte_hash_add_key(hash_, &key);
      }
      if (pos < 0) return;  // cannot happen once one entry was freed
      entries_[pos] = FlowEntry{0, 0, 0, now, now, 0, true};
      c.flows_created.Add(1);
    }
    FlowEntry& e = entries_[pos];
    ++e.packets;
    e.bytes += bytes;
    e.ip_bytes += ip_bytes;
    e.last_tsc = now;
    e.tcp_flags |= tcp_flags;
  }

  /// Data path: counts a burst, packet i adding `updates[i]` to flow `keys[i]`, the same
  /// as Update per packet in order, with one rte_hash_lookup_bulk per 64 keys and every
  /// entry's line prefetched before the first is written. Misses are added (a full table
  /// evicts, as Update). Only this table's lcore calls it; it keeps no pointer to `keys`.
  void UpdateBurst(const FlowKey* keys, const FlowUpdate* updates, uint16_t n, uint64_t now,
                   stats::LcoreCounters& c) noexcept {
    for (uint16_t done = 0; done < n;) {
      const auto chunk = static_cast<uint16_t>(std::min<unsigned>(n - done, RTE_HASH_LOOKUP_BULK_MAX));
      UpdateChunk(keys + done, updates + done, chunk, now, c);
      done = static_cast<uint16_t>(done + chunk);
    }
  }

  /// Data path: looks at the next `budget` positions of the table and exports the
  /// flows idle or active too long. Called once per loop iteration: bounded work.
  void Expire(uint64_t now, unsigned budget, stats::LcoreCounters& c) noexcept {
    for (unsigned i = 0; i < budget; ++i) {
      const uint32_t pos = Advance();
      const FlowEntry& e = entries_[pos];
      if (!e.in_use) continue;
      if (now - e.last_tsc >= idle_tsc_) {
        Export(pos, FlowEnd::kIdle, c);
      } else if (now - e.first_tsc >= active_tsc_) {
        Export(pos, FlowEnd::kActive, c);
      }
    }
  }

  /// Control path, once the lcore has stopped: every flow still in the table, as
  /// records ending kEndOfRun, handed to `sink` (not through the ring).
  template <typename Sink>
  void DrainAll(Sink&& sink) {
    uint32_t next = 0;
    const void* key;
    void* data;
    for (int32_t pos; (pos = rte_hash_iterate(hash_, &key, &data, &next)) >= 0;) {
      sink(Record(*static_cast<const FlowKey*>(key), entries_[pos], FlowEnd::kEndOfRun));
      entries_[pos].in_use = false;
    }
    rte_hash_reset(hash_);
  }

  rte_ring* ring() const noexcept { return ring_; }

 private:
  FlowTable() = default;

  static FlowRecord Record(const FlowKey& key, const FlowEntry& e, FlowEnd end) noexcept {
    FlowRecord r{};
    r.key = key;
    r.packets = e.packets;
    r.bytes = e.bytes;
    r.ip_bytes = e.ip_bytes;
    r.first_tsc = e.first_tsc;
    r.last_tsc = e.last_tsc;
    r.tcp_flags = e.tcp_flags;
    r.end = end;
    return r;
  }

  void UpdateChunk(const FlowKey* keys, const FlowUpdate* updates, uint16_t n, uint64_t now,
                   stats::LcoreCounters& c) noexcept {
    const void* key_ptrs[RTE_HASH_LOOKUP_BULK_MAX];
    int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
    for (uint16_t i = 0; i < n; ++i) key_ptrs[i] = &keys[i];
    // Buckets, then the key slots of signature hits, are prefetched inside: all n lookups
    // wait on memory together rather than one after the other.
    if (rte_hash_lookup_bulk(hash_, key_ptrs, n, pos) != 0) [[unlikely]] return;  // only for bad arguments
    // A read prefetch is enough: only this lcore writes the entries, so a line comes from
    // memory or this core's caches exclusive, and the store needs no second transfer.
    for (uint16_t i = 0; i < n; ++i)
      if (pos[i] >= 0) rte_prefetch0(&entries_[pos[i]]);
    uint64_t created = 0;
    bool evicted = false;  // an eviction frees a position a later hit of this chunk may hold
    for (uint16_t i = 0; i < n; ++i) {
      int32_t p = pos[i];
      if (evicted && p >= 0) p = rte_hash_lookup(hash_, &keys[i]);
      if (p < 0) [[unlikely]] {
        p = rte_hash_add_key(hash_, &keys[i]);
        if (p == -ENOSPC) {
          EvictOne(c);
          evicted = true;
          p = rte_hash_add_key(hash_, &keys[i]);
        }
        if (p < 0) continue;  // cannot happen once one entry was freed
        // A flow new to the table, or added already by an earlier packet of this chunk.
        if (!entries_[p].in_use) {
          entries_[p] = FlowEntry{0, 0, 0, now, now, 0, true};
          ++created;
        }
      }
      FlowEntry& e = entries_[p];
      ++e.packets;
      e.bytes += updates[i].bytes;
      e.ip_bytes += updates[i].ip_bytes;
      e.last_tsc = now;
      e.tcp_flags |= updates[i].tcp_flags;
    }
    if (created != 0) c.flows_created.Add(created);
  }

  uint32_t Advance() noexcept {
    const uint32_t pos = cursor_;
    cursor_ = cursor_ + 1 == positions_ ? 0 : cursor_ + 1;
    return pos;
  }

  void Export(uint32_t pos, FlowEnd end, stats::LcoreCounters& c) noexcept {
    void* key;
    if (rte_hash_get_key_with_position(hash_, static_cast<int32_t>(pos), &key) != 0) [[unlikely]] return;
    FlowRecord r = Record(*static_cast<const FlowKey*>(key), entries_[pos], end);
    rte_hash_del_key(hash_, &r.key);
    entries_[pos].in_use = false;
    if (rte_ring_sp_enqueue_elem(ring_, &r, sizeof r) != 0) [[unlikely]] {
      c.flow_records_lost.Add(1);  // the control thread fell behind: counted, never waited for
      return;
    }
    c.flows_exported.Add(1);
  }

  /// The table is full: the next flow from the cursor leaves early.
  void EvictOne(stats::LcoreCounters& c) noexcept {
    for (uint32_t i = 0; i < positions_; ++i) {
      const uint32_t pos = Advance();
      if (!entries_[pos].in_use) continue;
      c.flow_evictions.Add(1);
      Export(pos, FlowEnd::kEvicted, c);
      return;
    }
  }

  rte_hash* hash_ = nullptr;
  FlowEntry* entries_ = nullptr;
  rte_ring* ring_ = nullptr;
  uint32_t cursor_ = 0;
  uint32_t positions_ = 1;
  uint64_t idle_tsc_ = 0;
  uint64_t active_tsc_ = 0;
};

}  // namespace ingestd::flows
