// SPDX-License-Identifier: BSD-3-Clause
// Pieces the report formats share (JSON, tables, rates): metric rows, histogram summaries, text tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingestd/stats/histogram.hpp"
#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::stats::report {

inline constexpr unsigned kHistogramValues = Histogram::kSummaryValues + HistogramGeometry::kBuckets;

double Round1(double v);
inline double Ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0 : static_cast<double>(num) / static_cast<double>(den);
}
inline bool IsScalar(const Metric& m) { return m.kind != segment::MetricKind::kHistogram; }

/// "stage_pkts" in group "stage" → "pkts": the field name inside a group's rows.
std::string_view FieldName(const Metric& m);
/// A label that reads as a number ("1") becomes a JSON number.
nlohmann::json LabelValueJson(std::string_view v);
nlohmann::json LabelsJson(const Metric& m);
/// The values of `keys` in `m`'s labels, joined: rows of one lcore, stage, ...
std::string Key(const Metric& m, std::initializer_list<std::string_view> keys);

/// Rows keyed by some labels, in first-appearance (writer) order.
template <typename Row>
class KeyedRows {
 public:
  Row& At(const std::string& key) {
    const auto [it, inserted] = index_.try_emplace(key, rows_.size());
    if (inserted) rows_.emplace_back();
    return rows_[it->second];
  }
  Row* Find(const std::string& key) {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &rows_[it->second];
  }
  std::vector<Row>& rows() { return rows_; }

 private:
  std::map<std::string, size_t> index_;
  std::vector<Row> rows_;
};

/// A histogram given as count, sum, max, buckets (the segment's order).
HistogramSummary Summarize(std::span<const uint64_t> values, std::string_view unit, uint64_t tsc_hz);

/// A JSON scalar as table text: strings as they are, numbers as JSON spells them.
std::string Text(const nlohmann::json& j);
/// A field of a row, 0 when absent or not an unsigned number.
uint64_t Num(const nlohmann::json& row, const char* key);
/// Sets a metric's field in a row unless it would overwrite one of the row's labels.
void SetField(nlohmann::json& row, std::string_view field, uint64_t v);

std::string FormatFixed(double v, int decimals);
/// The first line of every screen: the instance, its writer's state, its publishing.
std::string InstanceLine(const Snapshot& s);

/// A plain text table: left-aligned label columns, right-aligned figures.
class TextTable {
 public:
  TextTable(std::vector<std::string> header, size_t left_columns)
      : header_(std::move(header)), left_(left_columns) {}
  void Row(std::vector<std::string> cells) {
    cells.resize(header_.size());
    rows_.push_back(std::move(cells));
  }
  bool empty() const { return rows_.empty(); }
  /// The title line, then the header and rows; "" for a table without rows.
  std::string Render(std::string_view title) const;

 private:
  std::vector<std::string> header_;
  size_t left_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ingestd::stats::report
