// SPDX-License-Identifier: BSD-3-Clause
// RuleConfig -> rte_acl rules over AclKey, compiled once off the data path.
#include "ingestd/rules/rule_set.hpp"

#include <chrono>
#include <cstddef>
#include <cstring>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <fmt/format.h>

namespace ingestd::rules {

using dataplane::Status;

namespace {

// Field order in the rule; rte_acl wants a 1-byte first field and the rest in
// 4-byte groups sharing an input index.
enum Field : uint8_t {
  kProto,
  kTcpFlags, kDscpInner, kInnerProto, kInPort,
  kVlan, kEthertype,
  kSrcPort, kDstPort,
  kSrc0, kSrc1, kSrc2, kSrc3,
  kDst0, kDst1, kDst2, kDst3,
  kInnerSrcPort, kInnerDstPort,
  kInnerSrc0, kInnerSrc1, kInnerSrc2, kInnerSrc3,
  kInnerDst0, kInnerDst1, kInnerDst2, kInnerDst3,
  kFieldCount
};

RTE_ACL_RULE_DEF(AclRule, kFieldCount);

constexpr rte_acl_field_def Def(uint8_t type, uint8_t size, uint8_t field, uint8_t input, size_t offset) {
  return rte_acl_field_def{type, size, field, input, static_cast<uint32_t>(offset)};
}

std::vector<rte_acl_field_def> FieldDefs() {
  constexpr uint8_t kBits = RTE_ACL_FIELD_TYPE_BITMASK;
  constexpr uint8_t kRange = RTE_ACL_FIELD_TYPE_RANGE;
  constexpr uint8_t kMask = RTE_ACL_FIELD_TYPE_MASK;
  std::vector<rte_acl_field_def> d = {
      Def(kBits, 1, kProto, 0, offsetof(AclKey, proto)),
      Def(kBits, 1, kTcpFlags, 1, offsetof(AclKey, tcp_flags)),
      Def(kBits, 1, kDscpInner, 1, offsetof(AclKey, dscp_inner)),
      Def(kBits, 1, kInnerProto, 1, offsetof(AclKey, inner_proto)),
      Def(kBits, 1, kInPort, 1, offsetof(AclKey, in_port)),
      Def(kBits, 2, kVlan, 2, offsetof(AclKey, vlan)),
      Def(kBits, 2, kEthertype, 2, offsetof(AclKey, ethertype)),
      Def(kRange, 2, kSrcPort, 3, offsetof(AclKey, src_port)),
      Def(kRange, 2, kDstPort, 3, offsetof(AclKey, dst_port)),
  };
  uint8_t input = 4;
  for (unsigned w = 0; w < 4; ++w) d.push_back(Def(kMask, 4, kSrc0 + w, input++, offsetof(AclKey, src) + 4 * w));
  for (unsigned w = 0; w < 4; ++w) d.push_back(Def(kMask, 4, kDst0 + w, input++, offsetof(AclKey, dst) + 4 * w));
  d.push_back(Def(kRange, 2, kInnerSrcPort, input, offsetof(AclKey, inner_src_port)));
  d.push_back(Def(kRange, 2, kInnerDstPort, input++, offsetof(AclKey, inner_dst_port)));
  for (unsigned w = 0; w < 4; ++w)
    d.push_back(Def(kMask, 4, kInnerSrc0 + w, input++, offsetof(AclKey, inner_src) + 4 * w));
  for (unsigned w = 0; w < 4; ++w)
    d.push_back(Def(kMask, 4, kInnerDst0 + w, input++, offsetof(AclKey, inner_dst) + 4 * w));
  return d;
}

void SetRange(AclRule& r, Field f, const config::PortRange& range) {
  r.field[f].value.u16 = range.lo;
  r.field[f].mask_range.u16 = range.hi;
}

// Values in host order: rte_acl converts when it builds the trie.
void SetPrefix(AclRule& r, Field first_word, const std::optional<config::Cidr>& cidr) {
  for (unsigned w = 0; w < 4; ++w) {
    rte_acl_field& f = r.field[first_word + w];
    if (!cidr) {
      f.value.u32 = 0;
      f.mask_range.u32 = 0;
      continue;
    }
    uint32_t word;
    std::memcpy(&word, &cidr->addr[4 * w], 4);
    f.value.u32 = rte_be_to_cpu_32(word);
    const int bits = static_cast<int>(cidr->prefix) - static_cast<int>(32 * w);
    f.mask_range.u32 = static_cast<uint32_t>(bits <= 0 ? 0 : bits >= 32 ? 32 : bits);
  }
}

void SetIp(AclRule& r, const config::IpMatch& ip, bool inner) {
  SetPrefix(r, inner ? kInnerSrc0 : kSrc0, ip.src);
  SetPrefix(r, inner ? kInnerDst0 : kDst0, ip.dst);
  SetRange(r, inner ? kInnerSrcPort : kSrcPort, ip.src_port);
  SetRange(r, inner ? kInnerDstPort : kDstPort, ip.dst_port);
  rte_acl_field& proto = r.field[inner ? kInnerProto : kProto];
  if (ip.proto) {
    proto.value.u8 = *ip.proto;
    proto.mask_range.u8 = 0xff;
  }
}

AclRule ToAcl(const config::RuleConfig& rule, uint32_t index, const std::vector<uint16_t>& port_ids) {
  AclRule r;
  std::memset(&r, 0, sizeof r);  // every field: BITMASK mask 0, MASK prefix 0 (match anything)
  // First match wins: earlier rules get higher priority.
  r.data.priority = RTE_ACL_MAX_PRIORITY - static_cast<int32_t>(index);
  r.data.category_mask = 1;
  r.data.userdata = index + 1;
  const config::RuleMatch& m = rule.match;
  SetIp(r, m.outer, false);
  SetIp(r, m.inner, true);
  if (m.in_port) {
    r.field[kInPort].value.u8 = static_cast<uint8_t>(port_ids[*m.in_port]);
    r.field[kInPort].mask_range.u8 = 0xff;
  }
  if (m.vlan) {
    r.field[kVlan].value.u16 = *m.vlan;
    r.field[kVlan].mask_range.u16 = 0xffff;
  }
  if (m.ethertype) {
    r.field[kEthertype].value.u16 = *m.ethertype;
    r.field[kEthertype].mask_range.u16 = 0xffff;
  }
  r.field[kTcpFlags].value.u8 = m.tcp_flags_value;
  r.field[kTcpFlags].mask_range.u8 = m.tcp_flags_mask;
  uint8_t dscp_value = 0, dscp_mask = 0;
  if (m.dscp) {
    dscp_value = *m.dscp;
    dscp_mask = 0x3f;
  }
  if (m.has_inner) {
    dscp_value |= kKeyInnerPresent;
    dscp_mask |= kKeyInnerPresent;
  }
  r.field[kDscpInner].value.u8 = dscp_value;
  r.field[kDscpInner].mask_range.u8 = dscp_mask;
  return r;
}

}  // namespace

RuleSet::~RuleSet() {
  rte_acl_free(acl_);
  rte_free(actions_);
  rte_free(balance_ports_);
}

Status RuleSet::Build(const std::vector<config::RuleConfig>& rules, const std::vector<uint16_t>& port_ids,
                      const std::string& name, int socket, std::unique_ptr<RuleSet>& out) {
  std::unique_ptr<RuleSet> set(new RuleSet());
  set->size_ = static_cast<uint32_t>(rules.size());
  const size_t action_bytes = sizeof(RuleActionPlan) * (rules.empty() ? 1 : rules.size());
  set->actions_ = static_cast<RuleActionPlan*>(rte_zmalloc_socket("ingestd_rule_actions", action_bytes, 64, socket));
  size_t balance_total = 1;
  for (const config::RuleConfig& r : rules) balance_total += r.action.balance.size();
  set->balance_ports_ = static_cast<uint16_t*>(
      rte_zmalloc_socket("ingestd_rule_balance", sizeof(uint16_t) * balance_total, 64, socket));
  if (set->actions_ == nullptr || set->balance_ports_ == nullptr)
    return Status::Error(ENOMEM, fmt::format("cannot allocate the actions of {} rules; raise eal.memory_mb", rules.size()));

  uint16_t balance_at = 0;
  for (uint32_t i = 0; i < rules.size(); ++i) {
    const config::RuleAction& a = rules[i].action;
    RuleActionPlan& p = set->actions_[i];
    p = RuleActionPlan{};
    p.drop = a.drop;
    p.sample = a.sample;
    if (a.forward) p.out_port = port_ids[*a.forward];
    if (a.mirror) {
      p.mirror_port = port_ids[*a.mirror];
      set->mirrors_ = true;
    }
    p.balance_first = balance_at;
    p.balance_count = static_cast<uint16_t>(a.balance.size());
    for (uint16_t port : a.balance) set->balance_ports_[balance_at++] = port_ids[port];
  }

  if (rules.empty()) {
    out = std::move(set);
    return Status::Ok();
  }
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = socket;
  param.rule_size = RTE_ACL_RULE_SZ(kFieldCount);
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  set->acl_ = rte_acl_create(&param);
  if (set->acl_ == nullptr)
    return Status::Error(rte_errno, fmt::format("rte_acl_create for {} rules: {}", rules.size(), rte_strerror(rte_errno)));

  std::vector<AclRule> acl_rules;
  acl_rules.reserve(rules.size());
  for (uint32_t i = 0; i < rules.size(); ++i) acl_rules.push_back(ToAcl(rules[i], i, port_ids));
  if (int rc = rte_acl_add_rules(set->acl_, reinterpret_cast<const rte_acl_rule*>(acl_rules.data()),
                                 static_cast<uint32_t>(acl_rules.size()));
      rc != 0) {
    return Status::Error(-rc, fmt::format("rte_acl_add_rules ({} rules): {}", rules.size(), rte_strerror(-rc)));
  }
  const std::vector<rte_acl_field_def> defs = FieldDefs();
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = static_cast<uint32_t>(defs.size());
  std::memcpy(cfg.defs, defs.data(), sizeof(rte_acl_field_def) * defs.size());
  const auto start = std::chrono::steady_clock::now();
  if (int rc = rte_acl_build(set->acl_, &cfg); rc != 0) {
    return Status::Error(-rc, fmt::format("rte_acl_build ({} rules): {}; raise eal.memory_mb if it ran out of memory",
                                          rules.size(), rte_strerror(-rc)));
  }
  set->build_us_ = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  out = std::move(set);
  return Status::Ok();
}

}  // namespace ingestd::rules
