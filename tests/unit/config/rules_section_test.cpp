// SPDX-License-Identifier: BSD-3-Clause
// The rules: section: what each field and action reads as, and every mistake at its line:col.
#include <string>

#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace ingestd::config {
namespace {

using testing::ErrorsOf;
using testing::HasError;
using testing::HintFor;
using testing::Load;

// Ports wire (input), a, b, c (outputs; c rewrites MACs); the rules start at line 14.
std::string WithRules(const std::string& rules) {
  return R"(ports:
  - {name: wire, device: net_null0}
  - {name: a, device: net_null1, rx_queues: 0}
  - {name: b, device: net_null2, rx_queues: 0}
  - {name: c, device: net_null3, rx_queues: 0, set_dst_mac: "02:00:00:00:00:02"}
pipeline:
  chains:
    - rx: [wire]
      segments:
        - {lcore: 1, stages: [rx, parse, process, encode, tx]}
routes:
  - {from: wire, to: a}
rules:
)" + rules;
}

TEST(RulesSection, FieldsAndActionsReadAsWritten) {
  const RuntimeConfig cfg = Load(WithRules(R"(  - name: dns
    in: wire
    match: {proto: udp, dst_port: 53, src: 10.1.0.0/16, dst: 192.168.1.0/24, vlan: 100, dscp: 46}
    forward: b
    mirror: a
  - {match: {ethertype: 0x86dd, dst: "2001:db8::/32", src_port: "1024-65535", tcp_flags: [syn, "!ack"]}, sample: 100}
  - {match: {inner: {proto: tcp, dst: 192.168.0.0/24}}, balance: [a, b]}
  - {match: {proto: 47}, drop: true}
  - {count: true}
)"));
  ASSERT_EQ(cfg.rules.size(), 5u);
  const RuleConfig& dns = cfg.rules[0];
  EXPECT_EQ(dns.name, "dns");
  EXPECT_EQ(dns.line, 14);
  EXPECT_EQ(dns.match.in_port, 0);
  EXPECT_EQ(dns.match.outer.proto, 17);
  EXPECT_EQ(dns.match.outer.dst_port, (PortRange{53, 53}));
  EXPECT_TRUE(dns.match.outer.src_port.Any());
  ASSERT_TRUE(dns.match.outer.src);
  EXPECT_TRUE(dns.match.outer.src->v4);
  EXPECT_EQ(dns.match.outer.src->prefix, 96 + 16);
  EXPECT_EQ(dns.match.outer.src->addr[10], 0xff);
  EXPECT_EQ(dns.match.outer.src->addr[12], 10);
  EXPECT_EQ(dns.match.outer.src->addr[13], 1);
  ASSERT_TRUE(dns.match.outer.dst);
  EXPECT_EQ(dns.match.outer.dst->prefix, 96 + 24);
  EXPECT_EQ(dns.match.vlan, 100);
  EXPECT_EQ(dns.match.dscp, 46);
  EXPECT_EQ(dns.action.forward, 2);
  EXPECT_EQ(dns.action.mirror, 1);
  EXPECT_EQ(dns.action.sample, 1u);

  const RuleConfig& syn = cfg.rules[1];
  EXPECT_EQ(syn.name, "rule2");
  EXPECT_EQ(syn.match.ethertype, 0x86dd);
  ASSERT_TRUE(syn.match.outer.dst);
  EXPECT_FALSE(syn.match.outer.dst->v4);
  EXPECT_EQ(syn.match.outer.dst->prefix, 32);
  EXPECT_EQ(syn.match.outer.dst->addr[0], 0x20);
  EXPECT_EQ(syn.match.outer.dst->addr[1], 0x01);
  EXPECT_EQ(syn.match.outer.src_port, (PortRange{1024, 65535}));
  EXPECT_EQ(syn.match.tcp_flags_mask, 0x12);   // SYN | ACK
  EXPECT_EQ(syn.match.tcp_flags_value, 0x02);  // SYN set, ACK clear
  EXPECT_EQ(syn.match.outer.proto, 6);         // tcp_flags implies TCP
  EXPECT_EQ(syn.action.sample, 100u);
  EXPECT_FALSE(syn.action.forward);

  const RuleConfig& inner = cfg.rules[2];
  EXPECT_TRUE(inner.match.has_inner);
  EXPECT_EQ(inner.match.inner.proto, 6);
  EXPECT_EQ(inner.action.balance, (std::vector<uint16_t>{1, 2}));

  EXPECT_EQ(cfg.rules[3].match.outer.proto, 47);
  EXPECT_TRUE(cfg.rules[3].action.drop);
  EXPECT_EQ(cfg.rules[4].match, RuleMatch{});  // no match: every packet
}

TEST(RulesSection, EveryMistakeAtItsLineAndColumn) {
  const auto errors = ErrorsOf(WithRules(R"(  - {match: {src: 10.0.0.1/8}, forward: a}
  - {match: {dst_port: "90-80"}, forward: a}
  - {match: {tcp_flags: [syn, akc]}, forward: a}
  - {match: {proto: tpc}, forward: a}
  - {match: {prot: tcp}, forward: a}
  - {match: {vlan: 5000}, forward: a}
  - {match: {proto: udp}}
  - {match: {proto: udp}, drop: true, forward: a}
  - {match: {proto: udp}, forward: a, balance: [b]}
  - {match: {proto: udp}, forward: nowhere}
  - {name: dup, count: true}
  - {name: dup, count: true}
  - {match: {src: 10.0.0.0/8, dst: "::1"}, forward: a}
  - {match: {src: "300.1.2.3"}, forward: a}
)"));
  EXPECT_TRUE(HasError(errors, 14, 19, "has bits set past its prefix length"));
  EXPECT_EQ(HintFor(errors, "bits set past"), "did you mean 10.0.0.0/8?");
  EXPECT_TRUE(HasError(errors, 15, 24, "is not a port or a range"));
  EXPECT_TRUE(HasError(errors, 16, 31, "'akc' is not a TCP flag"));
  EXPECT_EQ(HintFor(errors, "is not a TCP flag"), "did you mean 'ack'?");
  EXPECT_TRUE(HasError(errors, 17, 21, "'tpc' is not a known name"));
  EXPECT_EQ(HintFor(errors, "'tpc'"), "did you mean 'tcp'?");
  EXPECT_TRUE(HasError(errors, 18, 14, "unknown key 'prot' in match"));
  EXPECT_TRUE(HasError(errors, 19, 20, "vlan 5000 is out of range 0..4095"));
  EXPECT_TRUE(HasError(errors, 20, 5, "a rule needs an action"));
  EXPECT_TRUE(HasError(errors, 21, 39, "forward with drop"));
  EXPECT_TRUE(HasError(errors, 22, 39, "forward and balance both choose the output"));
  EXPECT_TRUE(HasError(errors, 23, 36, "unknown port 'nowhere'"));
  EXPECT_TRUE(HasError(errors, 25, 5, "duplicate rule name 'dup'"));
  EXPECT_TRUE(HasError(errors, 26, 36, "src is IPv4 and dst IPv6"));
  EXPECT_TRUE(HasError(errors, 27, 19, "is not an IPv4 or IPv6 address"));
  EXPECT_EQ(errors.size(), 13u) << testing::Dump(errors);
}

TEST(RulesSection, MirrorBesideAPortThatRewritesMacsIsRefused) {
  const auto errors = ErrorsOf(WithRules("  - {match: {proto: udp}, forward: c, mirror: a}\n"));
  EXPECT_TRUE(HasError(errors, 14, 5, "mirrors to or beside port 'c', which rewrites frames"));
}

TEST(RulesSection, RuleOutputsNeedATxQueuePerChain) {
  // Two chains send to b through the rule; b has one TX queue.
  const auto errors = ErrorsOf(R"(ports:
  - {name: wire, device: net_null0, rx_queues: 2}
  - {name: a, device: net_null1, rx_queues: 0, tx_queues: 2}
  - {name: b, device: net_null2, rx_queues: 0}
pipeline:
  chains:
    - {rx: ["wire:0"], segments: [{lcore: 1, stages: [rx, parse, process, encode, tx]}]}
    - {rx: ["wire:1"], segments: [{lcore: 2, stages: [rx, parse, process, encode, tx]}]}
routes:
  - {from: wire, to: a}
rules:
  - {match: {proto: udp}, forward: b}
)");
  EXPECT_TRUE(HasError(errors, 4, 5, "port 'b' has 1 TX queue but 2 lcores transmit to it"));
}

}  // namespace
}  // namespace ingestd::config
