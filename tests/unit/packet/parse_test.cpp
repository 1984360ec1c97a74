// SPDX-License-Identifier: BSD-3-Clause
// ParseFrame on hand-built frames: every supported layer, every malformed case, split frames.
#include "ingestd/packet/parse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "ingestd/framegen/frame_builder.hpp"
#include "parse_copy.hpp"

namespace ingestd::packet {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;
using framegen::Ipv4Spec;
using framegen::Ipv6Spec;
using framegen::TcpSpec;
using framegen::UdpSpec;

// Every parse-owned field, with the values of "nothing parsed" as defaults.
struct Want {
  ParseVerdict verdict = ParseVerdict::kOk;
  L3Type l3 = L3Type::kNone;
  uint16_t l3_off = kNoOffset;
  uint16_t l4_off = kNoOffset;
  uint16_t ethertype = 0;
  uint8_t ip_proto = 0;
  uint8_t vlan_count = 0;
  std::array<uint16_t, kMaxVlans> vlan_tci{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t l4_len = 0;
  uint8_t is_fragment = 0;
};

// ParseCopy (a copy of exactly the bytes given, a meta of garbage), and the fields the parser
// must leave alone.
PktMeta Parse(const Bytes& frame, uint32_t data_len, uint32_t pkt_len) {
  const PktMeta meta = ParseCopy(frame, {}, 0, data_len, pkt_len);
  // rx and process fields are not parse's to write.
  EXPECT_EQ(meta.rx_tsc, 0xa5a5a5a5a5a5a5a5u);
  EXPECT_EQ(meta.in_port, 0xa5a5u);
  EXPECT_EQ(meta.in_queue, 0xa5a5u);
  EXPECT_EQ(meta.out_port, 0xa5a5u);
  return meta;
}

PktMeta Parse(const Bytes& frame) {
  const auto len = static_cast<uint32_t>(frame.size());
  return Parse(frame, len, len);
}

void ExpectMeta(const PktMeta& m, const Want& w) {
  EXPECT_EQ(VerdictName(m.verdict), VerdictName(w.verdict));
  EXPECT_EQ(m.l3, w.l3);
  EXPECT_EQ(m.l3_off, w.l3_off);
  EXPECT_EQ(m.l4_off, w.l4_off);
  EXPECT_EQ(m.ethertype, w.ethertype);
  EXPECT_EQ(m.ip_proto, w.ip_proto);
  EXPECT_EQ(m.vlan_count, w.vlan_count);
  EXPECT_EQ(m.vlan_tci[0], w.vlan_tci[0]);
  EXPECT_EQ(m.vlan_tci[1], w.vlan_tci[1]);
  EXPECT_EQ(m.src_port, w.src_port);
  EXPECT_EQ(m.dst_port, w.dst_port);
  EXPECT_EQ(m.l4_len, w.l4_len);
  EXPECT_EQ(m.is_fragment, w.is_fragment);
}

void ExpectParse(const Bytes& frame, const Want& w) {
  SCOPED_TRACE(testing::Message() << "frame of " << frame.size() << " bytes");
  ExpectMeta(Parse(frame), w);
}

// ---- well-formed frames ---------------------------------------------------------------------

TEST(ParseFrame, Ipv4Tcp) {
  const Bytes f = FrameBuilder().Ipv4().Tcp({.src_port = 1234, .dst_port = 80}).Payload(10).Build();
  ASSERT_EQ(f.size(), 64u);
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 14,
                  .l4_off = 34,
                  .ethertype = 0x0800,
                  .ip_proto = 6,
                  .src_port = 1234,
                  .dst_port = 80,
                  .l4_len = 30});
}

TEST(ParseFrame, Ipv4TcpWithOptionsInBothHeaders) {
  Ipv4Spec ip;
  ip.options = {0x94, 0x04, 0x00, 0x00};  // router alert: IHL 6
  TcpSpec tcp{.src_port = 40000, .dst_port = 443};
  tcp.options = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};  // data offset 7
  const Bytes f = FrameBuilder().Ipv4(ip).Tcp(tcp).Payload(5).Build();
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 14,
                  .l4_off = 38,
                  .ethertype = 0x0800,
                  .ip_proto = 6,
                  .src_port = 40000,
                  .dst_port = 443,
                  .l4_len = 28 + 5});
}

