// SPDX-License-Identifier: BSD-3-Clause
// The report formats' shared pieces: label handling, histogram summaries, the instance line, text tables.
#include "report_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "units.hpp"

namespace ingestd::stats {
namespace report {

using nlohmann::json;

double Round1(double v) { return std::round(v * 10) / 10; }

std::string_view FieldName(const Metric& m) {
  std::string_view n = m.name;
  if (n.size() > m.group.size() + 1 && n.substr(0, m.group.size()) == m.group && n[m.group.size()] == '_')
    n.remove_prefix(m.group.size() + 1);
  return n;
}

json LabelValueJson(std::string_view v) {
  if (!v.empty() && v.size() <= 18 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t n = 0;
    for (const char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
    return n;
  }
  return std::string(v);
}

json LabelsJson(const Metric& m) {
  json o = json::object();
  for (const auto& [k, v] : m.labels) o[k] = v;
  return o;
}

std::string Key(const Metric& m, std::initializer_list<std::string_view> keys) {
  std::string k;
  for (const std::string_view key : keys) {
    k += m.Label(key);
    k += '\x1f';
  }
  return k;
}

HistogramSummary Summarize(std::span<const uint64_t> values, std::string_view unit, uint64_t tsc_hz) {
  HistogramSummary h;
  if (values.size() != kHistogramValues) {
    h.valid = false;
    return h;
  }
  // The writer's count can run a few records ahead of the buckets it copied
  // in the same snapshot; ranks come from the buckets themselves.
  std::array<uint64_t, kHistogramValues> v;
  std::copy(values.begin(), values.end(), v.begin());
  uint64_t buckets = 0;
  for (unsigned b = 0; b < HistogramGeometry::kBuckets; ++b) buckets += v[Histogram::kSummaryValues + b];
  v[0] = buckets;
  h.count = buckets;
  h.time = IsTimeUnit(unit);
  double scale = 1;
  if (h.time) {
    scale = NsPerUnit(unit, tsc_hz);
    if (scale == 0) {
      h.valid = false;
      return h;
    }
  }
  h.p50 = HistogramQuantile(v, 0.50) * scale;
  h.p90 = HistogramQuantile(v, 0.90) * scale;
  h.p99 = HistogramQuantile(v, 0.99) * scale;
  h.p999 = HistogramQuantile(v, 0.999) * scale;
  h.max = buckets == 0 ? 0 : static_cast<double>(values[2]) * scale;
  h.mean = Ratio(values[1], values[0]) * scale;
  return h;
}

std::string Text(const json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, json::error_handler_t::replace);
}

uint64_t Num(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

void SetField(json& row, std::string_view field, uint64_t v) {
  const std::string key(field);
  if (!row.contains(key) || row[key].is_number()) row[key] = v;
}

std::string FormatFixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

namespace {

std::string FormatDuration(uint64_t ns) {
  if (ns < 1'000'000) return fmt::format("{} µs", ns / 1000);
  if (ns < 10'000'000'000ull) return fmt::format("{} ms", ns / 1'000'000);
  return fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9);
}

size_t DisplayWidth(const std::string& s) {  // UTF-8: count code points ("µs")
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string TextTable::Render(std::string_view title) const {
  if (rows_.empty()) return {};
  std::vector<size_t> width(header_.size());
  auto measure = [&](const std::vector<std::string>& r) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], DisplayWidth(r[c]));
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::string out = fmt::format("\n{}\n", title);
  auto line = [&](const std::vector<std::string>& r) {
    std::string l = " ";
    for (size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - DisplayWidth(r[c]), ' ');
      l += "  ";
      l += c < left_ ? r[c] + pad : pad + r[c];
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string InstanceLine(const Snapshot& s) {
  std::string state;
  switch (s.liveness) {
    case Liveness::kStarting: state = "starting (nothing published yet)"; break;
    case Liveness::kRunning: state = "running"; break;
    case Liveness::kStopped: state = "stopped (final figures)"; break;
    case Liveness::kStale:
      state = fmt::format("STALE: no publish for {} (threshold {})", FormatDuration(s.heartbeat_age_ns),
                          FormatDuration(s.StaleAfterNs()));
      break;
    case Liveness::kDead:
      state = s.values_valid ? "DEAD: the writer is gone; figures are its last publish"
                             : "DEAD: the writer died while publishing; no figures";
      break;
  }
  std::string started;
  if (s.start_unix_ns != 0) {
    const time_t t = static_cast<time_t>(s.start_unix_ns / 1'000'000'000u);
    tm utc{};
    char buf[32];
    if (gmtime_r(&t, &utc) != nullptr && std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &utc) != 0)
      started = fmt::format("  started {} UTC", buf);
  }
  return fmt::format("instance {}  pid {}  {}  last publish {} ago  period {}  publishes {}{}\n",
                     s.instance, s.writer_pid, state, FormatDuration(s.heartbeat_age_ns),
                     FormatDuration(s.period_ns), s.publishes, started);
}

}  // namespace report

HistogramSummary SummarizeHistogram(const Snapshot& s, const Metric& m) {
  return report::Summarize(s.ValuesOf(m), m.unit, s.tsc_hz);
}

}  // namespace ingestd::stats
