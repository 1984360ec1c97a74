// SPDX-License-Identifier: BSD-3-Clause
// The capture section: defaults, values, and its errors (a bad filter with libpcap's message) at line:col.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace ingestd::config::testing {
namespace {

TEST(CaptureSectionTest, DefaultsWhenAbsent) {
  const RuntimeConfig cfg = Load(kOnePortConfig);
  EXPECT_EQ(cfg.capture.ring_size, 512u);
  EXPECT_FALSE(cfg.capture.drops.has_value());
}

TEST(CaptureSectionTest, ValuesAreRead) {
  const RuntimeConfig cfg = Load(std::string(kOnePortConfig) + R"(capture:
  ring_size: 64
  drops:
    file: captures/drops.pcapng
    filter: udp and port 53
    snaplen: 128
    packets: 500
)");
  EXPECT_EQ(cfg.capture.ring_size, 64u);
  ASSERT_TRUE(cfg.capture.drops.has_value());
  EXPECT_EQ(cfg.capture.drops->file, "/cfg/captures/drops.pcapng");  // relative to the file
  EXPECT_EQ(cfg.capture.drops->filter, "udp and port 53");
  EXPECT_EQ(cfg.capture.drops->snaplen, 128u);
  EXPECT_EQ(cfg.capture.drops->packets, 500u);
  const RuntimeConfig minimal = Load(std::string(kOnePortConfig) + "capture:\n  drops: {file: /var/tmp/d.pcapng}\n");
  EXPECT_EQ(minimal.capture.drops->snaplen, 65535u);
  EXPECT_EQ(minimal.capture.drops->packets, 10000u);
  EXPECT_TRUE(minimal.capture.drops->filter.empty());
}

TEST(CaptureSectionTest, ABadFilterIsLocatedWithLibpcapsMessage) {
  const auto errors = ErrorsOf(std::string(kOnePortConfig) + R"(capture:
  drops:
    file: d.pcapng
    filter: udp port
)");
  EXPECT_TRUE(HasError(errors, 18, 13, "filter 'udp port': can't parse filter expression: syntax error"));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].hint().find("pcap-filter(7)"), std::string::npos);
}

TEST(CaptureSectionTest, MistakesAreLocated) {
  const auto errors = ErrorsOf(std::string(kOnePortConfig) + R"(capture:
  ring_size: 100
  drops:
    snaplen: 10
    packets: 0
    fille: x
)");
  EXPECT_TRUE(HasError(errors, 16, 14, "ring_size")) << Dump(errors);
  EXPECT_TRUE(HasError(errors, 18, 5, "missing required key 'file'")) << Dump(errors);
  EXPECT_TRUE(HasError(errors, 18, 14, "snaplen")) << Dump(errors);
  EXPECT_TRUE(HasError(errors, 19, 14, "packets")) << Dump(errors);
  EXPECT_TRUE(HasError(errors, 20, 5, "unknown key 'fille' in capture.drops")) << Dump(errors);
}

}  // namespace
}  // namespace ingestd::config::testing
