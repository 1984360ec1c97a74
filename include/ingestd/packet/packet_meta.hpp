// SPDX-License-Identifier: BSD-3-Clause
// Per-packet metadata in the mbuf private area: the parsed view every stage shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ingestd/packet/verdict.hpp"

namespace ingestd::packet {

enum class L3Type : uint8_t { kNone = 0, kIpv4, kIpv6, kArp, kOther };

/// The one tunnel parse looked through (ParseOptions::tunnels enables each).
enum class TunnelType : uint8_t { kNone = 0, kVxlan, kGeneve, kGre, kIpInIp, kIpv6InIp, kGtpU };

inline constexpr unsigned kMaxVlans = 2;        // TCIs kept in PktMeta (the outermost ones)
inline constexpr unsigned kMaxVlanDepth = 4;    // tags parse accepts at most (ParseOptions)
inline constexpr unsigned kMaxMplsLabels = 8;   // label stack depth parse accepts
inline constexpr unsigned kMaxIpv6Ext = 8;      // IPv6 extension headers parse walks
inline constexpr uint16_t kNoOffset = 0xffff;

/// The parsed view of a packet. Addresses stay in the packet: the 5-tuple is
/// (l3_off -> src/dst in the IP header, ip_proto, src_port, dst_port), so
/// parsing copies no packet bytes. Each field names the one stage writing it.
/// Outer fields describe the outermost IP layer; inner_* fields the one tunnel
/// parse looked through (tunnel != kNone), with the same meanings.
///
/// | off | size | field             | writer  |
/// |-----|------|-------------------|---------|
/// |   0 |    8 | rx_tsc            | rx      |
/// |   8 |    2 | in_port           | rx      |
/// |  10 |    2 | in_queue          | rx      |
/// |  12 |    2 | out_port          | process |
/// |  14 |    1 | verdict           | parse   |
/// |  15 |    1 | l3                | parse   |
/// |  16 |    2 | l3_off            | parse   |
/// |  18 |    2 | l4_off            | parse   |
/// |  20 |    2 | ethertype         | parse   |
/// |  22 |    1 | ip_proto          | parse   |
/// |  23 |    1 | vlan_count        | parse   |
/// |  24 |    4 | vlan_tci[2]       | parse   |
/// |  28 |    2 | src_port          | parse   |
/// |  30 |    2 | dst_port          | parse   |
/// |  32 |    2 | l4_len            | parse   |
/// |  34 |    1 | is_fragment       | parse   |
/// |  35 |    1 | tunnel            | parse   |
/// |  36 |    2 | inner_l3_off      | parse   |
/// |  38 |    2 | inner_l4_off      | parse   |
/// |  40 |    4 | tunnel_id         | parse   |
/// |  44 |    4 | mpls_label        | parse   |
/// |  48 |    2 | inner_src_port    | parse   |
/// |  50 |    2 | inner_dst_port    | parse   |
/// |  52 |    1 | inner_l3          | parse   |
/// |  53 |    1 | inner_ip_proto    | parse   |
/// |  54 |    1 | mpls_count        | parse   |
/// |  55 |    1 | inner_is_fragment | parse   |
/// |  56 |    8 | ring_tsc          | the lcore enqueuing it to the next one |
///
/// The line is full. Left out, because a later stage can read them from the packet at the
/// offsets above: the TCIs past the second (and all inner ones), the inner Ethernet offset
/// and EtherType (the tunnel header's length is in its own bytes), the inner l4_len (from the
/// inner IP header), MPLS labels other than the bottom one, the full label stack entry
/// (TC, TTL) and the Geneve/GTP-U options.
struct PktMeta {
  uint64_t rx_tsc;       // rx: TSC when the burst was received
  uint16_t in_port;      // rx: DPDK port id it arrived on
  uint16_t in_queue;     // rx: RX queue it arrived on
  uint16_t out_port;     // process: DPDK port id to leave on
  ParseVerdict verdict;  // parse
  L3Type l3;             // parse: kNone when malformed before L3
  uint16_t l3_off;       // parse: offset of the IP/ARP header (after any MPLS), or kNoOffset
  uint16_t l4_off;       // parse: offset of the TCP/UDP/ICMP/SCTP header, or kNoOffset
  uint16_t ethertype;    // parse: EtherType after the VLAN tags, host order (0x8847 for MPLS)
  uint8_t ip_proto;      // parse: IPv4 protocol / last IPv6 next header (0 if not IP)
  uint8_t vlan_count;    // parse: VLAN tags seen (<= 4); the outermost 2 are in vlan_tci
  uint16_t vlan_tci[kMaxVlans];  // parse: host order TCI (PCP, DEI, VID)
  uint16_t src_port;     // parse: host order; 0 when the protocol has no ports
  uint16_t dst_port;     // parse: host order; for ICMP: type << 8 | code
  uint16_t l4_len;       // parse: bytes from l4_off to the end of the IP payload
  uint8_t is_fragment;   // parse: 1 for an IPv4/IPv6 fragment other than the first
  TunnelType tunnel;     // parse: the tunnel looked through, or kNone
  uint16_t inner_l3_off;    // parse: offset of the tunnelled IP/ARP header, or kNoOffset
  uint16_t inner_l4_off;    // parse: offset of the tunnelled L4 header, or kNoOffset
  uint32_t tunnel_id;       // parse: VXLAN/Geneve VNI, GRE key, GTP-U TEID; else 0
  uint32_t mpls_label;      // parse: bottom-of-stack label (20 bits), 0 without MPLS
  uint16_t inner_src_port;  // parse: as src_port, tunnelled L4
  uint16_t inner_dst_port;  // parse: as dst_port, tunnelled L4
  L3Type inner_l3;          // parse: tunnelled L3, kNone without a tunnel
  uint8_t inner_ip_proto;   // parse: as ip_proto, tunnelled IP
  uint8_t mpls_count;       // parse: MPLS labels seen (<= 8)
  uint8_t inner_is_fragment;  // parse: as is_fragment, tunnelled IP
  uint64_t ring_tsc;     // segment before a ring: TSC when its burst was enqueued
};

static_assert(offsetof(PktMeta, tunnel) == 35 && offsetof(PktMeta, tunnel_id) == 40);
static_assert(offsetof(PktMeta, inner_is_fragment) == 55 && offsetof(PktMeta, ring_tsc) == 56);
static_assert(std::is_trivially_copyable_v<PktMeta>);
static_assert(sizeof(PktMeta) <= 64, "PktMeta must fit one cache line");

}  // namespace ingestd::packet
