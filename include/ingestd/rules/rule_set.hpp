// SPDX-License-Identifier: BSD-3-Clause
// Compiled rules: an rte_acl context over a classification key, and each rule's
// action in the form the process stage applies it (DPDK port ids, no names).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ingestd/config/rules.hpp"
#include "ingestd/dataplane/result.hpp"

struct rte_acl_ctx;

namespace ingestd::rules {

/// The classification key, built per packet from PktMeta and the headers it
/// points at. Multi-byte fields are big-endian, as rte_acl reads input; IPv4
/// addresses are IPv4-mapped IPv6 (::ffff:a.b.c.d). 84 bytes.
struct AclKey {
  uint8_t proto;           // outer IP protocol (0 without IP)
  uint8_t pad[3];
  uint8_t tcp_flags;       // outer TCP flags byte (0 unless TCP)
  uint8_t dscp_inner;      // outer DSCP in bits 0-5; bit 7: an inner IP layer was parsed
  uint8_t inner_proto;     // inner IP protocol (0 without one)
  uint8_t in_port;         // DPDK port id (< RTE_MAX_ETHPORTS)
  uint16_t vlan;           // outermost VLAN id, 0xffff untagged
  uint16_t ethertype;      // after the VLAN tags
  uint16_t src_port;
  uint16_t dst_port;
  uint32_t src[4];
  uint32_t dst[4];
  uint16_t inner_src_port;
  uint16_t inner_dst_port;
  uint32_t inner_src[4];
  uint32_t inner_dst[4];
};
static_assert(sizeof(AclKey) == 84);

inline constexpr uint8_t kKeyInnerPresent = 0x80;
inline constexpr uint16_t kKeyNoVlan = 0xffff;
inline constexpr uint16_t kNoPort = 0xffff;

/// One rule's action with DPDK port ids. Hot: read once per matched packet.
struct RuleActionPlan {
  uint16_t out_port = kNoPort;     // forward target, or kNoPort
  uint16_t mirror_port = kNoPort;  // mirror target, or kNoPort
  uint16_t balance_first = 0;      // into RuleSet::balance_ports()
  uint16_t balance_count = 0;
  uint32_t sample = 1;             // 1 in N go on
  bool drop = false;
};

/// Owns the rte_acl context and the action table (on the DPDK heap, for the lcores).
/// Threading: built on a control thread; read-only afterwards, from any lcore.
class RuleSet {
 public:
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;
  ~RuleSet();

  /// Compiles `rules` (file order = priority). `port_ids[i]` is config port i's
  /// DPDK port id. `name` must be unique among live rule sets (rte_acl names its
  /// context). Errors name the rule count and what rte_acl said.
  static dataplane::Status Build(const std::vector<config::RuleConfig>& rules, const std::vector<uint16_t>& port_ids,
                                 const std::string& name, int socket, std::unique_ptr<RuleSet>& out);

  const rte_acl_ctx* acl() const noexcept { return acl_; }
  uint32_t size() const noexcept { return size_; }
  /// Action of rule `i` (0-based; rte_acl returns i + 1, 0 for no match).
  const RuleActionPlan& action(uint32_t i) const noexcept { return actions_[i]; }
  const uint16_t* balance_ports() const noexcept { return balance_ports_; }
  bool mirrors() const noexcept { return mirrors_; }
  /// rte_acl's build time for this set, in microseconds.
  double build_us() const noexcept { return build_us_; }

 private:
  RuleSet() = default;
  rte_acl_ctx* acl_ = nullptr;
  RuleActionPlan* actions_ = nullptr;
  uint16_t* balance_ports_ = nullptr;
  uint32_t size_ = 0;
  bool mirrors_ = false;
  double build_us_ = 0;
};

}  // namespace ingestd::rules
