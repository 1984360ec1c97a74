// SPDX-License-Identifier: BSD-3-Clause
// Fan-out by flow: one RX lcore parses and spreads packets over two lcores, each
// transmitting on its own TX queue (net_pcap: one capture per queue); or over itself and
// one more, keeping its own share.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;

// Untagged IPv4/UDP: addresses at 26..33, ports at 34..37.
constexpr size_t kSrcIp = 26, kDstIp = 30, kSrcPort = 34, kDstPort = 36;

/// The same frame the other way: MACs, addresses and ports swapped (the IPv4 and
/// UDP checksums are sums, so they stay valid).
Bytes Reversed(Bytes f) {
  std::swap_ranges(f.begin(), f.begin() + 6, f.begin() + 6);
  std::swap_ranges(f.begin() + kSrcIp, f.begin() + kSrcIp + 4, f.begin() + kDstIp);
  std::swap_ranges(f.begin() + kSrcPort, f.begin() + kSrcPort + 2, f.begin() + kDstPort);
  return f;
}

/// A flow without its direction: the smaller endpoint first.
using Endpoint = std::array<uint8_t, 6>;
std::pair<Endpoint, Endpoint> FlowOf(const Bytes& f) {
  Endpoint a, b;
  std::copy_n(f.begin() + kSrcIp, 4, a.begin());
  std::copy_n(f.begin() + kSrcPort, 2, a.begin() + 4);
  std::copy_n(f.begin() + kDstIp, 4, b.begin());
  std::copy_n(f.begin() + kDstPort, 2, b.begin() + 4);
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

/// Both fan-outs: over lcores 2 and 3 fed by lcore 1, and over lcores 1 and 2 with lcore 1
/// keeping a third of the flows (weights 1 and 2).
class FanoutLayouts : public ::testing::TestWithParam<Layout> {};

TEST_P(FanoutLayouts, BothDirectionsOfAFlowReachOneLcoreAndNothingIsLost) {
  const bool keeps_share = GetParam() == Layout::kFanoutKeepingShare;
  TempDir dir;
  // 400 flows, each seen both ways, interleaved: 4,000 frames.
  std::vector<Bytes> frames;
  for (Bytes& f : framegen::UdpTraffic(11, 2000, 128, 400)) {
    Bytes back = Reversed(f);
    frames.push_back(std::move(f));
    frames.push_back(std::move(back));
  }
  Scenario s;
  s.prefix = UniquePrefix(keeps_share ? "fanout-keep" : "fanout-directions");
  s.layout = GetParam();
  s.ring_policy = "backpressure";  // lossless: every frame must come out
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ExpectConserved(o.stats);
  EXPECT_EQ(o.stats.at("totals").at("tx_packets").get<uint64_t>(), frames.size());
  ASSERT_EQ(o.output_by_queue.size(), 2u);

  // Every flow, both directions, left through one queue only, in input order.
  std::map<std::pair<Endpoint, Endpoint>, std::set<size_t>> queues_of;
  size_t out = 0;
  for (size_t q = 0; q < 2; ++q) {
    for (const Bytes& f : o.output_by_queue[q]) queues_of[FlowOf(f)].insert(q);
    out += o.output_by_queue[q].size();
    // Within a queue, each flow's frames keep their order: the queue's frames are a
    // subsequence of the input.
    size_t at = 0;
    for (const Bytes& f : o.output_by_queue[q]) {
      while (at < frames.size() && frames[at] != f) ++at;
      ASSERT_LT(at, frames.size()) << "queue " << q << " reordered the input";
      ++at;
    }
  }
  EXPECT_EQ(out, frames.size());
  ASSERT_EQ(queues_of.size(), 400u);
  for (const auto& [flow, queues] : queues_of) EXPECT_EQ(queues.size(), 1u);

  const auto& lcores = o.stats.at("lcores");
  const auto counter = [&](size_t i, const char* name) { return lcores[i].at("counters").at(name).get<uint64_t>(); };
  if (!keeps_share) {
    // The hash spreads: each lcore of the fan-out took a fair share (400 flows).
    ASSERT_EQ(lcores.size(), 3u);
    EXPECT_EQ(lcores[0].at("stages"), "rx..parse");
    uint64_t in = 0;
    for (size_t i = 1; i < 3; ++i) {
      EXPECT_EQ(lcores[i].at("stages"), "process..tx");
      const uint64_t n = counter(i, "ring_in_pkts");
      EXPECT_GT(n, frames.size() / 4) << "lcore " << lcores[i].at("lcore");
      EXPECT_EQ(n, counter(i, "tx_pkts"));
      in += n;
    }
    EXPECT_EQ(in, counter(0, "ring_out_pkts"));
    // Each ring counts what it carried to its lcore: the spread shows per ring.
    ASSERT_EQ(o.stats.at("rings").size(), 2u);
    for (size_t i = 1; i < 3; ++i) {
      const auto& ring = o.stats.at("rings")[i - 1];
      EXPECT_EQ(ring.at("to_lcore"), lcores[i].at("lcore"));
      EXPECT_EQ(ring.at("packets").get<uint64_t>(), counter(i, "ring_in_pkts"));
      EXPECT_EQ(ring.at("dropped").get<uint64_t>(), 0u);
    }
    return;
  }
  // Lcore 1 receives everything, keeps its third and transmits it itself; lcore 2 gets the
  // rest through the one ring. Shares follow the weights (400 flows: within a few points).
  ASSERT_EQ(lcores.size(), 2u);
  EXPECT_EQ(lcores[0].at("stages"), "rx..tx");
  EXPECT_EQ(lcores[1].at("stages"), "process..tx");
  const uint64_t kept = counter(0, "tx_pkts"), handed = counter(0, "ring_out_pkts");
  EXPECT_EQ(counter(0, "rx_pkts"), frames.size());
  EXPECT_EQ(kept + handed, frames.size());
  EXPECT_EQ(counter(1, "ring_in_pkts"), handed);
  EXPECT_EQ(counter(1, "tx_pkts"), handed);
  EXPECT_GT(kept, frames.size() * 25 / 100);
  EXPECT_LT(kept, frames.size() * 42 / 100);
  EXPECT_EQ(o.output_by_queue[0].size(), kept) << "the first lcore's TX queue is queue 0";
  ASSERT_EQ(o.stats.at("rings").size(), 1u);
  EXPECT_EQ(o.stats.at("rings")[0].at("packets").get<uint64_t>(), handed);
}

INSTANTIATE_TEST_SUITE_P(Fanout, FanoutLayouts, ::testing::Values(Layout::kFanout, Layout::kFanoutKeepingShare),
                         [](const ::testing::TestParamInfo<Layout>& p) {
                           return p.param == Layout::kFanout ? "OverTwoMoreLcores" : "FirstLcoreKeepsAThird";
                         });

TEST(Fanout, MixedTrafficMatchesRunToCompletionAsASet) {
  // Malformed frames, VLANs, IPv6, tunnels, fragments: the same frames leave and the
  // same drops are counted as with one lcore; only the interleaving of flows differs.
  TempDir dir;
  std::vector<Bytes> frames;
  for (auto& f : framegen::MixedTraffic(5, 3000)) frames.push_back(std::move(f.bytes));
  Scenario rtc;
  rtc.prefix = UniquePrefix("fanout-rtc");
  const Outcome a = RunScenario(rtc, frames, dir);
  ASSERT_EQ(a.run.exit_code, 0) << a.run.out << a.run.err;
  std::vector<Bytes> want = a.output;
  std::sort(want.begin(), want.end());
  EXPECT_FALSE(want.empty());
  for (const Layout layout : {Layout::kFanout, Layout::kFanoutKeepingShare}) {
    Scenario fan;
    fan.prefix = UniquePrefix(layout == Layout::kFanout ? "fanout-mixed" : "fanout-keep-mixed");
    fan.layout = layout;
    fan.ring_policy = "backpressure";
    const Outcome b = RunScenario(fan, frames, dir);
    ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
    ExpectConserved(b.stats);
    std::vector<Bytes> got = b.output_by_queue.at(0);
    got.insert(got.end(), b.output_by_queue.at(1).begin(), b.output_by_queue.at(1).end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << fan.prefix;
    EXPECT_EQ(b.stats.at("totals").at("drops"), a.stats.at("totals").at("drops")) << fan.prefix;
  }
}

}  // namespace
}  // namespace ingestd::testing
