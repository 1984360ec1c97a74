// SPDX-License-Identifier: BSD-3-Clause
// Writes the tshark-comparison corpus: MixedTraffic plus random tag stacks, addresses, ports,
// fragments, IPv6 extension headers, MPLS and tunnels (VXLAN, Geneve, GRE, IP-in-IP, GTP-U).
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"

namespace {

namespace fg = ingestd::framegen;
using fg::Bytes;
using fg::FrameBuilder;

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(engine_() % n); }
  bool OneIn(uint32_t n) { return Below(n) == 0; }
  uint8_t Byte() { return static_cast<uint8_t>(engine_()); }
  uint16_t U16() { return static_cast<uint16_t>(engine_()); }
  // A tunnel endpoint's source port (RFC 7348 section 5). tshark tries the lower port of a
  // UDP datagram first, so a lower random one could hide the tunnel behind another protocol.
  uint16_t Ephemeral() { return static_cast<uint16_t>(49152 + Below(16384)); }
  fg::Ipv4Addr V4() { return {Byte(), Byte(), Byte(), Byte()}; }
  // Random, with zero runs often enough to exercise RFC 5952 "::" placement.
  fg::Ipv6Addr V6() {
    fg::Ipv6Addr a{};
    for (auto& b : a) b = Byte();
    if (OneIn(2)) {
      const uint32_t start = Below(8), len = 1 + Below(8 - start);
      for (uint32_t w = start; w < start + len; ++w) a[2 * w] = a[2 * w + 1] = 0;
    }
    if (OneIn(6)) {  // a second, shorter run
      const uint32_t w = Below(8);
      a[2 * w] = a[2 * w + 1] = 0;
    }
    if (OneIn(20)) {  // IPv4-mapped
      a = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, Byte(), Byte(), Byte(), Byte()};
    }
    return a;
  }

 private:
  std::mt19937_64 engine_;
};

// A random transport with random ports; `first_fragment` keeps UDP lengths whole.
void AddL4(FrameBuilder& b, Rng& r, bool v6) {
  switch (r.Below(7)) {
    case 0:
    case 1:
    case 2:
      b.Tcp({.src_port = r.U16(), .dst_port = r.U16(), .seq = r.U16(), .flags = 0x18});
      break;
    case 3:
    case 4:
    case 5:
      b.Udp({.src_port = r.U16(), .dst_port = r.U16()});
      break;
    default:
      b.Icmp({.type = static_cast<uint8_t>(v6 ? 128 : 8), .rest = r.U16()});
      break;
  }
  b.Payload(r.Below(200), r.Byte());
}

void AddVlans(FrameBuilder& b, Rng& r) {
  const uint32_t tags = r.Below(3);
  static constexpr std::array<uint16_t, 3> kOuter = {0x8100, 0x88a8, 0x9100};
  for (uint32_t i = 0; i < tags; ++i) {
    const uint16_t tci = static_cast<uint16_t>(r.Below(8) << 13 | r.Below(4096));
    b.Vlan(tci, tags == 2 && i == 0 ? kOuter[r.Below(3)] : 0x8100);
  }
}

void AddIp(FrameBuilder& b, Rng& r, bool v6, bool allow_ext = true) {
  if (v6) {
    fg::Ipv6Spec s{.src = r.V6(), .dst = r.V6(), .hop_limit = r.Byte()};
    if (allow_ext && r.OneIn(5)) {
      s.extensions.push_back({.type = 0, .body = Bytes(6, 0)});
      if (r.OneIn(2)) s.extensions.push_back({.type = 60, .body = Bytes(14, 0)});
    }
    b.Ipv6(s);
  } else {
    fg::Ipv4Spec s{.src = r.V4(), .dst = r.V4(), .ttl = r.Byte(), .id = r.U16()};
    if (r.OneIn(8)) s.options = Bytes{1, 1, 1, 0};  // NOP NOP NOP EOL
    b.Ipv4(s);
  }
}

// An Ethernet frame carried inside a tunnel.
Bytes InnerEthernet(Rng& r) {
  FrameBuilder b;
  if (r.OneIn(4)) b.Vlan(static_cast<uint16_t>(r.Below(4096)));
  const bool v6 = r.OneIn(2);
  AddIp(b, r, v6, false);
  AddL4(b, r, v6);
  return b.Build();
}

// An IP packet carried inside a tunnel (an Ethernet frame without its 14-byte header).
Bytes InnerIp(Rng& r, bool v6) {
  FrameBuilder b;
  AddIp(b, r, v6, false);
  AddL4(b, r, v6);
  Bytes frame = b.Build();
  return Bytes(frame.begin() + 14, frame.end());
}

