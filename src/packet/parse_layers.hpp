// SPDX-License-Identifier: BSD-3-Clause
// The parser's layers, one function each, for parse.cpp: every read is checked against the
// first segment (Need) and the enclosing layer before it is made.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ingestd/packet/packet_meta.hpp"
#include "ingestd/packet/parse.hpp"
#include "ingestd/packet/verdict.hpp"

namespace ingestd::packet::detail {

constexpr bool IsVlanTpid(uint16_t type) noexcept {
  return type == kTpid8021Q || type == kTpid8021ad || type == kTpid9100;
}

// Can a header ending at `end` be read? `limit` is where the enclosing layer ends (the frame,
// the IP payload, the tunnel payload). Asking the layer first makes the verdict independent
// of segmentation: a header that exists but is not in the first segment is never reported
// as truncated, and one that does not exist is never reported as not contiguous.
constexpr ParseVerdict Need(uint32_t end, uint32_t data_len, uint32_t limit,
                            ParseVerdict truncated) noexcept {
  if (end > limit) [[unlikely]]
    return truncated;
  if (end > data_len) [[unlikely]]
    return ParseVerdict::kHeadersNotContiguous;
  return ParseVerdict::kOk;
}

// The readable first segment: every read goes through Need() against data_len first.
struct Frame {
  const uint8_t* data;
  uint32_t data_len;
};

// One IP layer's view (outer or tunnelled), copied into PktMeta by the caller.
struct IpView {
  L3Type l3 = L3Type::kNone;
  uint8_t ip_proto = 0;
  uint8_t is_fragment = 0;
  bool more_fragments = false;  // a first fragment: L4 parsed, payload incomplete
  uint16_t l3_off = kNoOffset;
  uint16_t l4_off = kNoOffset;
  uint16_t l4_len = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t payload_off = 0;  // after the IP header and extension headers
  uint32_t ip_end = 0;       // end of the IP payload
};

// L4 at `l4_off`; the IP payload ends at `ip_end`, which may lie past data_len.
// `icmp_proto` is the ICMP flavour of this IP version. In a first fragment the UDP length
// covers the whole datagram, so it may exceed this fragment's payload.
inline ParseVerdict ParseL4(Frame f, uint32_t l4_off, uint8_t icmp_proto, IpView& ip) noexcept {
  const uint8_t proto = ip.ip_proto;
  if (proto != kIpProtoTcp && proto != kIpProtoUdp && proto != icmp_proto &&
      proto != kIpProtoSctp)
    return ParseVerdict::kOk;  // carried, not parsed: l4_off stays kNoOffset
  const uint32_t ip_end = ip.ip_end;
  const uint32_t payload_len = ip_end - l4_off;
  const uint8_t* l4 = f.data + l4_off;
  ip.l4_off = static_cast<uint16_t>(l4_off);
  ip.l4_len = static_cast<uint16_t>(payload_len);
  ParseVerdict v = ParseVerdict::kOk;
  if (proto == kIpProtoTcp) {
    v = Need(l4_off + kTcpMinHeaderLen, f.data_len, ip_end, ParseVerdict::kTruncatedTcp);
    if (v != ParseVerdict::kOk) return v;
    const uint32_t header_len = (l4[12] >> 4) * 4u;
    if (header_len < kTcpMinHeaderLen) [[unlikely]]
      return ParseVerdict::kBadTcpDataOffset;
    // Options must be readable in place too: later stages (MSS clamp) walk them.
    v = Need(l4_off + header_len, f.data_len, ip_end, ParseVerdict::kTruncatedTcp);
    if (v != ParseVerdict::kOk) return v;
  } else if (proto == kIpProtoUdp) {
    v = Need(l4_off + kUdpHeaderLen, f.data_len, ip_end, ParseVerdict::kTruncatedUdp);
    if (v != ParseVerdict::kOk) return v;
    const uint32_t udp_len = Load16(l4 + 4);
    if (udp_len < kUdpHeaderLen || (udp_len > payload_len && !ip.more_fragments)) [[unlikely]]
      return ParseVerdict::kBadUdpLength;
  } else if (proto == kIpProtoSctp) {
    v = Need(l4_off + kSctpHeaderLen, f.data_len, ip_end, ParseVerdict::kTruncatedSctp);
    if (v != ParseVerdict::kOk) return v;
  } else {
    v = Need(l4_off + kIcmpHeaderLen, f.data_len, ip_end, ParseVerdict::kTruncatedIcmp);
    if (v != ParseVerdict::kOk) return v;
    ip.dst_port = Load16(l4);  // type << 8 | code
    return ParseVerdict::kOk;
  }
  ip.src_port = Load16(l4);
  ip.dst_port = Load16(l4 + 2);
  return ParseVerdict::kOk;
}

// Ethernet II at `off` and up to `depth` VLAN tags; the first kMaxVlans TCIs go to `tci`.
// On success sets `ethertype` and `l3_off`.
inline ParseVerdict ParseEthernet(Frame f, uint32_t off, uint32_t limit, unsigned depth,
                                  uint8_t& vlan_count, uint16_t* tci, uint16_t& ethertype,
                                  uint32_t& l3_off) noexcept {
  ParseVerdict v = Need(off + kEthHeaderLen, f.data_len, limit, ParseVerdict::kTruncatedEthernet);
  if (v != ParseVerdict::kOk) return v;
  uint32_t type_off = off + kEthHeaderLen - 2;  // the EtherType, or the TPID of a tag
  uint16_t type = Load16(f.data + type_off);
  unsigned count = 0;
  while (IsVlanTpid(type)) {  // at most kMaxVlanDepth + 1 rounds
    if (count == depth) [[unlikely]]
      return ParseVerdict::kTooManyVlans;
    // A tag: its TPID (read already), the TCI, then the next EtherType or TPID.
    v = Need(type_off + 2 + kVlanTagLen, f.data_len, limit, ParseVerdict::kTruncatedVlan);
    if (v != ParseVerdict::kOk) return v;
    if (count < kMaxVlans) tci[count] = Load16(f.data + type_off + 2);
    vlan_count = static_cast<uint8_t>(++count);
    type_off += kVlanTagLen;
    type = Load16(f.data + type_off);
  }
  ethertype = type;
  l3_off = type_off + 2;
  return ParseVerdict::kOk;
}

// The L3 an IP version nibble announces (MPLS, GTP-U: no EtherType says it).
constexpr L3Type L3FromNibble(uint8_t first_byte) noexcept {
  const unsigned version = first_byte >> 4;
  return version == 4 ? L3Type::kIpv4 : version == 6 ? L3Type::kIpv6 : L3Type::kOther;
}

// An MPLS label stack at `off`, at most kMaxMplsLabels deep. Advances `off` past the bottom
// label and returns the L3 the first payload nibble names.
inline ParseVerdict ParseMpls(Frame f, uint32_t& off, uint32_t limit, PktMeta& meta,
                              L3Type& l3) noexcept {
  for (unsigned i = 0;; ++i) {
    if (i == kMaxMplsLabels) [[unlikely]]
      return ParseVerdict::kTooManyMplsLabels;
    const ParseVerdict v =
        Need(off + kMplsLabelLen, f.data_len, limit, ParseVerdict::kTruncatedMpls);
    if (v != ParseVerdict::kOk) return v;
    const uint32_t entry = Load32(f.data + off);
    off += kMplsLabelLen;
    meta.mpls_count = static_cast<uint8_t>(i + 1);
    if (entry & 0x100u) {  // bottom of stack
      meta.mpls_label = entry >> 12;
      break;
    }
  }
  // The payload's first byte says what it is; an empty payload is a cut stack.
  const ParseVerdict v = Need(off + 1, f.data_len, limit, ParseVerdict::kTruncatedMpls);
  if (v != ParseVerdict::kOk) return v;
  l3 = L3FromNibble(f.data[off]);
  return ParseVerdict::kOk;
}

// RFC 1071 over an IPv4 header (a multiple of 4 bytes, at most 60): all ones when valid.
inline bool Ipv4ChecksumOk(const uint8_t* ip, uint32_t len) noexcept {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; i += 2) sum += Load16(ip + i);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return sum == 0xffffu;
}

