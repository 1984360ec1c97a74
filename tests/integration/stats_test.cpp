// SPDX-License-Identifier: BSD-3-Clause
// The stats segment seen from outside: ingest-stats against a live, a finished and a
// killed ingestd, and the DPDK telemetry socket.
#include <grp.h>
#include <poll.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/dataplane/eal.hpp"
#include "ingestd/dataplane/hugepages.hpp"

namespace ingestd::testing {
namespace {

using namespace std::chrono_literals;

std::string IngestStatsBinary() {
  const char* bin = std::getenv("INGEST_STATS_BIN");
  if (bin == nullptr) throw std::runtime_error("INGEST_STATS_BIN is not set (run through meson test)");
  return bin;
}

RunResult RunIngestStats(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> argv{IngestStatsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, dir, "ingest-stats");
  RunResult r;
  r.exit_code = child.Wait(10s);
  r.out = child.Stdout();
  r.err = child.Stderr();
  return r;
}

/// A live ingestd replaying 64 B UDP into net_null, bounded to 30 s / 50 M packets.
class LiveInstance {
 public:
  LiveInstance(const std::string& name, TempDir& dir) : dir_(dir) {
    scenario_.prefix = UniquePrefix(name);
    scenario_.infinite_rx = true;
    scenario_.null_output = true;
    scenario_.rx_pcap = dir.File(name + "-in.pcap");
    dir.OwnSegment(scenario_.prefix);
    framegen::WritePcap(scenario_.rx_pcap, framegen::UdpTraffic(3, 256, 64));
    config_ = dir.File(name + ".yaml");
    WriteText(config_, scenario_.Yaml());
    Start();
  }

  /// Starts ingestd on the instance's config (again, after a kill: the same files).
  void Start() {
    child_ = std::make_unique<Child>(std::vector<std::string>{IngestdBinary(), "-c", config_, "--packets",
                                                              "50000000", "--duration", "30"},
                                     dir_, scenario_.prefix + "-" + std::to_string(++starts_));
  }

  /// Polls ingest-stats until the instance publishes with traffic flowing.
  bool WaitUntilForwarding() {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      const RunResult r = RunIngestStats({"--instance", prefix(), "--json"}, dir_);
      if (r.exit_code == 0 && nlohmann::json::parse(r.out).at("totals").at("rx_packets").get<uint64_t>() > 0)
        return true;
    }
    return false;
  }

  const std::string& prefix() const { return scenario_.prefix; }
  Child& child() { return *child_; }

 private:
  TempDir& dir_;
  Scenario scenario_;
  std::string config_;
  int starts_ = 0;
  std::unique_ptr<Child> child_;
};

TEST(Stats, IngestStatsJsonEqualsFinalStatsAfterTheRun) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  std::vector<framegen::Bytes> frames;
  for (auto& f : framegen::MixedTraffic(8, 1000)) frames.push_back(std::move(f.bytes));
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;

