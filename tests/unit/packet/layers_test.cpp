// SPDX-License-Identifier: BSD-3-Clause
// ParseFrame's newer layers: VLAN depth, MPLS, ARP length, IPv4 checksum, IPv6 extension
// headers, SCTP and the tunnels, outer and inner views, every new reason, every prefix.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/parse.hpp"
#include "parse_copy.hpp"

namespace ingestd::packet {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;
using framegen::Ipv4Spec;
using framegen::Ipv6Spec;
using framegen::TcpSpec;
using framegen::UdpSpec;

constexpr ParseOptions kAllTunnels{.tunnels = kTunnelAll};

std::string V(const PktMeta& m) { return std::string(VerdictName(m.verdict)); }

// An Ethernet frame without its first 14 bytes: what a tunnel or MPLS carries as "IP".
Bytes L3Of(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes InnerTcp4() {
  TcpSpec t;
  t.src_port = 4000;
  t.dst_port = 443;
  return FrameBuilder().Ipv4({.src = {192, 168, 0, 1}}).Tcp(t).Payload(10).Build();
}

Bytes InnerUdp6() {
  UdpSpec u;
  u.src_port = 5000;
  u.dst_port = 53;
  return FrameBuilder().Ipv6().Udp(u).Payload(6).Build();
}

Bytes UdpTo(uint16_t port, const Bytes& payload, bool v6 = false) {
  UdpSpec u;
  u.src_port = 49152;
  u.dst_port = port;
  FrameBuilder b;
  if (v6) {
    b.Ipv6();
  } else {
    b.Ipv4();
  }
  return b.Udp(u).Payload(payload).Build();
}

Bytes IpProto(uint8_t proto, const Bytes& payload, bool v6 = false) {
  if (v6) {
    Ipv6Spec ip;
    ip.next_header = proto;
    return FrameBuilder().Ipv6(ip).Payload(payload).Build();
  }
  Ipv4Spec ip;
  ip.protocol = proto;
  return FrameBuilder().Ipv4(ip).Payload(payload).Build();
}

Bytes VxlanHeader(uint32_t vni, uint8_t flags = 0x08) {
  return {flags, 0, 0, 0, static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8),
          static_cast<uint8_t>(vni), 0};
}

Bytes Vxlan(uint32_t vni, const Bytes& inner_frame) {
  return UdpTo(kVxlanPort, Cat(VxlanHeader(vni), inner_frame));
}

Bytes MplsStack(std::initializer_list<uint32_t> labels) {
  Bytes out;
  size_t i = 0;
  for (uint32_t label : labels) {
    const uint32_t e = label << 12 | (++i == labels.size() ? 0x100u : 0u) | 64u;
    out.insert(out.end(), {static_cast<uint8_t>(e >> 24), static_cast<uint8_t>(e >> 16),
                           static_cast<uint8_t>(e >> 8), static_cast<uint8_t>(e)});
  }
  return out;
}

// ---- VLAN depth ---------------------------------------------------------------------------

TEST(Layers, VlanDepthIsAnOptionAndTheOutermostTwoAreKept) {
  const Bytes f = FrameBuilder()
                      .Vlan(1, kTpid8021ad)
                      .Vlan(2, kTpid9100)
                      .Vlan(3)
                      .Vlan(4)
                      .Ipv4()
                      .Udp()
                      .Build();
  EXPECT_EQ(V(ParseCopy(f)), "too_many_vlans");
  const PktMeta m = ParseCopy(f, {.vlan_depth = 4});
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.vlan_count, 4);
  EXPECT_EQ(m.vlan_tci[0], 1);
  EXPECT_EQ(m.vlan_tci[1], 2);
  EXPECT_EQ(m.l3_off, 14 + 16);
  EXPECT_EQ(m.l4_off, 14 + 16 + 20);
  EXPECT_EQ(V(ParseCopy(f, {.vlan_depth = 3})), "too_many_vlans");
  EXPECT_EQ(V(ParseCopy(f, {.vlan_depth = 200})), "ok") << "clamped to 4";
  const Bytes five = FrameBuilder().Vlan(1).Vlan(2).Vlan(3).Vlan(4).Vlan(5).Ipv4().Build();
  EXPECT_EQ(V(ParseCopy(five, {.vlan_depth = 200})), "too_many_vlans");
  const Bytes one = FrameBuilder().Vlan(7).Ipv4().Build();
  EXPECT_EQ(V(ParseCopy(one, {.vlan_depth = 0})), "too_many_vlans");
}

