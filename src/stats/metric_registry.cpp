// SPDX-License-Identifier: BSD-3-Clause
// The registry's one walk: every metric's source copied to the values its registration reserved.
#include "ingestd/stats/metric_registry.hpp"

namespace ingestd::stats {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace

void MetricRegistry::Add(segment::MetricKind kind, const std::string& group, const std::string& name,
                         const std::string& labels, const std::string& unit, const std::string& help,
                         const Counter* source) {
  entries_.push_back({table_.Add(kind, group, name, labels, unit, help), source});
}

void MetricRegistry::Add(segment::MetricKind kind, const std::string& group, const std::string& name,
                         const std::string& labels, const std::string& unit, const std::string& help,
                         const uint64_t* source) {
  entries_.push_back({table_.Add(kind, group, name, labels, unit, help), source});
}

void MetricRegistry::AddHistogram(const std::string& group, const std::string& name, const std::string& labels,
                                  const std::string& unit, const std::string& help, const Histogram* source) {
  entries_.push_back({table_.Add(segment::MetricKind::kHistogram, group, name, labels, unit, help), source});
}

void MetricRegistry::Sample(std::span<uint64_t> values) const noexcept {
  constexpr uint32_t kHistogramValues = Histogram::kSummaryValues + HistogramGeometry::kBuckets;
  for (const Entry& e : entries_) {
    std::visit(Overloaded{
                   [&](const Counter* c) { values[e.at] = c->Load(); },
                   [&](const uint64_t* v) { values[e.at] = *v; },
                   [&](const Histogram* h) { h->CopyTo(values.subspan(e.at, kHistogramValues)); },
               },
               e.source);
  }
}

}  // namespace ingestd::stats
