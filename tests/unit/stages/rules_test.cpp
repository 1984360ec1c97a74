// SPDX-License-Identifier: BSD-3-Clause
// Rules on hand-built packets: rte_acl picks the first matching rule for every
// field kind; each action does what it says; the balance hash is symmetric; and
// 10,000 rules compile and classify (compile time and cycles per packet printed).
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config_builder.hpp"
#include "drop_sink.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "parse_stage.hpp"
#include "process_stage.hpp"

namespace ingestd::stages {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;

// Ports wire (input, id 0), a, b, c (outputs, ids 1..3), wire2 (input, id 4); the port
// map sends both inputs to c.
config::RuntimeConfig ConfigWith(const std::string& rules) {
  testing::ConfigBuilder b("");
  b.Port("wire", "net_null0");
  for (const char* out : {"a", "b", "c"}) b.Port(out, fmt::format("net_null{}", out[0] - 'a' + 1)).RxQueues(0);
  b.Port("wire2", "net_null4");
  b.Chain({"wire", "wire2"});
  b.Route("wire", "c").Route("wire2", "c").Section("rules", rules);
  config::LoadOptions o;
  o.cpus = std::vector<unsigned>{0, 1};
  return config::LoadConfigFromString(b.Yaml(), "rules.yaml", ".", o);
}

Bytes Udp(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
  auto v4 = [](const char* s) {
    framegen::Ipv4Addr a{};
    unsigned b[4];
    std::sscanf(s, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
    for (int i = 0; i < 4; ++i) a[i] = static_cast<uint8_t>(b[i]);
    return a;
  };
  return FrameBuilder().Ipv4({.src = v4(src), .dst = v4(dst)}).Udp({.src_port = sport, .dst_port = dport}).Build();
}

class RulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("rules_pool", 1023, 0, dataplane::MempoolSet::PrivSize(),
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    clones_ = rte_pktmbuf_pool_create("rules_clones", 255, 0, dataplane::MempoolSet::PrivSize(), 0, 0);
    ASSERT_NE(pool_, nullptr);
    ASSERT_NE(clones_, nullptr);
  }
  static void TearDownTestSuite() {
    rte_mempool_free(clones_);
    rte_mempool_free(pool_);
  }
  void TearDown() override {
    EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u) << "mbuf leak";
    EXPECT_EQ(rte_mempool_in_use_count(clones_), 0u) << "clone leak";
  }

  void Compile(const std::string& rules) {
    cfg_ = ConfigWith(rules);
    set_.reset();
    const auto s = rules::RuleSet::Build(cfg_.rules, {0, 1, 2, 3, 4}, "unit_rules", 0, set_);
    ASSERT_TRUE(s.ok()) << s.message();
    routes_ = std::make_unique<RouteTable>();
    for (auto& row : routes_->out)
      for (auto& out : row) out = config::kDropRoute;
    routes_->out[0][0] = 3;
    routes_->out[4][0] = 3;
    process_ = std::make_unique<ProcessStage>();
    process_->Configure(routes_.get(), clones_);
    hits_ = std::make_unique<stats::Counter[]>(set_->size());
    active_ = {set_.get(), hits_.get()};
    process_->SetRules(&active_);
  }

  /// Parses and classifies `frames` (arriving on port 0); returns the packets that
  /// go on, in order, each with its out_port. The caller frees them.
  std::vector<rte_mbuf*> Run(const std::vector<Bytes>& frames, packet::ParseOptions parse = {}, uint16_t in_port = 0) {
    rte_mbuf* pkts[kMaxBurstOut];
    for (size_t i = 0; i < frames.size(); ++i) {
      pkts[i] = rte_pktmbuf_alloc(pool_);
      std::memcpy(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(frames[i].size())), frames[i].data(),
                  frames[i].size());
      packet::Meta(pkts[i]).in_port = in_port;
      packet::Meta(pkts[i]).in_queue = 0;
    }
    DropSink drops(counters_);
    StageContext ctx{counters_, drops};
    uint16_t n = ParseBurst(pkts, static_cast<uint16_t>(frames.size()), drops, parse);
    n = process_->Burst(pkts, n, ctx);
    return {pkts, pkts + n};
  }

  /// Output port of each frame sent alone; kNoPort when it was dropped.
  std::vector<uint16_t> Outputs(const std::vector<Bytes>& frames) {
    std::vector<uint16_t> out;
    for (const Bytes& f : frames) {
      std::vector<rte_mbuf*> kept = Run({f});
      out.push_back(kept.empty() ? rules::kNoPort : packet::Meta(kept[0]).out_port);
      for (rte_mbuf* m : kept) rte_pktmbuf_free(m);
    }
    return out;
  }

  uint64_t Drops(stats::OtherDrop d) const { return counters_.drops[stats::DropSlot(d)].Load(); }

  static inline rte_mempool* pool_ = nullptr;
  static inline rte_mempool* clones_ = nullptr;
  config::RuntimeConfig cfg_;
  std::unique_ptr<rules::RuleSet> set_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<ProcessStage> process_;
  std::unique_ptr<stats::Counter[]> hits_;
  ActiveRules active_;
  stats::LcoreCounters counters_;
};