// ---- MPLS ---------------------------------------------------------------------------------

TEST(Layers, MplsStackThenIpByVersionNibble) {
  const Bytes f4 = FrameBuilder()
                       .Vlan(5)
                       .EtherType(kEtherTypeMpls)
                       .Payload(Cat(MplsStack({100, 200}), L3Of(InnerTcp4())))
                       .Build();
  PktMeta m = ParseCopy(f4);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.ethertype, kEtherTypeMpls);
  EXPECT_EQ(m.mpls_count, 2);
  EXPECT_EQ(m.mpls_label, 200u);
  EXPECT_EQ(m.l3, L3Type::kIpv4);
  EXPECT_EQ(m.l3_off, 18 + 8);
  EXPECT_EQ(m.l4_off, 18 + 8 + 20);
  EXPECT_EQ(m.dst_port, 443);

  const Bytes f6 = FrameBuilder()
                       .EtherType(kEtherTypeMplsMulticast)
                       .Payload(Cat(MplsStack({7}), L3Of(InnerUdp6())))
                       .Build();
  m = ParseCopy(f6);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.l3, L3Type::kIpv6);
  EXPECT_EQ(m.mpls_label, 7u);
  EXPECT_EQ(m.dst_port, 53);

  // A pseudowire control word (first nibble 0): carried, not parsed.
  m = ParseCopy(FrameBuilder().EtherType(kEtherTypeMpls).Payload(Cat(MplsStack({9}), Bytes(30))).Build());
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.l3, L3Type::kOther);
  EXPECT_EQ(m.l3_off, 18);
}

TEST(Layers, MplsReasons) {
  const Bytes eight = FrameBuilder()
                          .EtherType(kEtherTypeMpls)
                          .Payload(Cat(MplsStack({1, 2, 3, 4, 5, 6, 7, 8}), L3Of(InnerTcp4())))
                          .Build();
  EXPECT_EQ(V(ParseCopy(eight)), "ok");
  const Bytes nine = FrameBuilder()
                         .EtherType(kEtherTypeMpls)
                         .Payload(Cat(MplsStack({1, 2, 3, 4, 5, 6, 7, 8, 9}), L3Of(InnerTcp4())))
                         .Build();
  EXPECT_EQ(V(ParseCopy(nine)), "too_many_mpls_labels");
  const Bytes stack = FrameBuilder().EtherType(kEtherTypeMpls).Payload(MplsStack({1, 2})).Build();
  for (size_t n = 15; n <= stack.size(); ++n) {
    const PktMeta m = ParseCopy(framegen::Truncated(stack, n));
    EXPECT_EQ(V(m), "truncated_mpls") << n;
    EXPECT_EQ(m.l3, L3Type::kNone);
  }
  // Cut in the first segment only: not contiguous, never truncated.
  EXPECT_EQ(V(ParseCopy(eight, {}, 0, 20, static_cast<uint32_t>(eight.size()))),
            "headers_not_contiguous");
}

// ---- ARP, IPv4 checksum, SCTP ---------------------------------------------------------------

TEST(Layers, ArpMustBe28Bytes) {
  const Bytes arp = FrameBuilder().Arp().Build();
  EXPECT_EQ(V(ParseCopy(arp)), "ok");
  for (size_t n = 14; n < 14 + 28; ++n) {
    const PktMeta m = ParseCopy(framegen::Truncated(arp, n));
    EXPECT_EQ(V(m), "truncated_arp") << n;
    EXPECT_EQ(m.l3, L3Type::kArp);
  }
  EXPECT_EQ(V(ParseCopy(arp, {}, 0, 30, static_cast<uint32_t>(arp.size()))), "headers_not_contiguous");
}