TEST(ParseFrame, Ipv4UdpWith8021QTag) {
  const Bytes f = FrameBuilder()
                      .Vlan(0x2064)  // PCP 1, VID 100
                      .Ipv4()
                      .Udp({.src_port = 5353, .dst_port = 53})
                      .Payload(20)
                      .Build();
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 18,
                  .l4_off = 38,
                  .ethertype = 0x0800,
                  .ip_proto = 17,
                  .vlan_count = 1,
                  .vlan_tci = {0x2064, 0},
                  .src_port = 5353,
                  .dst_port = 53,
                  .l4_len = 28});
}

TEST(ParseFrame, Ipv6UdpIn8021adQinQ) {
  const Bytes f = FrameBuilder()
                      .Vlan(0x0123, kTpid8021ad)
                      .Vlan(0xe456, kTpid8021Q)
                      .Ipv6()
                      .Udp({.src_port = 4000, .dst_port = 4001})
                      .Payload(100)
                      .Build();
  ExpectParse(f, {.l3 = L3Type::kIpv6,
                  .l3_off = 22,
                  .l4_off = 62,
                  .ethertype = 0x86dd,
                  .ip_proto = 17,
                  .vlan_count = 2,
                  .vlan_tci = {0x0123, 0xe456},
                  .src_port = 4000,
                  .dst_port = 4001,
                  .l4_len = 108});
}

TEST(ParseFrame, Ipv4IcmpIn9100QinQ) {
  const Bytes f = FrameBuilder()
                      .Vlan(7, kTpid9100)
                      .Vlan(8)
                      .Ipv4()
                      .Icmp({.type = 3, .code = 1})
                      .Payload(28)
                      .Build();
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 22,
                  .l4_off = 42,
                  .ethertype = 0x0800,
                  .ip_proto = 1,
                  .vlan_count = 2,
                  .vlan_tci = {7, 8},
                  .dst_port = 0x0301,
                  .l4_len = 36});
}

TEST(ParseFrame, Ipv6TcpWithOptions) {
  TcpSpec tcp{.src_port = 22, .dst_port = 50000};
  tcp.options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // timestamps: data offset 8
  const Bytes f = FrameBuilder().Ipv6().Tcp(tcp).Build();
  ExpectParse(f, {.l3 = L3Type::kIpv6,
                  .l3_off = 14,
                  .l4_off = 54,
                  .ethertype = 0x86dd,
                  .ip_proto = 6,
                  .src_port = 22,
                  .dst_port = 50000,
                  .l4_len = 32});
}

TEST(ParseFrame, Ipv6Icmpv6Echo) {
  const Bytes f =
      FrameBuilder().Ipv6().Icmp({.type = 128, .code = 0, .rest = 0x00010002}).Payload(56).Build();
  ExpectParse(f, {.l3 = L3Type::kIpv6,
                  .l3_off = 14,
                  .l4_off = 54,
                  .ethertype = 0x86dd,
                  .ip_proto = 58,
                  .dst_port = 0x8000,
                  .l4_len = 64});
}

TEST(ParseFrame, ArpPlainAndTagged) {
  ExpectParse(FrameBuilder().Arp().PadTo(60).Build(),
              {.l3 = L3Type::kArp, .l3_off = 14, .ethertype = 0x0806});
  ExpectParse(FrameBuilder().Vlan(42).Arp({.opcode = 2}).Build(), {.l3 = L3Type::kArp,
                                                                   .l3_off = 18,
                                                                   .ethertype = 0x0806,
                                                                   .vlan_count = 1,
                                                                   .vlan_tci = {42, 0}});
}

TEST(ParseFrame, OtherEtherTypeIsForwardedAsIs) {
  ExpectParse(FrameBuilder().EtherType(0x88cc).Payload(46).Build(),
              {.l3 = L3Type::kOther, .l3_off = 14, .ethertype = 0x88cc});
  // Even an Ethernet header with nothing after it.
  ExpectParse(FrameBuilder().Vlan(1).EtherType(0x88b5).Build(), {.l3 = L3Type::kOther,
                                                                 .l3_off = 18,
                                                                 .ethertype = 0x88b5,
                                                                 .vlan_count = 1,
                                                                 .vlan_tci = {1, 0}});
}

