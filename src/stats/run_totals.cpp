// SPDX-License-Identifier: BSD-3-Clause
// Run totals from a snapshot: one pass over its scalars.
#include "ingestd/stats/run_totals.hpp"

namespace ingestd::stats {
RunTotals ComputeRunTotals(const Snapshot& s) {
  RunTotals t;
  for (const Metric& m : s.metrics) {
    if (m.kind == segment::MetricKind::kHistogram) continue;
    const uint64_t v = s.Value(m);
    if (m.group == "drops") {
      t.dropped += v;
      t.drops[std::string(m.Label("reason"))] += v;
      continue;
    }
    for (const RunTotalSource& src : kRunTotalSources)
      if (m.group == src.group && m.name == src.name) t.*src.field += v;
  }
  return t;
}

}  // namespace ingestd::stats