// IPv4 at `l3_off` within `limit`. `hw_cksum` is the NIC's RX IP checksum flags (0: none).
inline ParseVerdict ParseIpv4(Frame f, uint32_t limit, uint32_t l3_off, bool verify,
                              uint64_t hw_cksum, IpView& out) noexcept {
  ParseVerdict v =
      Need(l3_off + kIpv4MinHeaderLen, f.data_len, limit, ParseVerdict::kTruncatedIpv4);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* ip = f.data + l3_off;
  if ((ip[0] >> 4) != 4) [[unlikely]]
    return ParseVerdict::kBadIpv4Version;
  const uint32_t header_len = (ip[0] & 0x0fu) * 4u;
  if (header_len < kIpv4MinHeaderLen) [[unlikely]]
    return ParseVerdict::kBadIpv4Ihl;
  v = Need(l3_off + header_len, f.data_len, limit, ParseVerdict::kTruncatedIpv4);
  if (v != ParseVerdict::kOk) return v;
  // Bytes past total_len are Ethernet padding (frames under 60 B): allowed.
  const uint32_t total_len = Load16(ip + 2);
  if (total_len < header_len || total_len > limit - l3_off) [[unlikely]]
    return ParseVerdict::kBadIpv4TotalLength;
  if (verify) {
    // GOOD or NONE (header verified, checksum field left wrong): trust the NIC; BAD: drop;
    // UNKNOWN: check it here.
    if (hw_cksum == kRxIpCksumBad) [[unlikely]]
      return ParseVerdict::kBadIpv4Checksum;
    if (hw_cksum == 0 && !Ipv4ChecksumOk(ip, header_len)) [[unlikely]]
      return ParseVerdict::kBadIpv4Checksum;
  }
  out.ip_proto = ip[9];
  out.payload_off = l3_off + header_len;
  out.ip_end = l3_off + total_len;
  const uint16_t frag = Load16(ip + 6);
  if ((frag & 0x1fffu) != 0) {  // a later fragment: no L4 header in it
    out.is_fragment = 1;
    return ParseVerdict::kOk;
  }
  out.more_fragments = (frag & 0x2000u) != 0;
  return ParseL4(f, out.payload_off, kIpProtoIcmp, out);
}