TEST(Layers, Ipv4ChecksumIsVerifiedOnlyWhenAskedAndHonoursTheNic) {
  Ipv4Spec bad;
  bad.corrupt_checksum = true;
  bad.options = {0x94, 0x04, 0, 0};
  const Bytes f_bad = FrameBuilder().Ipv4(bad).Udp().Build();
  const Bytes f_good = FrameBuilder().Ipv4({.options = {0x94, 0x04, 0, 0}}).Udp().Build();
  const ParseOptions verify{.verify_ipv4_checksum = true};
  EXPECT_EQ(V(ParseCopy(f_bad)), "ok");
  EXPECT_EQ(V(ParseCopy(f_good, verify)), "ok");
  const PktMeta m = ParseCopy(f_bad, verify);
  EXPECT_EQ(V(m), "bad_ipv4_checksum");
  EXPECT_EQ(m.l3, L3Type::kIpv4);
  EXPECT_EQ(m.l4_off, kNoOffset);
  // The NIC's word wins: GOOD or NONE skip the check, BAD fails it; others' flags are ignored.
  EXPECT_EQ(V(ParseCopy(f_bad, verify, kRxIpCksumGood)), "ok");
  EXPECT_EQ(V(ParseCopy(f_bad, verify, kRxIpCksumMask)), "ok");
  EXPECT_EQ(V(ParseCopy(f_good, verify, kRxIpCksumBad)), "bad_ipv4_checksum");
  EXPECT_EQ(V(ParseCopy(f_bad, verify, 1ULL << 3)), "bad_ipv4_checksum");
  EXPECT_EQ(V(ParseCopy(f_good, {}, kRxIpCksumBad)), "ok") << "verification off";
}

TEST(Layers, SctpPortsAndTruncation) {
  const Bytes sctp = {0x13, 0x88, 0x0b, 0x59, 1, 2, 3, 4, 0, 0, 0, 0, 9, 9};
  for (const bool v6 : {false, true}) {
    const PktMeta m = ParseCopy(IpProto(kIpProtoSctp, sctp, v6));
    EXPECT_EQ(V(m), "ok");
    EXPECT_EQ(m.ip_proto, kIpProtoSctp);
    EXPECT_EQ(m.l4_off, v6 ? 54 : 34);
    EXPECT_EQ(m.src_port, 5000);
    EXPECT_EQ(m.dst_port, 2905);
    EXPECT_EQ(m.l4_len, 14);
    const PktMeta cut = ParseCopy(IpProto(kIpProtoSctp, Bytes(sctp.begin(), sctp.begin() + 11), v6));
    EXPECT_EQ(V(cut), "truncated_sctp");
    EXPECT_EQ(cut.src_port, 0);
  }
}

// ---- IPv6 extension headers ---------------------------------------------------------------

