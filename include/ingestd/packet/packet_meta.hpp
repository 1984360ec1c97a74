// SPDX-License-Identifier: BSD-3-Clause
// Per-packet metadata in the mbuf private area: the parsed view every stage shares.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ingestd/packet/verdict.hpp"

namespace ingestd::packet {

enum class L3Type : uint8_t { kNone = 0, kIpv4, kIpv6, kArp, kOther };

inline constexpr unsigned kMaxVlans = 2;
inline constexpr uint16_t kNoOffset = 0xffff;

/// The parsed view of a packet. Addresses stay in the packet: the 5-tuple is
/// (l3_off -> src/dst in the IP header, ip_proto, src_port, dst_port), so
/// parsing copies no packet bytes. Each field names the one stage writing it.
///
/// | off | size | field        | writer  |
/// |-----|------|--------------|---------|
/// |   0 |    8 | rx_tsc       | rx      |
/// |   8 |    2 | in_port      | rx      |
/// |  10 |    2 | in_queue     | rx      |
/// |  12 |    2 | out_port     | process |
/// |  14 |    1 | verdict      | parse   |
/// |  15 |    1 | l3           | parse   |
/// |  16 |    2 | l3_off       | parse   |
/// |  18 |    2 | l4_off       | parse   |
/// |  20 |    2 | ethertype    | parse   |
/// |  22 |    1 | ip_proto     | parse   |
/// |  23 |    1 | vlan_count   | parse   |
/// |  24 |    4 | vlan_tci[2]  | parse   |
/// |  28 |    2 | src_port     | parse   |
/// |  30 |    2 | dst_port     | parse   |
/// |  32 |    2 | l4_len       | parse   |
/// |  34 |    1 | is_fragment  | parse   |
/// |  35 |    5 | (pad)        |         |
/// |  40 |    8 | ring_tsc     | the lcore enqueuing it to the next one |
struct PktMeta {
  uint64_t rx_tsc;       // rx: TSC when the burst was received
  uint16_t in_port;      // rx: DPDK port id it arrived on
  uint16_t in_queue;     // rx: RX queue it arrived on
  uint16_t out_port;     // process: DPDK port id to leave on
  ParseVerdict verdict;  // parse
  L3Type l3;             // parse: kNone when malformed before L3
  uint16_t l3_off;       // parse: offset of the IP/ARP header, or kNoOffset
  uint16_t l4_off;       // parse: offset of the TCP/UDP/ICMP header, or kNoOffset
  uint16_t ethertype;    // parse: EtherType after the VLAN tags, host order
  uint8_t ip_proto;      // parse: IPv4 protocol / IPv6 next header (0 if not IP)
  uint8_t vlan_count;    // parse: VLAN tags seen, outermost first in vlan_tci
  uint16_t vlan_tci[kMaxVlans];  // parse: host order TCI (PCP, DEI, VID)
  uint16_t src_port;     // parse: host order; 0 when the protocol has no ports
  uint16_t dst_port;     // parse: host order; for ICMP: type << 8 | code
  uint16_t l4_len;       // parse: bytes from l4_off to the end of the IP payload
  uint8_t is_fragment;   // parse: 1 for an IPv4 fragment other than the first
  uint8_t pad_[5];
  uint64_t ring_tsc;     // segment before a ring: TSC when its burst was enqueued
};

static_assert(std::is_trivially_copyable_v<PktMeta>);
static_assert(sizeof(PktMeta) <= 64, "PktMeta must fit one cache line");

}  // namespace ingestd::packet
