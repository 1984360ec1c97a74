// SPDX-License-Identifier: BSD-3-Clause
// process: the port map decides each packet's output port, or drops it.
#pragma once

#include "drop_sink.hpp"
#include "ingestd/packet/mbuf_meta.hpp"

namespace ingestd::stages {

/// Sets out_port for `pkts[0..n)`; packets routed to drop are freed and
/// counted. Returns how many remain, in order at the front.
inline uint16_t RouteBurst(rte_mbuf** pkts, uint16_t n, const RouteTable& routes,
                           DropSink& drops) noexcept {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    packet::PktMeta& meta = packet::Meta(m);
    const uint16_t out = routes.out[meta.in_port][meta.in_queue];
    if (out == config::kDropRoute) [[unlikely]] {
      drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRouteDrop));
      continue;
    }
    meta.out_port = out;
    pkts[kept++] = m;
  }
  return kept;
}

}  // namespace ingestd::stages
