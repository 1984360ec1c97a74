// SPDX-License-Identifier: BSD-3-Clause
// The real binary on net_pcap virtual devices: forwarding, layouts, malformed input,
// SIGTERM under load, bad configs. Each run has its own --file-prefix.
#include <signal.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/dataplane/hugepages.hpp"
#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using namespace std::chrono_literals;

TEST(Pipeline, ForwardsEveryFrameByteForByte) {
  TempDir dir;
  const auto frames = WellFormed(framegen::MixedTraffic(7, 2500));
  ASSERT_GT(frames.size(), 1500u);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;

  EXPECT_EQ(o.output, frames);
  const auto& t = o.stats.at("totals");
  EXPECT_EQ(t.at("rx_packets").get<uint64_t>(), frames.size());
  EXPECT_EQ(t.at("tx_packets").get<uint64_t>(), frames.size());
  EXPECT_EQ(t.at("dropped").get<uint64_t>(), 0u);
  ExpectConserved(o.stats);
  const auto& ports = o.stats.at("ports");
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].at("name"), "in");
  EXPECT_EQ(ports[0].at("rx_packets").get<uint64_t>(), frames.size());
  EXPECT_EQ(ports[1].at("name"), "out");
  EXPECT_EQ(ports[1].at("tx_packets").get<uint64_t>(), frames.size());

  // Without reserved hugepages the run falls back to --no-huge and says so once.
  const auto huge = dataplane::DecideHugepages(config::HugepageMode::kAuto, 256, dataplane::ProbeHugepages());
  EXPECT_EQ(o.run.err.find("running with --no-huge") != std::string::npos, !huge.use_hugepages)
      << o.run.err;
}

/// The handler of the run's one packet pool, as DPDK reports it.
std::string PoolHandler(const nlohmann::json& stats) {
  const auto& pools = stats.at("mempools");
  EXPECT_EQ(pools.size(), 1u);
  return pools.empty() ? "" : pools[0].at("handler").get<std::string>();
}

/// Runs the mixed capture of `seed` through run to completion and through
/// `layout` (lossless rings; its pool with `handler`), checks both outputs and
/// drops are identical, and returns the layout's final stats.
nlohmann::json ExpectSameOutputAsRunToCompletion(Layout layout, uint64_t seed, const std::string& handler = "") {
  TempDir dir;
  std::vector<Bytes> frames;
  for (auto& f : framegen::MixedTraffic(seed, 3000)) frames.push_back(std::move(f.bytes));
  Scenario rtc;
  rtc.prefix = UniquePrefix(CurrentTestName() + "-rtc");
  Scenario other;
  other.prefix = UniquePrefix(CurrentTestName() + "-split");
  other.layout = layout;
  other.ring_policy = "backpressure";  // lossless hand-off, so both outputs must match exactly
  other.mempool_handler = handler;

  const Outcome a = RunScenario(rtc, frames, dir);
  EXPECT_EQ(a.run.exit_code, 0) << a.run.out << a.run.err;
  const Outcome b = RunScenario(other, frames, dir);
  EXPECT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  if (a.run.exit_code != 0 || b.run.exit_code != 0) return {};

  EXPECT_EQ(b.stats.at("totals").at("rx_packets").get<uint64_t>(), frames.size());
  EXPECT_FALSE(a.output.empty());
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.stats.at("totals").at("drops"), b.stats.at("totals").at("drops"));
  ExpectConserved(a.stats);
  ExpectConserved(b.stats);
  // Every ring handed on exactly what went in, and something did go through.
  const auto& lcores = b.stats.at("lcores");
  for (size_t i = 1; i < lcores.size(); ++i) {
    EXPECT_EQ(lcores[i - 1].at("counters").at("ring_out_pkts"), lcores[i].at("counters").at("ring_in_pkts"))
        << "ring " << i;
    EXPECT_GT(lcores[i].at("counters").at("ring_in_pkts").get<uint64_t>(), 0u) << "ring " << i;
  }
  return b.stats;
}