TEST(Layers, Ipv6ExtensionChain) {
  Ipv6Spec ip;
  ip.extensions = {{0, {1, 4, 0, 0, 0, 0}},
                   {43, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},  // 16 bytes
                   {60, {}},
                   {44, {0, 0x01, 0, 0, 0, 1}}};  // offset 0, M: a first fragment
  UdpSpec u;
  u.length = 2000;  // the whole datagram: allowed in a first fragment
  PktMeta m = ParseCopy(FrameBuilder().Ipv6(ip).Udp(u).Payload(20).Build());
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.ip_proto, kIpProtoUdp);
  EXPECT_EQ(m.l4_off, 14 + 40 + 8 + 16 + 8 + 8);
  EXPECT_EQ(m.is_fragment, 0);
  EXPECT_EQ(m.dst_port, 53);

  // A later fragment: no L4, the protocol after the fragment header.
  Ipv6Spec later;
  later.extensions = {{0, {}}, {44, {0x05, 0x00, 0, 0, 0, 1}}};
  m = ParseCopy(FrameBuilder().Ipv6(later).Udp().Payload(20).Build());
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.is_fragment, 1);
  EXPECT_EQ(m.ip_proto, kIpProtoUdp);
  EXPECT_EQ(m.l4_off, kNoOffset);

  // AH: length in 4-byte units plus 2 (12 bytes of ICV here: 24 in all, len byte 4).
  Bytes ah = {kIpProtoTcp, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1};
  ah.resize(24, 0xee);
  const Bytes tcp = L3Of(FrameBuilder().Ipv4().Tcp().Build());
  const Bytes tcp_only(tcp.begin() + 20, tcp.end());
  m = ParseCopy(IpProto(kIpProtoAh, Cat(ah, tcp_only), true));
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.ip_proto, kIpProtoTcp);
  EXPECT_EQ(m.l4_off, 14 + 40 + 24);
  EXPECT_EQ(m.dst_port, 80);

  // ESP ends the chain.
  Ipv6Spec esp;
  esp.extensions = {{60, {}}};
  esp.next_header = 60;
  Bytes dest_then_esp = {kIpProtoEsp, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  m = ParseCopy(IpProto(kIpProtoDestOptions, dest_then_esp, true));
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.ip_proto, kIpProtoEsp);
  EXPECT_EQ(m.l4_off, kNoOffset);
}

TEST(Layers, Ipv6ExtensionReasons) {
  Ipv6Spec eight;
  for (int i = 0; i < 8; ++i) eight.extensions.push_back({60, {}});
  EXPECT_EQ(V(ParseCopy(FrameBuilder().Ipv6(eight).Udp().Build())), "ok");
  Ipv6Spec nine = eight;
  nine.extensions.push_back({60, {}});
  const PktMeta m = ParseCopy(FrameBuilder().Ipv6(nine).Udp().Build());
  EXPECT_EQ(V(m), "too_many_ipv6_ext");
  EXPECT_EQ(m.l4_off, kNoOffset);

  Ipv6Spec routing;
  routing.extensions = {{43, Bytes(22, 0)}};  // 24 bytes
  const Bytes f = FrameBuilder().Ipv6(routing).Udp().Build();
  for (size_t clip = 0; clip < 24; ++clip) {
    // Clip the IPv6 payload (not the frame): the payload length says where the chain ends.
    Bytes cut = framegen::Truncated(f, 54 + clip);
    cut[18] = 0;
    cut[19] = static_cast<uint8_t>(clip);
    EXPECT_EQ(V(ParseCopy(cut)), "truncated_ipv6_ext") << clip;
  }
  EXPECT_EQ(V(ParseCopy(f, {}, 0, 60, static_cast<uint32_t>(f.size()))), "headers_not_contiguous");
}

// ---- tunnels ------------------------------------------------------------------------------

TEST(Tunnels, OffByDefault) {
  const Bytes f = Vxlan(42, InnerTcp4());
  const PktMeta m = ParseCopy(f);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kNone);
  EXPECT_EQ(m.inner_l3, L3Type::kNone);
  EXPECT_EQ(m.inner_l3_off, kNoOffset);
  EXPECT_EQ(m.dst_port, kVxlanPort);
}

