// SPDX-License-Identifier: BSD-3-Clause
// Encode through the real binary, as tshark decodes the output captures: a pushed
// VLAN tag, VXLAN and GRE toward a configured remote (the frame inside unchanged),
// and truncation to a snap length.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "netns.hpp"
#include "tshark_fields.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;
using namespace std::chrono_literals;

TEST(Encode, VlanVxlanGreAndTruncationDecodeInTshark) {
  ASSERT_NE(FindProgram("tshark"), "") << "install tshark (Debian: tshark)";
  TempDir dir;
  const std::string prefix = UniquePrefix("encode");
  dir.OwnSegment(prefix);
  // 25 frames to each of UDP ports 1..4; rules send port N to output N.
  std::vector<Bytes> frames;
  for (unsigned i = 0; i < 100; ++i)
    frames.push_back(FrameBuilder()
                         .Ipv4({.src = {10, 1, 0, static_cast<uint8_t>(i + 1)}, .dst = {10, 2, 0, 1}})
                         .Udp({.src_port = static_cast<uint16_t>(5000 + i), .dst_port = static_cast<uint16_t>(i % 4 + 1)})
                         .Payload(300)
                         .Build());
  const std::string input = dir.File("in.pcap");
  framegen::WritePcap(input, frames);
  auto out = [&](const char* name) { return dir.File(std::string(name) + ".pcap"); };
  const std::string config = dir.File("encode.yaml");
  ConfigBuilder yaml(prefix);
  yaml.Port("wire", "net_pcap0").Arg("rx_pcap", input);
  auto output = [&](const char* name, const char* device, const char* encode) {
    yaml.Port(name, device).Arg("tx_pcap", out(name)).RxQueues(0).Field("encode", encode);
  };
  output("tagged", "net_pcap1", "{vlan: {push: 100, pcp: 5}}");
  output("vxlan", "net_pcap2",
         "{encap: {type: vxlan, id: 42, src: 192.0.2.1, dst: 192.0.2.2, src_mac: \"02:00:00:00:00:01\", "
         "dst_mac: \"02:00:00:00:00:02\"}}");
  output("gre", "net_pcap3",
         "{encap: {type: gre, id: 7, src: 192.0.2.1, dst: 192.0.2.3, src_mac: \"02:00:00:00:00:01\", "
         "dst_mac: \"02:00:00:00:00:03\"}}");
  output("snap", "net_pcap4", "{truncate: 96}");
  yaml.Chain({"wire"}).Segment(1, 1);
  yaml.Route("wire", "drop").Section("rules",
                                     "  - {match: {dst_port: 1}, forward: tagged}\n"
                                     "  - {match: {dst_port: 2}, forward: vxlan}\n"
                                     "  - {match: {dst_port: 3}, forward: gre}\n"
                                     "  - {match: {dst_port: 4}, forward: snap}\n");
  WriteText(config, yaml.Yaml());
  const std::string stats_path = dir.File("final.json");
  const RunResult r = RunIngestd({"-c", config, "--packets", "100", "--duration", "60", "--final-stats", stats_path},
                                 dir, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json stats = ReadJson(stats_path);
  ExpectConserved(stats);
  EXPECT_EQ(stats.at("totals").at("tx_packets").get<uint64_t>(), 100u);

  const auto tagged = TsharkFields(out("tagged"), {"vlan.id", "vlan.priority", "udp.dstport"}, dir);
  ASSERT_EQ(tagged.size(), 25u);
  for (const auto& f : tagged) EXPECT_EQ(f, (std::vector<std::string>{"100", "5", "1"}));

  // VXLAN: outer 192.0.2.1 -> 192.0.2.2:4789, VNI 42; inside, the frame as it came.
  const auto vxlan_outer = TsharkFields(out("vxlan"), {"ip.src", "ip.dst", "udp.dstport", "vxlan.vni"}, dir, 'f');
  const auto vxlan_inner = TsharkFields(out("vxlan"), {"ip.src", "ip.dst", "udp.dstport"}, dir, 'l');
  ASSERT_EQ(vxlan_outer.size(), 25u);
  for (size_t i = 0; i < vxlan_outer.size(); ++i) {
    EXPECT_EQ(vxlan_outer[i], (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "4789", "42"}));
    EXPECT_EQ(vxlan_inner[i][1], "10.2.0.1");
    EXPECT_EQ(vxlan_inner[i][2], "2");
  }
  const auto vxlan_frames = framegen::ReadPcap(out("vxlan"));
  ASSERT_EQ(vxlan_frames.size(), 25u);
  for (size_t i = 0; i < vxlan_frames.size(); ++i)
    EXPECT_EQ(Bytes(vxlan_frames[i].begin() + 50, vxlan_frames[i].end()), frames[4 * i + 1]) << "frame " << i;

  const auto gre_outer = TsharkFields(out("gre"), {"ip.dst", "gre.key", "gre.proto"}, dir, 'f');
  const auto gre_inner = TsharkFields(out("gre"), {"ip.dst", "udp.dstport"}, dir, 'l');
  ASSERT_EQ(gre_outer.size(), 25u);
  for (size_t i = 0; i < gre_outer.size(); ++i) {
    EXPECT_EQ(gre_outer[i][0], "192.0.2.3");
    EXPECT_EQ(gre_outer[i][1], "0x00000007");
    EXPECT_EQ(gre_outer[i][2], "0x6558");
    EXPECT_EQ(gre_inner[i], (std::vector<std::string>{"10.2.0.1", "3"}));
  }

  const auto snap = TsharkFields(out("snap"), {"frame.len", "ip.len", "udp.dstport"}, dir);
  ASSERT_EQ(snap.size(), 25u);
  for (const auto& f : snap) EXPECT_EQ(f, (std::vector<std::string>{"96", "328", "4"}));
}

}  // namespace
}  // namespace ingestd::testing
