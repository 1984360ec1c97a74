// SPDX-License-Identifier: BSD-3-Clause
// Known flow traffic for the flow export tests, and the config of a run that exports it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {

/// One flow's totals as sent: frames, their bytes (Ethernet header on, no FCS) and the
/// bytes of their IP packets (what IPFIX octetDeltaCount counts, RFC 7012).
struct FlowTotals {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t ip_bytes = 0;
};

struct Traffic {
  std::vector<framegen::Bytes> frames;
  std::map<uint16_t, FlowTotals> per_flow;  // by UDP source port: every flow has its own
  FlowTotals total;
};

/// `flows` UDP flows to port 53 from source ports 10000 + i (IPv4 10.7.x.y, and every
/// fifth IPv6 fd00::1 -> fd00::2), flow i sending i % 7 + 1 frames of 20 + i % 300
/// bytes of payload.
Traffic MakeTraffic(unsigned flows);

/// A run-to-completion config: the capture `input` on net_pcap0 routed to net_null,
/// flow tracking on with `flows_yaml` (the inside of the flows: map), stats published
/// every 100 ms under the instance `prefix`.
std::string FlowsConfigYaml(const std::string& prefix, const std::string& input, const std::string& flows_yaml);

}  // namespace ingestd::testing