TEST(Tunnels, VxlanInnerEthernetIpv4Tcp) {
  const Bytes inner = FrameBuilder().Vlan(3).Ipv4().Tcp({.src_port = 4000, .dst_port = 443}).Build();
  const PktMeta m = ParseCopy(Vxlan(0xabcdef, inner), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.l3, L3Type::kIpv4);
  EXPECT_EQ(m.l4_off, 34);
  EXPECT_EQ(m.dst_port, kVxlanPort);
  EXPECT_EQ(m.tunnel, TunnelType::kVxlan);
  EXPECT_EQ(m.tunnel_id, 0xabcdefu);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv4);
  EXPECT_EQ(m.inner_l3_off, 34 + 8 + 8 + 18);
  EXPECT_EQ(m.inner_l4_off, 34 + 8 + 8 + 18 + 20);
  EXPECT_EQ(m.inner_ip_proto, kIpProtoTcp);
  EXPECT_EQ(m.inner_src_port, 4000);
  EXPECT_EQ(m.inner_dst_port, 443);
  EXPECT_EQ(m.vlan_count, 0) << "inner tags are not the outer's";

  EXPECT_EQ(V(ParseCopy(UdpTo(kVxlanPort, Cat(VxlanHeader(1, 0), inner)), kAllTunnels)),
            "bad_tunnel_header");
  // Another port for VXLAN, and VXLAN switched off.
  EXPECT_EQ(ParseCopy(UdpTo(8472, Cat(VxlanHeader(1), inner)), {.tunnels = kTunnelVxlan, .vxlan_port = 8472})
                .tunnel,
            TunnelType::kVxlan);
  EXPECT_EQ(ParseCopy(Vxlan(1, inner), {.tunnels = kTunnelAll & ~kTunnelVxlan}).tunnel,
            TunnelType::kNone);
}

TEST(Tunnels, GeneveWithOptionsInnerIpv6AndInnerEthernet) {
  // Version 0, 2 words of options, protocol IPv6.
  Bytes h = {0x02, 0, 0x86, 0xdd, 0, 0, 0x2a, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  PktMeta m = ParseCopy(UdpTo(kGenevePort, Cat(h, L3Of(InnerUdp6())), true), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.l3, L3Type::kIpv6);
  EXPECT_EQ(m.tunnel, TunnelType::kGeneve);
  EXPECT_EQ(m.tunnel_id, 0x2au);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv6);
  EXPECT_EQ(m.inner_l3_off, 54 + 8 + 16);
  EXPECT_EQ(m.inner_dst_port, 53);
  h[2] = 0x65;
  h[3] = 0x58;  // Ethernet inside
  m = ParseCopy(UdpTo(kGenevePort, Cat(h, InnerTcp4())), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.inner_l3_off, 34 + 8 + 16 + 14);
  EXPECT_EQ(m.inner_dst_port, 443);
  h[0] = 0x42;  // version 1
  EXPECT_EQ(V(ParseCopy(UdpTo(kGenevePort, Cat(h, InnerTcp4())), kAllTunnels)), "bad_tunnel_header");
  h[0] = 0x02;
  EXPECT_EQ(V(ParseCopy(UdpTo(kGenevePort, Bytes(h.begin(), h.begin() + 12)), kAllTunnels)),
            "truncated_tunnel");
}

TEST(Tunnels, GreFlagsKeyAndVersion) {
  // C, K and S: checksum+reserved, key, sequence; TEB inside.
  const Bytes h = {0xb0, 0, 0x65, 0x58, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7};
  PktMeta m = ParseCopy(IpProto(kIpProtoGre, Cat(h, InnerTcp4())), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.ip_proto, kIpProtoGre);
  EXPECT_EQ(m.l4_off, kNoOffset);
  EXPECT_EQ(m.tunnel, TunnelType::kGre);
  EXPECT_EQ(m.tunnel_id, 0xdeadbeefu);
  EXPECT_EQ(m.inner_l3_off, 34 + 16 + 14);
  EXPECT_EQ(m.inner_src_port, 4000);
  // Plain GRE, IPv4 inside, over IPv6.
  m = ParseCopy(IpProto(kIpProtoGre, Cat({0, 0, 0x08, 0x00}, L3Of(InnerTcp4())), true), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel_id, 0u);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv4);
  EXPECT_EQ(m.inner_l3_off, 54 + 4);
  // Unknown protocol inside: the inner is "other", not parsed.
  m = ParseCopy(IpProto(kIpProtoGre, Cat({0, 0, 0x88, 0x0b}, Bytes(20))), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.inner_l3, L3Type::kOther);
  EXPECT_EQ(V(ParseCopy(IpProto(kIpProtoGre, Cat({0, 1, 0x08, 0x00}, L3Of(InnerTcp4()))), kAllTunnels)),
            "bad_gre_version");
  EXPECT_EQ(V(ParseCopy(IpProto(kIpProtoGre, Bytes(h.begin(), h.begin() + 13)), kAllTunnels)),
            "truncated_tunnel");
}

