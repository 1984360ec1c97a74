// SPDX-License-Identifier: BSD-3-Clause
// Snapshot → Prometheus text format 0.0.4 or OpenMetrics 1.0.0; the Accept header's choice between them.
#include "ingestd/stats/prometheus.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "ingestd/stats/histogram.hpp"
#include "units.hpp"

namespace ingestd::stats {

std::span<const double> HistogramBoundsSeconds() noexcept {
  static constexpr std::array<double, 22> kBounds = {
      1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3,
      5e-3, 1e-2, 2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};
  return kBounds;
}

std::span<const double> HistogramBoundsCount() noexcept {
  static constexpr std::array<double, 20> kBounds = {0,    1,    2,     5,     10,    20,    50,
                                                     100,  200,  500,   1e3,   2e3,   5e3,   1e4,
                                                     2e4,  5e4,  1e5,   2e5,   5e5,   1e6};
  return kBounds;
}

namespace {

using segment::MetricKind;

constexpr unsigned kHistogramValues = Histogram::kSummaryValues + HistogramGeometry::kBuckets;

/// `in` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD:
/// both formats require UTF-8, and Prometheus refuses a whole scrape over one bad label value.
std::string ValidUtf8(std::string_view in) {
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // below: an overlong form
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    ok = ok && cp >= kSmallest[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

/// A metric or label name of [A-Za-z0-9_] (and ':' in metric names), not starting with a
/// digit; label names starting "__" are reserved to Prometheus, so they keep one underscore.
std::string Sanitize(std::string_view in, bool metric_name) {
  std::string out;
  for (const char c : in) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9') ||
                    (metric_name && c == ':');
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  if (!metric_name) {
    while (out.size() > 1 && out[0] == '_' && out[1] == '_') out.erase(0, 1);
  }
  return out;
}

/// Label values: the same escapes in both formats.
std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  for (const char c : ValidUtf8(v)) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

/// HELP text: 0.0.4 escapes backslash and newline only (it would show \" literally);
/// OpenMetrics' escaped-string forbids a bare double quote.
std::string EscapeHelp(std::string_view v, ExpositionFormat f) {
  std::string out;
  for (const char c : ValidUtf8(v)) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && f == ExpositionFormat::kOpenMetrics) out += "\\\"";
    else out += c;
  }
  return out;
}

/// A sample value: integers as integers, anything else in the shortest form that reads back
/// exactly (both formats take "0.000954975" and "1.5e-05").
std::string SampleValue(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

/// A bucket bound as OpenMetrics' canonical numbers spell it: Go's shortest %g with ".0" on
/// integers (1e-06, 0.0001, 1.0, 500000.0, 1e+06). Both formats use it, so a series keeps
/// its le label whichever format a scrape negotiated.
std::string CanonicalBound(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0.0";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);  // "-1.5e-05"
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  const size_t e = sci.find('e');
  std::string_view mantissa = sci.substr(0, e);
  std::string_view exp_text = sci.substr(e + 1);
  const bool exp_negative = exp_text.front() == '-';
  if (exp_text.front() == '-' || exp_text.front() == '+') exp_text.remove_prefix(1);
  int exp = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  if (exp_negative) exp = -exp;
  std::string out;
  if (mantissa.front() == '-') {
    out = "-";
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (const char c : mantissa)
    if (c != '.') digits += c;
  if (exp < -4 || exp >= 6) {  // where Go's shortest %g writes an exponent
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    return out + fmt::format("e{}{:02}", exp < 0 ? '-' : '+', std::abs(exp));
  }
  const auto point = static_cast<size_t>(exp + 1);  // digits before the decimal point
  if (exp < 0) return out + "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  if (digits.size() <= point) return out + digits + std::string(point - digits.size(), '0') + ".0";
  return out + digits.substr(0, point) + "." + digits.substr(point);
}

bool HasToken(std::string_view name, std::string_view token) {
  size_t at = 0;
  while ((at = name.find(token, at)) != std::string_view::npos) {
    const bool start = at == 0 || name[at - 1] == '_';
    const bool end = at + token.size() == name.size() || name[at + token.size()] == '_';
    if (start && end) return true;
    at += token.size();
  }
  return false;
}

struct FamilyName {
  std::string base;      // without a counter's "_total"
  std::string unit;      // "seconds" once converted, else the metric's own unit (# UNIT if the name ends in it)
  bool seconds = false;  // values converted from tsc/ns to seconds
};

FamilyName PromFamily(const Metric& m, uint64_t tsc_hz) {
  const std::string& g = m.group;
  const std::string& n = m.name;
  std::string base;
  if (n == g || n.starts_with(g + "_")) base = n;                              // "ring_size", "drops"
  else if (g.ends_with("_" + n) || g.ends_with("_" + n + "s")) base = g;       // "xstat" of "port_xstats"
  else base = g + "_" + n;                                                     // "lcore_rx_pkts"
  FamilyName f;
  f.unit = m.unit;
  if (m.kind == MetricKind::kCounter && base.size() > 6 && base.ends_with("_total")) base.resize(base.size() - 6);
  // A gauge named *_total reads as a counter to Prometheus tools: it is a capacity.
  if (m.kind == MetricKind::kGauge && base.ends_with("_total")) base.replace(base.size() - 6, 6, "_capacity");
  if (IsTimeUnit(m.unit) && NsPerUnit(m.unit, tsc_hz) != 0) {
    f.seconds = true;
    f.unit = "seconds";
    if (!HasToken(base, "seconds")) base += "_seconds";
  } else if (m.unit == "bytes" && !HasToken(base, "bytes")) {
    base += "_bytes";
  } else if (m.unit == "cycles" && !HasToken(base, "cycles")) {
    base += "_cycles";
  } else if (IsTimeUnit(m.unit) && !HasToken(base, m.unit)) {
    base += "_" + m.unit;  // tsc without tsc_hz: raw ticks, named so
  }
  f.base = "ingestd_" + Sanitize(base, true);
  if (!f.unit.empty()) f.unit = Sanitize(f.unit, true);
  return f;
}

class Exposition {
 public:
  explicit Exposition(ExpositionFormat format) : format_(format) {}

  /// The family called `base` (created on first use); a base already taken by another
  /// type gets a suffix rather than a family of mixed types.
  size_t Get(const std::string& base, std::string_view type, std::string_view help, std::string_view unit = {}) {
    std::string name = base;
    for (int n = 2;; ++n) {
      const auto it = index_.find(name);
      if (it == index_.end()) {
        index_.emplace(name, families_.size());
        families_.push_back({std::move(name), std::string(type), std::string(help), std::string(unit), {}});
        return families_.size() - 1;
      }
      if (families_[it->second].type == type) return it->second;
      name = fmt::format("{}_{}", base, n);
    }
  }
  /// The name of the family's samples: a counter's end in "_total"; a histogram's take
  /// _bucket, _sum and _count after it.
  std::string SampleName(size_t f) const {
    const Family& family = families_[f];
    return family.type == "counter" ? family.base + "_total" : family.base;
  }
  void Append(size_t f, std::string_view name, const std::string& labels, std::string_view value) {
    fmt::format_to(std::back_inserter(families_[f].samples), "{}{} {}\n", name, labels, value);
  }
  std::string Render() const {
    std::string out;
    for (const Family& f : families_) {
      if (format_ == ExpositionFormat::kOpenMetrics) {
        // The family's name, not its samples': no "_total" on counters.
        out += fmt::format("# TYPE {} {}\n", f.base, f.type);
        if (!f.unit.empty() && f.base.ends_with("_" + f.unit)) out += fmt::format("# UNIT {} {}\n", f.base, f.unit);
        out += fmt::format("# HELP {} {}\n", f.base, EscapeHelp(f.help, format_));
      } else {
        const std::string name = f.type == "counter" ? f.base + "_total" : f.base;
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(f.help, format_), name, f.type);
      }
      out += f.samples;  // contiguous, as both formats require
    }
    if (format_ == ExpositionFormat::kOpenMetrics) out += "# EOF\n";
    return out;
  }

 private:
  struct Family {
    std::string base;
    std::string type;
    std::string help;
    std::string unit;
    std::string samples;
  };
  ExpositionFormat format_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<Family> families_;
};

/// `{k="v",...,instance="<instance>"[,extra_key="extra_value"]}`: the metric's labels
/// (sanitized, the first of two that sanitize alike kept) and ours, which win.
std::string LabelSet(const Metric* m, std::string_view instance, std::string_view extra_key = {},
                     std::string_view extra_value = {}) {
  std::vector<std::string> taken{"instance"};
  if (!extra_key.empty()) taken.emplace_back(extra_key);
  std::string out = "{";
  if (m != nullptr) {
    for (const auto& [k, v] : m->labels) {
      std::string key = Sanitize(k, false);
      if (std::find(taken.begin(), taken.end(), key) != taken.end()) continue;
      out += fmt::format("{}=\"{}\",", key, EscapeLabelValue(v));
      taken.push_back(std::move(key));
    }
  }
  out += fmt::format("instance=\"{}\"", EscapeLabelValue(instance));
  if (!extra_key.empty()) out += fmt::format(",{}=\"{}\"", extra_key, EscapeLabelValue(extra_value));
  return out + "}";
}

constexpr const char* kUpHelp = "1 while the writer is alive and publishing on time; 0 when it is stopped, "
                                "stale, dead or its segment cannot be read (see ingestd_writer_info)";
constexpr const char* kInfoHelp =
    "1, with the writer's state (starting, running, stopped, stale, dead; absent, unknown_version, corrupt, "
    "stuck, unreadable when the segment cannot be read) and pid";

void AddHistogram(Exposition& e, size_t fam, const Metric& m, const Snapshot& s, const FamilyName& f,
                  std::string_view inst) {
  const std::span<const uint64_t> values = s.ValuesOf(m);
  if (values.size() != kHistogramValues) return;  // the reader checks the geometry; never read past it
  const std::string name = e.SampleName(fam);
  const std::span<const double> bounds = f.seconds ? HistogramBoundsSeconds() : HistogramBoundsCount();
  // Raw units per bound: ticks per second for converted histograms.
  const double raw_per_bound = f.seconds ? 1e9 / NsPerUnit(m.unit, s.tsc_hz) : 1;
  std::vector<uint64_t> cumulative(bounds.size(), 0);
  uint64_t count = 0;
  for (unsigned b = 0; b < HistogramGeometry::kBuckets; ++b) {
    const uint64_t n = values[Histogram::kSummaryValues + b];
    if (n == 0) continue;
    count += n;
    // A bucket counts under `le` only if its largest value is <= le: a
    // bucket straddling a bound goes to the next one, so le stays a true bound.
    const double largest = static_cast<double>(HistogramGeometry::UpperBound(b) - 1);
    for (size_t i = 0; i < bounds.size(); ++i)
      if (largest <= bounds[i] * raw_per_bound) cumulative[i] += n;
  }
  const std::string bucket = name + "_bucket";
  for (size_t i = 0; i < bounds.size(); ++i)
    e.Append(fam, bucket, LabelSet(&m, inst, "le", CanonicalBound(bounds[i])), std::to_string(cumulative[i]));
  e.Append(fam, bucket, LabelSet(&m, inst, "le", "+Inf"), std::to_string(count));
  const double sum = static_cast<double>(values[1]) * (f.seconds ? NsPerUnit(m.unit, s.tsc_hz) / 1e9 : 1);
  const std::string labels = LabelSet(&m, inst);
  e.Append(fam, name + "_sum", labels, SampleValue(sum));
  e.Append(fam, name + "_count", labels, std::to_string(count));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
         });
}

}  // namespace

