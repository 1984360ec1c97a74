// SPDX-License-Identifier: BSD-3-Clause
// Fan-out by flow: the segment before a fan-out hands each packet to one of N
// lcores, chosen by a hash that is the same for both directions of a flow, so each
// flow table and rule counter downstream keeps a single writer.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "header_fields.hpp"
#include "ingestd/packet/mbuf_meta.hpp"

namespace ingestd::stages {

/// The same value for A->B and B->A: each address word is XORed with its peer,
/// the ports likewise. Outer headers only (a tunnel's flows go where its outer
/// flow goes, as the flow table keys them). Non-IP frames all hash to 0.
inline uint32_t SymmetricPacketHash(const rte_mbuf* m, const packet::PktMeta& meta) noexcept {
  if (!IsIp(meta.l3)) return 0;
  const uint8_t* l3 = rte_pktmbuf_mtod(m, const uint8_t*) + meta.l3_off;
  uint32_t h = rte_hash_crc_4byte(meta.ip_proto, 0);
  const unsigned src = meta.l3 == packet::L3Type::kIpv4 ? 12 : 8;
  const unsigned words = meta.l3 == packet::L3Type::kIpv4 ? 1 : 4;
  for (unsigned w = 0; w < words; ++w) {
    uint32_t a, b;
    std::memcpy(&a, l3 + src + 4 * w, 4);
    std::memcpy(&b, l3 + src + 4 * words + 4 * w, 4);
    h = rte_hash_crc_4byte(a ^ b, h);
  }
  return rte_hash_crc_4byte(static_cast<uint32_t>(meta.src_port ^ meta.dst_port), h);
}

/// Which of `n` a hash picks (a fan-out's lcore, a balance rule's port): the hash
/// scaled to [0, n), no division.
inline unsigned PickReplica(uint32_t hash, unsigned n) noexcept {
  return static_cast<unsigned>((uint64_t{hash} * n) >> 32);
}

}  // namespace ingestd::stages