TEST(Tunnels, IpInIpAndIpv6InIp) {
  PktMeta m = ParseCopy(IpProto(kIpProtoIpInIp, L3Of(InnerTcp4())), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kIpInIp);
  EXPECT_EQ(m.inner_l3_off, 34);
  EXPECT_EQ(m.inner_l4_off, 54);
  EXPECT_EQ(m.inner_dst_port, 443);
  m = ParseCopy(IpProto(kIpProtoIpv6, L3Of(InnerUdp6())), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kIpv6InIp);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv6);
  EXPECT_EQ(m.inner_l4_off, 34 + 40);
  // Inside IPv6, IPv4 under protocol 41 is the wrong version.
  EXPECT_EQ(V(ParseCopy(IpProto(kIpProtoIpv6, L3Of(InnerTcp4())), kAllTunnels)), "bad_inner_l3");
}

TEST(Tunnels, GtpuWithExtensionHeaders) {
  // Version 1, PT, E: sequence, N-PDU, next type 0x85 (PDU session container, 1 word).
  const Bytes h = {0x34, 0xff, 0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0x85, 1, 0, 0x09, 0};
  PktMeta m = ParseCopy(UdpTo(kGtpuPort, Cat(h, L3Of(InnerTcp4()))), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kGtpU);
  EXPECT_EQ(m.tunnel_id, 0x11223344u);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv4);
  EXPECT_EQ(m.inner_l3_off, 42 + 16);
  EXPECT_EQ(m.inner_dst_port, 443);
  // Without options, IPv6 inside.
  const Bytes plain = {0x30, 0xff, 0, 0, 0, 0, 0, 1};
  m = ParseCopy(UdpTo(kGtpuPort, Cat(plain, L3Of(InnerUdp6()))), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.inner_l3, L3Type::kIpv6);
  // An echo request carries no user packet.
  m = ParseCopy(UdpTo(kGtpuPort, {0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0}), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kGtpU);
  EXPECT_EQ(m.inner_l3, L3Type::kNone);
  Bytes bad = h;
  bad[12] = 0;  // extension length 0
  EXPECT_EQ(V(ParseCopy(UdpTo(kGtpuPort, Cat(bad, L3Of(InnerTcp4()))), kAllTunnels)),
            "bad_tunnel_header");
  EXPECT_EQ(V(ParseCopy(UdpTo(kGtpuPort, {0x50, 0xff, 0, 0, 0, 0, 0, 1}), kAllTunnels)),
            "bad_tunnel_header");
  for (size_t n = 0; n < h.size(); ++n)
    EXPECT_EQ(V(ParseCopy(UdpTo(kGtpuPort, Bytes(h.begin(), h.begin() + static_cast<long>(n))),
                      kAllTunnels)),
              "truncated_tunnel")
        << n;
}

TEST(Tunnels, OneLevelOnly) {
  // VXLAN inside IP-in-IP: the inner UDP is parsed, the VXLAN in it is not looked into.
  const Bytes vx = Vxlan(5, InnerTcp4());
  const PktMeta m = ParseCopy(IpProto(kIpProtoIpInIp, L3Of(vx)), kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kIpInIp);
  EXPECT_EQ(m.inner_ip_proto, kIpProtoUdp);
  EXPECT_EQ(m.inner_dst_port, kVxlanPort);
  EXPECT_EQ(m.tunnel_id, 0u);
}

