// SPDX-License-Identifier: BSD-3-Clause
// encode: per-output-port rewrites, in place in the packet and its headroom (no copy
// of the payload): MAC addresses, VLAN push/pop/set, truncation, VXLAN/GRE outer headers.
#pragma once

#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_mbuf.h>

#include "drop_sink.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "stage_context.hpp"
#include "tables.hpp"

namespace ingestd::stages {

inline constexpr uint16_t kEncapIpOffset = RTE_ETHER_HDR_LEN;
inline constexpr uint16_t kEncapL4Offset = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr);
/// rte_vlan_insert and rte_vlan_strip memmove the two MAC addresses by one tag (counted
/// as bytes_copied). Encapsulation moves none: it writes a new header in the headroom.
inline constexpr uint32_t kVlanMovedBytes = 2 * RTE_ETHER_ADDR_LEN;

/// The outer headers in front of `m`; false when its headroom is too small.
inline bool Encapsulate(rte_mbuf* m, const EncodeTable::PortRewrite& rw, const packet::PktMeta& meta) noexcept {
  auto* outer = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, rw.encap_len));
  if (outer == nullptr) [[unlikely]] return false;
  std::memcpy(outer, rw.encap_header, rw.encap_len);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(outer + kEncapIpOffset);
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(m->pkt_len - RTE_ETHER_HDR_LEN));
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  if (rw.encap_udp) {
    auto* udp = reinterpret_cast<rte_udp_hdr*>(outer + kEncapL4Offset);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(m->pkt_len - kEncapL4Offset));
    // RFC 7348: a source port from the inner flow gives ECMP entropy; 0 checksum is allowed.
    const uint32_t h = rte_hash_crc_4byte(static_cast<uint32_t>(meta.src_port ^ meta.dst_port) << 8 | meta.ip_proto,
                                          meta.in_port);
    udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(49152 | (h & 0x3fff)));
  }
  return true;
}

/// Rewrites `pkts[0..n)` as their output ports ask. Parse guarantees every packet
/// holds a whole Ethernet header. Frames whose bytes a mirror copy shares are sent as
/// they are (counted): rewriting would change the copy too. Returns how many remain.
inline uint16_t EncodeBurst(rte_mbuf** pkts, uint16_t n, const EncodeTable& encode, DropSink& drops,
                            stats::LcoreCounters& c) noexcept {
  uint16_t kept = 0;
  uint64_t moved = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const packet::PktMeta& meta = packet::Meta(m);
    const EncodeTable::PortRewrite& rw = encode.port[meta.out_port];
    if (!rw.any) {
      pkts[kept++] = m;
      continue;
    }
    if (RTE_MBUF_CLONED(m) || rte_mbuf_refcnt_read(m) > 1) [[unlikely]] {
      c.rewrites_skipped.Add(1);
      pkts[kept++] = m;
      continue;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (rw.set_dst) rte_ether_addr_copy(&rw.dst, &eth->dst_addr);
    if (rw.set_src) rte_ether_addr_copy(&rw.src, &eth->src_addr);
    switch (rw.vlan) {
      case EncodeTable::Vlan::kPush:
        m->vlan_tci = rw.vlan_tci;
        // Moves the 12 address bytes into the headroom, then writes the tag.
        if (rte_vlan_insert(&m) != 0) [[unlikely]] {
          drops.Drop(m, stats::DropSlot(stats::OtherDrop::kNoHeadroom));
          continue;
        }
        moved += kVlanMovedBytes;
        break;
      case EncodeTable::Vlan::kPop:
        // An 802.1Q outer tag; other frames pass as they are.
        if (rte_vlan_strip(m) == 0) moved += kVlanMovedBytes;
        break;
      case EncodeTable::Vlan::kSet:
        if (meta.vlan_count != 0) {
          auto* tag = reinterpret_cast<rte_vlan_hdr*>(eth + 1);
          const uint16_t tci = rte_be_to_cpu_16(tag->vlan_tci);
          tag->vlan_tci = rte_cpu_to_be_16(static_cast<uint16_t>((tci & 0xf000) | rw.vlan_tci));
        }
        break;
      case EncodeTable::Vlan::kKeep:
        break;
    }
    if (rw.truncate != 0 && m->pkt_len > rw.truncate && m->nb_segs == 1) rte_pktmbuf_trim(m, m->pkt_len - rw.truncate);
    if (rw.encap_len != 0 && !Encapsulate(m, rw, meta)) [[unlikely]] {
      drops.Drop(m, stats::DropSlot(stats::OtherDrop::kNoHeadroom));
      continue;
    }
    pkts[kept++] = m;
  }
  if (moved != 0) c.bytes_copied.Add(moved);
  return kept;
}

/// The encode stage: the rewrites of every output port.
class EncodeStage {
 public:
  void Configure(const EncodeTable* table) noexcept { table_ = table; }
  uint16_t Burst(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    return EncodeBurst(pkts, n, *table_, ctx.drops, ctx.counters);
  }

 private:
  const EncodeTable* table_ = nullptr;
};

}  // namespace ingestd::stages
