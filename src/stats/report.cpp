// SPDX-License-Identifier: BSD-3-Clause
// Snapshot → final-stats JSON, tables and --watch rates; metric names treated generically.
#include "ingestd/stats/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <map>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "ingestd/stats/histogram.hpp"
#include "units.hpp"

namespace ingestd::stats {
namespace {

using nlohmann::json;
using segment::MetricKind;

constexpr unsigned kHistogramValues = Histogram::kSummaryValues + HistogramGeometry::kBuckets;

double Round1(double v) { return std::round(v * 10) / 10; }
double Ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0 : static_cast<double>(num) / static_cast<double>(den);
}

/// "stage_pkts" in group "stage" → "pkts": the field name inside a group's rows.
std::string_view FieldName(const Metric& m) {
  std::string_view n = m.name;
  if (n.size() > m.group.size() + 1 && n.substr(0, m.group.size()) == m.group && n[m.group.size()] == '_')
    n.remove_prefix(m.group.size() + 1);
  return n;
}

/// A label that reads as a number ("1") becomes a JSON number, as in RunTotals::ToJson.
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

std::string Key(const Metric& m, std::initializer_list<std::string_view> keys) {
  std::string k;
  for (const std::string_view key : keys) {
    k += m.Label(key);
    k += '\x1f';
  }
  return k;
}

bool IsScalar(const Metric& m) { return m.kind != MetricKind::kHistogram; }

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

/// A JSON scalar as table text: strings as they are, numbers as JSON spells them.
std::string Text(const json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A field of a row, 0 when absent or not an unsigned number.
uint64_t Num(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

/// Sets a metric's field in a row unless it would overwrite one of the row's labels.
void SetField(json& row, std::string_view field, uint64_t v) {
  const std::string key(field);
  if (!row.contains(key) || row[key].is_number()) row[key] = v;
}

std::string FormatFixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

std::string FormatDuration(uint64_t ns) {
  if (ns < 1'000'000) return fmt::format("{} µs", ns / 1000);
  if (ns < 10'000'000'000ull) return fmt::format("{} ms", ns / 1'000'000);
  return fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9);
}

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
  std::string Render(std::string_view title) const {
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

 private:
  static size_t DisplayWidth(const std::string& s) {  // UTF-8: count code points ("µs")
    size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }
  std::vector<std::string> header_;
  size_t left_;
  std::vector<std::vector<std::string>> rows_;
};

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

struct LcoreRow {
  json lcore, chain;
  std::string stages;
  json counters = json::object();
  json drops = json::object();
};

}  // namespace

HistogramSummary SummarizeHistogram(const Snapshot& s, const Metric& m) {
  return Summarize(s.ValuesOf(m), m.unit, s.tsc_hz);
}

// ---------------------------------------------------------------- JSON

json ReportJson(const Snapshot& s) {
  static constexpr std::string_view kPortFields[] = {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
                                                     "imissed",    "ierrors",    "oerrors",  "rx_nombuf"};
  uint64_t rx = 0, tx = 0, dropped = 0, mbufs_in_use = 0, mbufs_total = 0, mbufs_kept = 0;
  json drops = json::object();
  KeyedRows<json> ports;
  KeyedRows<LcoreRow> lcores;
  KeyedRows<json> stages;
  KeyedRows<json> rings;
  json latency = json::array();
  json alloc_histograms = json::array();
  uint64_t mbufs_taken = 0, clones = 0, heap_allocs = 0, heap_bytes = 0, bytes_copied = 0;
  json rules_json = json::array();
  json reloads_json = json::object();
  json flow_export_json = json::object();

  auto port_row = [&](const Metric& m) -> json& {
    json& p = ports.At(std::string(m.Label("port")));
    if (p.is_null()) {
      p = {{"name", m.Label("port")}};
      for (const std::string_view f : kPortFields) p[std::string(f)] = 0;
    }
    return p;
  };
  auto lcore_row = [&](const Metric& m) -> LcoreRow& {
    LcoreRow& r = lcores.At(Key(m, {"lcore", "chain"}));
    if (r.lcore.is_null()) {
      r.lcore = LabelValueJson(m.Label("lcore"));
      r.chain = LabelValueJson(m.Label("chain"));
    }
    if (r.stages.empty()) r.stages = std::string(m.Label("stages"));
    return r;
  };

  for (const Metric& m : s.metrics) {
    if (!IsScalar(m)) {
      const HistogramSummary h = SummarizeHistogram(s, m);
      auto num = [&](double v) -> json { return h.valid ? json(Round1(v)) : json(nullptr); };
      if (m.group == "latency") {
        latency.push_back({{"metric", m.name}, {"labels", LabelsJson(m)}, {"count", h.count},
                           {"p50_ns", num(h.p50)}, {"p90_ns", num(h.p90)}, {"p99_ns", num(h.p99)},
                           {"p999_ns", num(h.p999)}, {"max_ns", num(h.max)}, {"mean_ns", num(h.mean)}});
      } else if (m.group == "allocation") {
        alloc_histograms.push_back({{"metric", m.name}, {"labels", LabelsJson(m)}, {"count", h.count},
                                    {"p50", num(h.p50)}, {"p99", num(h.p99)}, {"max", num(h.max)},
                                    {"mean", num(h.mean)}});
      }
      continue;
    }
    const uint64_t v = s.Value(m);
    if (m.group == "lcore") {
      LcoreRow& r = lcore_row(m);
      r.counters[m.name] = v;
      if (m.name == "rx_pkts") rx += v;
      else if (m.name == "tx_pkts") tx += v;
      else if (m.name == "mbufs_taken") mbufs_taken += v;
      else if (m.name == "clones") clones += v;
      else if (m.name == "heap_allocs") heap_allocs += v;
      else if (m.name == "heap_bytes") heap_bytes += v;
      else if (m.name == "bytes_copied") bytes_copied += v;
    } else if (m.group == "rule") {
      rules_json.push_back({{"rule", m.Label("rule")}, {"hits", v}});
    } else if (m.group == "flow_export") {
      const char* key = m.name == "flow_records_exported"          ? "records"
                        : m.name == "ipfix_messages_sent"          ? "ipfix_messages"
                        : m.name == "ipfix_template_messages_sent" ? "ipfix_template_messages"
                                                                   : "ipfix_send_errors";
      flow_export_json[key] = v;
    } else if (m.group == "rules") {
      reloads_json[m.name == "rules_generation" ? "generation" : m.name == "rules_reloads" ? "applied" : "refused"] = v;
    } else if (m.group == "drops") {
      const std::string reason(m.Label("reason"));
      dropped += v;
      drops[reason] = drops.value(reason, uint64_t{0}) + v;
      LcoreRow& r = lcore_row(m);
      if (v != 0) r.drops[reason] = r.drops.value(reason, uint64_t{0}) + v;
    } else if (m.group == "port") {
      SetField(port_row(m), m.name, v);
    } else if (m.group == "port_queue") {
      // "rx_queues": [{"queue": 0, "rx_packets": n, "rx_bytes": n}, ...] in the port's row.
      json& queues = port_row(m)["rx_queues"];
      const json queue = LabelValueJson(m.Label("queue"));
      auto it = std::find_if(queues.begin(), queues.end(), [&](const json& q) { return q["queue"] == queue; });
      if (it == queues.end()) {
        queues.push_back({{"queue", queue}});
        it = queues.end() - 1;
      }
      SetField(*it, m.name, v);
    } else if (m.group == "mempool") {
      if (m.name == "mbufs_in_use") mbufs_in_use += v;
      else if (m.name == "mbufs_total") mbufs_total += v;
      else if (m.name == "mbufs_kept_by_devices") mbufs_kept += v;
    } else if (m.group == "stage") {
      json& r = stages.At(Key(m, {"lcore", "chain", "stage"}));
      if (r.is_null()) {
        r = {{"lcore", LabelValueJson(m.Label("lcore"))}, {"chain", LabelValueJson(m.Label("chain"))},
             {"stage", m.Label("stage")}};
      }
      SetField(r, FieldName(m), v);
    } else if (m.group == "ring") {
      json& r = rings.At(std::string(m.Label("ring")));
      if (r.is_null()) {
        r = {{"ring", m.Label("ring")}, {"chain", LabelValueJson(m.Label("chain"))},
             {"from_lcore", LabelValueJson(m.Label("from_lcore"))},
             {"to_lcore", LabelValueJson(m.Label("to_lcore"))}};
      }
      SetField(r, FieldName(m), v);
    }
  }

  json ports_json = json::array();
  for (json& p : ports.rows()) ports_json.push_back(std::move(p));
  json lcores_json = json::array();
  for (LcoreRow& r : lcores.rows()) {
    lcores_json.push_back({{"lcore", r.lcore}, {"chain", r.chain}, {"stages", r.stages},
                           {"counters", std::move(r.counters)}, {"drops", std::move(r.drops)}});
  }
  json stages_json = json::array();
  for (json& r : stages.rows()) {
    // Stages may be timed on a sample of bursts: cycles over the packets of those bursts.
    r["cycles_per_pkt"] = Round1(Ratio(Num(r, "cycles"), Num(r, r.contains("timed_pkts") ? "timed_pkts" : "pkts")));
    stages_json.push_back(std::move(r));
  }
  json rings_json = json::array();
  for (json& r : rings.rows()) rings_json.push_back(std::move(r));

  const double period_ms = static_cast<double>(s.period_ns) / 1e6;
  json period = s.period_ns % 1'000'000 == 0 ? json(s.period_ns / 1'000'000) : json(period_ms);
  return {
      {"instance",
       {{"name", s.instance}, {"pid", s.writer_pid}, {"state", LivenessName(s.liveness)},
        {"publishes", s.publishes}, {"tsc_hz", s.tsc_hz}, {"period_ms", period}}},
      {"totals",
       {{"rx_packets", rx}, {"tx_packets", tx}, {"dropped", dropped}, {"drops", drops},
        {"mbufs_in_use", mbufs_in_use}, {"mbufs_total", mbufs_total}, {"mbufs_kept_by_devices", mbufs_kept},
        {"clones", clones}, {"conserved", rx + clones == tx + dropped}}},
      {"ports", ports_json},
      {"lcores", lcores_json},
      {"stages", stages_json},
      {"rings", rings_json},
      {"rules", rules_json},
      {"rule_reloads", reloads_json},
      {"flow_export", flow_export_json},
      {"latency", latency},
      {"allocation",
       {{"packets", rx}, {"mbufs_per_packet", Ratio(mbufs_taken, rx)},
        {"heap_allocs_per_packet", Ratio(heap_allocs, rx)}, {"heap_bytes_per_packet", Ratio(heap_bytes, rx)},
        {"bytes_copied_per_packet", Ratio(bytes_copied, rx)}, {"histogram", alloc_histograms}}},
  };
}

// ---------------------------------------------------------------- table

std::string ReportTable(const Snapshot& s) {
  const json j = ReportJson(s);
  std::string out = InstanceLine(s);
  const json& t = j["totals"];
  const uint64_t rx = t["rx_packets"].get<uint64_t>();
  const uint64_t tx = t["tx_packets"].get<uint64_t>();
  const uint64_t dropped = t["dropped"].get<uint64_t>();
  // While running, packets between RX and TX are in rings and bursts; once stopped, none may be.
  const std::string balance =
      rx == tx + dropped ? "rx = tx + dropped"
      : rx > tx + dropped
          ? fmt::format("{} {}", rx - tx - dropped,
                        s.liveness == Liveness::kStopped ? "unaccounted for: rx > tx + dropped" : "in flight")
          : fmt::format("{} more out than in: rx < tx + dropped", tx + dropped - rx);
  out += fmt::format("packets  rx {}  tx {}  dropped {}  ({})  mbufs in use {} of {}\n", rx, tx, dropped, balance,
                     t["mbufs_in_use"].get<uint64_t>(), t["mbufs_total"].get<uint64_t>());

  TextTable ports({"port", "rx pkts", "rx bytes", "tx pkts", "tx bytes", "imissed", "ierrors", "oerrors", "rx_nombuf",
                   "link", "link downs"}, 1);
  TextTable queues({"port", "rx queue", "rx pkts", "rx bytes", "share %"}, 2);
  for (const json& p : j["ports"]) {
    const std::string link = !p.contains("link_up") ? "-" : Num(p, "link_up") != 0 ? "up" : "DOWN";
    ports.Row({Text(p["name"]), Text(p["rx_packets"]), Text(p["rx_bytes"]), Text(p["tx_packets"]),
               Text(p["tx_bytes"]), Text(p["imissed"]), Text(p["ierrors"]), Text(p["oerrors"]),
               Text(p["rx_nombuf"]), link, p.contains("link_down_events") ? Text(p["link_down_events"]) : "-"});
    if (!p.contains("rx_queues") || p["rx_queues"].size() < 2) continue;  // one queue: the port row says it
    uint64_t total = 0;
    for (const json& q : p["rx_queues"]) total += Num(q, "rx_packets");
    for (const json& q : p["rx_queues"]) {
      queues.Row({Text(p["name"]), Text(q["queue"]), std::to_string(Num(q, "rx_packets")),
                  std::to_string(Num(q, "rx_bytes")),
                  total == 0 ? "-" : FormatFixed(100.0 * Ratio(Num(q, "rx_packets"), total), 1)});
    }
  }
  out += ports.Render("ports");
  out += queues.Render("rx queues");

  TextTable lcores({"lcore", "chain", "stages", "rx pkts", "ring in", "ring out", "tx pkts", "drops", "busy %"}, 3);
  for (const json& l : j["lcores"]) {
    const json& c = l["counters"];
    auto get = [&](const char* k) { return Num(c, k); };
    uint64_t d = 0;
    for (const auto& [reason, n] : l["drops"].items()) d += n.get<uint64_t>();
    const uint64_t busy = get("busy_cycles");
    const uint64_t total = busy + get("idle_cycles");
    lcores.Row({Text(l["lcore"]), Text(l["chain"]), Text(l["stages"]), std::to_string(get("rx_pkts")),
                std::to_string(get("ring_in_pkts")), std::to_string(get("ring_out_pkts")),
                std::to_string(get("tx_pkts")), std::to_string(d),
                total == 0 ? "-" : FormatFixed(100.0 * Ratio(busy, total), 1)});
  }
  out += lcores.Render("lcores");

  TextTable stages({"stage", "lcore", "chain", "pkts", "bursts", "pkts/burst", "cycles/pkt"}, 1);
  for (const json& st : j["stages"]) {
    const uint64_t pkts = Num(st, "pkts");
    const uint64_t bursts = Num(st, "bursts");
    stages.Row({Text(st["stage"]), Text(st["lcore"]), Text(st["chain"]), std::to_string(pkts),
                std::to_string(bursts), bursts == 0 ? "-" : FormatFixed(Ratio(pkts, bursts), 1),
                Num(st, "cycles") == 0 ? "-" : FormatFixed(st["cycles_per_pkt"].get<double>(), 1)});
  }
  out += stages.Render("stages");

  TextTable rings({"ring", "chain", "from", "to", "size", "occupancy", "high water", "full events"}, 1);
  for (const json& r : j["rings"]) {
    auto get = [&](const char* k) { return std::to_string(Num(r, k)); };
    rings.Row({Text(r["ring"]), Text(r["chain"]), Text(r["from_lcore"]), Text(r["to_lcore"]),
               get("size"), get("occupancy"), get("high_water"), get("full_events")});
  }
  out += rings.Render("rings");

  TextTable pools({"mempool", "socket", "in use", "total", "kept by devices"}, 2);
  {
    KeyedRows<std::array<std::string, 5>> rows;
    for (const Metric& m : s.metrics) {
      if (m.group != "mempool" || !IsScalar(m)) continue;
      auto& r = rows.At(std::string(m.Label("mempool")));
      r[0] = m.Label("mempool");
      r[1] = m.Label("socket");
      if (m.name == "mbufs_in_use") r[2] = std::to_string(s.Value(m));
      if (m.name == "mbufs_total") r[3] = std::to_string(s.Value(m));
      if (m.name == "mbufs_kept_by_devices") r[4] = std::to_string(s.Value(m));
    }
    for (const auto& r : rows.rows()) pools.Row({r[0], r[1], r[2], r[3], r[4]});
  }
  out += pools.Render("mempools");

  TextTable drops({"reason", "packets"}, 1);
  for (const auto& [reason, n] : j["totals"]["drops"].items())
    if (n.get<uint64_t>() != 0) drops.Row({reason, Text(n)});
  out += drops.Render("drops by reason");

  TextTable latency({"metric", "labels", "count", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "mean µs"}, 2);
  for (const Metric& m : s.metrics) {
    if (m.group != "latency" || IsScalar(m)) continue;
    const HistogramSummary h = SummarizeHistogram(s, m);
    auto us = [&](double ns) { return h.valid && h.time && h.count ? FormatFixed(ns / 1000, 2) : std::string("-"); };
    latency.Row({m.name, m.labels_text, std::to_string(h.count), us(h.p50), us(h.p90), us(h.p99), us(h.p999),
                 us(h.max), us(h.mean)});
  }
  out += latency.Render("latency");

  const json& a = j["allocation"];
  if (a["packets"].get<uint64_t>() != 0 || !a["histogram"].empty()) {
    out += fmt::format("\nallocation per packet ({} packets)\n  mbufs {:.3f}  heap allocs {:.3f}  heap bytes {:.1f}  "
                       "bytes copied {:.1f}\n",
                       a["packets"].get<uint64_t>(), a["mbufs_per_packet"].get<double>(),
                       a["heap_allocs_per_packet"].get<double>(), a["heap_bytes_per_packet"].get<double>(),
                       a["bytes_copied_per_packet"].get<double>());
    TextTable hist({"histogram", "labels", "count", "p50", "p99", "max", "mean"}, 2);
    for (const Metric& m : s.metrics) {
      if (m.group != "allocation" || IsScalar(m)) continue;
      const HistogramSummary h = SummarizeHistogram(s, m);
      hist.Row({m.name, m.labels_text, std::to_string(h.count), FormatFixed(h.p50, 0), FormatFixed(h.p99, 0),
                FormatFixed(h.max, 0), FormatFixed(h.mean, 1)});
    }
    out += hist.Render(fmt::format("  per-packet histograms ({})", "bytes"));
  }
  return out;
}

// ---------------------------------------------------------------- rates

namespace {

std::string MetricKey(const Metric& m) { return m.group + '\x1f' + m.name + '\x1f' + m.labels_text; }

const Metric* Counterpart(const Snapshot& before, const Snapshot& after, size_t i,
                          const std::unordered_map<std::string, size_t>& index) {
  const Metric& m = after.metrics[i];
  if (i < before.metrics.size()) {  // same writer: same table, same order
    const Metric& b = before.metrics[i];
    if (b.group == m.group && b.name == m.name && b.labels_text == m.labels_text && b.kind == m.kind) return &b;
  }
  const auto it = index.find(MetricKey(m));
  if (it == index.end() || before.metrics[it->second].kind != m.kind) return nullptr;
  return &before.metrics[it->second];
}

std::unordered_map<std::string, size_t> IndexOf(const Snapshot& s) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < s.metrics.size(); ++i) index.emplace(MetricKey(s.metrics[i]), i);
  return index;
}

double IntervalSeconds(const Snapshot& before, const Snapshot& after) {
  const bool same_writer = before.writer_pid == after.writer_pid && before.start_unix_ns == after.start_unix_ns;
  // The heartbeat is when the values were published; the read time is off by up to a period.
  if (same_writer && after.heartbeat_ns > before.heartbeat_ns)
    return static_cast<double>(after.heartbeat_ns - before.heartbeat_ns) / 1e9;
  if (after.read_mono_ns > before.read_mono_ns)
    return static_cast<double>(after.read_mono_ns - before.read_mono_ns) / 1e9;
  return 0;
}

}  // namespace

