// SPDX-License-Identifier: BSD-3-Clause
// ConfigBuilder's YAML is what the loader accepts, with the stages and layouts it says.
#include "config_builder.hpp"

#include <gtest/gtest.h>

#include "ingestd/config/config.hpp"

namespace ingestd::testing {
namespace {

using config::Stage;

config::RuntimeConfig Load(const ConfigBuilder& b) { return config::LoadConfigFromString(b.Yaml(), "builder.yaml"); }

ConfigBuilder TwoPorts(Layout layout) {
  ConfigBuilder b("builder-test");
  b.Port("in", "net_null0").Queues(1, 1);
  b.Port("out", "net_null1").Queues(0, TransmitsOnTwoQueues(layout) ? 2 : 1);  // a TX queue per transmitting lcore
  b.Chain({"in"}).Segments(layout);
  if (layout == Layout::kStagePerLcore) b.Mempool(16383);  // four rings of 1024 besides the descriptors
  b.Route("in", "out");
  return b;
}

TEST(ConfigBuilder, TheStageListIsTheConfigsOwn) {
  ASSERT_EQ(AllStages().size(), config::kStageCount);
  for (unsigned i = 0; i < config::kStageCount; ++i) EXPECT_EQ(AllStages()[i], config::kStageNames[i]);
}

TEST(ConfigBuilder, EachLayoutLoadsAsTheSegmentsItNames) {
  const config::RuntimeConfig rtc = Load(TwoPorts(Layout::kRunToCompletion));
  ASSERT_EQ(rtc.pipeline.chains.size(), 1u);
  ASSERT_EQ(rtc.pipeline.chains[0].segments.size(), 1u);
  EXPECT_EQ(rtc.pipeline.chains[0].segments[0].lcore, 1u);
  EXPECT_EQ(rtc.pipeline.chains[0].segments[0].first, Stage::kRx);
  EXPECT_EQ(rtc.pipeline.chains[0].segments[0].last, Stage::kTx);

  const config::RuntimeConfig pipeline = Load(TwoPorts(Layout::kPipeline));
  const auto& two = pipeline.pipeline.chains.at(0).segments;
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].last, Stage::kParse);
  EXPECT_EQ(two[1].first, Stage::kProcess);
  EXPECT_EQ(two[1].lcore, 2u);
  EXPECT_EQ(two[1].cpu, 0u);

  const config::RuntimeConfig per_lcore = Load(TwoPorts(Layout::kStagePerLcore));
  const auto& five = per_lcore.pipeline.chains.at(0).segments;
  ASSERT_EQ(five.size(), config::kStageCount);
  for (unsigned i = 0; i < five.size(); ++i) {
    EXPECT_EQ(five[i].lcore, i + 1);
    EXPECT_EQ(five[i].cpu, i % 2 == 0 ? 1u : 0u);
    EXPECT_EQ(five[i].first, five[i].last);
    EXPECT_EQ(five[i].first, static_cast<Stage>(i));
  }

  const config::RuntimeConfig fanout = Load(TwoPorts(Layout::kFanout));
  const auto& fan = fanout.pipeline.chains.at(0).segments;
  ASSERT_EQ(fan.size(), 3u);  // one lcore per replica
  EXPECT_EQ(fan[0].last, Stage::kParse);
  for (unsigned i = 1; i < 3; ++i) {
    EXPECT_EQ(fan[i].lcore, i + 1);
    EXPECT_EQ(fan[i].cpu, i - 1);
    EXPECT_EQ(fan[i].replicas, 2u);
    EXPECT_EQ(fan[i].first, Stage::kProcess);
  }

  // Keeping a share: lcore 1 is the fan-out's first lcore too (on its CPU), weights 1 and 2.
  const config::RuntimeConfig keep = Load(TwoPorts(Layout::kFanoutKeepingShare));
  const config::ChainConfig& kc = keep.pipeline.chains.at(0);
  ASSERT_EQ(kc.segments.size(), 3u);
  EXPECT_TRUE(kc.OwnsLcore(0));
  EXPECT_FALSE(kc.OwnsLcore(1));
  EXPECT_TRUE(kc.OwnsLcore(2));
  EXPECT_EQ(kc.segments[1].lcore, 1u);
  EXPECT_EQ(kc.segments[1].cpu, 1u);
  EXPECT_EQ(kc.segments[1].weight, 1u);
  EXPECT_EQ(kc.segments[2].lcore, 2u);
  EXPECT_EQ(kc.segments[2].cpu, 0u);
  EXPECT_EQ(kc.segments[2].weight, 2u);
}

TEST(ConfigBuilder, FieldsArgsAndSectionsReachTheLoader) {
  ConfigBuilder b("builder-test");
  b.Eal("memory_mb", "128");
  b.Port("in", "net_null0").RxQueues(1);
  b.Port("out", "net_null1").RxQueues(0).Field("set_dst_mac", "02:aa:bb:cc:dd:ee");
  b.Burst(16).Mempool(4095, 128, "stack").Chain({"in"}).RingSize(512).RingPolicy("backpressure").Segment(1, 1);
  b.Route("in", "out").Section("stats", "{period_ms: 10}");
  const config::RuntimeConfig c = Load(b);
  EXPECT_EQ(c.eal.memory_mb, 128u);
  EXPECT_EQ(c.pipeline.burst, 16u);
  EXPECT_EQ(c.pipeline.mempool.mbufs, 4095u);
  EXPECT_EQ(c.pipeline.mempool.cache, 128u);
  EXPECT_EQ(c.pipeline.mempool.handler, config::MempoolHandler::kStack);
  EXPECT_EQ(c.pipeline.chains.at(0).ring_size, 512u);
  EXPECT_EQ(c.pipeline.chains.at(0).ring_policy, config::RingPolicy::kBackpressure);
  EXPECT_EQ(c.stats.period_ms, 10u);
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[1].rx_queues, 0u);
}

TEST(ConfigBuilder, LineOfCountsFromOne) {
  EXPECT_EQ(LineOf("a\nb\nc: x\n", "c: x"), 3u);
  EXPECT_EQ(LineOf("a\n", "a"), 1u);
  EXPECT_EQ(LineOf("a\n", "z"), 0u);
}

}  // namespace
}  // namespace ingestd::testing