constexpr bool IsIpv6Extension(uint8_t nh) noexcept {
  return nh == kIpProtoHopByHop || nh == kIpProtoRouting || nh == kIpProtoFragment ||
         nh == kIpProtoDestOptions || nh == kIpProtoAh || nh == kIpProtoEsp;
}

// IPv6 at `l3_off` within `limit`, then its extension-header chain (at most kMaxIpv6Ext).
inline ParseVerdict ParseIpv6(Frame f, uint32_t limit, uint32_t l3_off, IpView& out) noexcept {
  ParseVerdict v = Need(l3_off + kIpv6HeaderLen, f.data_len, limit, ParseVerdict::kTruncatedIpv6);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* ip = f.data + l3_off;
  if ((ip[0] >> 4) != 6) [[unlikely]]
    return ParseVerdict::kBadIpv6Version;
  const uint32_t payload_len = Load16(ip + 4);
  if (payload_len > limit - l3_off - kIpv6HeaderLen) [[unlikely]]
    return ParseVerdict::kBadIpv6PayloadLength;
  const uint32_t ip_end = l3_off + kIpv6HeaderLen + payload_len;
  out.ip_end = ip_end;
  uint8_t nh = ip[6];
  uint32_t off = l3_off + kIpv6HeaderLen;
  for (unsigned i = 0; IsIpv6Extension(nh); ++i) {
    out.ip_proto = nh;
    out.payload_off = off;
    if (nh == kIpProtoEsp) return ParseVerdict::kOk;  // encrypted from here on: chain ends
    if (i == kMaxIpv6Ext) [[unlikely]]
      return ParseVerdict::kTooManyIpv6Ext;
    // Every extension header is at least 8 bytes: next header, length, 6 more.
    v = Need(off + 8, f.data_len, ip_end, ParseVerdict::kTruncatedIpv6Ext);
    if (v != ParseVerdict::kOk) return v;
    const uint8_t* ext = f.data + off;
    uint32_t len = (ext[1] + 1u) * 8u;       // hop-by-hop, routing, destination options
    if (nh == kIpProtoAh) len = (ext[1] + 2u) * 4u;  // RFC 4302: 4-byte units, minus 2
    if (nh == kIpProtoFragment) {
      len = 8;
      const uint16_t frag = Load16(ext + 2);
      if ((frag & 0xfff8u) != 0) {  // a later fragment: the rest is not headers
        out.ip_proto = ext[0];
        out.payload_off = off + 8;
        out.is_fragment = 1;
        return ParseVerdict::kOk;
      }
      out.more_fragments = out.more_fragments || (frag & 1u) != 0;
    }
    v = Need(off + len, f.data_len, ip_end, ParseVerdict::kTruncatedIpv6Ext);
    if (v != ParseVerdict::kOk) return v;
    nh = ext[0];
    off += len;
  }
  out.ip_proto = nh;
  out.payload_off = off;
  return ParseL4(f, off, kIpProtoIcmpv6, out);
}

