// SPDX-License-Identifier: BSD-3-Clause
// The process stage's keys, built in one pass over each packet's headers: the
// address pair, ports, protocol and TCP flags are read once into what the rules'
// key (rte_acl) and the flow key (rte_hash) both need.
#pragma once

#include <cstring>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "flow_table.hpp"
#include "header_fields.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "tables.hpp"

namespace ingestd::stages {

/// One burst's keys. The rules' keys are in packet order; the flow keys and their
/// updates are packed (IP packets only: others have no flow), as the flow table's
/// burst update takes them.
struct BurstKeys {
  rules::AclKey acl[kMaxBurst];              // when rules are in force
  flows::FlowKey flow[kMaxBurst];            // when flows are on
  flows::FlowUpdate flow_update[kMaxBurst];  // lengths and TCP flags, parallel to `flow`
  uint16_t flows = 0;
};

/// The rules' key of the packet at `frame` past its outer address pair (already in
/// `k.src`/`k.dst`), whose DSCP is `dscp`.
inline void FinishAclKey(const uint8_t* frame, const packet::PktMeta& meta, uint8_t tcp_flags, uint8_t dscp,
                         rules::AclKey& k) noexcept {
  k.proto = IsIp(meta.l3) ? meta.ip_proto : 0;
  k.tcp_flags = tcp_flags;
  k.in_port = static_cast<uint8_t>(meta.in_port);
  k.vlan = rte_cpu_to_be_16(meta.vlan_count ? static_cast<uint16_t>(meta.vlan_tci[0] & 0x0fff) : rules::kKeyNoVlan);
  k.ethertype = rte_cpu_to_be_16(meta.ethertype);
  k.src_port = rte_cpu_to_be_16(meta.src_port);
  k.dst_port = rte_cpu_to_be_16(meta.dst_port);
  const bool inner = meta.tunnel != packet::TunnelType::kNone && IsIp(meta.inner_l3);
  MappedAddresses(inner ? frame + meta.inner_l3_off : frame, inner ? meta.inner_l3 : packet::L3Type::kNone,
                  k.inner_src, k.inner_dst);
  if (inner) dscp |= rules::kKeyInnerPresent;
  k.dscp_inner = dscp;
  k.inner_proto = inner ? meta.inner_ip_proto : 0;
  k.inner_src_port = rte_cpu_to_be_16(meta.inner_src_port);
  k.inner_dst_port = rte_cpu_to_be_16(meta.inner_dst_port);
}

/// Builds the keys of `pkts[0..n)`: the rules' key (`kAcl`), the flow key
/// (`kFlow`), or both from one read of each packet's headers. One instance per
/// combination: no per-packet test of what is wanted.
template <bool kAcl, bool kFlow>
inline void BuildKeys(rte_mbuf* const* pkts, uint16_t n, BurstKeys& keys) noexcept {
  static_assert(kAcl || kFlow);
  keys.flows = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const packet::PktMeta& meta = packet::Meta(m);
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const bool ip = IsIp(meta.l3);
    const uint8_t* l3 = ip ? frame + meta.l3_off : frame;
    const uint8_t tcp_flags = TcpFlagsOf(frame, meta);
    // The address pair goes where the first key wants it; the flow key copies it from there.
    rules::AclKey& acl = keys.acl[i];
    flows::FlowKey& flow = keys.flow[keys.flows];  // kept only if the packet is IP
    void* src = kAcl ? static_cast<void*>(acl.src) : static_cast<void*>(flow.src);
    void* dst = kAcl ? static_cast<void*>(acl.dst) : static_cast<void*>(flow.dst);
    const uint8_t dscp = MappedAddresses(l3, meta.l3, src, dst);
    if constexpr (kAcl) FinishAclKey(frame, meta, tcp_flags, dscp, acl);
    if constexpr (kFlow) {
      if constexpr (kAcl) {
        std::memcpy(flow.src, acl.src, sizeof(flow.src));
        std::memcpy(flow.dst, acl.dst, sizeof(flow.dst));
      }
      flow.src_port = meta.src_port;
      flow.dst_port = meta.dst_port;
      flow.proto = meta.ip_proto;
      flow.in_port = static_cast<uint8_t>(meta.in_port);
      flow.pad[0] = flow.pad[1] = 0;
      if (ip) keys.flow_update[keys.flows++] = flows::FlowUpdate{m->pkt_len, IpLength(l3, meta.l3), tcp_flags};
    }
  }
}

}  // namespace ingestd::stages
