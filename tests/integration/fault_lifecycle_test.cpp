// SPDX-License-Identifier: BSD-3-Clause
// The production binary under two lifecycle faults: SIGTERM at random moments under load
// (nothing lost, every mbuf back), and stats readers attaching and detaching a thousand
// times (no descriptor or mapping left behind, on either side).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "live_stats.hpp"

namespace ingestd::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

void SleepMs(uint64_t ms) {
  const timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
  nanosleep(&ts, nullptr);
}

uint64_t RxPackets(const LiveReport& r) { return r.json.at("totals").at("rx_packets").get<uint64_t>(); }

/// A seed from INGESTD_TEST_SEED (to replay a run), else a fresh one. Printed either way.
uint64_t TestSeed() {
  const char* env = std::getenv("INGESTD_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::cout << "[ seed     ] " << CurrentTestName() << ": INGESTD_TEST_SEED=" << seed << "\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

TEST(FaultLifecycle, SigtermAtRandomMomentsUnderLoadLosesNothing) {
  constexpr int kRuns = 20;
  constexpr uint64_t kMaxDelayMs = 150;
  std::mt19937_64 rng(TestSeed());
  std::uniform_int_distribution<uint64_t> delay_ms(0, kMaxDelayMs);
  TempDir dir;
  const std::string rx_pcap = dir.File("in.pcap");
  framegen::WritePcap(rx_pcap, framegen::UdpTraffic(7, 256, 64));
  const auto start = std::chrono::steady_clock::now();

  for (int i = 0; i < kRuns; ++i) {
    // Both layouts, and both ring policies for the pipeline.
    Scenario s;
    s.prefix = UniquePrefix(fmt::format("sigterm{}", i));
    s.layout = i % 2 == 0 ? Layout::kRunToCompletion : Layout::kPipeline;
    s.ring_policy = i % 4 == 3 ? "backpressure" : "drop";
    s.infinite_rx = true;
    s.null_output = true;
    s.rx_pcap = rx_pcap;
    s.extra_yaml = "stats:\n  period_ms: 10\n";
    dir.OwnSegment(s.prefix);
    const std::string config = dir.File(s.prefix + ".yaml");
    WriteText(config, s.Yaml());
    const std::string stats = dir.File(s.prefix + "-stats.json");
    const uint64_t delay = delay_ms(rng);
    SCOPED_TRACE(fmt::format("run {}: {} {}, SIGTERM {} ms after forwarding began", i,
                             s.layout == Layout::kPipeline ? "pipeline" : "run-to-completion", s.ring_policy,
                             delay));

    // Bounded by --duration should the signal be lost.
    Child child({IngestdBinary(), "-c", config, "--duration", "20", "--final-stats", stats}, dir, s.prefix);
    ASSERT_TRUE(PollLive(s.prefix, [](const LiveReport& r) { return RxPackets(r) > 0; }, 20s))
        << "never forwarded: " << child.Stderr();
    SleepMs(delay);  // the random moment: not a synchronisation
    child.Signal(SIGTERM);
    ASSERT_EQ(child.Wait(20s), 0) << child.Stdout() << child.Stderr();
    const json j = ReadJson(stats);
    EXPECT_NE(child.Stderr().find("received, stopping"), std::string::npos) << "stopped by the signal";
    EXPECT_GT(j.at("totals").at("rx_packets").get<uint64_t>(), 0u);
    ExpectConserved(j);
    std::cout << fmt::format("[ run      ] {:2}: {:17} {:12} delay {:3} ms: rx {} = tx {} + dropped {}, "
                             "mbufs in use {}\n", i,
                             s.layout == Layout::kPipeline ? "pipeline" : "run-to-completion", s.ring_policy, delay,
                             j.at("totals").at("rx_packets").dump(), j.at("totals").at("tx_packets").dump(),
                             j.at("totals").at("dropped").dump(), j.at("totals").at("mbufs_in_use").dump());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("[ figure   ] {} runs in {:.1f} s\n", kRuns, seconds);
  ::testing::Test::RecordProperty("seconds", fmt::format("{:.1f}", seconds));
}

TEST(FaultLifecycle, StatsReadersAttachAndDetachAThousandTimesWithoutLeaks) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;
  s.null_output = true;
  s.extra_yaml = "stats:\n  period_ms: 10\n";
  s.rx_pcap = dir.File("in.pcap");
  dir.OwnSegment(s.prefix);
  framegen::WritePcap(s.rx_pcap, framegen::UdpTraffic(8, 256, 64));
  const std::string config = dir.File("run.yaml");
  WriteText(config, s.Yaml());
  const std::string stats_path = dir.File("stats.json");
  Child child({IngestdBinary(), "-c", config, "--duration", "30", "--final-stats", stats_path}, dir, "ingestd");
  ASSERT_TRUE(PollLive(s.prefix, [](const LiveReport& r) { return RxPackets(r) > 0; }, 20s)) << child.Stderr();

  const auto attach_read_detach = [&] {
    stats::SegmentReader reader;
    if (stats::ReadError e = reader.OpenInstance(s.prefix)) return e.message;
    stats::Snapshot snap;
    if (stats::ReadError e = reader.Read(snap)) return e.message;
    return snap.values.empty() ? std::string("no values") : std::string();
  };  // detached here: the reader unmaps as it goes
  ASSERT_EQ(attach_read_detach(), "");  // first use: lazy allocations happen before counting
  const std::string self = "self";
  const std::string writer = std::to_string(child.pid());
  // This process's mappings of stats segments: its allocator's own mappings come and go
  // with the heap (under AddressSanitizer they grow with its quarantine), so count what
  // a reader maps, not everything.
  const std::string segments = "/dev/shm/ingestd.";
  const size_t fds_before = CountFds(self), maps_before = CountMaps(self, segments);
  const size_t writer_fds_before = CountFds(writer), writer_maps_before = CountMaps(writer);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(attach_read_detach(), "") << "attach " << i;
  const size_t fds_after = CountFds(self), maps_after = CountMaps(self, segments);
  const size_t writer_fds_after = CountFds(writer), writer_maps_after = CountMaps(writer);
  std::cout << fmt::format(
      "[ figure   ] 1000 attach/detach: reader fds {} -> {}, segment maps {} -> {}; ingestd fds {} -> {}, maps {} -> {}\n",
      fds_before, fds_after, maps_before, maps_after, writer_fds_before, writer_fds_after, writer_maps_before,
      writer_maps_after);
  EXPECT_EQ(fds_after, fds_before);
  EXPECT_EQ(maps_after, maps_before);
  EXPECT_EQ(writer_fds_after, writer_fds_before);
  EXPECT_EQ(writer_maps_after, writer_maps_before);

  // ingest-stats as a separate process, a few times: the writer keeps publishing.
  const char* stats_bin = std::getenv("INGEST_STATS_BIN");
  ASSERT_NE(stats_bin, nullptr) << "INGEST_STATS_BIN is not set (run through meson test)";
  uint64_t previous_rx = 0;
  for (int i = 0; i < 5; ++i) {
    Child cli({stats_bin, "--instance", s.prefix, "--json"}, dir, fmt::format("ingest-stats-{}", i));
    ASSERT_EQ(cli.Wait(10s), 0) << cli.Stderr();
    const json j = json::parse(cli.Stdout());
    EXPECT_EQ(j.at("instance").at("state"), "running");
    const uint64_t rx = j.at("totals").at("rx_packets").get<uint64_t>();
    EXPECT_GE(rx, previous_rx);
    previous_rx = rx;
  }
  EXPECT_EQ(CountFds(writer), writer_fds_before);

  child.Signal(SIGTERM);
  ASSERT_EQ(child.Wait(20s), 0) << child.Stdout() << child.Stderr();
  ExpectConserved(ReadJson(stats_path));
}

}  // namespace
}  // namespace ingestd::testing