Rates ComputeRates(const Snapshot& before, const Snapshot& after) {
  Rates r;
  r.interval_s = IntervalSeconds(before, after);
  const auto index = IndexOf(before);
  for (size_t i = 0; i < after.metrics.size(); ++i) {
    const Metric& m = after.metrics[i];
    if (m.kind != MetricKind::kCounter) continue;
    const Metric* b = Counterpart(before, after, i, index);
    const uint64_t now = after.Value(m);
    const uint64_t then = b == nullptr ? 0 : before.Value(*b);
    const uint64_t delta = now >= then ? now - then : now;  // went backwards: a new writer
    r.counters.push_back({i, delta, r.interval_s > 0 ? static_cast<double>(delta) / r.interval_s : 0});
  }
  return r;
}

nlohmann::json RatesJson(const Snapshot& before, const Snapshot& after) {
  const Rates r = ComputeRates(before, after);
  json rates = json::array();
  for (const CounterRate& c : r.counters) {
    const Metric& m = after.metrics[c.metric];
    rates.push_back({{"group", m.group}, {"name", m.name}, {"labels", LabelsJson(m)}, {"delta", c.delta},
                     {"per_second", c.per_second}});
  }
  return {{"instance", after.instance}, {"state", LivenessName(after.liveness)},
          {"interval_s", r.interval_s}, {"rates", rates}};
}

