// SPDX-License-Identifier: BSD-3-Clause
// Flow table creation: everything the data path will use, allocated once.
#include "flow_table.hpp"

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include <fmt/format.h>

namespace ingestd::flows {

using dataplane::Status;

FlowTable::~FlowTable() {
  rte_hash_free(hash_);
  rte_free(entries_);
  rte_ring_free(ring_);
}

Status FlowTable::Create(const std::string& name, uint32_t capacity, uint32_t ring_size, uint64_t idle_tsc,
                         uint64_t active_tsc, int socket, std::unique_ptr<FlowTable>& out) {
  std::unique_ptr<FlowTable> t(new FlowTable());
  t->idle_tsc_ = idle_tsc;
  t->active_tsc_ = active_tsc;
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity;
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = socket;
  // Extendable buckets: the table holds `capacity` flows whatever their hashes. One writer
  // (this lcore) and no concurrent reader: no MULTI_WRITER_ADD (whose per-lcore slot caches
  // would add RTE_MAX_LCORE x 63 key slots), no RW_CONCURRENCY, so a deleted key's slot is
  // free at once (NO_FREE_ON_DEL is only for lock-free readers). For 2^20 flows rte_hash
  // makes 2^17 buckets of 8 (64 B each: 8 MiB, as many again for the extendable ones) and
  // 2^20 + 1 key slots of 48 B (the 40 B key and its data pointer): with the 64 B entries,
  // ~130 B per flow.
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_ = rte_hash_create(&p);
  if (t->hash_ == nullptr)
    return Status::Error(rte_errno, fmt::format("cannot create flow table {} ({} flows): {}; lower flows.capacity or "
                                                "raise eal.memory_mb", name, capacity, rte_strerror(rte_errno)));
  // One entry per position rte_hash can return.
  const auto positions = static_cast<uint32_t>(rte_hash_max_key_id(t->hash_)) + 1;
  t->positions_ = positions;
  t->entries_ = static_cast<FlowEntry*>(rte_zmalloc_socket("ingestd_flow_entries", sizeof(FlowEntry) * positions, 64, socket));
  const std::string ring = name + "_x";
  t->ring_ = rte_ring_create_elem(ring.c_str(), sizeof(FlowRecord), ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (t->entries_ == nullptr || t->ring_ == nullptr)
    return Status::Error(ENOMEM, fmt::format("cannot allocate flow table {} ({} flows); lower flows.capacity or raise "
                                             "eal.memory_mb", name, capacity));
  out = std::move(t);
  return Status::Ok();
}

}  // namespace ingestd::flows