  const RunResult r = RunIngestStats({"--instance", s.prefix, "--json"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json cli = nlohmann::json::parse(r.out);
  EXPECT_EQ(cli, o.stats);
  EXPECT_EQ(cli.at("instance").at("state"), "stopped");
  EXPECT_EQ(cli.at("totals").at("rx_packets").get<uint64_t>(), frames.size());
  // The tables name the figures an operator looks for first.
  const RunResult table = RunIngestStats({"--instance", s.prefix}, dir);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* word : {"out", "malformed:", "e2e", "heap"})
    EXPECT_NE(table.out.find(word), std::string::npos) << word << " missing from:\n" << table.out;
}

TEST(Stats, SegmentIsReadableByTheConfiguredGroupOnly) {
  const group* g = getgrnam("nogroup");
  ASSERT_NE(g, nullptr) << "Debian always has the group nogroup";
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.extra_yaml = "stats:\n  group: nogroup\n";
  const Outcome o = RunScenario(s, framegen::UdpTraffic(4, 64, 64), dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  struct stat st {};
  ASSERT_EQ(stat(("/dev/shm/ingestd." + s.prefix).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_gid, g->gr_gid);
}

TEST(Stats, KilledWriterIsReportedDeadWithinASecond) {
  TempDir dir;
  LiveInstance live(CurrentTestName(), dir);
  ASSERT_TRUE(live.WaitUntilForwarding()) << live.child().Stderr();

  live.child().Signal(SIGKILL);
  live.child().Wait(10s);  // reaped, as its supervisor would
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = RunIngestStats({"--instance", live.prefix()}, dir);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("dead"), std::string::npos) << r.out << r.err;
  EXPECT_LT(elapsed, 1s);
  // A killed process cannot clean up: its runtime and hugepage files are ours to remove.
  dataplane::RemoveRuntimeFiles("/var/run/dpdk/" + live.prefix());
}

// What a supervisor (systemd's Restart=, a container runtime) does after a crash: start
// the same config again, with whatever the killed process left behind still in place.
TEST(Stats, RestartAfterSigkillNeedsNoCleaning) {
  TempDir dir;
  LiveInstance live(CurrentTestName(), dir);
  ASSERT_TRUE(live.WaitUntilForwarding()) << live.child().Stderr();
  const pid_t first = live.child().pid();
  live.child().Signal(SIGKILL);
  live.child().Wait(10s);
  const std::string runtime_dir = "/var/run/dpdk/" + live.prefix();
  ASSERT_TRUE(std::filesystem::exists(runtime_dir)) << "the killed run left nothing to trip over";
  ASSERT_TRUE(std::filesystem::exists("/dev/shm/ingestd." + live.prefix()));
  const RunResult dead = RunIngestStats({"--instance", live.prefix()}, dir);
  EXPECT_EQ(dead.exit_code, 3) << dead.out << dead.err;

  live.Start();  // no hand cleaning in between
  ASSERT_TRUE(live.WaitUntilForwarding()) << live.child().Stderr();
  const RunResult r = RunIngestStats({"--instance", live.prefix(), "--json"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json instance = nlohmann::json::parse(r.out).at("instance");
  EXPECT_EQ(instance.at("state"), "running");
  EXPECT_EQ(instance.at("pid").get<pid_t>(), live.child().pid());
  EXPECT_NE(live.child().pid(), first);

  live.child().Signal(SIGTERM);
  ASSERT_EQ(live.child().Wait(20s), 0) << live.child().Stderr();
  const RunResult after = RunIngestStats({"--instance", live.prefix(), "--json"}, dir);
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const nlohmann::json report = nlohmann::json::parse(after.out);
  EXPECT_EQ(report.at("instance").at("state"), "stopped");
  ExpectConserved(report);
  // The clean exit removed this prefix's runtime and hugepage files, the killed run's too.
  EXPECT_FALSE(std::filesystem::exists(runtime_dir));
  for (const std::string& mount : dataplane::HugetlbfsMounts()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(mount, ec))
      EXPECT_NE(e.path().filename().string().rfind(live.prefix() + "map_", 0), 0u) << e.path();
  }
}

TEST(Stats, TelemetrySocketServesTheSameFigures) {
  TempDir dir;
  LiveInstance live(CurrentTestName(), dir);
  ASSERT_TRUE(live.WaitUntilForwarding()) << live.child().Stderr();

  const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = "/var/run/dpdk/" + live.prefix() + "/dpdk_telemetry.v2";
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  char buf[16384];
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  ASSERT_GT(read(fd, buf, sizeof(buf)), 0);  // the greeting
  for (const char* cmd :
       {"/ingestd/totals", "/ingestd/drops", "/ingestd/ports", "/ingestd/latency", "/ingestd/allocation"}) {
    ASSERT_GT(write(fd, cmd, std::strlen(cmd)), 0);
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    const ssize_t n = read(fd, buf, sizeof(buf));
    ASSERT_GT(n, 0);
    const nlohmann::json reply = nlohmann::json::parse(std::string(buf, static_cast<size_t>(n)));
    ASSERT_TRUE(reply.contains(cmd)) << reply.dump();
    const auto& body = reply.at(cmd);
    EXPECT_FALSE(body.contains("error")) << body.dump();
    if (std::string(cmd) == "/ingestd/totals") {
      EXPECT_GT(body.at("rx_packets").get<uint64_t>(), 0u);
    }
    if (std::string(cmd) == "/ingestd/ports") {
      EXPECT_TRUE(body.contains("in")) << body.dump();
    }
    // Every reason and histogram under a name DPDK accepts, none left out.
    if (std::string(cmd) == "/ingestd/drops") {
      EXPECT_TRUE(body.contains("malformed/truncated_ethernet")) << body.dump();
      EXPECT_TRUE(body.contains("ring_full")) << body.dump();
    }
    if (std::string(cmd) == "/ingestd/latency") {
      EXPECT_TRUE(body.contains("e2e/chain_0/lcore_1")) << body.dump();
    }
    if (std::string(cmd) == "/ingestd/allocation") {
      const auto& v = body.at("heap_allocs_per_packet");  // a ratio: telemetry carries it as text
      EXPECT_EQ(v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>(), 0.0) << body.dump();
    }
  }
  close(fd);
  live.child().Signal(SIGTERM);
  EXPECT_EQ(live.child().Wait(30s), 0) << live.child().Stderr();
}

}  // namespace
}  // namespace ingestd::testing
