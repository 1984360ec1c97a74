// SPDX-License-Identifier: BSD-3-Clause
// FrameBuilder layouts and checksums, pcap round trips and UdpTraffic.
#include "ingestd/framegen/frame_builder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "ingestd/packet/parse.hpp"

namespace ingestd::framegen {
namespace {

// An independent RFC 1071 sum: a correct checksum makes the covered bytes sum to 0xffff.
uint32_t Sum(std::span<const uint8_t> bytes, uint32_t sum = 0) {
  for (size_t i = 0; i < bytes.size(); ++i) sum += (i % 2 == 0) ? bytes[i] << 8 : bytes[i];
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
std::span<const uint8_t> At(const Bytes& f, size_t off, size_t len) {
  return std::span<const uint8_t>(f).subspan(off, len);
}

// Checks the IPv4 header and the L4 checksum of an untagged IPv4 frame.
void ExpectIpv4ChecksumsValid(const Bytes& f, bool l4_has_pseudo_header) {
  const size_t ihl = (f[14] & 0x0f) * 4u;
  const size_t total = f[16] << 8 | f[17];
  EXPECT_EQ(Fold(Sum(At(f, 14, ihl))), 0xffff) << "IPv4 header";
  uint32_t pseudo = 0;
  if (l4_has_pseudo_header) {
    pseudo = Sum(At(f, 26, 8)) + f[23] + static_cast<uint32_t>(total - ihl);
  }
  EXPECT_EQ(Fold(Sum(At(f, 14 + ihl, total - ihl), pseudo)), 0xffff) << "L4";
}

// Checks the L4 checksum of an untagged IPv6 frame without extension headers.
void ExpectIpv6ChecksumValid(const Bytes& f) {
  const size_t len = f[18] << 8 | f[19];
  const uint32_t pseudo = Sum(At(f, 22, 32)) + static_cast<uint32_t>(len) + f[20];
  EXPECT_EQ(Fold(Sum(At(f, 54, len), pseudo)), 0xffff);
}

TEST(FrameBuilder, Ipv4HeaderChecksumKnownAnswer) {
  // The worked example from RFC 1071-style tutorials: 45 00 00 73 ... checksum b8 61.
  Ipv4Spec ip;
  ip.src = {192, 168, 0, 1};
  ip.dst = {192, 168, 0, 199};
  ip.dont_fragment = true;
  ip.protocol = packet::kIpProtoUdp;
  ip.total_length = 0x73;
  const Bytes f = FrameBuilder().Ipv4(ip).Build();
  const Bytes want{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(Bytes(f.begin() + 14, f.end()), want);
}

TEST(FrameBuilder, EthernetAndVlanLayout) {
  const Bytes f = FrameBuilder()
                      .Ethernet({1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12})
                      .Vlan(0x1234, packet::kTpid8021ad)
                      .Vlan(0x0567)
                      .EtherType(0x88b5)
                      .Payload(3, 0xf0)
                      .Build();
  const Bytes want{1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,  0x88,
                   0xa8, 0x12, 0x34, 0x81, 0x00, 0x05, 0x67, 0x88, 0xb5, 0xf0, 0xf1, 0xf2};
  EXPECT_EQ(f, want);
}

TEST(FrameBuilder, ChecksumsAreValid) {
  TcpSpec tcp;
  tcp.options = {2, 4, 0x05, 0xb4};
  ExpectIpv4ChecksumsValid(FrameBuilder().Ipv4().Tcp(tcp).Payload(33).Build(), true);
  ExpectIpv4ChecksumsValid(FrameBuilder().Ipv4().Udp().Payload(0).Build(), true);
  ExpectIpv4ChecksumsValid(FrameBuilder().Ipv4().Udp().Payload(1001).Build(), true);
  ExpectIpv4ChecksumsValid(FrameBuilder().Ipv4().Icmp({.rest = 0x12345678}).Payload(7).Build(),
                           false);
  Ipv4Spec with_options;
  with_options.options = {0x94, 0x04};  // padded to 4 bytes
  ExpectIpv4ChecksumsValid(FrameBuilder().Ipv4(with_options).Udp().Payload(9).Build(), true);

  ExpectIpv6ChecksumValid(FrameBuilder().Ipv6().Tcp(tcp).Payload(101).Build());
  ExpectIpv6ChecksumValid(FrameBuilder().Ipv6().Udp().Payload(12).Build());
  ExpectIpv6ChecksumValid(FrameBuilder().Ipv6().Icmp({.type = 128}).Payload(56).Build());
}

TEST(FrameBuilder, CorruptChecksumsAreInvalid) {
  Ipv4Spec ip;
  ip.corrupt_checksum = true;
  const Bytes bad_ip = FrameBuilder().Ipv4(ip).Udp().Build();
  EXPECT_NE(Fold(Sum(At(bad_ip, 14, 20))), 0xffff);

  for (const Bytes& f : {FrameBuilder().Ipv6().Tcp({.corrupt_checksum = true}).Build(),
                         FrameBuilder().Ipv6().Udp({.corrupt_checksum = true}).Build(),
                         FrameBuilder().Ipv6().Icmp({.corrupt_checksum = true}).Build()}) {
    const size_t len = f[18] << 8 | f[19];
    const uint32_t pseudo = Sum(At(f, 22, 32)) + static_cast<uint32_t>(len) + f[20];
    EXPECT_NE(Fold(Sum(At(f, 54, len), pseudo)), 0xffff);
  }
}

TEST(FrameBuilder, LengthsFollowContentUnlessOverridden) {
  const Bytes f = FrameBuilder().Ipv4().Udp().Payload(10).PadTo(60).Build();
  ASSERT_EQ(f.size(), 60u);
  EXPECT_EQ(f[16] << 8 | f[17], 38);  // total length excludes the padding
  EXPECT_EQ(f[38] << 8 | f[39], 18);  // UDP length
  EXPECT_EQ(f[14], 0x45);

  Ipv4Spec ip;
  ip.ihl = 3;
  ip.version = 7;
  ip.total_length = 999;
  const Bytes g = FrameBuilder().Ipv4(ip).Udp({.length = 4}).Build();
  EXPECT_EQ(g[14], 0x73);
  EXPECT_EQ(g[16] << 8 | g[17], 999);
  EXPECT_EQ(g[38] << 8 | g[39], 4);
  EXPECT_EQ(g.size(), 14u + 20 + 8);  // the header bytes stay as built

  Ipv6Spec ip6;
  ip6.payload_length = 7;
  ip6.version = 9;
  const Bytes h = FrameBuilder().Ipv6(ip6).Tcp({.data_offset = 3}).Build();
  EXPECT_EQ(h[14] >> 4, 9);
  EXPECT_EQ(h[18] << 8 | h[19], 7);
  EXPECT_EQ(h[54 + 12], 0x30);
}

TEST(FrameBuilder, FragmentFields) {
  Ipv4Spec ip;
  ip.dont_fragment = false;
  ip.more_fragments = true;
  ip.frag_offset = 0x1abc;
  ip.id = 0xbeef;
  const Bytes f = FrameBuilder().Ipv4(ip).Payload(8).Build();
  EXPECT_EQ(f[18] << 8 | f[19], 0xbeef);
  EXPECT_EQ(f[20] << 8 | f[21], 0x2000 | 0x1abc);
  EXPECT_EQ(f[23], 253);  // no L4: the RFC 3692 testing protocol
}

TEST(FrameBuilder, Ipv6ExtensionHeadersAreChained) {
  Ipv6Spec ip;
  ip.extensions.push_back({0, {1, 4, 0, 0, 0, 0}});
  ip.extensions.push_back({60, {1, 2, 0, 0, 0, 0, 0, 0, 0, 0}});  // padded to 14
  ip.extensions.push_back({44, {0, 0, 0, 0, 0, 1}});
  const Bytes f = FrameBuilder().Ipv6(ip).Udp().Payload(4).Build();
  EXPECT_EQ(f[20], 0);                                // first: hop-by-hop
  EXPECT_EQ(f[54], 60);                               // then destination options
  EXPECT_EQ(f[55], 0);                                // 8 bytes
  EXPECT_EQ(f[62], 44);                               // then fragment
  EXPECT_EQ(f[63], 1);                                // 16 bytes
  EXPECT_EQ(f[78], packet::kIpProtoUdp);              // then UDP
  EXPECT_EQ(f[79], 0);                                // reserved
  EXPECT_EQ(f[18] << 8 | f[19], 8 + 16 + 8 + 8 + 4);  // payload length covers them all
  // The UDP checksum covers the upper-layer length only.
  const uint32_t pseudo = Sum(At(f, 22, 32)) + 12u + packet::kIpProtoUdp;
  EXPECT_EQ(Fold(Sum(At(f, 86, 12), pseudo)), 0xffff);
}

TEST(FrameBuilder, ClipL4CutsAfterChecksumBeforeLengths) {
  const Bytes f = FrameBuilder().Ipv6().Tcp().Payload(50).ClipL4(5).Build();
  EXPECT_EQ(f.size(), 14u + 40 + 5);
  EXPECT_EQ(f[18] << 8 | f[19], 5);
  const Bytes g = FrameBuilder().Ipv4().Udp().ClipL4(100).Build();  // longer: no-op
  EXPECT_EQ(g.size(), 14u + 20 + 8);
}

TEST(FrameBuilder, ArpLayout) {
  ArpSpec arp;
  arp.opcode = 2;
  const Bytes f = FrameBuilder().Arp(arp).Build();
  ASSERT_EQ(f.size(), 14u + 28);
  EXPECT_EQ(f[12] << 8 | f[13], packet::kEtherTypeArp);
  EXPECT_EQ(f[14 + 7], 2);
  EXPECT_EQ(Bytes(f.begin() + 14 + 14, f.begin() + 14 + 18), Bytes({10, 0, 0, 1}));
}

TEST(FrameBuilder, Truncated) {
  const Bytes f{1, 2, 3, 4};
  EXPECT_EQ(Truncated(f, 2), Bytes({1, 2}));
  EXPECT_EQ(Truncated(f, 0), Bytes());
  EXPECT_EQ(Truncated(f, 10), f);
}

TEST(FrameBuilder, MisuseThrows) {
  EXPECT_THROW(FrameBuilder().Build(), std::logic_error);
  EXPECT_THROW(FrameBuilder().Tcp(), std::logic_error);
  EXPECT_THROW(FrameBuilder().Arp().Udp(), std::logic_error);
  EXPECT_THROW(FrameBuilder().Ipv4().Ipv6(), std::logic_error);
  EXPECT_THROW(FrameBuilder().Ipv4().Udp().Icmp(), std::logic_error);
  Ipv4Spec ip;
  ip.options.resize(41);
  EXPECT_THROW(FrameBuilder().Ipv4(ip).Build(), std::logic_error);
  EXPECT_THROW(FrameBuilder().Ipv4().Udp().Payload(65536).Build(), std::logic_error);
}

// ---- pcap -----------------------------------------------------------------------------------

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "ingestd_" + std::to_string(getpid()) + "_" + name;
}

TEST(Pcap, RoundTrip) {
  const std::vector<Bytes> frames{FrameBuilder().Ipv4().Udp().PadTo(60).Build(),
                                  FrameBuilder().Vlan(3).Ipv6().Tcp().Payload(1400).Build(),
                                  Bytes{0xff}, Bytes{}};
  const std::string path = TempPath("roundtrip.pcap");
  WritePcap(path, frames);
  EXPECT_EQ(ReadPcap(path), frames);

  const std::vector<LabeledFrame> labeled{
      {frames[0], packet::ParseVerdict::kOk, "a"},
      {frames[2], packet::ParseVerdict::kTruncatedEthernet, "b"}};
  WritePcap(path, labeled);
  EXPECT_EQ(ReadPcap(path), (std::vector<Bytes>{frames[0], frames[2]}));

  WritePcap(path, std::vector<Bytes>{});
  EXPECT_TRUE(ReadPcap(path).empty());
  std::remove(path.c_str());
}

TEST(Pcap, ErrorsNameThePath) {
  const std::string missing = TempPath("no/such/dir/x.pcap");
  try {
    ReadPcap(missing);
    FAIL() << "ReadPcap of a missing file did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  try {
    WritePcap(missing, std::vector<Bytes>{});
    FAIL() << "WritePcap into a missing directory did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  const std::string junk = TempPath("junk.pcap");
  FILE* f = std::fopen(junk.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a capture file at all", f);
  std::fclose(f);
  EXPECT_THROW(ReadPcap(junk), std::runtime_error);
  std::remove(junk.c_str());
}

// ---- UdpTraffic -----------------------------------------------------------------------------

TEST(UdpTraffic, ExactSizesValidFramesVariedFlows) {
  for (const size_t size : {kMinFrameLen, size_t{64}, size_t{777}, kMaxFrameLen}) {
    const std::vector<Bytes> frames = UdpTraffic(3, 200, size);
    ASSERT_EQ(frames.size(), 200u);
    std::set<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t>> tuples;
    for (const Bytes& f : frames) {
      ASSERT_EQ(f.size(), size);
      packet::PktMeta m{};
      ASSERT_EQ(packet::ParseFrame(f, m), packet::ParseVerdict::kOk);
      EXPECT_EQ(m.l3, packet::L3Type::kIpv4);
      EXPECT_EQ(m.ip_proto, packet::kIpProtoUdp);
      EXPECT_EQ(m.vlan_count, 0);
      ExpectIpv4ChecksumsValid(f, true);
      const auto src = packet::Ipv4Src(f.data(), m);
      const auto dst = packet::Ipv4Dst(f.data(), m);
      tuples.emplace(src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3],
                     dst[0] << 24 | dst[1] << 16 | dst[2] << 8 | dst[3], m.src_port, m.dst_port);
    }
    EXPECT_GT(tuples.size(), 190u);
  }
  EXPECT_EQ(UdpTraffic(3, 10, 100), UdpTraffic(3, 10, 100));
  EXPECT_NE(UdpTraffic(3, 10, 100), UdpTraffic(4, 10, 100));
}

TEST(UdpTraffic, FlowsRepeatInTurn) {
  const std::vector<Bytes> frames = UdpTraffic(5, 10, 64, 4);
  ASSERT_EQ(frames.size(), 10u);
  // Distinct frames counted by equality: ordering vectors (std::set<Bytes>) trips GCC 12's
  // false -Wstringop-overread at -O3, which breaks release builds under -Werror.
  size_t distinct = 0;
  for (auto f = frames.begin(); f != frames.end(); ++f) distinct += std::find(frames.begin(), f, *f) == f;
  EXPECT_EQ(distinct, 4u);
  for (size_t i = 4; i < frames.size(); ++i) EXPECT_EQ(frames[i], frames[i % 4]) << i;
  // The distinct frames are the first ones of the unrepeated capture.
  const std::vector<Bytes> all = UdpTraffic(5, 4, 64);
  EXPECT_EQ(std::vector<Bytes>(frames.begin(), frames.begin() + 4), all);
  EXPECT_EQ(UdpTraffic(5, 3, 64, 8), UdpTraffic(5, 3, 64));  // more flows than frames
}

TEST(UdpTraffic, RejectsSizesOutsideEthernet) {
  EXPECT_THROW(UdpTraffic(1, 1, kMinFrameLen - 1), std::invalid_argument);
  EXPECT_THROW(UdpTraffic(1, 1, kMaxFrameLen + 1), std::invalid_argument);
}

}  // namespace
}  // namespace ingestd::framegen
