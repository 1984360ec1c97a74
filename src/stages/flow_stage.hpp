// SPDX-License-Identifier: BSD-3-Clause
// process, flow tracking: every IP packet counted into this lcore's flow table
// (packets, bytes, first/last seen, TCP flags), before the rules act on it.
#pragma once

#include <cstring>

#include <rte_mbuf.h>

#include "flow_table.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

/// The flow of an IP packet (false for anything else). Addresses are the 32 header
/// bytes read into the key; the packet is not written.
inline bool BuildFlowKey(rte_mbuf* m, const packet::PktMeta& meta, flows::FlowKey& k, uint8_t& tcp_flags) noexcept {
  const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_off);
  if (meta.l3 == packet::L3Type::kIpv4) {
    std::memset(k.src, 0, 10);
    std::memset(k.dst, 0, 10);
    k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
    std::memcpy(k.src + 12, l3 + 12, 4);
    std::memcpy(k.dst + 12, l3 + 16, 4);
  } else if (meta.l3 == packet::L3Type::kIpv6) {
    std::memcpy(k.src, l3 + 8, 16);
    std::memcpy(k.dst, l3 + 24, 16);
  } else {
    return false;
  }
  k.src_port = meta.src_port;
  k.dst_port = meta.dst_port;
  k.proto = meta.ip_proto;
  k.in_port = static_cast<uint8_t>(meta.in_port);
  k.pad[0] = k.pad[1] = 0;
  tcp_flags = (meta.ip_proto == 6 && meta.l4_off != packet::kNoOffset && !meta.is_fragment)
                  ? *rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l4_off + 13)
                  : 0;
  return true;
}

inline void TrackFlows(rte_mbuf* const* pkts, uint16_t n, flows::FlowTable& table, uint64_t now,
                       stats::LcoreCounters& c) noexcept {
  for (uint16_t i = 0; i < n; ++i) {
    flows::FlowKey key;
    uint8_t tcp_flags;
    if (BuildFlowKey(pkts[i], packet::Meta(pkts[i]), key, tcp_flags))
      table.Update(key, pkts[i]->pkt_len, tcp_flags, now, c);
  }
}

}  // namespace ingestd::stages
