// SPDX-License-Identifier: BSD-3-Clause
// Parse verdicts: "ok" or exactly one named reason a frame is malformed.
#pragma once

#include <cstdint>
#include <string_view>

namespace ingestd::packet {

// One list, used for the enum, the names in stats/JSON and the README table.
// X(enumerator, "name", "what the frame did wrong")
#define INGESTD_PARSE_VERDICTS(X)                                                         \
  X(kOk, "ok", "well-formed")                                                             \
  X(kTruncatedEthernet, "truncated_ethernet", "shorter than an Ethernet header (14 B)")   \
  X(kTruncatedVlan, "truncated_vlan", "a VLAN tag is cut off by the end of the frame")    \
  X(kTooManyVlans, "too_many_vlans", "more VLAN tags than the parser keeps (2)")          \
  X(kTruncatedIpv4, "truncated_ipv4", "IPv4 header cut off (less than 20 B, or IHL)")      \
  X(kBadIpv4Version, "bad_ipv4_version", "EtherType IPv4 but version nibble is not 4")     \
  X(kBadIpv4Ihl, "bad_ipv4_ihl", "IPv4 IHL below 5 (header shorter than 20 B)")           \
  X(kBadIpv4TotalLength, "bad_ipv4_total_length",                                        \
    "IPv4 total length below the header length or beyond the frame")                      \
  X(kTruncatedIpv6, "truncated_ipv6", "IPv6 header cut off (less than 40 B)")             \
  X(kBadIpv6Version, "bad_ipv6_version", "EtherType IPv6 but version nibble is not 6")     \
  X(kBadIpv6PayloadLength, "bad_ipv6_payload_length", "IPv6 payload length beyond the frame") \
  X(kTruncatedTcp, "truncated_tcp", "TCP header cut off (less than 20 B, or data offset)") \
  X(kBadTcpDataOffset, "bad_tcp_data_offset", "TCP data offset below 5")                  \
  X(kTruncatedUdp, "truncated_udp", "UDP header cut off (less than 8 B)")                 \
  X(kBadUdpLength, "bad_udp_length", "UDP length below 8 or beyond the IP payload")       \
  X(kTruncatedIcmp, "truncated_icmp", "ICMP/ICMPv6 header cut off (less than 8 B)")       \
  X(kHeadersNotContiguous, "headers_not_contiguous",                                      \
    "headers continue into a second mbuf segment (multi-segment parsing comes later)")

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
