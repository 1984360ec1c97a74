// SPDX-License-Identifier: BSD-3-Clause
// The lcore side of the drop capture: a switch and an SP/SC ring of dropped mbufs with their reason.
#pragma once

#include <atomic>
#include <cstdint>

struct rte_mbuf;
struct rte_ring;

namespace ingestd::capture {

/// One element of a capture ring: the dropped mbuf itself (not a copy) and its
/// drop slot (stats::DropSlot). The lcore is the ring's; the port is m->port.
struct DropRecord {
  rte_mbuf* m;
  uint32_t slot;
  uint32_t reserved;  // keeps the element 16 bytes (rte_ring elements are multiples of 4)
};
static_assert(sizeof(DropRecord) == 16);

/// One lcore's tap. Threading: `on` and `ring` are set by the control thread;
/// the lcore reads `on` once per burst that drops and is the ring's only
/// producer; the control thread is its only consumer.
struct DropTap {
  std::atomic<bool> on{false};
  rte_ring* ring = nullptr;  // null: this lcore cannot capture (unit tests)
};

}  // namespace ingestd::capture
