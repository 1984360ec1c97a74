// SPDX-License-Identifier: BSD-3-Clause
// process, flow tracking: every IP packet counted into this lcore's flow table
// (packets, bytes, first/last seen, TCP flags), before the rules act on it.
#pragma once

#include <rte_mbuf.h>

#include "flow_table.hpp"
#include "header_fields.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

/// The flow of an IP packet (false for anything else), its TCP flags and IP length.
inline bool BuildFlowKey(rte_mbuf* m, const packet::PktMeta& meta, flows::FlowKey& k, uint8_t& tcp_flags,
                         uint32_t& ip_bytes) noexcept {
  if (!IsIp(meta.l3)) return false;
  const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  MappedAddresses(frame + meta.l3_off, meta.l3, k.src, k.dst);
  ip_bytes = IpLength(frame + meta.l3_off, meta.l3);
  k.src_port = meta.src_port;
  k.dst_port = meta.dst_port;
  k.proto = meta.ip_proto;
  k.in_port = static_cast<uint8_t>(meta.in_port);
  k.pad[0] = k.pad[1] = 0;
  tcp_flags = TcpFlagsOf(frame, meta);
  return true;
}

inline void TrackFlows(rte_mbuf* const* pkts, uint16_t n, flows::FlowTable& table, uint64_t now,
                       stats::LcoreCounters& c) noexcept {
  flows::FlowKey keys[kMaxBurst];
  flows::FlowUpdate updates[kMaxBurst];
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    uint8_t tcp_flags;
    uint32_t ip_bytes;
    if (BuildFlowKey(pkts[i], packet::Meta(pkts[i]), keys[k], tcp_flags, ip_bytes))
      updates[k++] = flows::FlowUpdate{pkts[i]->pkt_len, ip_bytes, tcp_flags};
  }
  // One bulk lookup for the burst: its cache misses overlap instead of queueing.
  table.UpdateBurst(keys, updates, k, now, c);
}

}  // namespace ingestd::stages