TEST(ParseFrame, Ipv4FirstFragmentParsesL4AndAllowsDatagramUdpLength) {
  Ipv4Spec ip;
  ip.more_fragments = true;
  // The UDP length counts the whole datagram, longer than this fragment.
  const Bytes f = FrameBuilder()
                      .Ipv4(ip)
                      .Udp({.src_port = 1, .dst_port = 2, .length = 3000})
                      .Payload(1472)
                      .Build();
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 14,
                  .l4_off = 34,
                  .ethertype = 0x0800,
                  .ip_proto = 17,
                  .src_port = 1,
                  .dst_port = 2,
                  .l4_len = 1480});
}

TEST(ParseFrame, Ipv4LaterFragmentsHaveNoL4) {
  for (const uint16_t offset : {1, 185, 0x1fff}) {
    Ipv4Spec ip;
    ip.more_fragments = offset != 0x1fff;
    ip.frag_offset = offset;
    ip.protocol = kIpProtoUdp;
    ExpectParse(
        FrameBuilder().Ipv4(ip).Payload(100).Build(),
        {.l3 = L3Type::kIpv4, .l3_off = 14, .ethertype = 0x0800, .ip_proto = 17, .is_fragment = 1});
  }
}

TEST(ParseFrame, Ipv4OtherProtocolHasNoL4) {
  Ipv4Spec ip;
  ip.protocol = 47;  // GRE
  ExpectParse(FrameBuilder().Ipv4(ip).Payload(30).Build(),
              {.l3 = L3Type::kIpv4, .l3_off = 14, .ethertype = 0x0800, .ip_proto = 47});
  ip.protocol = kIpProtoIcmpv6;  // ICMPv6 number under IPv4 is not ICMP
  ExpectParse(FrameBuilder().Ipv4(ip).Payload(30).Build(),
              {.l3 = L3Type::kIpv4, .l3_off = 14, .ethertype = 0x0800, .ip_proto = 58});
}

TEST(ParseFrame, Ipv6ExtensionHeadersAreWalkedToL4) {
  for (const uint8_t type : {0, 43, 44, 60}) {
    Ipv6Spec ip;
    ip.extensions.push_back({type, {0, 0, 0, 0, 0, 0}});
    ExpectParse(FrameBuilder().Ipv6(ip).Udp().Payload(10).Build(), {.l3 = L3Type::kIpv6,
                                                                    .l3_off = 14,
                                                                    .l4_off = 14 + 40 + 8,
                                                                    .ethertype = 0x86dd,
                                                                    .ip_proto = 17,
                                                                    .src_port = 1024,
                                                                    .dst_port = 53,
                                                                    .l4_len = 18});
  }
  Ipv6Spec ip;
  ip.next_header = kIpProtoIcmp;  // ICMPv4 number under IPv6 is not ICMPv6
  ExpectParse(FrameBuilder().Ipv6(ip).Payload(8).Build(),
              {.l3 = L3Type::kIpv6, .l3_off = 14, .ethertype = 0x86dd, .ip_proto = 1});
}

TEST(ParseFrame, EthernetPaddingAfterIpLengthIsAllowed) {
  // 14 + 20 + 8 + 4 = 46 bytes of frame, padded to the 60-byte minimum.
  const Bytes v4 =
      FrameBuilder().Ipv4().Udp({.src_port = 7, .dst_port = 9}).Payload(4).PadTo(60).Build();
  ASSERT_EQ(v4.size(), 60u);
  ExpectParse(v4, {.l3 = L3Type::kIpv4,
                   .l3_off = 14,
                   .l4_off = 34,
                   .ethertype = 0x0800,
                   .ip_proto = 17,
                   .src_port = 7,
                   .dst_port = 9,
                   .l4_len = 12});
  const Bytes v6 = FrameBuilder().Ipv6().Icmp().PadTo(70).Build();
  ExpectParse(v6, {.l3 = L3Type::kIpv6,
                   .l3_off = 14,
                   .l4_off = 54,
                   .ethertype = 0x86dd,
                   .ip_proto = 58,
                   .dst_port = 0x0800,
                   .l4_len = 8});
}

