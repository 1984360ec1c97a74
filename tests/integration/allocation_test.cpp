// SPDX-License-Identifier: BSD-3-Clause
// The allocation counters on the real binary: zero heap allocations, no packet bytes
// moved and one mbuf per packet in steady state; a build that allocates once per packet
// and a run that pushes a VLAN tag (12 bytes moved per packet) read exactly that.
#include <cstdlib>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ingestd::testing {
namespace {

uint64_t SumOverLcores(const nlohmann::json& stats, const char* counter) {
  uint64_t n = 0;
  for (const auto& l : stats.at("lcores")) n += l.at("counters").at(counter).get<uint64_t>();
  return n;
}

Scenario SteadyStateScenario(const std::string& name) {
  Scenario s;
  s.prefix = UniquePrefix(name);
  s.infinite_rx = true;  // replays the capture until --packets
  s.null_output = true;  // counts and frees: nothing is written
  return s;
}

TEST(Allocation, SteadyStateTakesOneMbufAndNoHeapPerPacket) {
  TempDir dir;
  constexpr uint64_t kPackets = 1'200'000;
  const Outcome o = RunScenario(SteadyStateScenario(CurrentTestName()), framegen::UdpTraffic(1, 256, 64),
                                dir, {.binary = {}, .packets = kPackets});
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  EXPECT_EQ(o.stats.at("totals").at("rx_packets").get<uint64_t>(), kPackets);
  EXPECT_EQ(SumOverLcores(o.stats, "heap_allocs"), 0u) << "the data path allocated";
  EXPECT_EQ(SumOverLcores(o.stats, "heap_bytes"), 0u);
  EXPECT_EQ(SumOverLcores(o.stats, "bytes_copied"), 0u);
  EXPECT_EQ(SumOverLcores(o.stats, "mbufs_taken"), kPackets) << "one mbuf per packet";
  ExpectConserved(o.stats);
}

// The zero above can fail: the same run with a VLAN push on the output moves the two MAC
// addresses of every packet (rte_vlan_insert's memmove) and must count exactly those.
TEST(Allocation, AVlanPushCountsTwelveBytesCopiedPerPacket) {
  TempDir dir;
  constexpr uint64_t kPackets = 200'000;
  Scenario s = SteadyStateScenario(CurrentTestName());
  s.out_port_fields = {{"encode", "{vlan: {push: 100}}"}};
  const Outcome o = RunScenario(s, framegen::UdpTraffic(3, 256, 64), dir, {.binary = {}, .packets = kPackets});
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  EXPECT_EQ(o.stats.at("totals").at("rx_packets").get<uint64_t>(), kPackets);
  EXPECT_EQ(SumOverLcores(o.stats, "bytes_copied"), 12 * kPackets);
  EXPECT_DOUBLE_EQ(o.stats.at("allocation").at("bytes_copied_per_packet").get<double>(), 12.0);
  EXPECT_EQ(SumOverLcores(o.stats, "heap_allocs"), 0u);
  EXPECT_EQ(SumOverLcores(o.stats, "mbufs_taken"), kPackets) << "the tag goes into the headroom: no new mbuf";
  ExpectConserved(o.stats);
}

TEST(Allocation, ABuildThatAllocatesPerPacketIsCaught) {
  const char* probe = std::getenv("INGESTD_ALLOC_PROBE_BIN");
  ASSERT_NE(probe, nullptr) << "INGESTD_ALLOC_PROBE_BIN is not set (run through meson test)";
  TempDir dir;
  constexpr uint64_t kPackets = 200'000;
  const Outcome o = RunScenario(SteadyStateScenario(CurrentTestName()), framegen::UdpTraffic(2, 256, 64),
                                dir, {.binary = probe, .packets = kPackets});
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  // The probe mallocs 64 bytes per packet just before TX, and frees them.
  EXPECT_EQ(SumOverLcores(o.stats, "heap_allocs"), kPackets);
  EXPECT_EQ(SumOverLcores(o.stats, "heap_bytes"), 64 * kPackets);
  EXPECT_EQ(SumOverLcores(o.stats, "heap_frees"), kPackets);
  ExpectConserved(o.stats);
}

}  // namespace
}  // namespace ingestd::testing
