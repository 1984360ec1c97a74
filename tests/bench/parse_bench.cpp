// SPDX-License-Identifier: BSD-3-Clause
// parse_bench: TSC cycles per ParseFrame call on MixedTraffic and on a worst-case tunnel frame.
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/parse.hpp"

namespace {

using ingestd::framegen::Bytes;
using ingestd::framegen::FrameBuilder;
using ingestd::framegen::Ipv6Spec;
using namespace ingestd::packet;

// Cycles per packet over `rounds` passes of `frames`, best of 7 runs (the least disturbed).
double CyclesPerPacket(const std::vector<Bytes>& frames, const ParseOptions& opts, int rounds) {
  std::vector<PktMeta> metas(frames.size());
  double best = 1e300;
  unsigned sink = 0;
  for (int run = 0; run < 7; ++run) {
    const uint64_t start = __rdtsc();
    for (int r = 0; r < rounds; ++r) {
      for (size_t i = 0; i < frames.size(); ++i) {
        const auto len = static_cast<uint32_t>(frames[i].size());
        sink += static_cast<unsigned>(
            ParseFrame(frames[i].data(), len, len, metas[i], opts, 0));
      }
    }
    const uint64_t cycles = __rdtsc() - start;
    best = std::min(best, static_cast<double>(cycles) / (static_cast<double>(rounds) *
                                                         static_cast<double>(frames.size())));
  }
  if (sink == 0xffffffffu) std::puts("");  // keeps the parses observable
  return best;
}

Bytes Append(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 4 VLAN tags, IPv4/UDP to 4789, VXLAN, inner Ethernet, IPv6 with 3 extension headers, TCP.
Bytes WorstCase() {
  Ipv6Spec ip;
  ip.extensions = {{0, {1, 4, 0, 0, 0, 0}}, {43, Bytes(14, 0)}, {60, {1, 4, 0, 0, 0, 0}}};
  const Bytes inner = FrameBuilder().Ipv6(ip).Tcp().Payload(64).Build();
  const Bytes vxlan = Append({0x08, 0, 0, 0, 0, 0, 42, 0}, inner);
  return FrameBuilder()
      .Vlan(1, kTpid8021ad)
      .Vlan(2)
      .Vlan(3)
      .Vlan(4)
      .Ipv4()
      .Udp({.src_port = 50000, .dst_port = kVxlanPort})
      .Payload(vxlan)
      .Build();
}

}  // namespace

int main() {
  std::vector<Bytes> mixed;
  for (auto& f : ingestd::framegen::MixedTraffic(1, 4096)) mixed.push_back(std::move(f.bytes));
  const std::vector<Bytes> worst(64, WorstCase());
  const ParseOptions defaults{};
  const ParseOptions all{.vlan_depth = 4, .tunnels = kTunnelAll};
  PktMeta m{};
  ParseFrame(worst[0].data(), static_cast<uint32_t>(worst[0].size()),
             static_cast<uint32_t>(worst[0].size()), m, all);
  if (m.verdict != ParseVerdict::kOk || m.tunnel != TunnelType::kVxlan ||
      m.inner_l4_off == kNoOffset) {
    std::fprintf(stderr, "worst case did not parse fully: %s\n",
                 std::string(VerdictName(m.verdict)).c_str());
    return 1;
  }
  std::printf("parse cycles/packet (TSC, best of 7)\n");
  std::printf("  MixedTraffic(1, 4096), default options     %6.1f\n",
              CyclesPerPacket(mixed, defaults, 50));
  std::printf("  MixedTraffic(1, 4096), all tunnels, depth 4 %6.1f\n",
              CyclesPerPacket(mixed, all, 50));
  std::printf("  4 VLANs + VXLAN + inner IPv6 (3 ext) + TCP  %6.1f\n",
              CyclesPerPacket(worst, all, 2000));
  return 0;
}
