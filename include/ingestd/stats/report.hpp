// SPDX-License-Identifier: BSD-3-Clause
// Reports built from a stats Snapshot: the final-stats JSON, human tables, rates. No DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingestd/stats/prometheus.hpp"  // ReportPrometheus, for the callers of this header
#include "ingestd/stats/run_totals.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::stats {

/// The run report as JSON: the final-stats schema ("totals" from `totals`,
/// "ports", "lcores") derived from the segment's metrics, plus "instance",
/// "latency", "allocation", "stages" and "rings". ingestd writes its
/// --final-stats file with this, from its own stopped segment, so the file
/// and `ingest-stats --json` agree by construction. Unknown metric names are
/// carried generically (lcore counters, stage and ring fields).
/// @param totals ComputeRunTotals(s), for a caller that reads them too.
nlohmann::json ReportJson(const Snapshot& s, const RunTotals& totals);
nlohmann::json ReportJson(const Snapshot& s);

/// Human tables: instance, packets, ports, lcores, stages, rings, mempools,
/// drops by reason (nonzero), latency percentiles (µs), allocation per packet.
std::string ReportTable(const Snapshot& s);

/// Percentiles and mean of one histogram, in nanoseconds for time units
/// (tsc, ns) and in the metric's own unit otherwise.
struct HistogramSummary {
  uint64_t count = 0;  // the sum of the buckets (the count field can run a few ahead)
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  double mean = 0;
  bool time = false;   // values converted to ns
  bool valid = true;   // false for a tsc histogram without tsc_hz
};
HistogramSummary SummarizeHistogram(const Snapshot& s, const Metric& m);

/// One counter's change between two snapshots of the same instance.
struct CounterRate {
  size_t metric = 0;  // index into after.metrics
  uint64_t delta = 0;
  double per_second = 0;
};
struct Rates {
  double interval_s = 0;  // between the two publishes the snapshots hold
  std::vector<CounterRate> counters;
};
/// Per-second deltas of every counter (matched by group, name and labels; a
/// counter that went backwards — a restarted writer — counts from zero).
Rates ComputeRates(const Snapshot& before, const Snapshot& after);
/// The --watch screen: rates over the interval, current gauges, and latency
/// percentiles of the interval only (bucket deltas).
std::string ReportRates(const Snapshot& before, const Snapshot& after);
/// {"instance", "state", "interval_s", "rates": [{"group","name","labels","delta","per_second"}]}
nlohmann::json RatesJson(const Snapshot& before, const Snapshot& after);

}  // namespace ingestd::stats