// IPv4/IPv6/ARP/other at `l3_off` as `l3` names it; fills `out`.
inline ParseVerdict ParseL3(Frame f, uint32_t limit, uint32_t l3_off, L3Type l3, bool verify,
                            uint64_t hw_cksum, IpView& out) noexcept {
  out.l3 = l3;
  out.l3_off = static_cast<uint16_t>(l3_off);
  switch (l3) {
    case L3Type::kIpv4:
      return ParseIpv4(f, limit, l3_off, verify, hw_cksum, out);
    case L3Type::kIpv6:
      return ParseIpv6(f, limit, l3_off, out);
    case L3Type::kArp:  // kept as is; later stages may read the 28 bytes in place
      return Need(l3_off + kArpLen, f.data_len, limit, ParseVerdict::kTruncatedArp);
    default:
      return ParseVerdict::kOk;  // unknown EtherTypes are forwarded, not dropped
  }
}

constexpr L3Type L3FromEtherType(uint16_t type) noexcept {
  switch (type) {
    case kEtherTypeIpv4:
      return L3Type::kIpv4;
    case kEtherTypeIpv6:
      return L3Type::kIpv6;
    case kEtherTypeArp:
      return L3Type::kArp;
    default:
      return L3Type::kOther;
  }
}

// A failure inside the tunnel gets the inner reason: the outer frame was fine.
constexpr ParseVerdict InnerVerdict(ParseVerdict v) noexcept {
  switch (v) {
    case ParseVerdict::kTruncatedEthernet:
    case ParseVerdict::kTruncatedVlan:
      return ParseVerdict::kTruncatedInnerEthernet;
    case ParseVerdict::kTooManyVlans:
      return ParseVerdict::kTooManyInnerVlans;
    case ParseVerdict::kTruncatedIpv4:
    case ParseVerdict::kTruncatedIpv6:
    case ParseVerdict::kTruncatedIpv6Ext:
    case ParseVerdict::kTruncatedArp:
      return ParseVerdict::kTruncatedInnerL3;
    case ParseVerdict::kBadIpv4Version:
    case ParseVerdict::kBadIpv4Ihl:
    case ParseVerdict::kBadIpv4TotalLength:
    case ParseVerdict::kBadIpv4Checksum:
    case ParseVerdict::kBadIpv6Version:
    case ParseVerdict::kBadIpv6PayloadLength:
    case ParseVerdict::kTooManyIpv6Ext:
      return ParseVerdict::kBadInnerL3;
    case ParseVerdict::kTruncatedTcp:
    case ParseVerdict::kTruncatedUdp:
    case ParseVerdict::kTruncatedIcmp:
    case ParseVerdict::kTruncatedSctp:
      return ParseVerdict::kTruncatedInnerL4;
    case ParseVerdict::kBadTcpDataOffset:
    case ParseVerdict::kBadUdpLength:
      return ParseVerdict::kBadInnerL4;
    default:
      return v;  // ok, headers_not_contiguous
  }
}

// What a tunnel header says follows it.
enum class Inner : uint8_t { kNone, kEthernet, kIpv4, kIpv6, kByNibble, kOther };

constexpr Inner InnerFromProtocol(uint16_t type) noexcept {
  switch (type) {
    case kEtherTypeTeb:
      return Inner::kEthernet;
    case kEtherTypeIpv4:
      return Inner::kIpv4;
    case kEtherTypeIpv6:
      return Inner::kIpv6;
    default:
      return Inner::kOther;
  }
}