std::string ReportPrometheus(const Snapshot& s, ExpositionFormat format) {
  Exposition e(format);
  const std::string_view inst = s.instance;
  const std::string plain = LabelSet(nullptr, inst);
  auto add = [&](const char* base, const char* type, const char* help, const char* unit, const std::string& value) {
    const size_t f = e.Get(base, type, help, unit);
    e.Append(f, e.SampleName(f), plain, value);
  };
  const bool up = s.liveness == Liveness::kRunning || s.liveness == Liveness::kStarting;
  add("ingestd_up", "gauge", kUpHelp, "", up ? "1" : "0");
  const size_t info = e.Get("ingestd_writer_info", "gauge", kInfoHelp);
  e.Append(info, e.SampleName(info),
           fmt::format("{{instance=\"{}\",pid=\"{}\",state=\"{}\"}}", EscapeLabelValue(inst), s.writer_pid,
                       LivenessName(s.liveness)),
           "1");
  add("ingestd_heartbeat_age_seconds", "gauge", "time since the writer last published", "seconds",
      SampleValue(static_cast<double>(s.heartbeat_age_ns) / 1e9));
  add("ingestd_publishes", "counter", "snapshots the writer has published", "", std::to_string(s.publishes));
  add("ingestd_start_time_seconds", "gauge", "when the writer started (Unix time)", "seconds",
      fmt::format("{}.{:03}", s.start_unix_ns / 1'000'000'000, s.start_unix_ns / 1'000'000 % 1000));

  for (const Metric& m : s.metrics) {
    const FamilyName f = PromFamily(m, s.tsc_hz);
    const char* type = m.kind == MetricKind::kCounter ? "counter"
                       : m.kind == MetricKind::kGauge ? "gauge"
                                                      : "histogram";
    const size_t fam = e.Get(f.base, type, m.help.empty() ? m.name : m.help, f.unit);
    if (m.kind == MetricKind::kHistogram) {
      AddHistogram(e, fam, m, s, f, inst);
      continue;
    }
    const uint64_t v = s.Value(m);
    const std::string value =
        f.seconds ? SampleValue(static_cast<double>(v) * NsPerUnit(m.unit, s.tsc_hz) / 1e9) : std::to_string(v);
    e.Append(fam, e.SampleName(fam), LabelSet(&m, inst), value);
  }
  return e.Render();
}

std::string_view UnreadableState(ReadErrorKind kind) noexcept {
  switch (kind) {
    case ReadErrorKind::kNotFound: return "absent";
    case ReadErrorKind::kUnknownVersion: return "unknown_version";
    case ReadErrorKind::kCorrupt: return "corrupt";
    case ReadErrorKind::kWriterStuck: return "stuck";
    case ReadErrorKind::kNone:
    case ReadErrorKind::kSystem: break;
  }
  return "unreadable";
}

std::string ReportPrometheusUnreadable(std::string_view instance, const ReadError& error, ExpositionFormat format) {
  Exposition e(format);
  const size_t up = e.Get("ingestd_up", "gauge", kUpHelp);
  e.Append(up, e.SampleName(up), LabelSet(nullptr, instance), "0");
  const size_t info = e.Get("ingestd_writer_info", "gauge", kInfoHelp);
  e.Append(info, e.SampleName(info), LabelSet(nullptr, instance, "state", UnreadableState(error.kind)), "1");
  return e.Render();
}

ExpositionFormat NegotiateExposition(std::string_view accept) {
  double openmetrics_q = 0;
  double text_q = 0;
  size_t at = 0;
  while (at <= accept.size()) {
    size_t end = accept.find(',', at);
    if (end == std::string_view::npos) end = accept.size();
    const std::string_view range = accept.substr(at, end - at);  // "type/subtype;version=1.0.0;q=0.5"
    at = end + 1;
    size_t semi = range.find(';');
    const std::string_view type = Trim(range.substr(0, semi));
    double q = 1;
    bool has_version = false;
    std::string_view version;
    while (semi != std::string_view::npos) {
      const size_t next = range.find(';', semi + 1);
      const std::string_view param =
          range.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1);
      semi = next;
      const size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = Trim(param.substr(0, eq));
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      if (EqualsNoCase(key, "q")) {
        const auto r = std::from_chars(value.data(), value.data() + value.size(), q);
        if (r.ec != std::errc() || r.ptr != value.data() + value.size() || !(q >= 0 && q <= 1)) q = 0;
      } else if (EqualsNoCase(key, "version")) {
        has_version = true;
        version = value;
      }
    }
    if (EqualsNoCase(type, "application/openmetrics-text")) {
      // 0.0.1 is the same text under its draft name; Prometheus asks for either.
      if (!has_version || version == "1.0.0" || version == "0.0.1") openmetrics_q = std::max(openmetrics_q, q);
    } else if (EqualsNoCase(type, "text/plain")) {
      if (!has_version || version == "0.0.4") text_q = std::max(text_q, q);
    } else if (EqualsNoCase(type, "text/*") || type == "*/*") {
      text_q = std::max(text_q, q);
    }
  }
  return openmetrics_q > 0 && openmetrics_q >= text_q ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kText;
}

std::string_view ExpositionContentType(ExpositionFormat f) noexcept {
  return f == ExpositionFormat::kOpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                             : "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace ingestd::stats
