// SPDX-License-Identifier: BSD-3-Clause
// The stats and parse sections: defaults, values, and their errors at their line:col.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace ingestd::config::testing {
namespace {

TEST(StatsSectionTest, DefaultsWhenAbsent) {
  const RuntimeConfig cfg = Load(kOnePortConfig);
  EXPECT_EQ(cfg.stats.period_ms, 100u);
  EXPECT_EQ(cfg.stats.stage_timing_every, 8u);
  EXPECT_FALSE(cfg.stats.instance.has_value());
}

TEST(StatsSectionTest, ValuesAreRead) {
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + R"(stats:
  period_ms: 250
  stage_timing_every: 1
  instance: edge1-stats
)");
  EXPECT_EQ(cfg.stats.period_ms, 250u);
  EXPECT_EQ(cfg.stats.stage_timing_every, 1u);
  EXPECT_EQ(cfg.stats.instance, "edge1-stats");
}

TEST(StatsSectionTest, GroupIsResolvedWhenLoaded) {
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + "stats:\n  group: root\n");
  EXPECT_EQ(cfg.stats.group, "root");
  EXPECT_EQ(cfg.stats.group_id, 0u);
  const auto errors = ErrorsOf(std::string(kOnePortConfig) + "stats:\n  group: no-such-group-ingestd\n");
  EXPECT_TRUE(HasError(errors, 16, 10, "group 'no-such-group-ingestd' does not exist"));
}

TEST(ParseSectionTest, OptionsAreRead) {
  const RuntimeConfig defaults = Load(kOnePortConfig);
  EXPECT_EQ(defaults.parse.vlan_depth, 2);
  EXPECT_EQ(defaults.parse.tunnels, 0);
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + R"(parse:
  vlan_depth: 4
  verify_ipv4_checksum: true
  tunnels: [vxlan, gtpu]
  vxlan_port: 8472
)");
  EXPECT_EQ(cfg.parse.vlan_depth, 4);
  EXPECT_TRUE(cfg.parse.verify_ipv4_checksum);
  EXPECT_EQ(cfg.parse.tunnels, packet::kTunnelVxlan | packet::kTunnelGtpU);
  EXPECT_EQ(cfg.parse.vxlan_port, 8472);
}

TEST(ParseSectionTest, ErrorsAtTheirPosition) {
  const auto errors = ErrorsOf(std::string(kOnePortConfig) + R"(parse:
  vlan_depth: 5
  tunnels: [vxlan, vxlam]
)");
  EXPECT_TRUE(HasError(errors, 16, 15, "vlan_depth 5 is out of range 0..4"));
  EXPECT_TRUE(HasError(errors, 17, 20, "vxlam"));
}

TEST(StatsSectionTest, ErrorsAtTheirPosition) {
  const auto errors = ErrorsOf(std::string(kOnePortConfig) + R"(stats:
  period_ms: 5
  stage_timing_every: 6
  instance: "../x"
  perod_ms: 100
)");
  EXPECT_TRUE(HasError(errors, 16, 14, "period_ms 5 is out of range 10..60000"));
  EXPECT_TRUE(HasError(errors, 17, 23, "not a power of two"));
  EXPECT_TRUE(HasError(errors, 18, 13, "instance '../x' is rejected"));
  EXPECT_TRUE(HasError(errors, 19, 3, "unknown key 'perod_ms'"));
}

}  // namespace
}  // namespace ingestd::config::testing
