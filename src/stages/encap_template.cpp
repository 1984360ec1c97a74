// SPDX-License-Identifier: BSD-3-Clause
// The outer headers an encapsulating port puts in front of each frame, built once;
// the encode stage fills in the lengths, the IPv4 checksum and the UDP source port.
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "tables.hpp"

namespace ingestd::stages {
namespace {

constexpr uint16_t kEtherTypeTransparentBridging = 0x6558;  // GRE carrying Ethernet (RFC 1701)
constexpr uint16_t kGreKeyPresent = 0x2000;

}  // namespace

void BuildEncapTemplate(const config::EncapConfig& encap, EncodeTable::PortRewrite& rw) {
  using Type = config::EncapConfig::Type;
  if (encap.type == Type::kNone) return;
  uint8_t* h = rw.encap_header;
  std::memset(h, 0, sizeof rw.encap_header);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(h);
  std::memcpy(eth->dst_addr.addr_bytes, encap.dst_mac.bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(eth->src_addr.addr_bytes, encap.src_mac.bytes, RTE_ETHER_ADDR_LEN);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h + RTE_ETHER_HDR_LEN);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = encap.ttl;
  std::memcpy(&ip->src_addr, encap.src_ip, 4);
  std::memcpy(&ip->dst_addr, encap.dst_ip, 4);
  uint8_t* l4 = h + RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr);
  if (encap.type == Type::kVxlan) {
    ip->next_proto_id = IPPROTO_UDP;
    auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
    udp->dst_port = rte_cpu_to_be_16(encap.udp_port);
    uint8_t* vxlan = l4 + sizeof(rte_udp_hdr);
    vxlan[0] = 0x08;  // I flag: the VNI is valid
    vxlan[4] = static_cast<uint8_t>(encap.id >> 16);
    vxlan[5] = static_cast<uint8_t>(encap.id >> 8);
    vxlan[6] = static_cast<uint8_t>(encap.id);
    rw.encap_len = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + 8;
    rw.encap_udp = true;
  } else {
    ip->next_proto_id = IPPROTO_GRE;
    const uint16_t flags = encap.gre_key ? kGreKeyPresent : 0;
    const uint16_t proto = rte_cpu_to_be_16(kEtherTypeTransparentBridging);
    const uint16_t be_flags = rte_cpu_to_be_16(flags);
    std::memcpy(l4, &be_flags, 2);
    std::memcpy(l4 + 2, &proto, 2);
    uint8_t len = 4;
    if (encap.gre_key) {
      const uint32_t key = rte_cpu_to_be_32(encap.id);
      std::memcpy(l4 + 4, &key, 4);
      len = 8;
    }
    rw.encap_len = static_cast<uint8_t>(RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + len);
    rw.encap_udp = false;
  }
}

}  // namespace ingestd::stages
