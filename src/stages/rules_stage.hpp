// SPDX-License-Identifier: BSD-3-Clause
// process with rules: one rte_acl classification per burst, then each matched
// packet's action (drop, sample, mirror, forward, balance); unmatched packets
// follow the port map.
#pragma once

#include <cstring>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "drop_sink.hpp"
#include "header_fields.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "route_stage.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

using packet::L3Type;
using rules::AclKey;

inline void BuildKey(rte_mbuf* m, const packet::PktMeta& meta, AclKey& k) noexcept {
  const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const bool ip = IsIp(meta.l3);
  k.proto = ip ? meta.ip_proto : 0;
  k.tcp_flags = TcpFlagsOf(frame, meta);
  uint8_t dscp = MappedAddresses(ip ? frame + meta.l3_off : frame, meta.l3, k.src, k.dst);
  k.in_port = static_cast<uint8_t>(meta.in_port);
  k.vlan = rte_cpu_to_be_16(meta.vlan_count ? static_cast<uint16_t>(meta.vlan_tci[0] & 0x0fff) : rules::kKeyNoVlan);
  k.ethertype = rte_cpu_to_be_16(meta.ethertype);
  k.src_port = rte_cpu_to_be_16(meta.src_port);
  k.dst_port = rte_cpu_to_be_16(meta.dst_port);
  const bool inner = meta.tunnel != packet::TunnelType::kNone && IsIp(meta.inner_l3);
  MappedAddresses(inner ? frame + meta.inner_l3_off : frame, inner ? meta.inner_l3 : L3Type::kNone, k.inner_src,
                  k.inner_dst);
  if (inner) dscp |= rules::kKeyInnerPresent;
  k.dscp_inner = dscp;
  k.inner_proto = inner ? meta.inner_ip_proto : 0;
  k.inner_src_port = rte_cpu_to_be_16(meta.inner_src_port);
  k.inner_dst_port = rte_cpu_to_be_16(meta.inner_dst_port);
}

/// The same value for both directions of a flow: XOR pairs source with destination.
inline uint32_t SymmetricFlowHash(const AclKey& k) noexcept {
  uint32_t h = rte_hash_crc_4byte(k.proto, 0);
  for (unsigned w = 0; w < 4; ++w) h = rte_hash_crc_4byte(k.src[w] ^ k.dst[w], h);
  return rte_hash_crc_4byte(static_cast<uint32_t>(k.src_port ^ k.dst_port), h);
}

/// Classifies and acts on `pkts[0..n)`. Survivors stay in order at the front,
/// followed by any mirror copies (so `pkts` holds 2 * kMaxBurst). `bytes` gains
/// the copies' bytes. Returns how many packets go on.
inline uint16_t RulesBurst(rte_mbuf** pkts, uint16_t n, const SegmentPlan& plan, const ActiveRules& active,
                           DropSink& drops, stats::LcoreCounters& c, uint64_t& bytes) noexcept {
  const rules::RuleSet& rs = *active.set;
  AclKey keys[kMaxBurst];
  const uint8_t* data[kMaxBurst];
  uint32_t results[kMaxBurst];
  for (uint16_t i = 0; i < n; ++i) {
    BuildKey(pkts[i], packet::Meta(pkts[i]), keys[i]);
    data[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
  }
  rte_acl_classify(rs.acl(), data, results, n, 1);

  rte_mbuf* copies[kMaxBurst];
  uint16_t copy_count = 0;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    packet::PktMeta& meta = packet::Meta(m);
    uint16_t out = plan.routes->out[meta.in_port][meta.in_queue];
    if (const uint32_t rule = results[i]; rule != 0) {
      const rules::RuleActionPlan& a = rs.action(rule - 1);
      stats::Counter& hits = active.hits[rule - 1];
      hits.Add(1);
      if (a.drop) {
        drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRuleDrop));
        continue;
      }
      // The first of every `sample` hits goes on.
      if (a.sample > 1 && (hits.Load() - 1) % a.sample != 0) {
        drops.Drop(m, stats::DropSlot(stats::OtherDrop::kSampledOut));
        continue;
      }
      if (a.mirror_port != rules::kNoPort) {
        if (rte_mbuf* copy = rte_pktmbuf_clone(m, plan.clone_pool)) [[likely]] {
          packet::PktMeta& copy_meta = packet::Meta(copy);
          copy_meta = meta;
          copy_meta.out_port = a.mirror_port;
          copies[copy_count++] = copy;
          bytes += copy->pkt_len;
          c.clones.Add(1);
          c.mbufs_taken.Add(1);
        } else {
          c.clone_failures.Add(1);
        }
      }
      if (a.out_port != rules::kNoPort) {
        out = a.out_port;
      } else if (a.balance_count != 0) {
        const uint32_t pick = static_cast<uint32_t>((uint64_t{SymmetricFlowHash(keys[i])} * a.balance_count) >> 32);
        out = rs.balance_ports()[a.balance_first + pick];
      }
    }
    if (out == config::kDropRoute) [[unlikely]] {
      drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRouteDrop));
      continue;
    }
    meta.out_port = out;
    pkts[kept++] = m;
  }
  for (uint16_t i = 0; i < copy_count; ++i) pkts[kept++] = copies[i];
  return kept;
}

/// The process stage: rules when there are any, else the port map alone. The rules
/// pointer is read once per burst; the lcore loop reports a quiescent state between
/// bursts, after which the control thread may free what it replaced.
inline uint16_t ProcessBurst(rte_mbuf** pkts, uint16_t n, const SegmentPlan& plan, DropSink& drops,
                             stats::LcoreCounters& c, uint64_t& bytes) noexcept {
  const ActiveRules* active = plan.rules.load(std::memory_order_acquire);
  if (active == nullptr || active->set->size() == 0) return RouteBurst(pkts, n, *plan.routes, drops);
  return RulesBurst(pkts, n, plan, *active, drops, c, bytes);
}

}  // namespace ingestd::stages
