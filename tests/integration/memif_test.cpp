// SPDX-License-Identifier: BSD-3-Clause
// A second DPDK process feeds ingestd over net_memif: dpdk-testpmd in txonly mode,
// driven through its interactive prompt so that its count of packets sent is exact.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/dataplane/eal.hpp"
#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A program found when the build was configured (meson test passes its path).
std::string ToolFromEnv(const char* var, const char* package) {
  const char* path = std::getenv(var);
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error(fmt::format("{} is not set: install {} and reconfigure the build", var, package));
  }
  return path;
}

/// Calls `done` until it returns true or `limit` passes; 1 ms between calls.
bool PollUntil(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    pollfd none{};
    poll(&none, 0, 1);
  }
  return true;
}

/// Packets ingestd has received so far, from its stats segment (0 before the first publish).
uint64_t ReceivedSoFar(const std::string& instance) {
  stats::Snapshot s;
  if (stats::ReadSnapshotOfInstance(instance, s)) return 0;
  return stats::ReportJson(s).at("totals").at("rx_packets").get<uint64_t>();
}

/// Removes a feeder's EAL runtime directory: testpmd leaves it behind.
struct RuntimeDirGuard {
  std::string prefix;
  ~RuntimeDirGuard() { dataplane::RemoveRuntimeFiles("/var/run/dpdk/" + prefix); }
};

std::string MemifConfig(const std::string& prefix, const std::string& socket) {
  ConfigBuilder c(prefix);
  c.Port("feed", "net_memif0")
      .Arg("role", "server").Arg("id", "0").Arg("socket", socket).Arg("socket-abstract", "\"no\"")
      .Queues(1, 1);
  c.Port("out", "net_null1").Queues(0, 1);
  c.Burst(32).Mempool(8191).Chain({"feed"}).Segment(1, 1);
  return c.Route("feed", "out").Yaml();
}

TEST(Memif, TestpmdTxonlyFeedsIngestdAndEveryPacketSentIsReceived) {
  const std::string testpmd = ToolFromEnv("TESTPMD_BIN", "dpdk-dev (dpdk-testpmd)");
  const std::string stdbuf = ToolFromEnv("STDBUF_BIN", "coreutils (stdbuf)");
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  dir.OwnSegment(prefix);
  const std::string socket = dir.File("memif.sock");
  const std::string config = dir.File("memif.yaml");
  const std::string stats = dir.File("stats.json");
  WriteText(config, MemifConfig(prefix, socket));

  // Bounded even if every later step failed: 60 s.
  Child ingestd({IngestdBinary(), "-c", config, "--duration", "60", "--final-stats", stats}, dir, "ingestd");
  // The server's socket exists once EAL has probed the port, and has its final mode once
  // the stats segment exists; the client connects when its own port starts, so after that.
  struct stat st {};
  ASSERT_TRUE(PollUntil(30s, [&] {
    return std::filesystem::exists("/dev/shm/ingestd." + prefix) && stat(socket.c_str(), &st) == 0;
  })) << ingestd.Stderr();
  ASSERT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "only ingestd's owner may connect a feeder";

  // Interactive testpmd reading commands from a pipe: "stop" ends transmission but keeps
  // the memif connection, so nothing is left in flight when the counts are compared.
  // stdbuf: testpmd's statistics go through stdio, which would hold them until exit.
  // The forwarding lcore shares CPU 0 with both main lcores; ingestd's worker has CPU 1.
  const RuntimeDirGuard feeder_dir{prefix + "-feeder"};
  Child feeder({stdbuf, "-oL", testpmd, "--lcores=0@0,1@0", "--no-pci", "--no-huge", "-m", "256",
                "--file-prefix=" + feeder_dir.prefix, "--log-level=error",
                "--vdev=net_memif0,role=client,id=0,socket-abstract=no,socket=" + socket, "--", "-i",
                "--forward-mode=txonly", "--nb-cores=1", "--total-num-mbufs=8192", "--no-mlockall"},
               dir, "testpmd", Child::Stdin::kPipe);
  ASSERT_TRUE(feeder.WriteStdin("start\n"));

  // Throughput while it flows: ingestd's received count over at least a second.
  uint64_t rx0 = 0;
  ASSERT_TRUE(PollUntil(30s, [&] { return (rx0 = ReceivedSoFar(prefix)) > 0; }))
      << "nothing arrived over memif\n" << feeder.Stdout() << feeder.Stderr() << ingestd.Stderr();
  const auto t0 = Clock::now();
  uint64_t rx1 = rx0;
  PollUntil(1500ms, [&] {
    rx1 = ReceivedSoFar(prefix);
    return Clock::now() - t0 >= 1s;
  });
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double mpps = static_cast<double>(rx1 - rx0) / seconds / 1e6;

  ASSERT_TRUE(feeder.WriteStdin("stop\n"));
  const std::string marker = "Accumulated forward statistics for all ports";
  std::string out;
  ASSERT_TRUE(PollUntil(30s, [&] {
    out = feeder.Stdout();
    const size_t at = out.find(marker);
    return at != std::string::npos && out.find("TX-total", at) != std::string::npos;
  })) << feeder.Stdout() << feeder.Stderr();
  const std::string totals = out.substr(out.find(marker));
  const size_t field = totals.find("TX-packets:");
  ASSERT_NE(field, std::string::npos) << totals;
  const uint64_t sent = std::strtoull(totals.c_str() + field + std::strlen("TX-packets:"), nullptr, 10);
  ASSERT_GT(sent, 0u);

  // Everything sent is in the ring or already received: ingestd drains it.
  uint64_t received = 0;
  EXPECT_TRUE(PollUntil(10s, [&] { return (received = ReceivedSoFar(prefix)) >= sent; }))
      << received << " of " << sent;
  ingestd.Signal(SIGTERM);  // while the feeder is still connected: the port's counters stay
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stdout() << ingestd.Stderr();
  feeder.WriteStdin("quit\n");
  feeder.CloseStdin();
  EXPECT_EQ(feeder.Wait(30s), 0) << feeder.Stdout() << feeder.Stderr();

  const nlohmann::json j = ReadJson(stats);
  const auto& t = j.at("totals");
  std::printf("memif: testpmd txonly sent %llu, ingestd received %llu, %.2f Mpps while flowing\n",
              static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(t.at("rx_packets").get<uint64_t>()), mpps);
  RecordProperty("sent", std::to_string(sent));
  RecordProperty("mpps", fmt::format("{:.2f}", mpps));
  EXPECT_EQ(t.at("rx_packets").get<uint64_t>(), sent);
  EXPECT_EQ(t.at("tx_packets").get<uint64_t>(), sent) << "txonly frames are well formed UDP: " << t.dump();
  ExpectConserved(j);
  EXPECT_EQ(j.at("ports").at(0).at("name"), "feed");
  EXPECT_EQ(j.at("ports").at(0).at("rx_packets").get<uint64_t>(), sent);
  EXPECT_GT(mpps, 0.0);
}

}  // namespace
}  // namespace ingestd::testing
