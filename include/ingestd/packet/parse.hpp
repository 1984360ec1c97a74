// SPDX-License-Identifier: BSD-3-Clause
// ParseFrame: Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP headers into PktMeta, without copying bytes.
#pragma once

#include <cstdint>
#include <span>

#include "ingestd/packet/packet_meta.hpp"
#include "ingestd/packet/verdict.hpp"

namespace ingestd::packet {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021ad = 0x88a8;
inline constexpr uint16_t kTpid9100 = 0x9100;  // pre-802.1ad QinQ, still seen on older switches

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kIpv4MinHeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kTcpMinHeaderLen = 20;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kIcmpHeaderLen = 8;

namespace detail {

// Big-endian loads by byte shifts: no unaligned pointer casts, compiles to one load + bswap.
constexpr uint16_t Load16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

constexpr bool IsVlanTpid(uint16_t type) noexcept {
  return type == kTpid8021Q || type == kTpid8021ad || type == kTpid9100;
}

// Can a header ending at `end` be read? `limit` is where the enclosing layer ends (the frame,
// or the IP payload). Asking the frame first makes the verdict independent of segmentation:
// a header that exists but is not in the first segment is never reported as truncated.
constexpr ParseVerdict Need(uint32_t end, uint32_t data_len, uint32_t limit,
                            ParseVerdict truncated) noexcept {
  if (end > limit) [[unlikely]]
    return truncated;
  if (end > data_len) [[unlikely]]
    return ParseVerdict::kHeadersNotContiguous;
  return ParseVerdict::kOk;
}

// L4 at `l4_off`; the IP payload ends at `ip_end`, which may lie past data_len.
// `icmp_proto` is the ICMP flavour of this IP version. In a first fragment the UDP length
// covers the whole datagram, so it may exceed this fragment's payload.
inline ParseVerdict ParseL4(const uint8_t* data, uint32_t data_len, uint32_t l4_off,
                            uint32_t ip_end, uint8_t proto, uint8_t icmp_proto, bool first_fragment,
                            PktMeta& meta) noexcept {
  if (proto != kIpProtoTcp && proto != kIpProtoUdp && proto != icmp_proto)
    return ParseVerdict::kOk;  // carried, not parsed: l4_off stays kNoOffset
  const uint32_t payload_len = ip_end - l4_off;
  const uint8_t* l4 = data + l4_off;
  meta.l4_off = static_cast<uint16_t>(l4_off);
  meta.l4_len = static_cast<uint16_t>(payload_len);
  ParseVerdict v = ParseVerdict::kOk;
  if (proto == kIpProtoTcp) {
    v = Need(l4_off + kTcpMinHeaderLen, data_len, ip_end, ParseVerdict::kTruncatedTcp);
    if (v != ParseVerdict::kOk) return v;
    const uint32_t header_len = (l4[12] >> 4) * 4u;
    if (header_len < kTcpMinHeaderLen) [[unlikely]]
      return ParseVerdict::kBadTcpDataOffset;
    // Options must be readable in place too: later stages (MSS clamp) walk them.
    v = Need(l4_off + header_len, data_len, ip_end, ParseVerdict::kTruncatedTcp);
    if (v != ParseVerdict::kOk) return v;
  } else if (proto == kIpProtoUdp) {
    v = Need(l4_off + kUdpHeaderLen, data_len, ip_end, ParseVerdict::kTruncatedUdp);
    if (v != ParseVerdict::kOk) return v;
    const uint32_t udp_len = Load16(l4 + 4);
    if (udp_len < kUdpHeaderLen || (udp_len > payload_len && !first_fragment)) [[unlikely]]
      return ParseVerdict::kBadUdpLength;
  } else {
    v = Need(l4_off + kIcmpHeaderLen, data_len, ip_end, ParseVerdict::kTruncatedIcmp);
    if (v != ParseVerdict::kOk) return v;
    meta.dst_port = Load16(l4);  // type << 8 | code
    return ParseVerdict::kOk;
  }
  meta.src_port = Load16(l4);
  meta.dst_port = Load16(l4 + 2);
  return ParseVerdict::kOk;
}

// Ethernet II and up to kMaxVlans tags; on success sets ethertype and l3_off.
inline ParseVerdict ParseEthernet(const uint8_t* data, uint32_t data_len, uint32_t pkt_len,
                                  PktMeta& meta) noexcept {
  ParseVerdict v = Need(kEthHeaderLen, data_len, pkt_len, ParseVerdict::kTruncatedEthernet);
  if (v != ParseVerdict::kOk) return v;
  uint32_t type_off = kEthHeaderLen - 2;  // the EtherType, or the TPID of a tag
  uint16_t type = Load16(data + type_off);
  while (IsVlanTpid(type)) {
    if (meta.vlan_count == kMaxVlans) [[unlikely]]
      return ParseVerdict::kTooManyVlans;
    // A tag: its TPID (read already), the TCI, then the next EtherType or TPID.
    v = Need(type_off + 2 + kVlanTagLen, data_len, pkt_len, ParseVerdict::kTruncatedVlan);
    if (v != ParseVerdict::kOk) return v;
    meta.vlan_tci[meta.vlan_count++] = Load16(data + type_off + 2);
    type_off += kVlanTagLen;
    type = Load16(data + type_off);
  }
  meta.ethertype = type;
  meta.l3_off = static_cast<uint16_t>(type_off + 2);
  return ParseVerdict::kOk;
}

inline ParseVerdict ParseIpv4(const uint8_t* data, uint32_t data_len, uint32_t pkt_len,
                              uint32_t l3_off, PktMeta& meta) noexcept {
  ParseVerdict v =
      Need(l3_off + kIpv4MinHeaderLen, data_len, pkt_len, ParseVerdict::kTruncatedIpv4);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* ip = data + l3_off;
  if ((ip[0] >> 4) != 4) [[unlikely]]
    return ParseVerdict::kBadIpv4Version;
  const uint32_t header_len = (ip[0] & 0x0fu) * 4u;
  if (header_len < kIpv4MinHeaderLen) [[unlikely]]
    return ParseVerdict::kBadIpv4Ihl;
  v = Need(l3_off + header_len, data_len, pkt_len, ParseVerdict::kTruncatedIpv4);
  if (v != ParseVerdict::kOk) return v;
  // Bytes past total_len are Ethernet padding (frames under 60 B): allowed.
  const uint32_t total_len = Load16(ip + 2);
  if (total_len < header_len || total_len > pkt_len - l3_off) [[unlikely]]
    return ParseVerdict::kBadIpv4TotalLength;
  meta.ip_proto = ip[9];
  const uint16_t frag = Load16(ip + 6);
  if ((frag & 0x1fffu) != 0) {  // a later fragment: no L4 header in it
    meta.is_fragment = 1;
    return ParseVerdict::kOk;
  }
  const bool more_fragments = (frag & 0x2000u) != 0;
  return ParseL4(data, data_len, l3_off + header_len, l3_off + total_len, ip[9], kIpProtoIcmp,
                 more_fragments, meta);
}

inline ParseVerdict ParseIpv6(const uint8_t* data, uint32_t data_len, uint32_t pkt_len,
                              uint32_t l3_off, PktMeta& meta) noexcept {
  ParseVerdict v = Need(l3_off + kIpv6HeaderLen, data_len, pkt_len, ParseVerdict::kTruncatedIpv6);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* ip = data + l3_off;
  if ((ip[0] >> 4) != 6) [[unlikely]]
    return ParseVerdict::kBadIpv6Version;
  const uint32_t payload_len = Load16(ip + 4);
  if (payload_len > pkt_len - l3_off - kIpv6HeaderLen) [[unlikely]]
    return ParseVerdict::kBadIpv6PayloadLength;
  meta.ip_proto = ip[6];
  // TODO(parse): walk extension headers; until then they end parsing with l4_off unset.
  const uint32_t l4_off = l3_off + kIpv6HeaderLen;
  return ParseL4(data, data_len, l4_off, l4_off + payload_len, ip[6], kIpProtoIcmpv6,
                 /*first_fragment=*/false, meta);
}

}  // namespace detail

/// Parses one frame into `meta`.
///
/// Every parse-owned field of `meta` is written, whatever the verdict; rx/process fields are
/// left alone. Fields come only from layers that parsed: l3/l3_off/ethertype once L2 did,
/// ip_proto/l4_off/l4_len/is_fragment once the IP header did, ports once L4 did. So on a
/// malformed frame l3_off (or l4_off) points at the layer that failed; everything after it
/// keeps its empty value (kNoOffset, 0). l4_off is set for TCP, UDP and ICMP/ICMPv6 only
/// (not for later IPv4 fragments, other protocols or IPv6 extension headers); l4_len is 0
/// whenever l4_off is kNoOffset.
///
/// @param data      first byte of the frame (the contiguous first segment)
/// @param data_len  bytes readable at `data`; never read beyond, nor beyond `pkt_len`.
/// @param pkt_len   length of the whole frame (> data_len for a multi-segment mbuf). A header
///                  that lies within the frame but not within `data_len` gives
///                  kHeadersNotContiguous, never a truncation reason.
/// @param meta      the view to fill
/// @return          meta.verdict
///
/// Threading: a pure function; any thread. Ownership: reads `data` only, keeps no pointer.
inline ParseVerdict ParseFrame(const uint8_t* data, uint32_t data_len, uint32_t pkt_len,
                               PktMeta& meta) noexcept {
  meta.l3 = L3Type::kNone;
  meta.l3_off = kNoOffset;
  meta.l4_off = kNoOffset;
  meta.ethertype = 0;
  meta.ip_proto = 0;
  meta.vlan_count = 0;
  meta.vlan_tci[0] = 0;
  meta.vlan_tci[1] = 0;
  meta.src_port = 0;
  meta.dst_port = 0;
  meta.l4_len = 0;
  meta.is_fragment = 0;

  ParseVerdict v = detail::ParseEthernet(data, data_len, pkt_len, meta);
  if (v != ParseVerdict::kOk) {
    meta.verdict = v;
    return v;
  }
  switch (meta.ethertype) {
    case kEtherTypeIpv4:
      meta.l3 = L3Type::kIpv4;
      v = detail::ParseIpv4(data, data_len, pkt_len, meta.l3_off, meta);
      break;
    case kEtherTypeIpv6:
      meta.l3 = L3Type::kIpv6;
      v = detail::ParseIpv6(data, data_len, pkt_len, meta.l3_off, meta);
      break;
    case kEtherTypeArp:
      meta.l3 = L3Type::kArp;  // forwarded as-is; ARP fields are not inspected
      break;
    default:
      meta.l3 = L3Type::kOther;  // unknown EtherTypes are forwarded, not dropped
      break;
  }
  meta.verdict = v;
  return v;
}

/// Single-segment convenience: the whole frame is contiguous at `frame`.
inline ParseVerdict ParseFrame(std::span<const uint8_t> frame, PktMeta& meta) noexcept {
  const auto len = static_cast<uint32_t>(frame.size() > UINT32_MAX ? UINT32_MAX : frame.size());
  return ParseFrame(frame.data(), len, len, meta);
}

// Views into the parsed packet: pointers into `data`, never copies. Preconditions: `meta` was
// filled by ParseFrame from this `data`, verdict is kOk and l3 is the matching type.

/// The IPv4 header, or the IPv6/ARP header, at l3_off.
inline const uint8_t* L3Header(const uint8_t* data, const PktMeta& meta) noexcept {
  return data + meta.l3_off;
}
/// The TCP/UDP/ICMP header, or nullptr when none was parsed.
inline const uint8_t* L4Header(const uint8_t* data, const PktMeta& meta) noexcept {
  return meta.l4_off == kNoOffset ? nullptr : data + meta.l4_off;
}
inline std::span<const uint8_t, 4> Ipv4Src(const uint8_t* data, const PktMeta& meta) noexcept {
  return std::span<const uint8_t, 4>{data + meta.l3_off + 12, 4};
}
inline std::span<const uint8_t, 4> Ipv4Dst(const uint8_t* data, const PktMeta& meta) noexcept {
  return std::span<const uint8_t, 4>{data + meta.l3_off + 16, 4};
}
inline std::span<const uint8_t, 16> Ipv6Src(const uint8_t* data, const PktMeta& meta) noexcept {
  return std::span<const uint8_t, 16>{data + meta.l3_off + 8, 16};
}
inline std::span<const uint8_t, 16> Ipv6Dst(const uint8_t* data, const PktMeta& meta) noexcept {
  return std::span<const uint8_t, 16>{data + meta.l3_off + 24, 16};
}

}  // namespace ingestd::packet
