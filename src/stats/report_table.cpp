// SPDX-License-Identifier: BSD-3-Clause
// Snapshot → the human tables ingest-stats prints.
#include "ingestd/stats/report.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "report_format.hpp"

namespace ingestd::stats {

using nlohmann::json;
using segment::MetricKind;
using namespace report;

std::string ReportTable(const Snapshot& s) {
  const RunTotals t = ComputeRunTotals(s);
  const json j = ReportJson(s, t);
  std::string out = InstanceLine(s);
  const uint64_t rx = t.rx_packets;
  const uint64_t tx = t.tx_packets;
  const uint64_t dropped = t.dropped;
  // While running, packets between RX and TX are in rings and bursts; once stopped, none may be.
  const std::string balance =
      rx == tx + dropped ? "rx = tx + dropped"
      : rx > tx + dropped
          ? fmt::format("{} {}", rx - tx - dropped,
                        s.liveness == Liveness::kStopped ? "unaccounted for: rx > tx + dropped" : "in flight")
          : fmt::format("{} more out than in: rx < tx + dropped", tx + dropped - rx);
  out += fmt::format("packets  rx {}  tx {}  dropped {}  ({})  mbufs in use {} of {}\n", rx, tx, dropped, balance,
                     t.mbufs_in_use, t.mbufs_total);

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

  TextTable rings(
      {"ring", "chain", "from", "to", "pkts", "size", "occupancy", "high water", "full events", "dropped"}, 1);
  for (const json& r : j["rings"]) {
    auto get = [&](const char* k) { return std::to_string(Num(r, k)); };
    rings.Row({Text(r["ring"]), Text(r["chain"]), Text(r["from_lcore"]), Text(r["to_lcore"]), get("packets"),
               get("size"), get("occupancy"), get("high_water"), get("full_events"), get("dropped")});
  }
  out += rings.Render("rings");

  TextTable pools({"mempool", "socket", "handler", "in use", "total", "kept by devices"}, 3);
  {
    KeyedRows<std::array<std::string, 6>> rows;
    for (const Metric& m : s.metrics) {
      if (m.group != "mempool" || !IsScalar(m)) continue;
      auto& r = rows.At(std::string(m.Label("mempool")));
      r[0] = m.Label("mempool");
      r[1] = m.Label("socket");
      r[2] = m.Label("handler");
      if (m.name == "mbufs_in_use") r[3] = std::to_string(s.Value(m));
      if (m.name == "mbufs_total") r[4] = std::to_string(s.Value(m));
      if (m.name == "mbufs_kept_by_devices") r[5] = std::to_string(s.Value(m));
    }
    for (const auto& r : rows.rows()) pools.Row({r.begin(), r.end()});
  }
  out += pools.Render("mempools");

  TextTable drops({"reason", "packets"}, 1);
  for (const auto& [reason, n] : t.drops)
    if (n != 0) drops.Row({reason, std::to_string(n)});
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

  if (t.rx_packets != 0 || !j["allocation"]["histogram"].empty()) {
    out += fmt::format("\nallocation per packet ({} packets)\n  mbufs {:.3f}  heap allocs {:.3f}  heap bytes {:.1f}  "
                       "bytes copied {:.1f}\n",
                       t.rx_packets, t.PerPacket(t.mbufs_taken), t.PerPacket(t.heap_allocs),
                       t.PerPacket(t.heap_bytes), t.PerPacket(t.bytes_copied));
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

}  // namespace ingestd::stats