// The tunnel header at `off` (ending by `end`); on success `off` is where the inner starts.
inline ParseVerdict ParseVxlan(Frame f, uint32_t& off, uint32_t end, uint32_t& id,
                               Inner& inner) noexcept {
  const ParseVerdict v = Need(off + kVxlanHeaderLen, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* h = f.data + off;
  if ((h[0] & 0x08u) == 0) [[unlikely]]  // RFC 7348: the I flag must be set
    return ParseVerdict::kBadTunnelHeader;
  id = Load24(h + 4);
  off += kVxlanHeaderLen;
  inner = Inner::kEthernet;
  return ParseVerdict::kOk;
}

inline ParseVerdict ParseGeneve(Frame f, uint32_t& off, uint32_t end, uint32_t& id,
                                Inner& inner) noexcept {
  ParseVerdict v = Need(off + kGeneveHeaderLen, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* h = f.data + off;
  if ((h[0] >> 6) != 0) [[unlikely]]  // RFC 8926: version 0
    return ParseVerdict::kBadTunnelHeader;
  const uint32_t len = kGeneveHeaderLen + (h[0] & 0x3fu) * 4u;
  v = Need(off + len, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  id = Load24(h + 4);
  inner = InnerFromProtocol(Load16(h + 2));
  off += len;
  return ParseVerdict::kOk;
}

inline ParseVerdict ParseGre(Frame f, uint32_t& off, uint32_t end, uint32_t& id,
                             Inner& inner) noexcept {
  ParseVerdict v = Need(off + kGreHeaderLen, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* h = f.data + off;
  const uint16_t flags = Load16(h);
  // RFC 2784/2890: version 0; the RFC 1701 routing bit is gone (its length is unbounded).
  if ((flags & 0x7u) != 0 || (flags & 0x4000u) != 0) [[unlikely]]
    return ParseVerdict::kBadGreVersion;
  const bool has_checksum = (flags & 0x8000u) != 0;
  const bool has_key = (flags & 0x2000u) != 0;
  const bool has_seq = (flags & 0x1000u) != 0;
  const uint32_t len = kGreHeaderLen + 4u * (has_checksum + has_key + has_seq);
  v = Need(off + len, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  if (has_key) id = Load32(h + 4 + (has_checksum ? 4 : 0));
  inner = InnerFromProtocol(Load16(h + 2));
  off += len;
  return ParseVerdict::kOk;
}

// GTP-U (3GPP TS 29.281): 8 bytes, 4 more when E, S or PN is set, then a bounded chain of
// extension headers (length in 4-byte units, last byte the next type).
inline constexpr unsigned kMaxGtpuExtensions = 4;

inline ParseVerdict ParseGtpu(Frame f, uint32_t& off, uint32_t end, uint32_t& id,
                              Inner& inner) noexcept {
  ParseVerdict v = Need(off + kGtpuHeaderLen, f.data_len, end, ParseVerdict::kTruncatedTunnel);
  if (v != ParseVerdict::kOk) return v;
  const uint8_t* h = f.data + off;
  if ((h[0] >> 5) != 1 || (h[0] & 0x10u) == 0) [[unlikely]]  // version 1, PT 1 (GTP, not GTP')
    return ParseVerdict::kBadTunnelHeader;
  id = Load32(h + 4);
  uint32_t at = off + kGtpuHeaderLen;
  if (h[0] & 0x07u) {  // E, S or PN: sequence, N-PDU, next extension type
    v = Need(at + 4, f.data_len, end, ParseVerdict::kTruncatedTunnel);
    if (v != ParseVerdict::kOk) return v;
    uint8_t next = (h[0] & 0x04u) ? f.data[at + 3] : 0;
    at += 4;
    for (unsigned i = 0; next != 0; ++i) {
      if (i == kMaxGtpuExtensions) [[unlikely]]
        return ParseVerdict::kBadTunnelHeader;
      v = Need(at + 1, f.data_len, end, ParseVerdict::kTruncatedTunnel);
      if (v != ParseVerdict::kOk) return v;
      const uint32_t len = f.data[at] * 4u;
      if (len == 0) [[unlikely]]
        return ParseVerdict::kBadTunnelHeader;
      v = Need(at + len, f.data_len, end, ParseVerdict::kTruncatedTunnel);
      if (v != ParseVerdict::kOk) return v;
      next = f.data[at + len - 1];
      at += len;
    }
  }
  off = at;
  // Only a G-PDU (255) carries user packets; echo and error indications carry none.
  inner = h[1] == 255 ? Inner::kByNibble : Inner::kNone;
  return ParseVerdict::kOk;
}

// The inner packet at `off` (ending by `end`) as `inner` names it, tunnels off.
inline ParseVerdict ParseInner(Frame f, uint32_t off, uint32_t end, Inner inner,
                               const ParseOptions& opts, PktMeta& meta) noexcept {
  if (inner == Inner::kNone) return ParseVerdict::kOk;
  L3Type l3 = L3Type::kOther;
  if (inner == Inner::kEthernet) {
    uint8_t vlan_count = 0;
    uint16_t tci[kMaxVlans];  // inner tags are walked, not kept
    uint16_t ethertype = 0;
    const ParseVerdict v =
        ParseEthernet(f, off, end, std::min<unsigned>(opts.vlan_depth, kMaxVlanDepth),
                      vlan_count, tci, ethertype, off);
    if (v != ParseVerdict::kOk) return InnerVerdict(v);
    l3 = L3FromEtherType(ethertype);
  } else if (inner == Inner::kIpv4) {
    l3 = L3Type::kIpv4;
  } else if (inner == Inner::kIpv6) {
    l3 = L3Type::kIpv6;
  } else if (inner == Inner::kByNibble) {
    if (off >= end) return ParseVerdict::kOk;  // an empty G-PDU
    const ParseVerdict v = Need(off + 1, f.data_len, end, ParseVerdict::kTruncatedInnerL3);
    if (v != ParseVerdict::kOk) return v;
    l3 = L3FromNibble(f.data[off]);
  }
  IpView ip;
  const ParseVerdict v = ParseL3(f, end, off, l3, opts.verify_ipv4_checksum, 0, ip);
  meta.inner_l3 = ip.l3;
  meta.inner_l3_off = ip.l3_off;
  meta.inner_l4_off = ip.l4_off;
  meta.inner_ip_proto = ip.ip_proto;
  meta.inner_src_port = ip.src_port;
  meta.inner_dst_port = ip.dst_port;
  meta.inner_is_fragment = ip.is_fragment;
  return InnerVerdict(v);
}

// One level of tunnel after a well-formed, unfragmented outer IP layer.
inline ParseVerdict ParseTunnel(Frame f, const IpView& ip, const ParseOptions& opts,
                                PktMeta& meta) noexcept {
  uint32_t off = ip.payload_off;
  uint32_t end = ip.ip_end;
  uint32_t id = 0;
  Inner inner = Inner::kNone;
  TunnelType type = TunnelType::kNone;
  ParseVerdict v = ParseVerdict::kOk;
  const unsigned tunnels = opts.tunnels;
  switch (ip.ip_proto) {
    case kIpProtoUdp: {
      if (ip.l4_off == kNoOffset) return ParseVerdict::kOk;
      off = ip.l4_off + kUdpHeaderLen;
      end = ip.l4_off + Load16(f.data + ip.l4_off + 4);  // checked against the IP payload
      const uint16_t port = ip.dst_port;
      if ((tunnels & kTunnelVxlan) && port == opts.vxlan_port) {
        type = TunnelType::kVxlan;
        v = ParseVxlan(f, off, end, id, inner);
      } else if ((tunnels & kTunnelGeneve) && port == opts.geneve_port) {
        type = TunnelType::kGeneve;
        v = ParseGeneve(f, off, end, id, inner);
      } else if ((tunnels & kTunnelGtpU) && port == opts.gtpu_port) {
        type = TunnelType::kGtpU;
        v = ParseGtpu(f, off, end, id, inner);
      } else {
        return ParseVerdict::kOk;
      }
      break;
    }
    case kIpProtoGre:
      if (!(tunnels & kTunnelGre)) return ParseVerdict::kOk;
      type = TunnelType::kGre;
      v = ParseGre(f, off, end, id, inner);
      break;
    case kIpProtoIpInIp:
      if (!(tunnels & kTunnelIpInIp)) return ParseVerdict::kOk;
      type = TunnelType::kIpInIp;
      inner = Inner::kIpv4;
      break;
    case kIpProtoIpv6:
      if (!(tunnels & kTunnelIpv6InIp)) return ParseVerdict::kOk;
      type = TunnelType::kIpv6InIp;
      inner = Inner::kIpv6;
      break;
    default:
      return ParseVerdict::kOk;
  }
  if (v != ParseVerdict::kOk) return v;
  meta.tunnel = type;
  meta.tunnel_id = id;
  return ParseInner(f, off, end, inner, opts, meta);
}

}  // namespace ingestd::packet::detail