TEST_F(RulesTest, FirstMatchingRuleWinsForEveryFieldKind) {
  Compile(R"(  - {match: {dst: 10.9.0.0/16, dst_port: 53}, forward: a}
  - {match: {dst: 10.9.0.0/16}, forward: b}
  - {match: {src_port: "1000-1999"}, forward: a}
  - {match: {dst: "2001:db8::/32", proto: tcp}, forward: b}
  - {match: {vlan: 100}, forward: a}
  - {match: {dscp: 46}, forward: b}
  - {match: {tcp_flags: [syn, "!ack"]}, forward: a}
  - {match: {ethertype: arp}, drop: true}
)");
  const Bytes dns = Udp("10.0.0.1", "10.9.1.1", 5000, 53);
  const Bytes other = Udp("10.0.0.1", "10.9.1.1", 5000, 54);
  const Bytes range_lo = Udp("10.0.0.1", "10.1.1.1", 1000, 80);
  const Bytes range_hi = Udp("10.0.0.1", "10.1.1.1", 1999, 80);
  const Bytes past_range = Udp("10.0.0.1", "10.1.1.1", 2000, 80);
  const Bytes v6 = FrameBuilder().Ipv6({.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}}).Tcp({.src_port = 5000}).Build();
  const Bytes v6_udp = FrameBuilder().Ipv6({.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}}).Udp({.src_port = 5000}).Build();
  const Bytes tagged = FrameBuilder().Vlan(100).Ipv4().Udp({.src_port = 5000}).Build();
  const Bytes tagged_other = FrameBuilder().Vlan(101).Ipv4().Udp({.src_port = 5000}).Build();
  const Bytes ef = FrameBuilder().Ipv4({.tos = 46 << 2}).Udp({.src_port = 5000}).Build();
  const Bytes syn = FrameBuilder().Ipv4().Tcp({.src_port = 5000, .flags = 0x02}).Build();
  const Bytes syn_ack = FrameBuilder().Ipv4().Tcp({.src_port = 5000, .flags = 0x12}).Build();
  const Bytes arp = FrameBuilder().Arp().Build();
  const std::vector<uint16_t> got =
      Outputs({dns, other, range_lo, range_hi, past_range, v6, v6_udp, tagged, tagged_other, ef, syn, syn_ack, arp});
  const std::vector<uint16_t> want = {1, 2, 1, 1, 3, 2, 3, 1, 3, 2, 1, 3, rules::kNoPort};
  EXPECT_EQ(got, want);
  EXPECT_EQ(hits_[0].Load(), 1u);
  EXPECT_EQ(hits_[1].Load(), 1u);
  EXPECT_EQ(hits_[2].Load(), 2u);
  EXPECT_EQ(hits_[7].Load(), 1u);
  EXPECT_EQ(Drops(stats::OtherDrop::kRuleDrop), 1u);
}

