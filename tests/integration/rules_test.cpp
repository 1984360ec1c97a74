// SPDX-License-Identifier: BSD-3-Clause
// Rules through the real binary, checked on the output captures as tshark decodes
// them: forward, mirror (identical frames), drop, sample, balance (both directions
// of every flow on one port, flows spread within 10 %), count, and the port map
// for what no rule matches.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "live_stats.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "netns.hpp"
#include "tshark_fields.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;
using namespace std::chrono_literals;

framegen::Ipv4Addr Host(unsigned net, unsigned i) {
  return {10, static_cast<uint8_t>(net), static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)};
}

TEST(Rules, EachActionIsSeenOnTheOutputCaptures) {
  ASSERT_NE(FindProgram("tshark"), "") << "install tshark (Debian: tshark)";
  TempDir dir;
  const std::string prefix = UniquePrefix("rules-actions");
  dir.OwnSegment(prefix);

  // The traffic: 40 UDP to 5001 (forward + mirror), 30 ICMP (drop), 41 SYNs
  // (sample 1 in 4), 1000 TCP flows in both directions (balance), 25 IPv6 UDP
  // from fd00::/8 (count, then the port map), 50 UDP elsewhere (the port map).
  std::vector<Bytes> frames;
  for (unsigned i = 0; i < 40; ++i)
    frames.push_back(FrameBuilder().Ipv4({.src = Host(1, i)}).Udp({.src_port = static_cast<uint16_t>(2000 + i), .dst_port = 5001}).Payload(100 + i).Build());
  for (unsigned i = 0; i < 30; ++i) frames.push_back(FrameBuilder().Ipv4({.src = Host(2, i)}).Icmp().Build());
  for (unsigned i = 0; i < 41; ++i)
    frames.push_back(FrameBuilder().Ipv4({.src = Host(3, i)}).Tcp({.src_port = static_cast<uint16_t>(3000 + i), .dst_port = 443, .flags = 0x02}).Build());
  constexpr unsigned kFlows = 1000;
  for (unsigned i = 0; i < kFlows; ++i) {
    const Bytes there = FrameBuilder().Ipv4({.src = Host(4, i), .dst = Host(5, i % 37)}).Tcp({.src_port = static_cast<uint16_t>(10000 + i), .dst_port = static_cast<uint16_t>(80 + i % 3)}).Build();
    const Bytes back = FrameBuilder().Ipv4({.src = Host(5, i % 37), .dst = Host(4, i)}).Tcp({.src_port = static_cast<uint16_t>(80 + i % 3), .dst_port = static_cast<uint16_t>(10000 + i)}).Build();
    frames.push_back(there);
    frames.push_back(back);
  }
  for (unsigned i = 0; i < 25; ++i)
    frames.push_back(FrameBuilder().Ipv6().Udp({.src_port = static_cast<uint16_t>(4000 + i), .dst_port = 9}).Build());
  for (unsigned i = 0; i < 50; ++i)
    frames.push_back(FrameBuilder().Ipv4({.src = Host(6, i)}).Udp({.src_port = 1234, .dst_port = static_cast<uint16_t>(6000 + i)}).Build());
  const std::string input = dir.File("in.pcap");
  framegen::WritePcap(input, frames);

  auto out = [&](const char* name) { return dir.File(std::string(name) + ".pcap"); };
  const std::string config = dir.File("rules.yaml");
  ConfigBuilder yaml(prefix);
  yaml.Port("wire", "net_pcap0").Arg("rx_pcap", input);
  for (const char* name : {"tools", "archive", "ids0", "ids1", "rest"})
    yaml.Port(name, fmt::format("net_pcap{}", yaml.PortCount())).Arg("tx_pcap", out(name)).RxQueues(0);
  yaml.Chain({"wire"}).Segment(1, 1);
  yaml.Route("wire", "rest");
  yaml.Section("rules",
               "  - {name: iperf, match: {proto: udp, dst_port: 5001}, forward: tools, mirror: archive}\n"
               "  - {name: no-icmp, match: {proto: icmp}, drop: true}\n"
               "  - {name: syn, match: {tcp_flags: [syn, \"!ack\"]}, sample: 4, forward: tools}\n"
               "  - {name: tcp, match: {proto: tcp}, balance: [ids0, ids1]}\n"
               "  - {name: v6, match: {src: \"fd00::/8\"}, count: true}\n");
  WriteText(config, yaml.Yaml());
  const std::string stats_path = dir.File("final.json");
  const RunResult r = RunIngestd({"-c", config, "--packets", std::to_string(frames.size()), "--duration", "60",
                                  "--final-stats", stats_path},
                                 dir, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json stats = ReadJson(stats_path);
  ExpectConserved(stats);

  // Rule hits and the drops they cause.
  std::map<std::string, uint64_t> hits;
  for (const auto& rule : stats.at("rules")) hits[rule.at("rule").get<std::string>()] = rule.at("hits").get<uint64_t>();
  EXPECT_EQ(hits, (std::map<std::string, uint64_t>{{"iperf", 40}, {"no-icmp", 30}, {"syn", 41}, {"tcp", 2 * kFlows}, {"v6", 25}}));
  const auto& drops = stats.at("totals").at("drops");
  EXPECT_EQ(drops.at("rule_drop").get<uint64_t>(), 30u);
  EXPECT_EQ(drops.at("sampled_out").get<uint64_t>(), 30u);  // 41 SYNs: #1, 5, ..., 41 go on
  EXPECT_EQ(stats.at("totals").at("clones").get<uint64_t>(), 40u);

  // tools: the 40 UDP to 5001 and the 11 sampled SYNs; nothing else.
  const auto tools = TsharkFields(out("tools"), {"udp.dstport", "tcp.flags.syn", "tcp.flags.ack"}, dir);
  unsigned to_5001 = 0, syns = 0;
  for (const auto& f : tools) {
    if (f[0] == "5001") ++to_5001;
    else if (TsharkTrue(f[1]) && !TsharkTrue(f[2])) ++syns;
    else ADD_FAILURE() << "unexpected frame on tools: " << f[0] << " " << f[1] << " " << f[2];
  }
  EXPECT_EQ(to_5001, 40u);
  EXPECT_EQ(syns, 11u);

  // archive: byte for byte the frames forwarded to 5001, in order.
  std::vector<Bytes> forwarded;
  for (const Bytes& f : framegen::ReadPcap(out("tools")))
    if (f.size() > 37 && f[23] == 17 && f[36] == 0x13 && f[37] == 0x89) forwarded.push_back(f);
  const std::vector<Bytes> archive = framegen::ReadPcap(out("archive"));
  EXPECT_EQ(archive.size(), 40u);
  EXPECT_EQ(archive, forwarded);

  // ids0 / ids1: TCP only; each flow, both directions, on one port; flows spread.
  std::map<std::string, std::set<int>> flow_ports;
  unsigned per_port[2] = {};
  for (int p = 0; p < 2; ++p) {
    for (const auto& f : TsharkFields(out(p == 0 ? "ids0" : "ids1"), {"ip.src", "ip.dst", "tcp.srcport", "tcp.dstport"}, dir)) {
      ASSERT_FALSE(f[2].empty()) << "non-TCP frame on an IDS port";
      const std::string a = f[0] + ":" + f[2], b = f[1] + ":" + f[3];
      flow_ports[std::min(a, b) + "-" + std::max(a, b)].insert(p);
      ++per_port[p];
    }
  }
  EXPECT_EQ(flow_ports.size(), kFlows);
  unsigned flows_on[2] = {};
  for (const auto& [flow, ports] : flow_ports) {
    EXPECT_EQ(ports.size(), 1u) << "flow " << flow << " split across ports";
    ++flows_on[*ports.begin()];
  }
  EXPECT_EQ(per_port[0] + per_port[1], 2 * kFlows);
  std::printf("[ figure   ] balance: %u and %u of %u flows\n", flows_on[0], flows_on[1], kFlows);
  EXPECT_NEAR(flows_on[0], kFlows / 2.0, kFlows / 2.0 * 0.10);

  // rest (the port map): the IPv6 counted by rule v6, and the other UDP; no TCP, no ICMP.
  const auto rest = TsharkFields(out("rest"), {"ipv6.src", "udp.dstport", "tcp.srcport", "icmp.type"}, dir);
  unsigned v6 = 0, other = 0;
  for (const auto& f : rest) {
    EXPECT_TRUE(f[2].empty() && f[3].empty()) << "TCP or ICMP reached rest";
    if (!f[0].empty()) ++v6;
    else ++other;
  }
  EXPECT_EQ(v6, 25u);
  EXPECT_EQ(other, 50u);
}

// Rules swapped under full-speed traffic (net_pcap infinite_rx): SIGHUP with a new file
// takes effect without a lost packet; a file with an error (reloaded through the
// /ingestd/reload telemetry command) is refused, says where, and the rules in force stay.
TEST(Rules, ReloadUnderTrafficLosesNothingAndABadFileChangesNothing) {
  TempDir dir;
  const std::string prefix = UniquePrefix("rules-reload");
  dir.OwnSegment(prefix);
  std::vector<Bytes> frames;
  for (unsigned i = 0; i < 64; ++i)
    frames.push_back(FrameBuilder().Ipv4({.src = Host(1, i)}).Udp({.src_port = 5555, .dst_port = static_cast<uint16_t>(i % 2 ? 2000 : 1000)}).Build());
  const std::string input = dir.File("in.pcap");
  framegen::WritePcap(input, frames);
  const std::string config = dir.File("rules.yaml");
  std::string written;
  auto write = [&](const std::string& rules) {
    ConfigBuilder yaml(prefix);
    yaml.Port("wire", "net_pcap0").Arg("rx_pcap", input).Arg("infinite_rx", "1");
    yaml.Port("a", "net_null1").RxQueues(0);
    yaml.Port("b", "net_null2").RxQueues(0);
    yaml.Chain({"wire"}).Segment(1, 1);
    written = yaml.Route("wire", "b").Section("stats", "{period_ms: 10}").Section("rules", rules).Yaml();
    WriteText(config, written);
  };
  write("  - {name: r1, match: {dst_port: 1000}, forward: a}\n");
  const std::string stats_path = dir.File("final.json");
  Child ingestd({IngestdBinary(), "-c", config, "--duration", "60", "--final-stats", stats_path}, dir, "ingestd");
  auto hits = [](const LiveReport& r, const std::string& rule) {
    for (const auto& x : r.json.at("rules"))
      if (x.at("rule") == rule) return x.at("hits").get<uint64_t>();
    return uint64_t{0};
  };
  auto reloads = [](const LiveReport& r, const char* what) { return r.json.at("rule_reloads").value(what, uint64_t{0}); };
  LiveReport live;
  ASSERT_TRUE(PollLive(prefix, [&](const LiveReport& r) { return hits(r, "r1") > 10000; }, 30s, &live))
      << ingestd.Stderr();
  EXPECT_EQ(Drops(live.json, "rule_drop"), 0u);

  // Generation 2: r1 now takes port 2000, and a new rule drops port 1000.
  write("  - {name: r1, match: {dst_port: 2000}, forward: a}\n  - {name: r2, match: {dst_port: 1000}, drop: true}\n");
  ingestd.Signal(SIGHUP);
  ASSERT_TRUE(PollLive(prefix, [&](const LiveReport& r) {
    return reloads(r, "applied") == 1 && Drops(r.json, "rule_drop") > 10000;
  }, 30s, &live)) << ingestd.Stderr();
  EXPECT_EQ(reloads(live, "generation"), 2u);
  const uint64_t dropped_before = Drops(live.json, "rule_drop");

  // A broken file, asked for through the telemetry command this time: refused with its
  // line:col, and generation 2 keeps dropping.
  write("  - {name: r1, match: {dst: 10.0.0.1/8}, forward: a}\n");
  const nlohmann::json reply = TelemetryCommand(prefix, "/ingestd/reload");
  EXPECT_EQ(reply.value("/ingestd/reload", nlohmann::json()).value("reload", ""), "requested") << reply.dump();
  ASSERT_TRUE(PollLive(prefix, [&](const LiveReport& r) {
    return reloads(r, "refused") == 1 && Drops(r.json, "rule_drop") > dropped_before + 10000;
  }, 30s, &live)) << ingestd.Stderr();
  EXPECT_EQ(reloads(live, "generation"), 2u);
  EXPECT_NE(ingestd.Stderr().find(fmt::format("rules.yaml:{}:29: dst: '10.0.0.1/8' has bits set past its prefix length",
                                              LineOf(written, "10.0.0.1/8"))),
            std::string::npos) << ingestd.Stderr();
  EXPECT_NE(ingestd.Stderr().find("reload refused"), std::string::npos);

  ingestd.Signal(SIGTERM);
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stderr();
  const nlohmann::json stats = ReadJson(stats_path);
  ExpectConserved(stats);
  EXPECT_EQ(stats.at("rule_reloads"), (nlohmann::json{{"generation", 2}, {"applied", 1}, {"refused", 1}}));
  // Every packet to port 1000 was forwarded (generation 1) or dropped (generation 2);
  // r1's hits count both of its generations.
  const uint64_t rx = stats.at("totals").at("rx_packets").get<uint64_t>();
  uint64_t r1 = 0, r2 = 0;
  for (const auto& x : stats.at("rules")) (x.at("rule") == "r1" ? r1 : r2) = x.at("hits").get<uint64_t>();
  EXPECT_EQ(r2, 0u) << "r2 was added by the reload: not in the stats until a restart";
  const uint64_t rule_drop = stats.at("totals").at("drops").at("rule_drop").get<uint64_t>();
  EXPECT_EQ(r1 + rule_drop + PortCounter(stats, "b", "tx_packets"), rx) << "each packet: r1, r2 or the port map";
  EXPECT_EQ(PortCounter(stats, "a", "tx_packets"), r1);
  std::printf("[ figure   ] reload: %llu packets, %llu forwarded by r1 over two generations, %llu dropped by r2\n",
              static_cast<unsigned long long>(rx), static_cast<unsigned long long>(r1),
              static_cast<unsigned long long>(rule_drop));
}

}  // namespace
}  // namespace ingestd::testing
