// SPDX-License-Identifier: BSD-3-Clause
// Two snapshots → per-second rates: the --watch screen and its JSON.
#include "ingestd/stats/report.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "report_format.hpp"

namespace ingestd::stats {

using nlohmann::json;
using segment::MetricKind;
using namespace report;

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

  TextTable rings({"ring", "pkt/s", "occupancy", "high water", "size", "full events/s", "dropped/s"}, 1);
  {
    KeyedRows<std::array<std::string, 7>> rows;
    for (size_t i = 0; i < after.metrics.size(); ++i) {
      const Metric& m = after.metrics[i];
      if (m.group != "ring" || !IsScalar(m)) continue;
      auto& row = rows.At(std::string(m.Label("ring")));
      row[0] = m.Label("ring");
      const std::string_view f = FieldName(m);
      if (f == "packets") row[1] = FormatFixed(rate[i], 0);
      else if (f == "occupancy") row[2] = std::to_string(after.Value(m));
      else if (f == "high_water") row[3] = std::to_string(after.Value(m));
      else if (f == "size") row[4] = std::to_string(after.Value(m));
      else if (f == "full_events") row[5] = FormatFixed(rate[i], 0);
      else if (f == "dropped") row[6] = FormatFixed(rate[i], 1);
    }
    for (const auto& row : rows.rows()) rings.Row({row.begin(), row.end()});
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
