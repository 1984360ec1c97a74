// SPDX-License-Identifier: BSD-3-Clause
// The owned-copy pipeline: receive, parse, process, encode, transmit on tbb::parallel_pipeline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/stats/histogram.hpp"
#include "owned_packet.hpp"

namespace ingestd::bench::owned {

/// An output and the Ethernet addresses frames leaving on it get.
struct OutputPort {
  std::string name;
  MacAddress src;
  MacAddress dst;
};

/// Input port name -> output, as a service keeps its routing configuration.
using RouteTable = std::unordered_map<std::string, OutputPort>;

struct RunSpec {
  std::span<const framegen::Bytes> frames;  // replayed in a loop, as net_pcap infinite_rx=1
  std::string in_port;                      // the name every received frame carries
  const RouteTable* routes = nullptr;
  size_t tokens = 256;                // packets in flight at most
  uint64_t stop_tsc = UINT64_MAX;     // receive stops once the TSC reaches this ...
  uint64_t max_packets = UINT64_MAX;  // ... or after this many frames
  unsigned stage_sample = 1;          // time 1 filter call in this many (per thread, stage)
  bool verify = false;                // transmit checks each frame against the rewrite
};

struct RunCounts {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t mismatches = 0;  // verify only: frames that differ from the expected rewrite
};

/// receive -> transmit latency in TSC ticks, on cache lines of its own: transmit writes it
/// while other threads allocate packet objects that could otherwise share its first or last line.
struct alignas(64) LatencyHistogram {
  stats::Histogram tsc;
};

/// Runs the pipeline until receive stops and every packet has left or been dropped. Drops,
/// heap calls, copies and stage cycles go to each thread's ThreadTally; receive -> transmit
/// TSC deltas into `latency`.
///
/// Threading: call inside the tbb::task_arena that sets the thread count; receive and
/// transmit run serially in order, the other stages in parallel. Ownership: every object a
/// stage allocates is freed by the next stage (or transmit) before it returns.
RunCounts RunPipeline(const RunSpec& spec, LatencyHistogram& latency);

}  // namespace ingestd::bench::owned
