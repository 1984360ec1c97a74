// SPDX-License-Identifier: BSD-3-Clause
// encode: per-output-port rewrites, in place in the packet (no copy of the frame).
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "ingestd/packet/mbuf_meta.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

/// Rewrites Ethernet addresses of `pkts[0..n)` as their output port asks.
/// Parse guarantees every packet here holds a whole Ethernet header.
inline void EncodeBurst(rte_mbuf** pkts, uint16_t n, const EncodeTable& encode) noexcept {
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const EncodeTable::PortRewrite& rw = encode.port[packet::Meta(m).out_port];
    if (!rw.set_src && !rw.set_dst) continue;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (rw.set_dst) rte_ether_addr_copy(&rw.dst, &eth->dst_addr);
    if (rw.set_src) rte_ether_addr_copy(&rw.src, &eth->src_addr);
  }
}

}  // namespace ingestd::stages