TEST(ParseFrame, UdpLengthShorterThanPayloadIsAllowed) {
  const Bytes f = FrameBuilder().Ipv4().Udp({.length = 8}).Payload(20).Build();
  ExpectParse(f, {.l3 = L3Type::kIpv4,
                  .l3_off = 14,
                  .l4_off = 34,
                  .ethertype = 0x0800,
                  .ip_proto = 17,
                  .src_port = 1024,
                  .dst_port = 53,
                  .l4_len = 28});
}

TEST(ParseFrame, ChecksumsAreNotTheParsersBusiness) {
  Ipv4Spec ip;
  ip.corrupt_checksum = true;
  EXPECT_EQ(Parse(FrameBuilder().Ipv4(ip).Tcp({.corrupt_checksum = true}).Build()).verdict,
            ParseVerdict::kOk);
}

TEST(ParseFrame, AccessorsPointIntoThePacket) {
  Ipv4Spec ip;
  ip.src = {192, 0, 2, 1};
  ip.dst = {198, 51, 100, 7};
  const Bytes f4 = FrameBuilder().Vlan(5).Ipv4(ip).Udp().Build();
  PktMeta m{};
  ASSERT_EQ(ParseFrame(f4, m), ParseVerdict::kOk);
  EXPECT_EQ(Ipv4Src(f4.data(), m).data(), f4.data() + 18 + 12);
  EXPECT_TRUE(std::ranges::equal(Ipv4Src(f4.data(), m), ip.src));
  EXPECT_TRUE(std::ranges::equal(Ipv4Dst(f4.data(), m), ip.dst));
  EXPECT_EQ(L3Header(f4.data(), m), f4.data() + 18);
  EXPECT_EQ(L4Header(f4.data(), m), f4.data() + 38);

  Ipv6Spec ip6;
  ip6.src[15] = 0x11;
  ip6.dst[15] = 0x22;
  const Bytes f6 = FrameBuilder().Ipv6(ip6).Tcp().Build();
  ASSERT_EQ(ParseFrame(f6, m), ParseVerdict::kOk);
  EXPECT_TRUE(std::ranges::equal(Ipv6Src(f6.data(), m), ip6.src));
  EXPECT_TRUE(std::ranges::equal(Ipv6Dst(f6.data(), m), ip6.dst));
  EXPECT_EQ(L4Header(f6.data(), m), f6.data() + 54);

  const Bytes arp = FrameBuilder().Arp().Build();
  ASSERT_EQ(ParseFrame(arp, m), ParseVerdict::kOk);
  EXPECT_EQ(L4Header(arp.data(), m), nullptr);
}

// ---- malformed frames -----------------------------------------------------------------------

TEST(ParseFrame, ShortEthernet) {
  const Bytes full = FrameBuilder().Ipv4().Udp().Build();
  for (size_t n = 0; n < 14; ++n) {
    ExpectParse(framegen::Truncated(full, n), {.verdict = ParseVerdict::kTruncatedEthernet});
  }
}

TEST(ParseFrame, CutVlanTag) {
  const Bytes one = FrameBuilder().Vlan(0x0abc).Ipv4().Udp().Build();
  for (size_t n = 14; n < 18; ++n) {
    ExpectParse(framegen::Truncated(one, n), {.verdict = ParseVerdict::kTruncatedVlan});
  }
  // The outer tag is complete and recorded; the inner one is cut.
  const Bytes two = FrameBuilder().Vlan(0x0abc, kTpid8021ad).Vlan(0x0def).Ipv4().Udp().Build();
  for (size_t n = 18; n < 22; ++n) {
    ExpectParse(
        framegen::Truncated(two, n),
        {.verdict = ParseVerdict::kTruncatedVlan, .vlan_count = 1, .vlan_tci = {0x0abc, 0}});
  }
}

TEST(ParseFrame, ThirdVlanTag) {
  const Bytes f =
      FrameBuilder().Vlan(1, kTpid8021ad).Vlan(2).Vlan(3).Ipv4().Udp().PadTo(60).Build();
  ExpectParse(f, {.verdict = ParseVerdict::kTooManyVlans, .vlan_count = 2, .vlan_tci = {1, 2}});
  // The third TPID alone is enough to know: its TCI need not be there.
  ExpectParse(framegen::Truncated(f, 24),
              {.verdict = ParseVerdict::kTooManyVlans, .vlan_count = 2, .vlan_tci = {1, 2}});
}

