// SPDX-License-Identifier: BSD-3-Clause
// Metrics registered with their source: naming a metric and saying where its values come from is one call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ingestd/stats/counters.hpp"
#include "ingestd/stats/histogram.hpp"
#include "ingestd/stats/segment_writer.hpp"

namespace ingestd::stats {

/// A metric table whose every entry carries the object its values are read from,
/// so the order metrics are registered in and the order values are sampled in
/// cannot drift apart (the segment's values are addressed by registration).
///
/// Sources are held by address: each must outlive the registry and stay where it
/// is (no container growth after registering). A plain `uint64_t` source is a figure
/// the sampling thread itself refreshes before Sample (a ring's occupancy, a port's
/// ethdev stats); Counter and Histogram sources are lcore blocks, read relaxed.
/// Threading: registering and sampling on one control thread.
class MetricRegistry {
 public:
  /// A scalar (counter or gauge) read from a single-writer counter.
  void Add(segment::MetricKind kind, const std::string& group, const std::string& name,
           const std::string& labels, const std::string& unit, const std::string& help, const Counter* source);
  /// A scalar read from a figure the sampling thread keeps.
  void Add(segment::MetricKind kind, const std::string& group, const std::string& name,
           const std::string& labels, const std::string& unit, const std::string& help, const uint64_t* source);
  /// A histogram: count, sum, max, then its buckets.
  void AddHistogram(const std::string& group, const std::string& name, const std::string& labels,
                    const std::string& unit, const std::string& help, const Histogram* source);

  /// Copies every source into `values` (value_count() of them), at the index its
  /// registration gave it. Allocates nothing.
  void Sample(std::span<uint64_t> values) const noexcept;

  const MetricTable& table() const noexcept { return table_; }
  uint32_t value_count() const noexcept { return table_.value_count(); }

 private:
  struct Entry {
    uint32_t at;  // first value index
    std::variant<const Counter*, const uint64_t*, const Histogram*> source;
  };
  MetricTable table_;
  std::vector<Entry> entries_;
};

}  // namespace ingestd::stats
