// SPDX-License-Identifier: BSD-3-Clause
// The rules of the process stage, as configured: ordered, first match wins.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::config {

/// An IPv4 or IPv6 prefix. IPv4 is held as an IPv4-mapped IPv6 address
/// (::ffff:a.b.c.d, prefix + 96), so one classifier serves both families.
struct Cidr {
  std::array<uint8_t, 16> addr{};  // network order, host bits zero
  uint8_t prefix = 0;              // 0..128, over the mapped form
  bool v4 = false;                 // written as IPv4
  bool operator==(const Cidr&) const = default;
};

/// Inclusive port range; the default matches every port.
struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 0xffff;
  bool Any() const { return lo == 0 && hi == 0xffff; }
  bool operator==(const PortRange&) const = default;
};

/// Fields of one IP layer: the outer one, or the tunnelled one (`inner:`).
struct IpMatch {
  std::optional<Cidr> src;
  std::optional<Cidr> dst;
  std::optional<uint8_t> proto;  // IP protocol / IPv6 last next header
  PortRange src_port;            // TCP/UDP/SCTP ports
  PortRange dst_port;
  bool operator==(const IpMatch&) const = default;
};

/// What a rule matches; an unset field matches anything.
struct RuleMatch {
  std::optional<uint16_t> in_port;    // index into RuntimeConfig::ports
  std::optional<uint16_t> vlan;       // VLAN id of the outermost tag (no tag never matches)
  std::optional<uint16_t> ethertype;  // after the VLAN tags
  IpMatch outer;
  uint8_t tcp_flags_value = 0;        // (flags & mask) == value
  uint8_t tcp_flags_mask = 0;
  std::optional<uint8_t> dscp;        // 0..63, outer IP
  bool has_inner = false;             // `inner:` given: the packet must be tunnelled
  IpMatch inner;
  bool operator==(const RuleMatch&) const = default;
};

/// What happens to a packet the rule matches. `drop` excludes every other action;
/// `forward` and `balance` exclude each other; with neither, the port map decides
/// the output (so `count` alone, or `mirror`/`sample` alone, leave routing as it was).
struct RuleAction {
  bool drop = false;
  std::optional<uint16_t> forward;  // port index
  std::vector<uint16_t> balance;    // port indexes: a symmetric flow hash picks one
  std::optional<uint16_t> mirror;   // port index: an indirect copy also leaves here
  uint32_t sample = 1;              // 1 in N packets go on; the rest are counted and freed
  bool operator==(const RuleAction&) const = default;
};

struct RuleConfig {
  std::string name;  // unique; "rule<N>" (N = 1-based position) when not given
  RuleMatch match;
  RuleAction action;
  int line = 0;      // where the rule starts in its file
  int column = 0;
  bool operator==(const RuleConfig&) const = default;
};

/// rte_acl's rule count limit is memory; this bounds build time (~1 s here).
inline constexpr size_t kMaxRules = 65536;

}  // namespace ingestd::config
