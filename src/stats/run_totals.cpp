// SPDX-License-Identifier: BSD-3-Clause
// Run totals from a snapshot: which metric adds to which field, in one table.
#include "ingestd/stats/run_totals.hpp"

#include <string_view>

namespace ingestd::stats {
namespace {

struct TotalSource {
  std::string_view group;
  std::string_view name;
  uint64_t RunTotals::*field;
};
constexpr TotalSource kTotalSources[] = {
    {"lcore", "rx_pkts", &RunTotals::rx_packets},
    {"lcore", "tx_pkts", &RunTotals::tx_packets},
    {"lcore", "clones", &RunTotals::clones},
    {"lcore", "mbufs_taken", &RunTotals::mbufs_taken},
    {"lcore", "heap_allocs", &RunTotals::heap_allocs},
    {"lcore", "heap_bytes", &RunTotals::heap_bytes},
    {"lcore", "bytes_copied", &RunTotals::bytes_copied},
    {"mempool", "mbufs_in_use", &RunTotals::mbufs_in_use},
    {"mempool", "mbufs_total", &RunTotals::mbufs_total},
    {"mempool", "mbufs_kept_by_devices", &RunTotals::mbufs_kept_by_devices},
};

}  // namespace

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
    for (const TotalSource& src : kTotalSources)
      if (m.group == src.group && m.name == src.name) t.*src.field += v;
  }
  return t;
}

}  // namespace ingestd::stats