TEST(Pipeline, PipelineLayoutMatchesRunToCompletion) {
  // The split side's pool is a stack (LIFO): the handler changes which buffers come back, never what leaves.
  const nlohmann::json stats = ExpectSameOutputAsRunToCompletion(Layout::kPipeline, 3, "stack");
  ASSERT_FALSE(stats.is_null());
  EXPECT_EQ(PoolHandler(stats), "stack");
  const auto& lcores = stats.at("lcores");
  ASSERT_EQ(lcores.size(), 2u);
  EXPECT_EQ(lcores[0].at("stages"), "rx..parse");
  EXPECT_EQ(lcores[1].at("stages"), "process..tx");
}

TEST(Pipeline, FiveLcoresOnTwoCpusMakeProgressAndMatchRunToCompletion) {
  // One stage per lcore, five busy-polling lcores sharing two CPUs: only
  // idle back-off lets the loaded ones run. The run must finish (bounded by
  // --duration) with the same output as run to completion.
  const nlohmann::json stats = ExpectSameOutputAsRunToCompletion(Layout::kStagePerLcore, 4);
  ASSERT_FALSE(stats.is_null());
  EXPECT_EQ(stats.at("lcores").size(), 5u);
  EXPECT_EQ(stats.at("rings").size(), 4u);
  EXPECT_EQ(PoolHandler(stats), "ring_mp_mc") << "DPDK's default handler";
}

TEST(Pipeline, MalformedFramesAreCountedByReason) {
  TempDir dir;
  const auto labeled = framegen::MixedTraffic(11, 1400);
  std::map<std::string, uint64_t> expected;
  std::vector<Bytes> frames;
  for (const auto& f : labeled) {
    frames.push_back(f.bytes);
    if (f.expected != packet::ParseVerdict::kOk)
      ++expected["malformed:" + std::string(packet::VerdictName(f.expected))];
  }
  ASSERT_GE(expected.size(), 8u) << "the mix must hold many kinds of malformed frames";

  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;

  const auto& drops = o.stats.at("totals").at("drops");
  for (const auto& [reason, n] : drops.items()) {
    const auto it = expected.find(reason);
    EXPECT_EQ(n.get<uint64_t>(), it == expected.end() ? 0u : it->second) << reason;
  }
  for (const auto& [reason, n] : expected) EXPECT_TRUE(drops.contains(reason)) << reason;
  EXPECT_EQ(o.output, WellFormed(labeled));  // nothing else lost, order kept
  ExpectConserved(o.stats);

  // Per-stage bytes: parse sees every byte received, process only the well-formed ones.
  uint64_t all_bytes = 0;
  uint64_t good_bytes = 0;
  for (const auto& f : labeled) {
    all_bytes += f.bytes.size();
    if (f.expected == packet::ParseVerdict::kOk) good_bytes += f.bytes.size();
  }
  std::map<std::string, uint64_t> stage_bytes;
  for (const auto& st : o.stats.at("stages")) stage_bytes[st.at("stage").get<std::string>()] = st.at("bytes").get<uint64_t>();
  EXPECT_EQ(stage_bytes["rx"], all_bytes);
  EXPECT_EQ(stage_bytes["parse"], all_bytes);
  EXPECT_EQ(stage_bytes["process"], good_bytes);
  EXPECT_EQ(stage_bytes["tx"], good_bytes);
  EXPECT_EQ(o.stats.at("ports").at(1).at("tx_bytes").get<uint64_t>(), good_bytes);
}

TEST(Pipeline, ParseSectionReachesTheDataPath) {
  // TunnelTraffic's labels hold with 4 VLAN tags, every tunnel and IPv4 checksums
  // verified: the same options given in YAML must give exactly those drops.
  TempDir dir;
  const auto labeled = framegen::TunnelTraffic(5, 540);
  std::map<std::string, uint64_t> expected;
  std::vector<Bytes> frames;
  for (const auto& f : labeled) {
    frames.push_back(f.bytes);
    if (f.expected != packet::ParseVerdict::kOk)
      ++expected["malformed:" + std::string(packet::VerdictName(f.expected))];
  }
  ASSERT_GE(expected.size(), 10u);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.extra_yaml =
      "parse:\n  vlan_depth: 4\n  verify_ipv4_checksum: true\n"
      "  tunnels: [vxlan, geneve, gre, ipip, ip6ip, gtpu]\n";
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  for (const auto& [reason, n] : o.stats.at("totals").at("drops").items()) {
    const auto it = expected.find(reason);
    EXPECT_EQ(n.get<uint64_t>(), it == expected.end() ? 0u : it->second) << reason;
  }
  EXPECT_EQ(o.output, WellFormed(labeled));
  ExpectConserved(o.stats);
}