TEST(Tunnels, FragmentedOuterIsNotLookedInto) {
  Ipv4Spec ip;
  ip.more_fragments = true;
  const Bytes f = FrameBuilder().Ipv4(ip).Udp({.dst_port = kVxlanPort}).Payload(Cat(VxlanHeader(1), InnerTcp4())).Build();
  const PktMeta m = ParseCopy(f, kAllTunnels);
  EXPECT_EQ(V(m), "ok");
  EXPECT_EQ(m.tunnel, TunnelType::kNone);
}

TEST(Tunnels, InnerReasons) {
  const Bytes inner = InnerTcp4();
  const auto vx = [](const Bytes& in) { return Vxlan(1, in); };
  EXPECT_EQ(V(ParseCopy(vx(framegen::Truncated(inner, 10)), kAllTunnels)), "truncated_inner_ethernet");
  EXPECT_EQ(V(ParseCopy(vx(FrameBuilder().Vlan(1).Vlan(2).Vlan(3).Ipv4().Build()), kAllTunnels)),
            "too_many_inner_vlans");
  EXPECT_EQ(V(ParseCopy(vx(framegen::Truncated(inner, 30)), kAllTunnels)), "truncated_inner_l3");
  Ipv4Spec v5;
  v5.version = 5;
  EXPECT_EQ(V(ParseCopy(vx(FrameBuilder().Ipv4(v5).Build()), kAllTunnels)), "bad_inner_l3");
  EXPECT_EQ(V(ParseCopy(IpProto(kIpProtoIpInIp, L3Of(FrameBuilder().Ipv4().Tcp().ClipL4(10).Build())),
                    kAllTunnels)),
            "truncated_inner_l4");
  const PktMeta m =
      ParseCopy(vx(FrameBuilder().Ipv4().Tcp({.data_offset = 3}).Build()), kAllTunnels);
  EXPECT_EQ(V(m), "bad_inner_l4");
  EXPECT_EQ(m.tunnel, TunnelType::kVxlan);
  EXPECT_EQ(m.inner_l3, L3Type::kIpv4);
  EXPECT_EQ(m.inner_src_port, 0);
  // Software checksum check inside too.
  EXPECT_EQ(V(ParseCopy(vx(FrameBuilder().Ipv4({.corrupt_checksum = true}).Udp().Build()),
                    {.tunnels = kTunnelAll, .verify_ipv4_checksum = true})),
            "bad_inner_l3");
  EXPECT_EQ(V(ParseCopy(vx(FrameBuilder().Arp().Build()), kAllTunnels)), "ok");
}

// ---- every prefix -------------------------------------------------------------------------

std::vector<Bytes> LayerFrames() {
  Ipv6Spec chain;
  chain.extensions = {{0, {1, 4, 0, 0, 0, 0}}, {43, Bytes(14, 0)}, {60, {}}};
  const Bytes inner6 = FrameBuilder().Ipv6(chain).Tcp().Payload(5).Build();
  return {
      FrameBuilder().Vlan(1, kTpid8021ad).Vlan(2, kTpid9100).Vlan(3).Vlan(4).Ipv4().Udp().Build(),
      FrameBuilder().EtherType(kEtherTypeMpls).Payload(Cat(MplsStack({1, 2, 3}), L3Of(InnerTcp4()))).Build(),
      FrameBuilder().Arp().Build(),
      FrameBuilder().Ipv6(chain).Udp().Payload(9).Build(),
      IpProto(kIpProtoSctp, Bytes(16, 1), true),
      Vxlan(7, FrameBuilder().Vlan(9).Ipv6(chain).Tcp().Build()),
      UdpTo(kGenevePort, Cat({0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 0, 0, 0}, inner6)),
      IpProto(kIpProtoGre, Cat({0x30, 0, 0x86, 0xdd, 0, 0, 0, 1, 0, 0, 0, 2}, L3Of(inner6))),
      IpProto(kIpProtoIpInIp, L3Of(InnerTcp4()), true),
      IpProto(kIpProtoIpv6, L3Of(InnerUdp6())),
      UdpTo(kGtpuPort, Cat({0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0, 0, 0}, L3Of(inner6))),
  };
}