TEST_F(RulesTest, InnerFieldsMatchOnlyTunnelledPackets) {
  Compile(R"(  - {match: {inner: {dst: 192.168.7.0/24, proto: udp}}, forward: a}
  - {match: {inner: {}}, forward: b}
)");
  const Bytes inner = Udp("192.168.1.1", "192.168.7.7", 1234, 99);
  const Bytes inner_other = Udp("192.168.1.1", "192.168.8.8", 1234, 99);
  auto vxlan = [](const Bytes& frame) {
    Bytes payload = {0x08, 0, 0, 0, 0, 0, 0x2a, 0};  // VXLAN, VNI 42
    payload.insert(payload.end(), frame.begin(), frame.end());
    return FrameBuilder().Ipv4().Udp({.src_port = 40000, .dst_port = 4789}).Payload(payload).Build();
  };
  const packet::ParseOptions parse{.tunnels = packet::kTunnelAll};
  std::vector<uint16_t> got;
  for (const Bytes& f : {vxlan(inner), vxlan(inner_other), inner}) {
    std::vector<rte_mbuf*> kept = Run({f}, parse);
    ASSERT_EQ(kept.size(), 1u);
    got.push_back(packet::Meta(kept[0]).out_port);
    rte_pktmbuf_free(kept[0]);
  }
  EXPECT_EQ(got, (std::vector<uint16_t>{1, 2, 3}));
}

TEST_F(RulesTest, InputPortSelectsItsRules) {
  Compile("  - {in: wire2, match: {proto: udp}, forward: b}\n  - {in: wire, match: {proto: udp}, forward: a}\n");
  EXPECT_EQ(Outputs({Udp("10.0.0.1", "10.0.0.2", 1, 2)}), std::vector<uint16_t>{1});
  std::vector<rte_mbuf*> from_wire2 = Run({Udp("10.0.0.1", "10.0.0.2", 1, 2)}, {}, 4);
  ASSERT_EQ(from_wire2.size(), 1u);
  EXPECT_EQ(packet::Meta(from_wire2[0]).out_port, 2);
  rte_pktmbuf_free(from_wire2[0]);
}

TEST_F(RulesTest, MirrorAddsAnIndirectCopyThatSharesTheBytes) {
  Compile("  - {match: {proto: udp}, forward: a, mirror: b}\n");
  const std::vector<Bytes> frames = {Udp("10.0.0.1", "10.0.0.2", 1, 2), FrameBuilder().Ipv4().Tcp().Build(),
                                     Udp("10.0.0.3", "10.0.0.4", 3, 4)};
  std::vector<rte_mbuf*> out = Run(frames);
  ASSERT_EQ(out.size(), 5u);  // three originals in order, then the two copies
  EXPECT_EQ(packet::Meta(out[0]).out_port, 1);
  EXPECT_EQ(packet::Meta(out[1]).out_port, 3);
  EXPECT_EQ(packet::Meta(out[2]).out_port, 1);
  for (size_t i = 3; i < 5; ++i) {
    rte_mbuf* copy = out[i];
    rte_mbuf* original = out[i == 3 ? 0 : 2];
    EXPECT_TRUE(RTE_MBUF_CLONED(copy));
    EXPECT_EQ(packet::Meta(copy).out_port, 2);
    EXPECT_EQ(rte_pktmbuf_mtod(copy, const void*), rte_pktmbuf_mtod(original, const void*)) << "no copy of bytes";
    EXPECT_EQ(copy->pkt_len, original->pkt_len);
  }
  EXPECT_EQ(counters_.clones.Load(), 2u);
  for (rte_mbuf* m : out) rte_pktmbuf_free(m);
}

TEST_F(RulesTest, SampleLetsTheFirstOfEveryNGoOn) {
  Compile("  - {match: {proto: udp}, sample: 4, forward: a}\n");
  std::vector<Bytes> frames;
  for (int i = 0; i < 10; ++i) frames.push_back(Udp("10.0.0.1", "10.0.0.2", static_cast<uint16_t>(i), 2));
  std::vector<rte_mbuf*> out = Run(frames);
  ASSERT_EQ(out.size(), 3u);  // packets 0, 4 and 8
  EXPECT_EQ(rte_pktmbuf_mtod(out[1], const uint8_t*)[34 + 1], 4) << "source port 4";
  EXPECT_EQ(Drops(stats::OtherDrop::kSampledOut), 7u);
  EXPECT_EQ(hits_[0].Load(), 10u);
  for (rte_mbuf* m : out) rte_pktmbuf_free(m);
}