constexpr Want kIpv4Failed{.l3 = L3Type::kIpv4, .l3_off = 14, .ethertype = 0x0800};
constexpr Want kIpv6Failed{.l3 = L3Type::kIpv6, .l3_off = 14, .ethertype = 0x86dd};

Want Failed(Want base, ParseVerdict v) {
  base.verdict = v;
  return base;
}

TEST(ParseFrame, Ipv4IhlBelowFive) {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    Ipv4Spec ip;
    ip.ihl = ihl;
    ExpectParse(FrameBuilder().Ipv4(ip).Udp().Build(),
                Failed(kIpv4Failed, ParseVerdict::kBadIpv4Ihl));
  }
}

TEST(ParseFrame, Ipv4WrongVersion) {
  Ipv4Spec ip;
  ip.version = 6;
  ExpectParse(FrameBuilder().Ipv4(ip).Udp().Build(),
              Failed(kIpv4Failed, ParseVerdict::kBadIpv4Version));
}

TEST(ParseFrame, Ipv4HeaderCut) {
  const Bytes f = FrameBuilder().Ipv4().Udp().Build();
  for (size_t n = 14; n < 34; ++n) {
    ExpectParse(framegen::Truncated(f, n), Failed(kIpv4Failed, ParseVerdict::kTruncatedIpv4));
  }
  // IHL says 60 bytes of header; the frame (even padded) has fewer.
  Ipv4Spec ip;
  ip.ihl = 15;
  ExpectParse(FrameBuilder().Ipv4(ip).Udp().PadTo(60).Build(),
              Failed(kIpv4Failed, ParseVerdict::kTruncatedIpv4));
}

TEST(ParseFrame, Ipv4TotalLengthBeyondTheFrame) {
  Ipv4Spec ip;
  ip.total_length = 20 + 8 + 10 + 1;
  ExpectParse(FrameBuilder().Ipv4(ip).Udp().Payload(10).Build(),
              Failed(kIpv4Failed, ParseVerdict::kBadIpv4TotalLength));
}

TEST(ParseFrame, Ipv4TotalLengthBelowHeader) {
  Ipv4Spec ip;
  ip.total_length = 19;
  ExpectParse(FrameBuilder().Ipv4(ip).Udp().Build(),
              Failed(kIpv4Failed, ParseVerdict::kBadIpv4TotalLength));
  ip.options = {1, 1, 1, 1};  // IHL 6: 24 bytes
  ip.total_length = 20;
  ExpectParse(FrameBuilder().Ipv4(ip).Udp().Build(),
              Failed(kIpv4Failed, ParseVerdict::kBadIpv4TotalLength));
}

TEST(ParseFrame, TcpHeaderCut) {
  for (size_t clip = 0; clip < 20; ++clip) {
    ExpectParse(FrameBuilder().Ipv4().Tcp().ClipL4(clip).PadTo(60).Build(),
                {.verdict = ParseVerdict::kTruncatedTcp,
                 .l3 = L3Type::kIpv4,
                 .l3_off = 14,
                 .l4_off = 34,
                 .ethertype = 0x0800,
                 .ip_proto = 6,
                 .l4_len = static_cast<uint16_t>(clip)});
  }
}

TEST(ParseFrame, TcpDataOffsetBelowFive) {
  for (uint8_t words = 0; words < 5; ++words) {
    ExpectParse(FrameBuilder().Ipv6().Tcp({.data_offset = words}).Payload(30).Build(),
                {.verdict = ParseVerdict::kBadTcpDataOffset,
                 .l3 = L3Type::kIpv6,
                 .l3_off = 14,
                 .l4_off = 54,
                 .ethertype = 0x86dd,
                 .ip_proto = 6,
                 .l4_len = 50});
  }
}

TEST(ParseFrame, TcpOptionsBeyondThePayload) {
  // Data offset 15 (60 bytes) but the segment is 20 + 10 bytes; padding does not count.
  ExpectParse(FrameBuilder().Ipv4().Tcp({.data_offset = 15}).Payload(10).PadTo(200).Build(),
              {.verdict = ParseVerdict::kTruncatedTcp,
               .l3 = L3Type::kIpv4,
               .l3_off = 14,
               .l4_off = 34,
               .ethertype = 0x0800,
               .ip_proto = 6,
               .l4_len = 30});
}

