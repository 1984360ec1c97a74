// SPDX-License-Identifier: BSD-3-Clause
// Least privilege: what a running ingestd leaves reachable, checked by mode and by
// actually trying as an unprivileged user inside and outside stats.group (setpriv).
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"

namespace ingestd::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string FromEnv(const char* var) {
  const char* v = std::getenv(var);
  if (v == nullptr || *v == '\0') throw std::runtime_error(fmt::format("{} is not set (run through meson test)", var));
  return v;
}

struct Mode {
  mode_t perms = 0;
  gid_t gid = 0;
  bool exists = false;
};

Mode ModeOf(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {};
  return {st.st_mode & 07777, st.st_gid, true};
}

/// Runs argv as uid nobody with primary group `group` and no others, through setpriv:
/// no capabilities survive the change of uid, so only file modes decide.
RunResult RunAsNobody(const std::string& group, std::vector<std::string> argv, const TempDir& dir) {
  std::vector<std::string> full{FromEnv("SETPRIV_BIN"), "--reuid=nobody", "--regid=" + group, "--clear-groups",
                                "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  Child child(full, dir, "as-nobody");
  RunResult r;
  r.exit_code = child.Wait(20s);
  r.out = child.Stdout();
  r.err = child.Stderr();
  return r;
}

// Connects to a unix SOCK_SEQPACKET socket and prints the greeting: DPDK telemetry's handshake.
constexpr const char* kTelemetryClient =
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
    "s.connect(sys.argv[1])\n"
    "print(s.recv(4096).decode())\n";

TEST(Access, OnlyTheOwnerAndTheStatsGroupReachWhatIngestdCreates) {
  ASSERT_EQ(geteuid(), 0u) << "this test changes users: run the suite as root, as CI does";
  const group* stats_group = getgrnam("nogroup");  // a static buffer: read it before the next call
  ASSERT_NE(stats_group, nullptr) << "Debian always has the group nogroup";
  const gid_t gid = stats_group->gr_gid;
  ASSERT_NE(getgrnam("daemon"), nullptr) << "Debian always has the group daemon";
  ASSERT_NE(getpwnam("nobody"), nullptr);

  TempDir dir;
  // The unprivileged user must reach the programs and the files it is meant to read:
  // search (not list) on the temp dir, and its own copy of ingest-stats.
  ASSERT_EQ(chmod(dir.path().c_str(), 0711), 0);
  const std::string tools = dir.File("tools");
  fs::create_directory(tools);
  fs::permissions(tools, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  const std::string ingest_stats = tools + "/ingest-stats";
  fs::copy_file(FromEnv("INGEST_STATS_BIN"), ingest_stats);

  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;
  s.extra_yaml = "stats:\n  group: nogroup\n";
  const auto [config, final_stats] = WriteScenario(s, framegen::UdpTraffic(2, 64, 64), dir);
  // Bounded: 50 M packets or 30 s, whichever first; stopped by SIGTERM long before.
  Child ingestd({IngestdBinary(), "-c", config, "--packets", "50000000", "--duration", "30", "--final-stats",
                 final_stats},
                dir, "ingestd");

  const std::string runtime_dir = "/var/run/dpdk/" + s.prefix;
  const std::string telemetry = runtime_dir + "/dpdk_telemetry.v2";
  // Running once a member of the group reads live figures.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  RunResult member;
  do {
    member = RunAsNobody("nogroup", {ingest_stats, "--instance", s.prefix, "--json"}, dir);
  } while (member.exit_code != 0 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(member.exit_code, 0) << member.err << ingestd.Stderr();
  EXPECT_EQ(nlohmann::json::parse(member.out).at("instance").at("name"), s.prefix);

  // Modes: group where it reads, owner only elsewhere.
  EXPECT_EQ(ModeOf(runtime_dir).perms, 0750u);
  EXPECT_EQ(ModeOf(runtime_dir).gid, gid);
  EXPECT_EQ(ModeOf(telemetry).perms, 0660u) << "connecting needs write permission";
  EXPECT_EQ(ModeOf(telemetry).gid, gid);
  for (const auto& entry : fs::directory_iterator(runtime_dir)) {
    if (entry.path() == telemetry) continue;
    EXPECT_EQ(ModeOf(entry.path()).perms & 0077, 0u) << entry.path() << " is open to group or others";
  }
  EXPECT_NE(ModeOf("/var/run/dpdk").perms & S_IXOTH, 0u) << "the group cannot reach the runtime dir";
  EXPECT_EQ(ModeOf(s.tx_pcap).perms, 0640u) << "captures hold packet contents";
  EXPECT_EQ(ModeOf(s.tx_pcap).gid, gid);
  EXPECT_EQ(ModeOf("/dev/shm/ingestd." + s.prefix).perms, 0640u);

  // Telemetry: a member connects, anyone else is refused.
  const std::string python = FromEnv("PYTHON3_BIN");
  const RunResult tel_member = RunAsNobody("nogroup", {python, "-c", kTelemetryClient, telemetry}, dir);
  EXPECT_EQ(tel_member.exit_code, 0) << tel_member.err;
  EXPECT_NE(tel_member.out.find("max_output_len"), std::string::npos) << tel_member.out;
  const RunResult tel_other = RunAsNobody("daemon", {python, "-c", kTelemetryClient, telemetry}, dir);
  EXPECT_NE(tel_other.exit_code, 0) << tel_other.out;
  EXPECT_NE(tel_other.err.find("PermissionError"), std::string::npos) << tel_other.err;

  // The segment: not readable outside the group.
  const RunResult other = RunAsNobody("daemon", {ingest_stats, "--instance", s.prefix, "--json"}, dir);
  EXPECT_NE(other.exit_code, 0) << other.out;
  EXPECT_NE(other.err.find("Permission denied"), std::string::npos) << other.err;
  const RunResult capture = RunAsNobody("daemon", {"/bin/cat", s.tx_pcap}, dir);
  EXPECT_NE(capture.exit_code, 0) << "a non-member read the capture";

  ingestd.Signal(SIGTERM);
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stderr();
  EXPECT_EQ(ModeOf(final_stats).perms, 0640u);
  EXPECT_EQ(ModeOf(final_stats).gid, gid);
  const RunResult report = RunAsNobody("nogroup", {"/bin/cat", final_stats}, dir);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(nlohmann::json::parse(report.out), ReadJson(final_stats));
  EXPECT_NE(RunAsNobody("daemon", {"/bin/cat", final_stats}, dir).exit_code, 0);
}

TEST(Access, WithoutAGroupEverythingIsOwnerOnly) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;
  const auto [config, final_stats] = WriteScenario(s, framegen::UdpTraffic(2, 64, 64), dir);
  Child ingestd({IngestdBinary(), "-c", config, "--packets", "50000000", "--duration", "30", "--final-stats",
                 final_stats},
                dir, "ingestd");
  const std::string runtime_dir = "/var/run/dpdk/" + s.prefix;
  const std::string telemetry = runtime_dir + "/dpdk_telemetry.v2";
  // The telemetry socket is made owner-only right after EAL init; the segment appears later.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists("/dev/shm/ingestd." + s.prefix) && std::chrono::steady_clock::now() < deadline) {
    pollfd none{};
    poll(&none, 0, 1);
  }
  ASSERT_TRUE(fs::exists("/dev/shm/ingestd." + s.prefix)) << ingestd.Stderr();
  EXPECT_EQ(ModeOf(runtime_dir).perms, 0700u);
  EXPECT_EQ(ModeOf(telemetry).perms, 0600u);
  for (const auto& entry : fs::directory_iterator(runtime_dir))
    EXPECT_EQ(ModeOf(entry.path()).perms & 0077, 0u) << entry.path();
  EXPECT_EQ(ModeOf(s.tx_pcap).perms, 0600u);
  ingestd.Signal(SIGTERM);
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stderr();
  EXPECT_EQ(ModeOf(final_stats).perms, 0640u);
}

}  // namespace
}  // namespace ingestd::testing
