// SPDX-License-Identifier: BSD-3-Clause
// What every stage of a segment is handed with its burst: the lcore's counters, its
// one drop point, the burst's byte count and the iteration's TSC.
#pragma once

#include <cstdint>

#include "drop_sink.hpp"
#include "ingestd/stats/counters.hpp"

namespace ingestd::stages {

/// Every stage has one entry point of this shape (source, stages and sink alike):
///   uint16_t Burst(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept;
/// It keeps the packets that go on in order at the front of `pkts` and returns
/// how many; the others it hands to `ctx.drops`. A stage that adds packets
/// (mirror copies) adds their bytes to `ctx.bytes`; the loop takes the dropped
/// bytes off after the stage.
/// Threading: one per segment, on its lcore; lives as long as the segment runs.
struct StageContext {
  stats::LcoreCounters& counters;
  DropSink& drops;
  uint64_t bytes = 0;  // of the burst as it enters the next stage
  uint64_t now = 0;    // TSC at the start of this loop iteration
};

}  // namespace ingestd::stages