TEST(Layers, EveryPrefixIsSafeAndConsistent) {
  const ParseOptions opts{.vlan_depth = 4, .tunnels = kTunnelAll, .verify_ipv4_checksum = true};
  const std::vector<Bytes> frames = LayerFrames();
  for (size_t i = 0; i < frames.size(); ++i) {
    const Bytes& f = frames[i];
    SCOPED_TRACE(testing::Message() << "frame " << i);
    const auto full_len = static_cast<uint32_t>(f.size());
    const PktMeta full = ParseCopy(f, opts);
    ASSERT_EQ(V(full), "ok");
    if (i >= 5) {
      EXPECT_NE(full.tunnel, TunnelType::kNone);
    }
    for (size_t n = 0; n <= f.size(); ++n) {
      SCOPED_TRACE(testing::Message() << "prefix " << n);
      const PktMeta cut = ParseCopy(f, opts, 0, n);
      EXPECT_NE(cut.verdict, ParseVerdict::kHeadersNotContiguous);
      if (n < f.size() && cut.verdict == ParseVerdict::kOk) {
        // Only a cut in the innermost payload can leave the frame well-formed: no headers.
        EXPECT_TRUE(cut.l4_off != kNoOffset || cut.l3 == L3Type::kOther || cut.l3 == L3Type::kArp)
            << V(cut);
      }
      const PktMeta split = ParseCopy(f, opts, 0, n, full_len);
      if (split.verdict != ParseVerdict::kHeadersNotContiguous) {
        EXPECT_TRUE(SameParse(split, full)) << V(split);
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace ingestd::packet

namespace ingestd::packet {
namespace {

TEST(TunnelTraffic, LabelsMatchAndEveryPrefixIsSafe) {
  const std::vector<framegen::LabeledFrame> frames =
      framegen::TunnelTraffic(7, 4 * framegen::kTunnelTrafficKinds);
  ASSERT_EQ(frames.size(), 4 * framegen::kTunnelTrafficKinds);
  size_t parses = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Bytes& f = frames[i].bytes;
    SCOPED_TRACE(testing::Message() << "frame " << i << " (" << frames[i].kind << ")");
    const PktMeta full = ParseCopy(f, framegen::kTunnelTrafficOptions);
    ASSERT_EQ(V(full), VerdictName(frames[i].expected));
    const auto full_len = static_cast<uint32_t>(f.size());
    for (size_t n = 0; n <= f.size(); ++n) {
      const PktMeta cut = ParseCopy(f, framegen::kTunnelTrafficOptions, 0, n);
      ++parses;
      ASSERT_NE(cut.verdict, ParseVerdict::kHeadersNotContiguous) << n;
      const PktMeta split = ParseCopy(f, framegen::kTunnelTrafficOptions, 0, n, full_len);
      if (split.verdict != ParseVerdict::kHeadersNotContiguous) {
        ASSERT_TRUE(SameParse(split, full)) << n << " " << V(split);
      }
    }
  }
  EXPECT_GT(parses, 100u * frames.size());
}

// MixedTraffic and TunnelTraffic together name every reason a one-segment frame can have.
TEST(TunnelTraffic, WithMixedTrafficCoversEveryReason) {
  std::set<ParseVerdict> seen;
  for (const auto& f : framegen::MixedTraffic(1, framegen::kMixedTrafficDeck)) seen.insert(f.expected);
  for (const auto& f : framegen::TunnelTraffic(1, framegen::kTunnelTrafficKinds)) seen.insert(f.expected);
  EXPECT_EQ(seen.size(), kParseVerdictCount - 1);
  EXPECT_FALSE(seen.contains(ParseVerdict::kHeadersNotContiguous));
}

}  // namespace
}  // namespace ingestd::packet
