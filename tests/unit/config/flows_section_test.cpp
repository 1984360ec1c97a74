// SPDX-License-Identifier: BSD-3-Clause
// The flows section: collectors (IPv4, [IPv6]), the template refresh, and their errors at line:col.
#include <cstring>

#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace ingestd::config::testing {
namespace {

TEST(FlowsSectionTest, Ipv4CollectorAndDefaults) {
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + "flows:\n  ipfix: 192.0.2.10:4739\n");
  EXPECT_TRUE(cfg.flows.enabled);
  EXPECT_FALSE(cfg.flows.ipfix_ipv6);
  EXPECT_EQ(cfg.flows.ipfix_port, 4739);
  const uint8_t v4[4] = {192, 0, 2, 10};
  EXPECT_EQ(std::memcmp(cfg.flows.ipfix_address, v4, 4), 0);
  EXPECT_EQ(cfg.flows.template_refresh_s, 10u);
  EXPECT_EQ(cfg.flows.template_refresh_messages, 20u);
}

TEST(FlowsSectionTest, Ipv6CollectorInBrackets) {
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + "flows:\n  ipfix: \"[2001:db8::10]:2055\"\n");
  EXPECT_TRUE(cfg.flows.ipfix_ipv6);
  EXPECT_EQ(cfg.flows.ipfix_port, 2055);
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  EXPECT_EQ(std::memcmp(cfg.flows.ipfix_address, v6, 16), 0);
  EXPECT_TRUE(Load(std::string(kOnePortConfig) + "flows:\n  ipfix: '[::1]:4739'\n").flows.ipfix_ipv6);
}

TEST(FlowsSectionTest, TemplateRefreshIsRead) {
  const RuntimeConfig cfg =
      Load(std::string(kOnePortConfig) + "flows:\n  ipfix: 127.0.0.1:4739\n  template_refresh_s: 0\n  template_refresh_messages: 1\n");
  EXPECT_EQ(cfg.flows.template_refresh_s, 0u);
  EXPECT_EQ(cfg.flows.template_refresh_messages, 1u);
}

TEST(FlowsSectionTest, BadCollectorsAtTheirPositionWithAHint) {
  auto errors_of = [](const std::string& value) {
    return ErrorsOf(std::string(kOnePortConfig) + "flows:\n  ipfix: " + value + "\n");
  };
  for (const char* bad : {"\"::1:4739\"", "\"2001:db8::10:4739\""}) {
    const auto errors = errors_of(bad);
    EXPECT_TRUE(HasError(errors, 16, 10, "is not an IPv4 or [IPv6] address and UDP port")) << bad;
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].hint().find("brackets"), std::string::npos) << errors[0].hint();
  }
  EXPECT_TRUE(HasError(errors_of("\"[::1]\""), 16, 10, "'[::1]' is not"));
  EXPECT_TRUE(HasError(errors_of("\"[::1]:0\""), 16, 10, "'[::1]:0' is not"));
  EXPECT_TRUE(HasError(errors_of("\"[::1]:70000\""), 16, 10, "'[::1]:70000' is not"));
  EXPECT_TRUE(HasError(errors_of("\"[192.0.2.1]:4739\""), 16, 10, "is not"));
  EXPECT_TRUE(HasError(errors_of("\"[fe80::1%eth0]:4739\""), 16, 10, "is not"));
  EXPECT_TRUE(HasError(errors_of("collector.example:4739"), 16, 10, "is not"));
  EXPECT_TRUE(HasError(errors_of("192.0.2.300:4739"), 16, 10, "is not"));
}

TEST(FlowsSectionTest, TemplateRefreshErrors) {
  const auto range = ErrorsOf(std::string(kOnePortConfig) +
                              "flows:\n  ipfix: 127.0.0.1:4739\n  template_refresh_s: 3601\n  template_refresh_messages: -1\n");
  EXPECT_TRUE(HasError(range, 17, 23, "3601 is out of range 0..3600"));
  EXPECT_TRUE(HasError(range, 18, 30, "template_refresh_messages"));
  const auto never = ErrorsOf(std::string(kOnePortConfig) +
                              "flows:\n  ipfix: 127.0.0.1:4739\n  template_refresh_s: 0\n  template_refresh_messages: 0\n");
  EXPECT_TRUE(HasError(never, 18, 30, "templates would be sent once"));
}

}  // namespace
}  // namespace ingestd::config::testing