TEST_F(RulesTest, BalanceKeepsBothDirectionsTogetherAndSpreadsFlows) {
  Compile("  - {match: {proto: udp}, balance: [a, b, c]}\n");
  std::map<uint16_t, unsigned> per_port;
  constexpr unsigned kFlows = 3000;
  for (unsigned f = 0; f < kFlows; ++f) {
    const std::string x = "10.0." + std::to_string(f / 250) + "." + std::to_string(f % 250 + 1);
    const std::string y = "172.16." + std::to_string(f % 7) + "." + std::to_string(f % 200 + 1);
    const auto sport = static_cast<uint16_t>(1024 + f);
    const auto dport = static_cast<uint16_t>(53 + f % 5);
    const std::vector<uint16_t> out = Outputs({Udp(x.c_str(), y.c_str(), sport, dport), Udp(y.c_str(), x.c_str(), dport, sport)});
    ASSERT_EQ(out[0], out[1]) << "flow " << f << " split";
    ++per_port[out[0]];
  }
  ASSERT_EQ(per_port.size(), 3u);
  for (const auto& [port, flows] : per_port) {
    std::printf("[ figure   ] balance: port %u got %u of %u flows\n", port, flows, kFlows);
    EXPECT_NEAR(flows, kFlows / 3.0, kFlows / 3.0 * 0.10) << "port " << port;
  }
}

// One flow hash: a balance rule (hashing its rules' key) picks the port a fan-out
// (hashing the packet's headers) would pick for the same share, for IPv4 and IPv6.
TEST_F(RulesTest, TheBalanceHashIsTheFanOutHash) {
  Compile("  - {match: {proto: udp}, balance: [a, b, c]}\n");
  std::map<uint16_t, unsigned> per_port;
  for (unsigned f = 0; f < 600; ++f) {
    const auto sport = static_cast<uint16_t>(1024 + f);
    framegen::Ipv6Addr x{0x20, 0x01, 0x0d, 0xb8}, y{0xfd};
    x[15] = static_cast<uint8_t>(f);
    y[14] = static_cast<uint8_t>(f >> 3);
    const Bytes frame = f % 2 ? Udp(("10.1.0." + std::to_string(f % 250)).c_str(), "192.0.2.7", sport, 53)
                              : FrameBuilder().Ipv6({.src = x, .dst = y}).Udp({.src_port = sport, .dst_port = 53}).Build();
    std::vector<rte_mbuf*> out = Run({frame});
    ASSERT_EQ(out.size(), 1u);
    const uint32_t hash = SymmetricPacketHash(out[0], packet::Meta(out[0]));
    EXPECT_EQ(packet::Meta(out[0]).out_port, 1 + PickReplica(hash, 3)) << "flow " << f;
    ++per_port[packet::Meta(out[0]).out_port];
    rte_pktmbuf_free(out[0]);
  }
  EXPECT_EQ(per_port.size(), 3u);
}

TEST_F(RulesTest, TenThousandRulesCompileAndClassify) {
  // Rule i: destination 10.(i/256).(i%256).0/24, UDP port 1000 + i % 50000.
  std::string yaml;
  constexpr unsigned kRules = 10000;
  for (unsigned i = 0; i < kRules; ++i)
    yaml += "  - {match: {dst: 10." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
            ".0/24, dst_port: " + std::to_string(1000 + i) + "}, forward: " + (i % 2 ? "a" : "b") + "}\n";
  Compile(yaml);
  std::printf("[ figure   ] %u rules compiled in %.1f ms\n", kRules, set_->build_us() / 1000);
  std::vector<Bytes> frames;
  for (unsigned i : {0u, 1u, 4999u, 9998u, 9999u}) {
    const std::string dst = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".9";
    frames.push_back(Udp("10.200.0.1", dst.c_str(), 7, static_cast<uint16_t>(1000 + i)));
  }
  frames.push_back(Udp("10.200.0.1", "10.0.0.9", 7, 999));  // no rule: the port map
  EXPECT_EQ(Outputs(frames), (std::vector<uint16_t>{2, 1, 1, 2, 1, 3}));
  EXPECT_EQ(hits_[9999].Load(), 1u);
  EXPECT_EQ(hits_[4999].Load(), 1u);
}

}  // namespace
}  // namespace ingestd::stages