TEST(ParseFrame, UdpHeaderCut) {
  for (size_t clip = 0; clip < 8; ++clip) {
    ExpectParse(FrameBuilder().Ipv4().Udp().ClipL4(clip).PadTo(60).Build(),
                {.verdict = ParseVerdict::kTruncatedUdp,
                 .l3 = L3Type::kIpv4,
                 .l3_off = 14,
                 .l4_off = 34,
                 .ethertype = 0x0800,
                 .ip_proto = 17,
                 .l4_len = static_cast<uint16_t>(clip)});
  }
}

TEST(ParseFrame, UdpLengthBeyondPayloadOrBelowHeader) {
  for (const uint16_t length : {0, 7, 8 + 10 + 1, 65535}) {
    ExpectParse(FrameBuilder().Ipv6().Udp({.length = length}).Payload(10).PadTo(100).Build(),
                {.verdict = ParseVerdict::kBadUdpLength,
                 .l3 = L3Type::kIpv6,
                 .l3_off = 14,
                 .l4_off = 54,
                 .ethertype = 0x86dd,
                 .ip_proto = 17,
                 .l4_len = 18});
  }
}

TEST(ParseFrame, Ipv6HeaderCut) {
  const Bytes f = FrameBuilder().Ipv6().Udp().Build();
  for (size_t n = 14; n < 54; ++n) {
    ExpectParse(framegen::Truncated(f, n), Failed(kIpv6Failed, ParseVerdict::kTruncatedIpv6));
  }
}

TEST(ParseFrame, Ipv6WrongVersion) {
  Ipv6Spec ip;
  ip.version = 4;
  ExpectParse(FrameBuilder().Ipv6(ip).Udp().Build(),
              Failed(kIpv6Failed, ParseVerdict::kBadIpv6Version));
}

TEST(ParseFrame, Ipv6PayloadLengthBeyondTheFrame) {
  Ipv6Spec ip;
  ip.payload_length = 8 + 10 + 1;
  ExpectParse(FrameBuilder().Ipv6(ip).Udp().Payload(10).Build(),
              Failed(kIpv6Failed, ParseVerdict::kBadIpv6PayloadLength));
}

TEST(ParseFrame, IcmpHeaderCut) {
  for (size_t clip = 0; clip < 8; ++clip) {
    ExpectParse(FrameBuilder().Ipv4().Icmp().ClipL4(clip).PadTo(60).Build(),
                {.verdict = ParseVerdict::kTruncatedIcmp,
                 .l3 = L3Type::kIpv4,
                 .l3_off = 14,
                 .l4_off = 34,
                 .ethertype = 0x0800,
                 .ip_proto = 1,
                 .l4_len = static_cast<uint16_t>(clip)});
    ExpectParse(FrameBuilder().Ipv6().Icmp().ClipL4(clip).Build(),
                {.verdict = ParseVerdict::kTruncatedIcmp,
                 .l3 = L3Type::kIpv6,
                 .l3_off = 14,
                 .l4_off = 54,
                 .ethertype = 0x86dd,
                 .ip_proto = 58,
                 .l4_len = static_cast<uint16_t>(clip)});
  }
}

// ---- multi-segment frames: only the first segment is readable -------------------------------

