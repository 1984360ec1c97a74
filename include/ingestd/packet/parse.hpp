// SPDX-License-Identifier: BSD-3-Clause
// ParseFrame: Ethernet/VLAN/MPLS/ARP/IPv4/IPv6 (+ext)/TCP/UDP/ICMP/SCTP headers and one level of
// tunnel (VXLAN, Geneve, GRE, IP-in-IP, GTP-U) into PktMeta, without copying bytes. The
// layers are src/packet/ (parse_layers.hpp, parse.cpp); this is what callers use.
#pragma once

#include <cstdint>
#include <span>

#include "ingestd/packet/packet_meta.hpp"
#include "ingestd/packet/verdict.hpp"

namespace ingestd::packet {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeMpls = 0x8847;
inline constexpr uint16_t kEtherTypeMplsMulticast = 0x8848;
inline constexpr uint16_t kEtherTypeTeb = 0x6558;  // transparent Ethernet bridging (GRE, Geneve)
inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021ad = 0x88a8;
inline constexpr uint16_t kTpid9100 = 0x9100;  // pre-802.1ad QinQ, still seen on older switches

inline constexpr uint8_t kIpProtoHopByHop = 0;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoIpInIp = 4;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIpv6 = 41;
inline constexpr uint8_t kIpProtoRouting = 43;
inline constexpr uint8_t kIpProtoFragment = 44;
inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoAh = 51;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoDestOptions = 60;
inline constexpr uint8_t kIpProtoSctp = 132;

inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kMplsLabelLen = 4;
inline constexpr uint32_t kArpLen = 28;  // Ethernet/IPv4 ARP
inline constexpr uint32_t kIpv4MinHeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kTcpMinHeaderLen = 20;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kIcmpHeaderLen = 8;
inline constexpr uint32_t kSctpHeaderLen = 12;
inline constexpr uint32_t kVxlanHeaderLen = 8;
inline constexpr uint32_t kGeneveHeaderLen = 8;
inline constexpr uint32_t kGreHeaderLen = 4;
inline constexpr uint32_t kGtpuHeaderLen = 8;

inline constexpr uint16_t kVxlanPort = 4789;
inline constexpr uint16_t kGenevePort = 6081;
inline constexpr uint16_t kGtpuPort = 2152;

// RTE_MBUF_F_RX_IP_CKSUM_* (rte_mbuf_core.h), repeated so this header needs no DPDK;
// parse_stage.hpp checks they agree.
inline constexpr uint64_t kRxIpCksumMask = (1ULL << 4) | (1ULL << 7);
inline constexpr uint64_t kRxIpCksumBad = 1ULL << 4;
inline constexpr uint64_t kRxIpCksumGood = 1ULL << 7;

/// Bits of ParseOptions::tunnels.
enum TunnelBits : uint8_t {
  kTunnelVxlan = 1u << 0,    // UDP to vxlan_port, inner Ethernet
  kTunnelGeneve = 1u << 1,   // UDP to geneve_port, inner Ethernet or IP
  kTunnelGre = 1u << 2,      // IP protocol 47: key, sequence, checksum; TEB or IP inside
  kTunnelIpInIp = 1u << 3,   // IP protocol 4 (IPv4 inside IPv4 or IPv6)
  kTunnelIpv6InIp = 1u << 4, // IP protocol 41 (IPv6 inside IPv4 or IPv6)
  kTunnelGtpU = 1u << 5,     // UDP to gtpu_port, G-PDU with IP inside
  kTunnelAll = 0x3f,
};

/// What ParseFrame looks for beyond the always-on layers. A POD: the data path keeps one per
/// lcore and passes it by reference. Default-constructed: two VLAN tags, no tunnels, no
/// checksum verification. Values out of range are clamped (vlan_depth to 0..kMaxVlanDepth);
/// validating them is the config loader's job.
struct ParseOptions {
  uint8_t vlan_depth = 2;              // tags accepted before too_many_vlans (0..4)
  uint8_t tunnels = 0;                 // TunnelBits to look through (one level)
  bool verify_ipv4_checksum = false;   // software check, unless the NIC already said
  uint16_t vxlan_port = kVxlanPort;
  uint16_t geneve_port = kGenevePort;
  uint16_t gtpu_port = kGtpuPort;
};

namespace detail {

// Big-endian loads by byte shifts: no unaligned pointer casts, compiles to one load + bswap.
// The parser's, and tools' that read fields it does not keep.
constexpr uint16_t Load16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
constexpr uint32_t Load32(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
constexpr uint32_t Load24(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) << 16 | static_cast<uint32_t>(p[1]) << 8 | p[2];
}

}  // namespace detail

/// Parses one frame into `meta`.
///
/// Layers: Ethernet; up to opts.vlan_depth 802.1Q/802.1ad/0x9100 tags (the outermost two
/// TCIs are kept); an MPLS stack (up to 8 labels; IPv4/IPv6 after it by the version nibble);
/// ARP (28 bytes); IPv4 with options and fragments; IPv6 with up to 8 extension headers
/// (hop-by-hop, routing, fragment, destination options, AH; ESP ends the chain); TCP, UDP,
/// ICMP/ICMPv6, SCTP; and, when opts enables it, one tunnel (VXLAN, Geneve, GRE, IP-in-IP,
/// IPv6-in-IP, GTP-U) whose inner Ethernet/IP is parsed with the same code into the inner_*
/// fields. A tunnel inside the tunnel is not looked into. Tunnels are looked through only
/// in unfragmented packets.
///
/// Every parse-owned field of `meta` is written, whatever the verdict; rx/process fields are
/// left alone. Fields come only from layers that parsed: l3/l3_off/ethertype once L2 (and
/// MPLS) did, ip_proto/l4_off/l4_len/is_fragment once the IP header did, ports once L4 did,
/// tunnel/tunnel_id once the tunnel header did, inner_* likewise. So on a malformed frame
/// l3_off (or l4_off, inner_l3_off, ...) points at the layer that failed; everything after
/// it keeps its empty value (kNoOffset, 0). l4_off is set for TCP, UDP, ICMP/ICMPv6 and SCTP
/// only (not for later fragments or other protocols); l4_len is 0 whenever l4_off is
/// kNoOffset. Exactly one verdict per frame: the first layer that fails names it, and a
/// failure inside a tunnel gets an inner reason.
///
/// @param data      first byte of the frame (the contiguous first segment)
/// @param data_len  bytes readable at `data`; never read beyond, nor beyond `pkt_len`.
/// @param pkt_len   length of the whole frame (> data_len for a multi-segment mbuf). A header
///                  that lies within its layer but not within `data_len` gives
///                  kHeadersNotContiguous, never a truncation reason: the parser reads the
///                  first segment only.
/// @param meta      the view to fill
/// @param opts      VLAN depth, tunnels, checksum verification
/// @param ol_flags  the mbuf's RX offload flags; only RTE_MBUF_F_RX_IP_CKSUM_* is read, and
///                  only when opts.verify_ipv4_checksum: GOOD/NONE skip the software check,
///                  BAD fails it, UNKNOWN (0, the offline case) computes it. Outer header only.
/// @return          meta.verdict
///
/// Threading: a pure function; any thread. Ownership: reads `data` only, keeps no pointer.
ParseVerdict ParseFrame(const uint8_t* data, uint32_t data_len, uint32_t pkt_len, PktMeta& meta,
                        const ParseOptions& opts, uint64_t ol_flags = 0) noexcept;

/// Default options: today's layers plus the always-on ones (MPLS, ARP length, IPv6
/// extension headers, SCTP); two VLAN tags; no tunnels; no checksum verification.
inline ParseVerdict ParseFrame(const uint8_t* data, uint32_t data_len, uint32_t pkt_len,
                               PktMeta& meta) noexcept {
  return ParseFrame(data, data_len, pkt_len, meta, ParseOptions{});
}

/// Single-segment convenience: the whole frame is contiguous at `frame`.
inline ParseVerdict ParseFrame(std::span<const uint8_t> frame, PktMeta& meta,
                               const ParseOptions& opts = {}) noexcept {
  const auto len = static_cast<uint32_t>(frame.size() > UINT32_MAX ? UINT32_MAX : frame.size());
  return ParseFrame(frame.data(), len, len, meta, opts);
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
