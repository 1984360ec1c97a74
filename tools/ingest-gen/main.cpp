// SPDX-License-Identifier: BSD-3-Clause
// ingest-gen: writes a deterministic pcap (the demo mix, or fixed-size UDP for benchmarks).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/verdict.hpp"

namespace {

using ingestd::framegen::Bytes;
using ingestd::framegen::LabeledFrame;
using ingestd::packet::kParseVerdictCount;
using ingestd::packet::kParseVerdictNames;

struct Options {
  std::string out;
  size_t count = 512;
  uint64_t seed = 1;
  std::string mix = "demo";
  size_t size = 64;
  size_t flows = 0;
};

void PrintSummary(const Options& o, const std::array<size_t, kParseVerdictCount>& expected) {
  std::string counts;
  for (unsigned v = 0; v < kParseVerdictCount; ++v) {
    if (expected[v] != 0) counts += fmt::format(" {}={}", kParseVerdictNames[v], expected[v]);
  }
  fmt::print("ingest-gen: wrote {} frames to {} (mix {}, seed {}); expected verdicts:{}\n", o.count,
             o.out, o.mix, o.seed, counts);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Writes a deterministic Ethernet capture for ingestd demos, tests and benchmarks."};
  app.set_version_flag("--version", std::string("ingest-gen ") + INGESTD_VERSION);
  app.add_option("--out", o.out, "pcap file to write")->required();
  app.add_option("--count", o.count, "number of frames")->capture_default_str();
  app.add_option("--seed", o.seed, "generator seed (same seed and count, same bytes)")
      ->capture_default_str();
  app.add_option("--mix", o.mix,
                 "demo: varied traffic with some malformed frames; udp: IPv4/UDP of --size bytes; "
                 "tunnel: VLAN stacks, MPLS, IPv6 extension headers, SCTP and tunnels (verdicts "
                 "as parsed with 4 VLAN tags, every tunnel and IPv4 checksums on)")
      ->check(CLI::IsMember({"demo", "udp", "tunnel"}))
      ->capture_default_str();
  CLI::Option* size_opt =
      app.add_option("--size", o.size, "frame length in bytes for --mix udp (no FCS)")
          ->check(CLI::Range(ingestd::framegen::kMinFrameLen, ingestd::framegen::kMaxFrameLen))
          ->capture_default_str();
  CLI::Option* flows_opt = app.add_option(
      "--flows", o.flows, "distinct 5-tuples for --mix udp, repeated in turn (0: one per frame)")
                               ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.mix != "udp" && (size_opt->count() > 0 || flows_opt->count() > 0)) {
    fmt::print(stderr, "ingest-gen: --size and --flows apply to --mix udp only\n");
    return 2;
  }

  try {
    std::array<size_t, kParseVerdictCount> expected{};
    if (o.mix == "demo" || o.mix == "tunnel") {
      const std::vector<LabeledFrame> frames =
          o.mix == "demo" ? ingestd::framegen::MixedTraffic(o.seed, o.count)
                          : ingestd::framegen::TunnelTraffic(o.seed, o.count);
      for (const LabeledFrame& f : frames) ++expected[static_cast<unsigned>(f.expected)];
      ingestd::framegen::WritePcap(o.out, frames);
    } else {
      const std::vector<Bytes> frames = ingestd::framegen::UdpTraffic(o.seed, o.count, o.size, o.flows);
      expected[static_cast<unsigned>(ingestd::packet::ParseVerdict::kOk)] = frames.size();
      ingestd::framegen::WritePcap(o.out, frames);
    }
    PrintSummary(o, expected);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ingest-gen: {}\n", e.what());
    return 1;
  }
  return 0;
}