TEST(ParseFrame, HeadersCrossingIntoASecondSegment) {
  TcpSpec tcp;
  tcp.options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // 32-byte TCP header
  const Bytes f = FrameBuilder().Vlan(9).Ipv4().Tcp(tcp).Payload(200).Build();
  const auto pkt_len = static_cast<uint32_t>(f.size());
  const Want ok{.l3 = L3Type::kIpv4,
                .l3_off = 18,
                .l4_off = 38,
                .ethertype = 0x0800,
                .ip_proto = 6,
                .vlan_count = 1,
                .vlan_tci = {9, 0},
                .src_port = 1024,
                .dst_port = 80,
                .l4_len = 232};
  // Each cut point, and what the parser knows by then.
  ExpectMeta(Parse(f, 10, pkt_len), {.verdict = ParseVerdict::kHeadersNotContiguous});
  ExpectMeta(Parse(f, 16, pkt_len), {.verdict = ParseVerdict::kHeadersNotContiguous});
  ExpectMeta(Parse(f, 30, pkt_len), {.verdict = ParseVerdict::kHeadersNotContiguous,
                                     .l3 = L3Type::kIpv4,
                                     .l3_off = 18,
                                     .ethertype = 0x0800,
                                     .vlan_count = 1,
                                     .vlan_tci = {9, 0}});
  Want tcp_cut = ok;
  tcp_cut.verdict = ParseVerdict::kHeadersNotContiguous;
  tcp_cut.src_port = 0;
  tcp_cut.dst_port = 0;
  ExpectMeta(Parse(f, 38 + 19, pkt_len), tcp_cut);  // fixed TCP header cut
  ExpectMeta(Parse(f, 38 + 31, pkt_len), tcp_cut);  // TCP options cut
  // All headers in the first segment: the payload may continue elsewhere.
  ExpectMeta(Parse(f, 38 + 32, pkt_len), ok);
}

TEST(ParseFrame, IpOptionsAndIpv6CrossingIntoASecondSegment) {
  Ipv4Spec ip;
  ip.options = {0x94, 0x04, 0x00, 0x00};
  const Bytes f4 = FrameBuilder().Ipv4(ip).Udp().Payload(100).Build();
  EXPECT_EQ(Parse(f4, 14 + 22, static_cast<uint32_t>(f4.size())).verdict,
            ParseVerdict::kHeadersNotContiguous);
  const Bytes f6 = FrameBuilder().Ipv6().Udp().Payload(100).Build();
  EXPECT_EQ(Parse(f6, 14 + 39, static_cast<uint32_t>(f6.size())).verdict,
            ParseVerdict::kHeadersNotContiguous);
  EXPECT_EQ(Parse(f6, 14 + 40 + 7, static_cast<uint32_t>(f6.size())).verdict,
            ParseVerdict::kHeadersNotContiguous);
  EXPECT_EQ(Parse(f6, 14 + 40 + 8, static_cast<uint32_t>(f6.size())).verdict, ParseVerdict::kOk);
}

TEST(ParseFrame, ShortFrameIsTruncatedEvenWhenAlsoSplit) {
  // The frame itself ends inside the header: that is truncation, whatever the segments.
  const Bytes f = FrameBuilder().Ipv4().Udp().Build();
  EXPECT_EQ(Parse(f, 10, 12).verdict, ParseVerdict::kTruncatedEthernet);
  EXPECT_EQ(Parse(f, 20, 30).verdict, ParseVerdict::kTruncatedIpv4);
  // The IP length fields are checked against the whole frame, not the first segment.
  EXPECT_EQ(Parse(f, 34, static_cast<uint32_t>(f.size())).verdict,
            ParseVerdict::kHeadersNotContiguous);
  EXPECT_EQ(Parse(f, 42, static_cast<uint32_t>(f.size()) - 1).verdict,
            ParseVerdict::kBadIpv4TotalLength);
}

TEST(ParseFrame, DataBeyondPktLenIsNotPartOfTheFrame) {
  // A first segment longer than the frame claims: only pkt_len bytes count.
  const Bytes f = FrameBuilder().Ipv4().Udp().Payload(30).Build();
  EXPECT_EQ(Parse(f, static_cast<uint32_t>(f.size()), 40).verdict,
            ParseVerdict::kBadIpv4TotalLength);
  EXPECT_EQ(Parse(f, static_cast<uint32_t>(f.size()), 13).verdict,
            ParseVerdict::kTruncatedEthernet);
}

TEST(ParseFrame, NullDataWithZeroLength) {
  PktMeta m{};
  EXPECT_EQ(ParseFrame(nullptr, 0, 0, m), ParseVerdict::kTruncatedEthernet);
  EXPECT_EQ(ParseFrame(nullptr, 0, 1500, m), ParseVerdict::kHeadersNotContiguous);
}

TEST(ParseFrame, IsNoexcept) {
  static_assert(noexcept(ParseFrame(nullptr, 0, 0, std::declval<PktMeta&>())));
  static_assert(noexcept(ParseFrame(std::span<const uint8_t>{}, std::declval<PktMeta&>())));
}

}  // namespace
}  // namespace ingestd::packet