std::string ReportRates(const Snapshot& before, const Snapshot& after) {
  const Rates r = ComputeRates(before, after);
  std::vector<double> rate(after.metrics.size(), 0);
  for (const CounterRate& c : r.counters) rate[c.metric] = c.per_second;
  auto rate_of = [&](std::string_view group, std::string_view name, auto&& match) {
    double sum = 0;
    for (size_t i = 0; i < after.metrics.size(); ++i) {
      const Metric& m = after.metrics[i];
      if (m.group == group && m.name == name && match(m)) sum += rate[i];
    }
    return sum;
  };
  auto any = [](const Metric&) { return true; };

  std::string out = InstanceLine(after);
  out += fmt::format("rates over {:.2f} s:  rx {:.0f} pkt/s  tx {:.0f} pkt/s  dropped {:.0f} pkt/s\n", r.interval_s,
                     rate_of("lcore", "rx_pkts", any), rate_of("lcore", "tx_pkts", any),
                     rate_of("drops", "drops", any));

  TextTable ports({"port", "rx pkt/s", "rx Mbit/s", "tx pkt/s", "tx Mbit/s", "imissed/s", "errors/s", "nombuf/s"}, 1);
  {
    std::vector<std::string> seen;
    for (const Metric& m : after.metrics) {
      if (m.group != "port") continue;
      const std::string port(m.Label("port"));
      if (std::find(seen.begin(), seen.end(), port) != seen.end()) continue;
      seen.push_back(port);
      auto same = [&](const Metric& o) { return o.Label("port") == port; };
      auto pr = [&](std::string_view n) { return rate_of("port", n, same); };
      ports.Row({port, FormatFixed(pr("rx_packets"), 0), FormatFixed(pr("rx_bytes") * 8 / 1e6, 2),
                 FormatFixed(pr("tx_packets"), 0), FormatFixed(pr("tx_bytes") * 8 / 1e6, 2),
                 FormatFixed(pr("imissed"), 0), FormatFixed(pr("ierrors") + pr("oerrors"), 0),
                 FormatFixed(pr("rx_nombuf"), 0)});
    }
  }
  out += ports.Render("ports");

  TextTable lcores({"lcore", "chain", "stages", "rx pkt/s", "tx pkt/s", "drops/s", "busy %"}, 3);
  {
    std::vector<std::string> seen;
    for (const Metric& m : after.metrics) {
      if (m.group != "lcore") continue;
      const std::string key = Key(m, {"lcore", "chain"});
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      auto same = [&](const Metric& o) { return o.Label("lcore") == m.Label("lcore") && o.Label("chain") == m.Label("chain"); };
      const double busy = rate_of("lcore", "busy_cycles", same);
      const double idle = rate_of("lcore", "idle_cycles", same);
      lcores.Row({std::string(m.Label("lcore")), std::string(m.Label("chain")), std::string(m.Label("stages")),
                  FormatFixed(rate_of("lcore", "rx_pkts", same), 0), FormatFixed(rate_of("lcore", "tx_pkts", same), 0),
                  FormatFixed(rate_of("drops", "drops", same), 0),
                  busy + idle > 0 ? FormatFixed(100 * busy / (busy + idle), 1) : std::string("-")});
    }
  }
  out += lcores.Render("lcores");

  TextTable stages({"stage", "lcore", "chain", "pkt/s", "cycles/pkt"}, 1);
  {
    std::vector<std::string> seen;
    for (const Metric& m : after.metrics) {
      if (m.group != "stage") continue;
      const std::string key = Key(m, {"lcore", "chain", "stage"});
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      auto same = [&](const Metric& o) { return Key(o, {"lcore", "chain", "stage"}) == key; };
      const double pkts = rate_of("stage", "stage_pkts", same);
      const double cycles = rate_of("stage", "stage_cycles", same);
      bool sampled = false;
      for (const Metric& o : after.metrics) sampled |= o.group == "stage" && o.name == "stage_timed_pkts" && same(o);
      const double timed = sampled ? rate_of("stage", "stage_timed_pkts", same) : pkts;
      stages.Row({std::string(m.Label("stage")), std::string(m.Label("lcore")), std::string(m.Label("chain")),
                  FormatFixed(pkts, 0), timed > 0 ? FormatFixed(cycles / timed, 1) : std::string("-")});
    }
  }
  out += stages.Render("stages (this interval)");

  TextTable rings({"ring", "occupancy", "high water", "size", "full events/s"}, 1);
  {
    KeyedRows<std::array<std::string, 5>> rows;
    for (size_t i = 0; i < after.metrics.size(); ++i) {
      const Metric& m = after.metrics[i];
      if (m.group != "ring" || !IsScalar(m)) continue;
      auto& row = rows.At(std::string(m.Label("ring")));
      row[0] = m.Label("ring");
      const std::string_view f = FieldName(m);
      if (f == "occupancy") row[1] = std::to_string(after.Value(m));
      else if (f == "high_water") row[2] = std::to_string(after.Value(m));
      else if (f == "size") row[3] = std::to_string(after.Value(m));
      else if (f == "full_events") row[4] = FormatFixed(rate[i], 0);
    }
    for (const auto& row : rows.rows()) rings.Row({row[0], row[1], row[2], row[3], row[4]});
  }
  out += rings.Render("rings");

  TextTable drops({"reason", "pkt/s"}, 1);
  {
    std::map<std::string, double> by_reason;
    for (size_t i = 0; i < after.metrics.size(); ++i)
      if (after.metrics[i].group == "drops") by_reason[std::string(after.metrics[i].Label("reason"))] += rate[i];
    for (const auto& [reason, v] : by_reason)
      if (v > 0) drops.Row({reason, FormatFixed(v, 1)});
  }
  out += drops.Render("drops by reason");

  TextTable latency({"metric", "labels", "count", "p50 µs", "p99 µs", "p99.9 µs"}, 2);
  const auto index = IndexOf(before);
  for (size_t i = 0; i < after.metrics.size(); ++i) {
    const Metric& m = after.metrics[i];
    if (m.group != "latency" || IsScalar(m)) continue;
    // Percentiles of this interval alone: bucket-wise difference of the two snapshots.
    const std::span<const uint64_t> now = after.ValuesOf(m);
    std::vector<uint64_t> delta(now.begin(), now.end());
    if (const Metric* b = Counterpart(before, after, i, index)) {
      const std::span<const uint64_t> then = before.ValuesOf(*b);
      for (size_t k = 0; k < delta.size(); ++k)
        if (k != 2) delta[k] = now[k] >= then[k] ? now[k] - then[k] : now[k];  // max stays cumulative
    }
    const HistogramSummary h = Summarize(delta, m.unit, after.tsc_hz);
    auto us = [&](double ns) { return h.valid && h.time && h.count ? FormatFixed(ns / 1000, 2) : std::string("-"); };
    latency.Row({m.name, m.labels_text, std::to_string(h.count), us(h.p50), us(h.p99), us(h.p999)});
  }
  out += latency.Render("latency (this interval)");
  return out;
}

}  // namespace ingestd::stats
