// SPDX-License-Identifier: BSD-3-Clause
// Snapshot → the final-stats JSON; metric names treated generically, totals as RunTotals computes them.
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

namespace {

struct LcoreRow {
  json lcore, chain;
  std::string stages;
  json counters = json::object();
  json drops = json::object();
};

}  // namespace

json ReportJson(const Snapshot& s) { return ReportJson(s, ComputeRunTotals(s)); }

json ReportJson(const Snapshot& s, const RunTotals& t) {
  static constexpr std::string_view kPortFields[] = {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
                                                     "imissed",    "ierrors",    "oerrors",  "rx_nombuf"};
  KeyedRows<json> ports;
  KeyedRows<LcoreRow> lcores;
  KeyedRows<json> stages;
  KeyedRows<json> rings;
  KeyedRows<json> mempools;
  json latency = json::array();
  json alloc_histograms = json::array();
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
    } else if (m.group == "stage") {
      json& r = stages.At(Key(m, {"lcore", "chain", "stage"}));
      if (r.is_null()) {
        r = {{"lcore", LabelValueJson(m.Label("lcore"))}, {"chain", LabelValueJson(m.Label("chain"))},
             {"stage", m.Label("stage")}};
      }
      SetField(r, FieldName(m), v);
    } else if (m.group == "mempool") {
      json& r = mempools.At(std::string(m.Label("mempool")));
      if (r.is_null()) {
        r = {{"name", m.Label("mempool")}, {"socket", LabelValueJson(m.Label("socket"))},
             {"handler", m.Label("handler")}};
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
  json mempools_json = json::array();
  for (json& r : mempools.rows()) mempools_json.push_back(std::move(r));

  const double period_ms = static_cast<double>(s.period_ns) / 1e6;
  json period = s.period_ns % 1'000'000 == 0 ? json(s.period_ns / 1'000'000) : json(period_ms);
  return {
      {"instance",
       {{"name", s.instance}, {"pid", s.writer_pid}, {"state", LivenessName(s.liveness)},
        {"publishes", s.publishes}, {"tsc_hz", s.tsc_hz}, {"period_ms", period}}},
      {"totals",
       {{"rx_packets", t.rx_packets}, {"tx_packets", t.tx_packets}, {"dropped", t.dropped}, {"drops", t.drops},
        {"mbufs_in_use", t.mbufs_in_use}, {"mbufs_total", t.mbufs_total},
        {"mbufs_kept_by_devices", t.mbufs_kept_by_devices}, {"clones", t.clones}, {"conserved", t.Conserved()}}},
      {"ports", ports_json},
      {"lcores", lcores_json},
      {"stages", stages_json},
      {"rings", rings_json},
      {"mempools", mempools_json},
      {"rules", rules_json},
      {"rule_reloads", reloads_json},
      {"flow_export", flow_export_json},
      {"latency", latency},
      {"allocation",
       {{"packets", t.rx_packets}, {"mbufs_per_packet", t.PerPacket(t.mbufs_taken)},
        {"heap_allocs_per_packet", t.PerPacket(t.heap_allocs)}, {"heap_bytes_per_packet", t.PerPacket(t.heap_bytes)},
        {"bytes_copied_per_packet", t.PerPacket(t.bytes_copied)}, {"histogram", alloc_histograms}}},
  };
}

}  // namespace ingestd::stats
