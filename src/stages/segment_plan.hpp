// SPDX-License-Identifier: BSD-3-Clause
// What one lcore runs: a source, the stages of its span, a sink, and its counters.
// Built on the control path; on the lcore the stage objects are its own state and
// the rest is read-only except for its counters and done flag.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_config.h>

#include "encode_stage.hpp"
#include "ingestd/capture/drop_tap.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/stats/counters.hpp"
#include "parse_stage.hpp"
#include "process_stage.hpp"
#include "ring_link.hpp"
#include "rx_source.hpp"
#include "tables.hpp"
#include "tx_sink.hpp"

namespace ingestd::stages {

using config::Stage;

struct SegmentPlan;
using SegmentFn = int (*)(SegmentPlan& plan) noexcept;

/// A segment runs source -> stages first..last -> sink. Its source is RX when it
/// starts the chain, else the ring from the previous segment; its sink is TX
/// when it ends the chain, else the ring to the next. Each object is used only
/// by the spans that contain it (one loop instance per span, segment_loop.cpp).
struct alignas(RTE_CACHE_LINE_SIZE) SegmentPlan {
  // Read-only after launch.
  SegmentFn run = nullptr;
  Stage first = Stage::kRx;
  Stage last = Stage::kTx;
  unsigned lcore = 0;
  unsigned chain = 0;
  /// Stages are timed on bursts whose number & timing_mask == 0 (1 in mask+1).
  uint32_t timing_mask = 7;

  // Sources, stages and sinks.
  RxSource rx;
  RingSource ring_in;
  ParseStage parse;
  ProcessStage process;
  EncodeStage encode;
  TxSink tx;
  RingSink ring_out;

  /// The drop capture's switch and ring: the control thread writes the switch, so it
  /// has a line of its own (read, never written, by this lcore).
  alignas(RTE_CACHE_LINE_SIZE) capture::DropTap drop_tap;

  // Written by this lcore only.
  alignas(RTE_CACHE_LINE_SIZE) std::atomic<bool> done{false};
  stats::LcoreCounters counters;
};

/// The loop for `plan.first..plan.last` (one template instance per span).
SegmentFn SegmentEntry(Stage first, Stage last) noexcept;
/// The loop for `plan.first..tx` on the first lcore of a fan-out that starts at
/// `fanout_first`: the other lcores' shares leave through `ring_out` before it.
SegmentFn SegmentKeepingShareEntry(Stage first, Stage fanout_first) noexcept;

}  // namespace ingestd::stages
