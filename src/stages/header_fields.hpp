// SPDX-License-Identifier: BSD-3-Clause
// Header fields the process stage reads past PktMeta, for the rules' key and the
// flow key alike: the address pair (IPv4 mapped into IPv6), DSCP and TCP flags.
#pragma once

#include <cstdint>
#include <cstring>

#include "ingestd/packet/packet_meta.hpp"

namespace ingestd::stages {

inline constexpr uint8_t kTcpProto = 6;

inline bool IsIp(packet::L3Type t) noexcept { return t == packet::L3Type::kIpv4 || t == packet::L3Type::kIpv6; }

/// The address pair of the IP header at `l3` as 16 + 16 bytes into `src`/`dst`
/// (IPv4 as ::ffff:a.b.c.d; zeros when `type` is not IP), and its DSCP. 32 header
/// bytes read; the packet is not written.
inline uint8_t MappedAddresses(const uint8_t* l3, packet::L3Type type, void* src, void* dst) noexcept {
  static constexpr uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  auto* s = static_cast<uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  if (type == packet::L3Type::kIpv4) {
    std::memcpy(s, kV4Mapped, 12);
    std::memcpy(d, kV4Mapped, 12);
    std::memcpy(s + 12, l3 + 12, 4);
    std::memcpy(d + 12, l3 + 16, 4);
    return l3[1] >> 2;
  }
  if (type == packet::L3Type::kIpv6) {
    std::memcpy(s, l3 + 8, 16);
    std::memcpy(d, l3 + 24, 16);
    return static_cast<uint8_t>(((l3[0] & 0x0f) << 2) | (l3[1] >> 6));
  }
  std::memset(s, 0, 16);
  std::memset(d, 0, 16);
  return 0;
}

/// The length the IP header at `l3` gives its packet, header included (IPv4 total
/// length; IPv6 40 + payload length); parse has checked it lies within the frame.
inline uint32_t IpLength(const uint8_t* l3, packet::L3Type type) noexcept {
  const uint32_t field = type == packet::L3Type::kIpv4 ? uint32_t{l3[2]} << 8 | l3[3] : uint32_t{l3[4]} << 8 | l3[5];
  return type == packet::L3Type::kIpv4 ? field : 40 + field;
}

/// The outer TCP header's flags byte; 0 for anything else (or a later fragment).
inline uint8_t TcpFlagsOf(const uint8_t* frame, const packet::PktMeta& meta) noexcept {
  return IsIp(meta.l3) && meta.ip_proto == kTcpProto && meta.l4_off != packet::kNoOffset && !meta.is_fragment
             ? frame[meta.l4_off + 13]
             : 0;
}

}  // namespace ingestd::stages
