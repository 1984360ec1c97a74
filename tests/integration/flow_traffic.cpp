// SPDX-License-Identifier: BSD-3-Clause
// Known flow traffic for the flow export tests, and the config of a run that exports it.
#include "flow_traffic.hpp"

#include "config_builder.hpp"

#include <fmt/format.h>

namespace ingestd::testing {

using framegen::Bytes;
using framegen::FrameBuilder;

namespace {

/// The IP length the frame's header gives (no VLAN tags here: IP starts at 14).
uint64_t IpLength(const Bytes& f) {
  const bool v6 = (f[14] >> 4) == 6;
  const uint64_t field = uint64_t{f[v6 ? 18u : 16u]} << 8 | f[v6 ? 19u : 17u];
  return v6 ? 40 + field : field;
}

}  // namespace

Traffic MakeTraffic(unsigned flows) {
  Traffic t;
  for (unsigned round = 0; round < 7; ++round) {
    for (unsigned i = 0; i < flows; ++i) {
      if (round > i % 7) continue;
      const auto sport = static_cast<uint16_t>(10000 + i);
      const size_t payload = 20 + i % 300;
      Bytes f = i % 5 == 0 ? FrameBuilder().Ipv6().Udp({.src_port = sport, .dst_port = 53}).Payload(payload).Build()
                           : FrameBuilder()
                                 .Ipv4({.src = {10, 7, static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)}})
                                 .Udp({.src_port = sport, .dst_port = 53})
                                 .Payload(payload)
                                 .Build();
      for (FlowTotals* s : {&t.per_flow[sport], &t.total}) {
        ++s->packets;
        s->bytes += f.size();
        s->ip_bytes += IpLength(f);
      }
      t.frames.push_back(std::move(f));
    }
  }
  return t;
}

std::string FlowsConfigYaml(const std::string& prefix, const std::string& input, const std::string& flows_yaml) {
  ConfigBuilder c(prefix);
  c.Port("wire", "net_pcap0").Arg("rx_pcap", input);
  c.Port("out", "net_null1").RxQueues(0);
  c.Chain({"wire"}).Segment(1, 1);
  return c.Route("wire", "out").Section("flows", "{" + flows_yaml + "}").Yaml();
}

}  // namespace ingestd::testing
