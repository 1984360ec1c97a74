// SPDX-License-Identifier: BSD-3-Clause
// Parse verdicts: "ok" or exactly one named reason a frame is malformed.
#pragma once

#include <cstdint>
#include <string_view>

namespace ingestd::packet {

// One list, used for the enum, the names in stats/JSON and the table in docs/design.md.
// X(enumerator, "name", "what the frame did wrong")
#define INGESTD_PARSE_VERDICTS(X)                                                         \
  X(kOk, "ok", "well-formed")                                                             \
  X(kTruncatedEthernet, "truncated_ethernet", "shorter than an Ethernet header (14 B)")   \
  X(kTruncatedVlan, "truncated_vlan", "a VLAN tag is cut off by the end of the frame")    \
  X(kTooManyVlans, "too_many_vlans",                                                     \
    "more VLAN tags than the configured depth (default 2, at most 4)")                    \
  X(kTruncatedMpls, "truncated_mpls",                                                     \
    "an MPLS label is cut off, or nothing follows the bottom of the stack")               \
  X(kTooManyMplsLabels, "too_many_mpls_labels", "more than 8 MPLS labels before the bottom") \
  X(kTruncatedArp, "truncated_arp", "ARP shorter than the 28-byte Ethernet/IPv4 ARP")      \
  X(kTruncatedIpv4, "truncated_ipv4", "IPv4 header cut off (less than 20 B, or IHL)")      \
  X(kBadIpv4Version, "bad_ipv4_version", "EtherType IPv4 but version nibble is not 4")     \
  X(kBadIpv4Ihl, "bad_ipv4_ihl", "IPv4 IHL below 5 (header shorter than 20 B)")           \
  X(kBadIpv4TotalLength, "bad_ipv4_total_length",                                        \
    "IPv4 total length below the header length or beyond the frame")                      \
  X(kBadIpv4Checksum, "bad_ipv4_checksum",                                               \
    "IPv4 header checksum wrong (only when verification is on, or the NIC said bad)")      \
  X(kTruncatedIpv6, "truncated_ipv6", "IPv6 header cut off (less than 40 B)")             \
  X(kBadIpv6Version, "bad_ipv6_version", "EtherType IPv6 but version nibble is not 6")     \
  X(kBadIpv6PayloadLength, "bad_ipv6_payload_length", "IPv6 payload length beyond the frame") \
  X(kTruncatedIpv6Ext, "truncated_ipv6_ext", "an IPv6 extension header is cut off")        \
  X(kTooManyIpv6Ext, "too_many_ipv6_ext", "more than 8 IPv6 extension headers")           \
  X(kTruncatedTcp, "truncated_tcp", "TCP header cut off (less than 20 B, or data offset)") \
  X(kBadTcpDataOffset, "bad_tcp_data_offset", "TCP data offset below 5")                  \
  X(kTruncatedUdp, "truncated_udp", "UDP header cut off (less than 8 B)")                 \
  X(kBadUdpLength, "bad_udp_length", "UDP length below 8 or beyond the IP payload")       \
  X(kTruncatedIcmp, "truncated_icmp", "ICMP/ICMPv6 header cut off (less than 8 B)")       \
  X(kTruncatedSctp, "truncated_sctp", "SCTP common header cut off (less than 12 B)")       \
  X(kTruncatedTunnel, "truncated_tunnel",                                                 \
    "a VXLAN, Geneve, GRE or GTP-U header (or its options) is cut off")                   \
  X(kBadGreVersion, "bad_gre_version", "GRE version is not 0 (or the deprecated routing bit)") \
  X(kBadTunnelHeader, "bad_tunnel_header",                                                \
    "VXLAN without the I flag, Geneve version not 0, GTP-U version not 1 or a bad extension") \
  X(kTruncatedInnerEthernet, "truncated_inner_ethernet",                                  \
    "the tunnelled Ethernet header or one of its VLAN tags is cut off")                   \
  X(kTooManyInnerVlans, "too_many_inner_vlans",                                           \
    "the tunnelled frame has more VLAN tags than the configured depth")                   \
  X(kTruncatedInnerL3, "truncated_inner_l3",                                              \
    "the tunnelled IPv4/IPv6 header, IPv6 extension header or ARP is cut off")            \
  X(kBadInnerL3, "bad_inner_l3",                                                          \
    "the tunnelled IP header is invalid (version, IHL, length, checksum, too many ext)")   \
  X(kTruncatedInnerL4, "truncated_inner_l4",                                              \
    "the tunnelled TCP/UDP/ICMP/SCTP header is cut off")                                  \
  X(kBadInnerL4, "bad_inner_l4", "the tunnelled TCP data offset or UDP length is invalid") \
  X(kHeadersNotContiguous, "headers_not_contiguous",                                      \
    "a header the parser needs continues into a second mbuf segment (it reads the first only)")

enum class ParseVerdict : uint8_t {
#define INGESTD_X(e, name, desc) e,
  INGESTD_PARSE_VERDICTS(INGESTD_X)
#undef INGESTD_X
};

inline constexpr unsigned kParseVerdictCount = 0
#define INGESTD_X(e, name, desc) +1
    INGESTD_PARSE_VERDICTS(INGESTD_X)
#undef INGESTD_X
    ;

inline constexpr std::string_view kParseVerdictNames[kParseVerdictCount] = {
#define INGESTD_X(e, name, desc) name,
    INGESTD_PARSE_VERDICTS(INGESTD_X)
#undef INGESTD_X
};

inline constexpr std::string_view kParseVerdictDescriptions[kParseVerdictCount] = {
#define INGESTD_X(e, name, desc) desc,
    INGESTD_PARSE_VERDICTS(INGESTD_X)
#undef INGESTD_X
};

constexpr std::string_view VerdictName(ParseVerdict v) noexcept {
  return kParseVerdictNames[static_cast<unsigned>(v)];
}

}  // namespace ingestd::packet