TEST(Pipeline, EncodeRewritesDestinationMacOnTheOutputPort) {
  TempDir dir;
  const auto frames = WellFormed(framegen::MixedTraffic(5, 300));
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.out_port_fields = {{"set_dst_mac", "02:aa:bb:cc:dd:ee"}};
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ASSERT_EQ(o.output.size(), frames.size());
  const Bytes mac{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  for (size_t i = 0; i < frames.size(); ++i) {
    Bytes want = frames[i];
    std::copy(mac.begin(), mac.end(), want.begin());
    EXPECT_EQ(o.output[i], want) << "frame " << i;
  }
}

TEST(Pipeline, SigtermUnderTrafficExitsCleanly) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;
  const auto [config, stats] = WriteScenario(s, framegen::UdpTraffic(1, 256, 64), dir);
  // Bounded even if the signal were lost: 3 M packets or 60 s.
  Child child({IngestdBinary(), "-c", config, "--packets", "3000000", "--duration", "60",
               "--final-stats", stats},
              dir, "ingestd");

  // Traffic is flowing once the output capture grows past its first buffer.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  struct stat st {};
  while (std::chrono::steady_clock::now() < deadline &&
         (stat(s.tx_pcap.c_str(), &st) != 0 || st.st_size < 64 * 1024)) {
    pollfd none{};
    poll(&none, 0, 1);  // 1 ms between size checks
  }
  ASSERT_GE(st.st_size, 64 * 1024) << "no traffic reached the output";
  child.Signal(SIGTERM);
  ASSERT_EQ(child.Wait(30s), 0) << child.Stdout() << child.Stderr();

  EXPECT_NE(child.Stderr().find("received, stopping"), std::string::npos);
  const nlohmann::json j = ReadJson(stats);
  EXPECT_GT(j.at("totals").at("rx_packets").get<uint64_t>(), 0u);
  EXPECT_LT(j.at("totals").at("rx_packets").get<uint64_t>(), 3000000u) << "stopped by the limit, not the signal";
  ExpectConserved(j);
}

TEST(Pipeline, BadConfigIsReportedAndStartsNothing) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.rx_pcap = dir.File("in.pcap");
  s.tx_pcap = dir.File("out.pcap");
  std::string yaml = s.Yaml();
  const std::string good = "      ring_size: 1024\n";
  const size_t at = yaml.find(good);
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, good.size(), "      ring_size: 1000\n");
  const int line = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(at), '\n'));
  const std::string config = dir.File("bad.yaml");
  WriteText(config, yaml);

  const RunResult r = RunIngestd({"-c", config, "--duration", "5"}, dir, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config + ":" + std::to_string(line) + ":18: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("power of two"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("EAL"), std::string::npos) << "EAL must not start: " << r.err;
  EXPECT_FALSE(std::filesystem::exists("/var/run/dpdk/" + s.prefix));

  const RunResult check = RunIngestd({"--check-config", config}, dir, 30s);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_EQ(check.err.find("EAL"), std::string::npos);
}

TEST(Pipeline, EalArgumentsNeverProbePciForVirtualPorts) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.rx_pcap = dir.File("in,iface=eth0.pcap");  // hostile: must be rejected, not split
  s.tx_pcap = dir.File("out.pcap");
  const std::string bad = dir.File("hostile.yaml");
  WriteText(bad, s.Yaml());
  const RunResult rejected = RunIngestd({"--check-config", bad}, dir, 30s);
  EXPECT_EQ(rejected.exit_code, 2);
  EXPECT_NE(rejected.err.find("','"), std::string::npos) << rejected.err;

  s.rx_pcap = dir.File("in.pcap");
  const std::string good = dir.File("good.yaml");
  WriteText(good, s.Yaml());
  const RunResult r = RunIngestd({"--print-eal-args", "-c", good}, dir, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto args = nlohmann::json::parse(r.out).get<std::vector<std::string>>();
  EXPECT_NE(std::find(args.begin(), args.end(), "--no-pci"), args.end());
  EXPECT_EQ(std::find(args.begin(), args.end(), "-a"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--vdev=net_pcap0,rx_pcap=" + s.rx_pcap), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--file-prefix=" + s.prefix), args.end());
}

}  // namespace
}  // namespace ingestd::testing
