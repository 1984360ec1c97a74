// SPDX-License-Identifier: BSD-3-Clause
// Fan-out by flow: the segment before a fan-out hands each packet to one of N
// lcores, chosen by a hash that is the same for both directions of a flow, so each
// flow table and rule counter downstream keeps a single writer.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "header_fields.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/rules/rule_set.hpp"

namespace ingestd::stages {

/// The one flow hash of fan-out and balance rules: the protocol, the XOR of the
/// address pair folded to 32 bits, and the XOR of the ports (host order). XOR makes
/// A->B and B->A alike; folding makes an IPv4 address and its ::ffff:a.b.c.d form
/// alike, so a packet hashed from its headers and from its rules' key agree.
inline uint32_t SymmetricHash(uint8_t proto, uint32_t addresses_xor, uint16_t ports_xor) noexcept {
  return rte_hash_crc_4byte(ports_xor, rte_hash_crc_4byte(addresses_xor, rte_hash_crc_4byte(proto, 0)));
}

/// A parsed packet's flow hash, from its outer headers (a tunnel's flows go where
/// its outer flow goes, as the flow table keys them). Non-IP frames all hash to 0.
inline uint32_t SymmetricPacketHash(const rte_mbuf* m, const packet::PktMeta& meta) noexcept {
  if (!IsIp(meta.l3)) return 0;
  const uint8_t* l3 = rte_pktmbuf_mtod(m, const uint8_t*) + meta.l3_off;
  const unsigned src = meta.l3 == packet::L3Type::kIpv4 ? 12 : 8;
  const unsigned words = meta.l3 == packet::L3Type::kIpv4 ? 1 : 4;
  uint32_t x = 0;
  for (unsigned w = 0; w < 8 * words; w += 4) {  // source and destination words alike
    uint32_t v;
    std::memcpy(&v, l3 + src + w, 4);
    x ^= v;
  }
  return SymmetricHash(meta.ip_proto, x, static_cast<uint16_t>(meta.src_port ^ meta.dst_port));
}

/// The same hash from a rules' key (addresses as 16 bytes each, ports big-endian).
inline uint32_t SymmetricKeyHash(const rules::AclKey& k) noexcept {
  uint32_t x = 0;
  for (unsigned w = 0; w < 4; ++w) x ^= k.src[w] ^ k.dst[w];
  return SymmetricHash(k.proto, x, rte_be_to_cpu_16(static_cast<uint16_t>(k.src_port ^ k.dst_port)));
}

/// Which of `n` a hash picks (a fan-out's lcore, a balance rule's port): the hash
/// scaled to [0, n), no division.
inline unsigned PickReplica(uint32_t hash, unsigned n) noexcept {
  return static_cast<unsigned>((uint64_t{hash} * n) >> 32);
}

}  // namespace ingestd::stages
