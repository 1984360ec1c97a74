// SPDX-License-Identifier: BSD-3-Clause
// The metric registry: each metric's values come from the source it was registered with.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "ingestd/stats/counters.hpp"
#include "ingestd/stats/histogram.hpp"
#include "ingestd/stats/metric_registry.hpp"

namespace ingestd::stats {
namespace {

using segment::MetricKind;

constexpr uint32_t kHistogramValues = Histogram::kSummaryValues + HistogramGeometry::kBuckets;

TEST(MetricRegistry, EachMetricSamplesItsOwnSourceAtItsOwnIndex) {
  Counter rx, tx;
  uint64_t occupancy = 0;
  Histogram latency;
  MetricRegistry r;
  r.Add(MetricKind::kCounter, "lcore", "rx_pkts", "lcore=1", "packets", "in", &rx);
  r.AddHistogram("latency", "e2e", "lcore=1", "tsc", "RX to TX", &latency);
  r.Add(MetricKind::kGauge, "ring", "ring_occupancy", "ring=a", "packets", "now", &occupancy);
  r.Add(MetricKind::kCounter, "lcore", "tx_pkts", "lcore=1", "packets", "out", &tx);

  // The table is the segment's: one value per scalar, count+sum+max+buckets per histogram.
  ASSERT_EQ(r.table().metrics().size(), 4u);
  EXPECT_EQ(r.value_count(), 3 + kHistogramValues);
  EXPECT_EQ(r.table().metrics()[1].kind, MetricKind::kHistogram);
  EXPECT_EQ(r.table().metrics()[2].kind, MetricKind::kGauge);
  const uint32_t rx_at = r.table().metrics()[0].value_index;
  const uint32_t hist_at = r.table().metrics()[1].value_index;
  const uint32_t occ_at = r.table().metrics()[2].value_index;
  const uint32_t tx_at = r.table().metrics()[3].value_index;
  EXPECT_EQ(tx_at, 2 + kHistogramValues);

  rx.Add(7);
  tx.Add(5);
  occupancy = 3;
  latency.Record(40);
  latency.Record(40);
  std::vector<uint64_t> values(r.value_count(), ~uint64_t{0});
  r.Sample(values);
  EXPECT_EQ(values[rx_at], 7u);
  EXPECT_EQ(values[tx_at], 5u);
  EXPECT_EQ(values[occ_at], 3u);
  EXPECT_EQ(values[hist_at], 2u);       // count
  EXPECT_EQ(values[hist_at + 1], 80u);  // sum
  EXPECT_EQ(values[hist_at + 2], 40u);  // max
  EXPECT_EQ(values[hist_at + Histogram::kSummaryValues + HistogramGeometry::BucketOf(40)], 2u);
  for (const uint64_t v : values) EXPECT_NE(v, ~uint64_t{0}) << "every value is written by some source";

  // Sources are read at each sample, not copied at registration.
  rx.Add(1);
  occupancy = 0;
  r.Sample(values);
  EXPECT_EQ(values[rx_at], 8u);
  EXPECT_EQ(values[occ_at], 0u);
  EXPECT_EQ(values[tx_at], 5u);
}

}  // namespace
}  // namespace ingestd::stats