Bytes Concat(Bytes head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Bytes Tunnel(Rng& r) {
  FrameBuilder b;
  AddVlans(b, r);
  const bool outer_v6 = r.OneIn(3);
  const auto vni = [&r] { return std::array<uint8_t, 3>{r.Byte(), r.Byte(), r.Byte()}; };
  switch (r.Below(6)) {
    case 0: {  // VXLAN: flags I, VNI
      AddIp(b, r, outer_v6, false);
      b.Udp({.src_port = r.Ephemeral(), .dst_port = 4789});
      const auto id = vni();
      b.Payload(Concat({0x08, 0, 0, 0, id[0], id[1], id[2], 0}, InnerEthernet(r)));
      break;
    }
    case 1: {  // Geneve, no options, Ethernet or IP inside
      AddIp(b, r, outer_v6, false);
      b.Udp({.src_port = r.Ephemeral(), .dst_port = 6081});
      const auto id = vni();
      const int kind = static_cast<int>(r.Below(3));
      const Bytes inner = kind == 0 ? InnerEthernet(r) : InnerIp(r, kind == 2);
      const uint16_t proto = kind == 0 ? 0x6558 : kind == 1 ? 0x0800 : 0x86dd;
      b.Payload(Concat({0, 0, static_cast<uint8_t>(proto >> 8), static_cast<uint8_t>(proto),
                        id[0], id[1], id[2], 0},
                       inner));
      break;
    }
    case 2: {  // GRE (with a key half the time), IP inside
      const bool inner_v6 = r.OneIn(2);
      const bool key = r.OneIn(2);
      Bytes gre{static_cast<uint8_t>(key ? 0x20 : 0), 0, static_cast<uint8_t>(inner_v6 ? 0x86 : 0x08),
                static_cast<uint8_t>(inner_v6 ? 0xdd : 0x00)};
      if (key) gre.insert(gre.end(), {r.Byte(), r.Byte(), r.Byte(), r.Byte()});
      if (outer_v6) {
        b.Ipv6({.src = r.V6(), .dst = r.V6(), .next_header = 47});
      } else {
        b.Ipv4({.src = r.V4(), .dst = r.V4(), .protocol = 47});
      }
      b.Payload(Concat(gre, InnerIp(r, inner_v6)));
      break;
    }
    case 3:
    case 4: {  // IPv4-in-IP (4) or IPv6-in-IP (41)
      const bool inner_v6 = r.OneIn(2);
      const uint8_t proto = inner_v6 ? 41 : 4;
      if (outer_v6) {
        b.Ipv6({.src = r.V6(), .dst = r.V6(), .next_header = proto});
      } else {
        b.Ipv4({.src = r.V4(), .dst = r.V4(), .protocol = proto});
      }
      b.Payload(InnerIp(r, inner_v6));
      break;
    }
    default: {  // GTP-U G-PDU, no optional fields, IP inside
      AddIp(b, r, outer_v6, false);
      b.Udp({.src_port = 2152, .dst_port = 2152});
      const Bytes inner = InnerIp(r, r.OneIn(2));
      const auto len = static_cast<uint16_t>(inner.size());
      b.Payload(Concat({0x30, 0xff, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len),
                        r.Byte(), r.Byte(), r.Byte(), r.Byte()},
                       inner));
      break;
    }
  }
  return b.Build();
}

Bytes Plain(Rng& r) {
  FrameBuilder b;
  AddVlans(b, r);
  const uint32_t kind = r.Below(20);
  if (kind == 0) {
    b.Arp({.opcode = static_cast<uint16_t>(1 + r.Below(2)), .sender_ip = r.V4(),
           .target_ip = r.V4()});
    return b.Build();
  }
  if (kind == 1) {  // MPLS: one or two labels, then IPv4 or IPv6 by the version nibble
    const bool v6 = r.OneIn(2);
    const uint32_t labels = 1 + r.Below(2);
    Bytes stack;
    for (uint32_t i = 0; i < labels; ++i) {
      const uint32_t label = 16 + r.Below(1000000);
      stack.insert(stack.end(), {static_cast<uint8_t>(label >> 12), static_cast<uint8_t>(label >> 4),
                                 static_cast<uint8_t>(label << 4 | (i + 1 == labels ? 1 : 0)),
                                 64});
    }
    b.EtherType(0x8847);
    b.Payload(Concat(stack, InnerIp(r, v6)));
    return b.Build();
  }
  const bool v6 = r.OneIn(3);
  if (kind == 2 || kind == 3) {  // a fragment: first (MF, offset 0) or later
    const bool first = kind == 2;
    const uint16_t offset = first ? 0 : static_cast<uint16_t>(1 + r.Below(180));
    if (v6) {
      const uint16_t fo = static_cast<uint16_t>(offset << 3 | (first ? 1 : r.Below(2)));
      b.Ipv6({.src = r.V6(), .dst = r.V6(),
              .extensions = {{.type = 44,
                              .body = {static_cast<uint8_t>(fo >> 8), static_cast<uint8_t>(fo),
                                       r.Byte(), r.Byte(), r.Byte(), r.Byte()}}}});
    } else {
      b.Ipv4({.src = r.V4(), .dst = r.V4(), .id = r.U16(), .more_fragments = first || r.OneIn(2),
              .frag_offset = offset});
    }
    AddL4(b, r, v6);
    return b.Build();
  }
  AddIp(b, r, v6);
  AddL4(b, r, v6);
  if (r.OneIn(10)) b.PadTo(fg::kMinFrameLen + r.Below(200));
  return b.Build();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: inspect_corpus OUT.pcap COUNT\n");
    return 2;
  }
  try {
    const size_t count = std::stoul(argv[2]);
    std::vector<Bytes> frames;
    frames.reserve(count);
    // A third MixedTraffic's well-formed frames, the rest random: 1 in 6 a tunnel.
    for (const fg::LabeledFrame& f : fg::MixedTraffic(4, count / 3))
      if (f.expected == ingestd::packet::ParseVerdict::kOk) frames.push_back(f.bytes);
    Rng r(0x1d5e57);
    while (frames.size() < count) frames.push_back(r.OneIn(6) ? Tunnel(r) : Plain(r));
    fg::WritePcap(argv[1], frames);
    std::printf("inspect_corpus: %zu frames\n", frames.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "inspect_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
