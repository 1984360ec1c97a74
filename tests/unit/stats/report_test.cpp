// SPDX-License-Identifier: BSD-3-Clause
// Reports from real segments: final-stats JSON, Prometheus text, percentiles, rates, the CLI.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "ingestd/stats/counters.hpp"
#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "exposition.hpp"
#include "segment_fixture.hpp"

namespace ingestd::stats {
namespace {

using nlohmann::json;
using fixture::FakeWriter;
using fixture::ShmGuard;
using fixture::UniqueInstance;

constexpr const char* kL1 = "lcore=1,chain=0,stages=rx..parse";
constexpr const char* kL2 = "lcore=2,chain=0,stages=route..tx";
constexpr const char* kRing = "ring=c0_s1,chain=0,from_lcore=1,to_lcore=2";
constexpr const char* kPort = "port=wire";
constexpr const char* kPool = "mempool=ingestd_pkt_s0,socket=0,handler=ring_mp_mc";

std::string DropLabels(unsigned lcore, unsigned slot) {
  return fmt::format("lcore={},chain=0,reason={}", lcore, DropSlotName(slot));
}

/// The catalogue ingestd publishes (see the brief), two lcores on one chain.
FakeWriter IngestdCatalogue() {
  FakeWriter f;
  for (const char* l : {kL1, kL2}) {
    std::set<std::string> names;
    for (const CounterInfo& c : kLcoreCounterInfo) {
      f.Counter("lcore", std::string(c.name), l, std::string(c.unit));
      names.emplace(c.name);
    }
    // The allocation counters, in case counters.hpp does not list them (yet).
    for (const char* n : {"mbufs_taken", "heap_allocs", "heap_bytes", "heap_frees", "bytes_copied"})
      if (!names.count(n)) f.Counter("lcore", n, l, "count");
  }
  for (const auto& [lcore, stage] : {std::pair{1, "rx"}, {1, "parse"}, {2, "route"}, {2, "tx"}}) {
    const std::string l = fmt::format("lcore={},chain=0,stage={}", lcore, stage);
    f.Counter("stage", "stage_pkts", l);
    f.Counter("stage", "stage_bursts", l, "bursts");
    f.Counter("stage", "stage_timed_pkts", l);
    f.Counter("stage", "stage_cycles", l, "cycles");
    f.Hist("latency", "stage_service", l);
  }
  for (unsigned lcore : {1u, 2u})
    for (unsigned s = 1; s < kDropSlots; ++s) f.Counter("drops", "drops", DropLabels(lcore, s));
  f.Gauge("ring", "ring_size", kRing);
  f.Gauge("ring", "ring_occupancy", kRing);
  f.Gauge("ring", "ring_high_water", kRing);
  f.Counter("ring", "ring_packets", kRing);
  f.Counter("ring", "ring_full_events", kRing, "events");
  f.Counter("ring", "ring_dropped", kRing);
  for (const char* n : {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "imissed", "ierrors", "oerrors", "rx_nombuf"})
    f.Counter("port", n, kPort, std::string(n).ends_with("bytes") ? "bytes" : "packets");
  f.Counter("port_xstats", "xstat", "port=wire,xstat=rx_good_packets");
  f.Counter("port_xstats", "xstat", "port=wire,xstat=rx_q0_errors");
  f.Gauge("mempool", "mbufs_in_use", kPool, "mbufs");
  f.Gauge("mempool", "mbufs_total", kPool, "mbufs");
  f.Hist("latency", "ring_wait", "ring=c0_s1,chain=0");
  f.Hist("latency", "e2e", "chain=0,lcore=2");
  f.Hist("allocation", "heap_bytes_per_packet", "lcore=1,chain=0", "bytes");
  f.Hist("allocation", "heap_bytes_per_packet", "lcore=2,chain=0", "bytes");
  return f;
}

/// 1000 packets in, 3 malformed, 2 routed to drop, 995 out; e2e latency of 2..4 µs.
void FillRun(FakeWriter& f) {
  f.Set("lcore", "rx_pkts", kL1, 1000);
  f.Set("lcore", "rx_bytes", kL1, 64'000);
  f.Set("lcore", "rx_bursts", kL1, 40);
  f.Set("lcore", "ring_out_pkts", kL1, 997);
  f.Set("lcore", "busy_cycles", kL1, 750);
  f.Set("lcore", "idle_cycles", kL1, 250);
  f.Set("lcore", "mbufs_taken", kL1, 1000);
  f.Set("lcore", "heap_allocs", kL1, 10);
  f.Set("lcore", "heap_bytes", kL1, 1280);
  f.Set("lcore", "ring_in_pkts", kL2, 997);
  f.Set("lcore", "tx_pkts", kL2, 995);
  f.Set("lcore", "tx_bytes", kL2, 63'680);
  f.Set("lcore", "bytes_copied", kL2, 2000);
  f.Set("drops", "drops", DropLabels(1, DropSlot(packet::ParseVerdict::kTruncatedVlan)), 2);
  f.Set("drops", "drops", DropLabels(1, DropSlot(packet::ParseVerdict::kBadIpv4Ihl)), 1);
  f.Set("drops", "drops", DropLabels(2, DropSlot(OtherDrop::kRouteDrop)), 2);
  f.Set("stage", "stage_pkts", "lcore=1,chain=0,stage=parse", 1000);
  f.Set("stage", "stage_bursts", "lcore=1,chain=0,stage=parse", 40);
  f.Set("stage", "stage_timed_pkts", "lcore=1,chain=0,stage=parse", 500);  // every other burst timed
  f.Set("stage", "stage_cycles", "lcore=1,chain=0,stage=parse", 22'500);
  f.Set("ring", "ring_size", kRing, 1024);
  f.Set("ring", "ring_occupancy", kRing, 3);
  f.Set("ring", "ring_high_water", kRing, 64);
  f.Set("ring", "ring_packets", kRing, 997);
  f.Set("ring", "ring_full_events", kRing, 5);
  f.Set("ring", "ring_dropped", kRing, 3);
  f.Set("port", "rx_packets", kPort, 1000);
  f.Set("port", "tx_packets", kPort, 995);
  f.Set("port", "rx_bytes", kPort, 64'000);
  f.Set("port", "imissed", kPort, 7);
  f.Set("port_xstats", "xstat", "port=wire,xstat=rx_good_packets", 1000);
  f.Set("mempool", "mbufs_in_use", kPool, 0);
  f.Set("mempool", "mbufs_total", kPool, 8191);
  Histogram e2e;
  for (uint64_t i = 0; i < 995; ++i) e2e.Record(2000 + i * 2);  // ns at 1 GHz
  f.SetHist("latency", "e2e", "chain=0,lcore=2", e2e);
  Histogram alloc;
  for (int i = 0; i < 980; ++i) alloc.Record(0);
  for (int i = 0; i < 20; ++i) alloc.Record(64);
  f.SetHist("allocation", "heap_bytes_per_packet", "lcore=1,chain=0", alloc);
}

/// Publishes `f` into a fresh segment and reads it back.
Snapshot Publish(FakeWriter& f, const std::string& instance, bool stop = false) {
  SegmentWriter w;
  EXPECT_EQ(f.Start(w, instance), "");
  if (stop) w.MarkStopped();
  Snapshot s;
  const ReadError e = ReadSnapshotOfInstance(instance, s);
  EXPECT_FALSE(e) << e.message;
  return s;
}

// ---------------------------------------------------------------- JSON

TEST(ReportJson, FinalStatsSchemaAndDerivedTotals) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  const json j = ReportJson(Publish(f, instance));

  for (const char* key : {"instance", "totals", "ports", "lcores", "stages", "rings", "latency", "allocation"})
    EXPECT_TRUE(j.contains(key)) << key;
  const json& inst = j["instance"];
  EXPECT_EQ(inst["name"], instance);
  EXPECT_EQ(inst["pid"], getpid());
  EXPECT_EQ(inst["state"], "running");
  EXPECT_EQ(inst["publishes"], 1);
  EXPECT_EQ(inst["tsc_hz"], 1'000'000'000);
  EXPECT_EQ(inst["period_ms"], 100);

  const json& t = j["totals"];
  EXPECT_EQ(t["rx_packets"], 1000);
  EXPECT_EQ(t["tx_packets"], 995);
  EXPECT_EQ(t["dropped"], 5);
  EXPECT_EQ(t["conserved"], true);
  EXPECT_EQ(t["mbufs_in_use"], 0);
  EXPECT_EQ(t["mbufs_total"], 8191);
  EXPECT_EQ(t["drops"].size(), kDropSlots - 1) << "every reason, zero or not";
  EXPECT_EQ(t["drops"]["malformed:truncated_vlan"], 2);
  EXPECT_EQ(t["drops"]["route_drop"], 2);
  EXPECT_EQ(t["drops"]["tx_full"], 0);

  ASSERT_EQ(j["ports"].size(), 1u);
  EXPECT_EQ(j["ports"][0], json({{"name", "wire"}, {"rx_packets", 1000}, {"tx_packets", 995}, {"rx_bytes", 64000},
                                 {"tx_bytes", 0}, {"imissed", 7}, {"ierrors", 0}, {"oerrors", 0}, {"rx_nombuf", 0}}));

  ASSERT_EQ(j["lcores"].size(), 2u);
  const json& l1 = j["lcores"][0];
  EXPECT_EQ(l1["lcore"], 1);
  EXPECT_EQ(l1["chain"], 0);
  EXPECT_EQ(l1["stages"], "rx..parse");
  EXPECT_EQ(l1["counters"]["rx_pkts"], 1000);
  EXPECT_EQ(l1["counters"]["heap_bytes"], 1280) << "counters the report does not know are carried generically";
  EXPECT_EQ(l1["drops"], json({{"malformed:bad_ipv4_ihl", 1}, {"malformed:truncated_vlan", 2}})) << "nonzero only";
  EXPECT_EQ(j["lcores"][1]["drops"], json({{"route_drop", 2}}));

  ASSERT_EQ(j["stages"].size(), 4u);
  const json& parse = j["stages"][1];
  EXPECT_EQ(parse["stage"], "parse");
  EXPECT_EQ(parse["lcore"], 1);
  EXPECT_EQ(parse["pkts"], 1000);
  EXPECT_EQ(parse["bursts"], 40);
  EXPECT_EQ(parse["timed_pkts"], 500);
  EXPECT_EQ(parse["cycles"], 22500);
  EXPECT_DOUBLE_EQ(parse["cycles_per_pkt"].get<double>(), 45.0);

  ASSERT_EQ(j["rings"].size(), 1u);
  EXPECT_EQ(j["rings"][0], json({{"ring", "c0_s1"}, {"chain", 0}, {"from_lcore", 1}, {"to_lcore", 2}, {"size", 1024},
                                 {"occupancy", 3}, {"high_water", 64}, {"packets", 997}, {"full_events", 5}, {"dropped", 3}}));
  ASSERT_EQ(j["mempools"].size(), 1u);
  EXPECT_EQ(j["mempools"][0], json({{"name", "ingestd_pkt_s0"}, {"socket", 0}, {"handler", "ring_mp_mc"},
                                    {"mbufs_in_use", 0}, {"mbufs_total", 8191}}));

  // 4 stage_service + ring_wait + e2e, in the writer's order.
  ASSERT_EQ(j["latency"].size(), 6u);
  const json& e2e = j["latency"][5];
  EXPECT_EQ(e2e["metric"], "e2e");
  EXPECT_EQ(e2e["labels"], json({{"chain", "0"}, {"lcore", "2"}}));
  EXPECT_EQ(e2e["count"], 995);
  EXPECT_NEAR(e2e["p50_ns"].get<double>(), 2994, 2994 * 0.03);
  EXPECT_NEAR(e2e["p99_ns"].get<double>(), 3970, 3970 * 0.03);
  EXPECT_DOUBLE_EQ(e2e["max_ns"].get<double>(), 3988);
  EXPECT_DOUBLE_EQ(e2e["mean_ns"].get<double>(), 2994);
  for (const char* k : {"p90_ns", "p999_ns"}) EXPECT_TRUE(e2e[k].is_number()) << k;
  EXPECT_EQ(j["latency"][0]["count"], 0);
  EXPECT_EQ(j["latency"][0]["p99_ns"], 0);

  const json& a = j["allocation"];
  EXPECT_EQ(a["packets"], 1000);
  EXPECT_DOUBLE_EQ(a["mbufs_per_packet"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a["heap_allocs_per_packet"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(a["heap_bytes_per_packet"].get<double>(), 1.28);
  EXPECT_DOUBLE_EQ(a["bytes_copied_per_packet"].get<double>(), 2.0);
  ASSERT_EQ(a["histogram"].size(), 2u);
  const json& h = a["histogram"][0];
  EXPECT_EQ(h["labels"], json({{"lcore", "1"}, {"chain", "0"}}));
  EXPECT_EQ(h["count"], 1000);
  EXPECT_EQ(h["p50"], 0);
  EXPECT_EQ(h["p99"], 64);
  EXPECT_EQ(h["max"], 64);
  EXPECT_DOUBLE_EQ(h["mean"].get<double>(), 1.3);  // 1.28, to one decimal
}

TEST(ReportJson, NoPacketsMeansZeroPerPacketFiguresNotNaN) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  const json j = ReportJson(Publish(f, instance));
  EXPECT_EQ(j["allocation"]["packets"], 0);
  EXPECT_EQ(j["allocation"]["mbufs_per_packet"], 0.0);
  EXPECT_EQ(j["stages"][0]["cycles_per_pkt"], 0.0);
  EXPECT_EQ(j["totals"]["conserved"], true);
  EXPECT_NO_THROW((void)j.dump());
}

// ingestd writes --final-stats with ReportJson: the documented schema, with
// totals derived from the lcores' counters and drops, ports and mempools.
TEST(ReportJson, FinalStatsSchemaFromTheSegment) {
  LcoreCounters a;
  LcoreCounters b;
  a.rx_pkts.Add(100);
  a.rx_bytes.Add(6400);
  a.ring_out_pkts.Add(96);
  a.busy_cycles.Add(12345);
  a.drops[DropSlot(packet::ParseVerdict::kBadIpv4Ihl)].Add(3);
  a.drops[DropSlot(packet::ParseVerdict::kTruncatedUdp)].Add(1);
  b.ring_in_pkts.Add(96);
  b.tx_pkts.Add(94);
  b.tx_bursts.Add(9);
  b.drops[DropSlot(OtherDrop::kTxFull)].Add(2);

  FakeWriter f;
  const std::pair<const char*, const LcoreCounters*> lcores[] = {{kL1, &a}, {kL2, &b}};
  for (const auto& [labels, c] : lcores) {
    for (const CounterInfo& info : kLcoreCounterInfo) {
      f.Counter("lcore", std::string(info.name), labels, std::string(info.unit));
      f.Set("lcore", std::string(info.name), labels, (c->*info.member).Load());
    }
  }
  for (unsigned lcore = 1; lcore <= 2; ++lcore) {
    const LcoreCounters& c = lcore == 1 ? a : b;
    for (unsigned s = 1; s < kDropSlots; ++s) {
      f.Counter("drops", "drops", DropLabels(lcore, s));
      f.Set("drops", "drops", DropLabels(lcore, s), c.drops[s].Load());
    }
  }
  const json wire = {{"name", "wire"}, {"rx_packets", 100}, {"tx_packets", 0}, {"rx_bytes", 6400},
                     {"tx_bytes", 0},    {"imissed", 1},      {"ierrors", 2},    {"oerrors", 0},
                     {"rx_nombuf", 3}};
  const json out = {{"name", "out"}, {"rx_packets", 0}, {"tx_packets", 94}, {"rx_bytes", 0},
                    {"tx_bytes", 6016}, {"imissed", 0},  {"ierrors", 0},     {"oerrors", 4},
                    {"rx_nombuf", 0}};
  for (const json& p : {wire, out}) {
    const std::string l = "port=" + p["name"].get<std::string>();
    for (const auto& [n, v] : p.items()) {
      if (n == "name") continue;
      f.Counter("port", n, l);
      f.Set("port", n, l, v.get<uint64_t>());
    }
  }
  f.Gauge("mempool", "mbufs_in_use", kPool, "mbufs");
  f.Gauge("mempool", "mbufs_total", kPool, "mbufs");
  f.Set("mempool", "mbufs_total", kPool, 4095);

  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  const json j = ReportJson(Publish(f, instance, /*stop=*/true));
  const json& t = j["totals"];
  EXPECT_EQ(t["rx_packets"], 100);
  EXPECT_EQ(t["tx_packets"], 94);
  EXPECT_EQ(t["dropped"], 6);
  EXPECT_EQ(t["mbufs_in_use"], 0);
  EXPECT_EQ(t["mbufs_total"], 4095);
  EXPECT_EQ(t["conserved"], true);
  EXPECT_EQ(t["drops"].size(), kDropSlots - 1) << "every reason, zero or not";
  EXPECT_EQ(t["drops"]["malformed:bad_ipv4_ihl"], 3);
  EXPECT_EQ(t["drops"]["malformed:truncated_udp"], 1);
  EXPECT_EQ(t["drops"]["tx_full"], 2);
  EXPECT_EQ(t["drops"]["route_drop"], 0);
  EXPECT_EQ(j["ports"], json::array({wire, out}));
  ASSERT_EQ(j["lcores"].size(), 2u);
  EXPECT_EQ(j["lcores"][0]["lcore"], 1);
  EXPECT_EQ(j["lcores"][0]["stages"], "rx..parse");
  EXPECT_EQ(j["lcores"][0]["counters"]["busy_cycles"], 12345);
  EXPECT_EQ(j["lcores"][0]["counters"].size(), std::size(kLcoreCounterInfo));
  EXPECT_EQ(j["lcores"][0]["drops"], json({{"malformed:bad_ipv4_ihl", 3}, {"malformed:truncated_udp", 1}}))
      << "per-lcore drops list the nonzero reasons";
  EXPECT_EQ(j["lcores"][1]["drops"], json({{"tx_full", 2}}));
  EXPECT_EQ(j["instance"]["state"], "stopped");
}

// ---------------------------------------------------------------- percentiles

struct Dist {
  const char* name;
  std::vector<uint64_t> samples;
};

std::vector<Dist> Distributions() {
  std::mt19937_64 rng(7);
  Dist uniform{"uniform", {}};
  std::uniform_int_distribution<uint64_t> u(1'000, 1'000'000);
  Dist expo{"exponential", {}};
  std::exponential_distribution<double> e(1.0 / 50'000);
  for (int i = 0; i < 200'000; ++i) {
    uniform.samples.push_back(u(rng));
    expo.samples.push_back(static_cast<uint64_t>(e(rng)));
  }
  Dist constant{"constant", std::vector<uint64_t>(50'000, 12'345)};
  return {uniform, expo, constant};
}

TEST(Percentiles, WithinThreePercentForKnownInputs) {
  for (const Dist& d : Distributions()) {
    const std::string instance = UniqueInstance();
    ShmGuard guard{instance};
    FakeWriter f;
    f.Hist("latency", "e2e", "chain=0,lcore=1");
    Histogram h;
    for (const uint64_t v : d.samples) h.Record(v);
    f.SetHist("latency", "e2e", "chain=0,lcore=1", h);
    const json l = ReportJson(Publish(f, instance))["latency"][0];

    std::vector<uint64_t> sorted = d.samples;
    std::sort(sorted.begin(), sorted.end());
    auto exact = [&](double q) {
      return static_cast<double>(sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))]);
    };
    const std::pair<const char*, double> checks[] = {{"p50_ns", 0.5}, {"p90_ns", 0.9}, {"p99_ns", 0.99},
                                                     {"p999_ns", 0.999}};
    for (const auto& [key, q] : checks) {
      const double want = exact(q);
      EXPECT_NEAR(l[key].get<double>(), want, want * 0.03 + 0.5) << d.name << " " << key;
    }
    EXPECT_EQ(l["max_ns"].get<double>(), static_cast<double>(sorted.back())) << d.name;
    double mean = 0;
    for (const uint64_t v : d.samples) mean += static_cast<double>(v);
    mean /= static_cast<double>(d.samples.size());
    EXPECT_NEAR(l["mean_ns"].get<double>(), mean, 0.1) << d.name;
    EXPECT_EQ(l["count"], d.samples.size());
  }
}

TEST(Percentiles, TscIsConvertedWithTheHeaderFrequency) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  f.Hist("latency", "e2e", "chain=0,lcore=1");
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.Record(5000);  // 5000 ticks at 2.5 GHz = 2 µs
  f.SetHist("latency", "e2e", "chain=0,lcore=1", h);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 100'000'000, true, 2'500'000'000), "");
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  const HistogramSummary sum = SummarizeHistogram(s, s.metrics[0]);
  EXPECT_TRUE(sum.time);
  EXPECT_NEAR(sum.p50, 2000, 2000 * 0.03);
  EXPECT_DOUBLE_EQ(sum.max, 2000);
  EXPECT_DOUBLE_EQ(sum.mean, 2000);
}

// ---------------------------------------------------------------- Prometheus

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// Parses the exposition with the strict reader the integration tests use: every departure
/// from the format fails the test. Returns the samples; `types`, `helps` (and `units`) are
/// keyed by family name: a counter's ends in "_total" in 0.0.4, not in OpenMetrics.
std::vector<Sample> ParseExposition(const std::string& text, std::map<std::string, std::string>* types,
                                    std::set<std::string>* helps,
                                    ExpositionFormat format = ExpositionFormat::kText,
                                    std::map<std::string, std::string>* units = nullptr) {
  const ingestd::testing::Exposition e =
      ingestd::testing::ParseExposition(text, format == ExpositionFormat::kOpenMetrics);
  for (const std::string& problem : e.problems) ADD_FAILURE() << problem;
  std::vector<Sample> out;
  for (const ingestd::testing::ExposedFamily& f : e.families) {
    types->emplace(f.name, f.type);
    if (f.help) helps->insert(f.name);
    if (units != nullptr && !f.unit.empty()) units->emplace(f.name, f.unit);
    for (const ingestd::testing::ExposedSample& sample : f.samples) out.push_back({sample.name, sample.labels, sample.number});
  }
  return out;
}

TEST(ReportPrometheus, WellFormedWithCumulativeHistograms) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  const std::string text = ReportPrometheus(Publish(f, instance));
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  const std::vector<Sample> samples = ParseExposition(text, &types, &helps);
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(types.size(), helps.size());
  for (const Sample& s : samples) EXPECT_EQ(s.labels.at("instance"), instance) << s.name;

  // Names and units.
  EXPECT_EQ(types["ingestd_lcore_rx_pkts_total"], "counter");
  EXPECT_EQ(types["ingestd_lcore_rx_bytes_total"], "counter");
  EXPECT_EQ(types["ingestd_lcore_heap_bytes_total"], "counter");
  EXPECT_EQ(types["ingestd_stage_cycles_total"], "counter");
  EXPECT_EQ(types["ingestd_drops_total"], "counter");
  EXPECT_EQ(types["ingestd_ring_occupancy"], "gauge");
  EXPECT_EQ(types["ingestd_ring_full_events_total"], "counter");
  EXPECT_EQ(types["ingestd_port_rx_bytes_total"], "counter");
  EXPECT_EQ(types["ingestd_port_xstats_total"], "counter");
  EXPECT_EQ(types["ingestd_mempool_mbufs_in_use"], "gauge");
  EXPECT_EQ(types["ingestd_mempool_mbufs_capacity"], "gauge");
  EXPECT_EQ(types["ingestd_latency_e2e_seconds"], "histogram");
  EXPECT_EQ(types["ingestd_latency_stage_service_seconds"], "histogram");
  EXPECT_EQ(types["ingestd_allocation_heap_bytes_per_packet"], "histogram");
  EXPECT_EQ(types["ingestd_up"], "gauge");
  for (const auto& [name, type] : types) {
    EXPECT_TRUE(type == "counter" || !name.ends_with("_total")) << name;
  }

  // Histograms: per series, le ascending, counts cumulative, +Inf last and == _count.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  auto series = [](const Sample& s, const std::string& base) {
    std::string key = base;
    for (const auto& [k, v] : s.labels)
      if (k != "le") key += "," + k + "=" + v;
    return key;
  };
  for (const Sample& s : samples) {
    if (s.name.ends_with("_bucket")) {
      const std::string le = s.labels.at("le");
      buckets[series(s, s.name.substr(0, s.name.size() - 7))].emplace_back(le == "+Inf" ? INFINITY : std::stod(le),
                                                                          s.value);
    } else if (s.name.ends_with("_count")) {
      counts[series(s, s.name.substr(0, s.name.size() - 6))] = s.value;
    }
  }
  ASSERT_EQ(buckets.size(), 8u);  // 4 stage_service + ring_wait + e2e + 2 allocation
  for (const auto& [key, bs] : buckets) {
    ASSERT_GE(bs.size(), 2u);
    EXPECT_TRUE(std::isinf(bs.back().first)) << key;
    for (size_t i = 1; i < bs.size(); ++i) {
      EXPECT_GT(bs[i].first, bs[i - 1].first) << key;
      EXPECT_GE(bs[i].second, bs[i - 1].second) << key;
    }
    ASSERT_TRUE(counts.count(key)) << key;
    EXPECT_EQ(bs.back().second, counts[key]) << key;
  }

  // e2e: 995 values 2000..3988 ns: none <= 1 µs, all <= 5 µs; sum in seconds.
  const std::string e2e = "ingestd_latency_e2e_seconds,chain=0,instance=" + instance + ",lcore=2";
  const auto& eb = buckets.at(e2e);
  auto at = [&](double le) {
    for (const auto& [b, n] : eb)
      if (std::fabs(b - le) < le * 1e-9) return n;
    return -1.0;
  };
  EXPECT_EQ(at(1e-6), 0);
  EXPECT_EQ(at(2e-6), 0) << "bucket [1984, 2048) holds 2000 and straddles 2 µs: counted above";
  EXPECT_EQ(at(5e-6), 995);
  EXPECT_EQ(counts.at(e2e), 995);
  const auto sum = std::find_if(samples.begin(), samples.end(), [](const Sample& s) {
    return s.name == "ingestd_latency_e2e_seconds_sum" && s.labels.at("lcore") == "2";
  });
  ASSERT_NE(sum, samples.end());
  EXPECT_NEAR(sum->value, 995 * 2994e-9, 1e-9);

  // Allocation (bytes, not converted): le="0" holds the 980 zero-byte packets.
  const auto& ab = buckets.at("ingestd_allocation_heap_bytes_per_packet,chain=0,instance=" + instance + ",lcore=1");
  EXPECT_EQ(ab.front().first, 0);
  EXPECT_EQ(ab.front().second, 980);
  EXPECT_EQ(ab.back().second, 1000);

  // Drops by reason are labels of one family.
  const auto vlan = std::find_if(samples.begin(), samples.end(), [](const Sample& s) {
    return s.name == "ingestd_drops_total" && s.labels.at("reason") == "malformed:truncated_vlan" &&
           s.labels.at("lcore") == "1";
  });
  ASSERT_NE(vlan, samples.end());
  EXPECT_EQ(vlan->value, 2);
}

TEST(ReportPrometheus, LabelValuesAreEscaped) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  f.Counter("port", "rx_packets", "port=we\"ird\\na\nme,bad-key=1");
  const std::string text = ReportPrometheus(Publish(f, instance));
  EXPECT_NE(text.find(R"(port="we\"ird\\na\nme")"), std::string::npos) << text;
  EXPECT_NE(text.find("bad_key=\"1\""), std::string::npos) << text;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  ParseExposition(text, &types, &helps);
}

/// The sample lines of an exposition, metadata left out.
std::vector<std::string> SampleLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.starts_with("#")) out.push_back(line);
  return out;
}

TEST(ReportPrometheus, OpenMetricsHasTheSameSamplesAndItsOwnMetadata) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  const Snapshot snap = Publish(f, instance);
  const std::string text = ReportPrometheus(snap, ExpositionFormat::kText);
  const std::string om = ReportPrometheus(snap, ExpositionFormat::kOpenMetrics);
  ASSERT_TRUE(om.ends_with("\n# EOF\n"));
  // Same series, same values: a Prometheus switching formats keeps its series.
  EXPECT_EQ(SampleLines(text), SampleLines(om));

  std::map<std::string, std::string> text_types, om_types, units;
  std::set<std::string> text_helps, om_helps;
  ParseExposition(text, &text_types, &text_helps);
  const std::vector<Sample> samples =
      ParseExposition(om, &om_types, &om_helps, ExpositionFormat::kOpenMetrics, &units);
  ASSERT_EQ(om_types.size(), text_types.size());
  for (const auto& [name, type] : om_types)
    EXPECT_EQ(text_types[type == "counter" ? name + "_total" : name], type) << name;
  EXPECT_EQ(om_types["ingestd_lcore_rx_pkts"], "counter");
  EXPECT_EQ(om_types["ingestd_drops"], "counter");
  EXPECT_EQ(om_types["ingestd_latency_e2e_seconds"], "histogram");
  EXPECT_EQ(units["ingestd_latency_e2e_seconds"], "seconds");
  EXPECT_EQ(units["ingestd_lcore_rx_bytes"], "bytes");
  EXPECT_EQ(units["ingestd_stage_cycles"], "cycles");
  EXPECT_EQ(units["ingestd_heartbeat_age_seconds"], "seconds");
  EXPECT_EQ(units.count("ingestd_drops"), 0u) << "packets is not a suffix of ingestd_drops";
  for (const Sample& s : samples) {
    if (om_types.count(s.name) == 0 && s.name.ends_with("_total")) {
      EXPECT_EQ(om_types[s.name.substr(0, s.name.size() - 6)], "counter") << s.name;
    }
  }

  // le in OpenMetrics' canonical numbers (Go's %g, ".0" on integers).
  auto les = [&](const std::string& name, const std::string& lcore) {
    std::vector<std::string> out;
    for (const Sample& s : samples)
      if (s.name == name && s.labels.at("lcore") == lcore) out.push_back(s.labels.at("le"));
    return out;
  };
  const std::vector<std::string> seconds = {"1e-06", "2e-06", "5e-06", "1e-05", "2e-05", "5e-05", "0.0001", "0.0002",
                                            "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1",
                                            "0.2", "0.5", "1.0", "2.0", "5.0", "10.0", "+Inf"};
  EXPECT_EQ(les("ingestd_latency_e2e_seconds_bucket", "2"), seconds);
  const std::vector<std::string> counts = {"0.0", "1.0", "2.0", "5.0", "10.0", "20.0", "50.0", "100.0",
                                           "200.0", "500.0", "1000.0", "2000.0", "5000.0", "10000.0", "20000.0",
                                           "50000.0", "100000.0", "200000.0", "500000.0", "1e+06", "+Inf"};
  EXPECT_EQ(les("ingestd_allocation_heap_bytes_per_packet_bucket", "1"), counts);
}

TEST(ReportPrometheus, UpWhileRunningDownOnceStopped) {
  for (const bool stop : {false, true}) {
    const std::string instance = UniqueInstance();
    ShmGuard guard{instance};
    FakeWriter f = IngestdCatalogue();
    const std::string text = ReportPrometheus(Publish(f, instance, stop));
    EXPECT_NE(text.find(fmt::format("ingestd_up{{instance=\"{}\"}} {}\n", instance, stop ? 0 : 1)), std::string::npos)
        << text;
    EXPECT_NE(text.find(fmt::format(",state=\"{}\"}} 1\n", stop ? "stopped" : "running")), std::string::npos) << text;
  }
}

TEST(ReportPrometheus, AnUnreadableInstanceIsDownWithTheReason) {
  Snapshot s;
  const ReadError e = ReadSnapshotOfInstance(UniqueInstance(), s);
  ASSERT_EQ(e.kind, ReadErrorKind::kNotFound);
  EXPECT_EQ(UnreadableState(e.kind), "absent");
  EXPECT_EQ(UnreadableState(ReadErrorKind::kCorrupt), "corrupt");
  EXPECT_EQ(UnreadableState(ReadErrorKind::kUnknownVersion), "unknown_version");
  EXPECT_EQ(UnreadableState(ReadErrorKind::kWriterStuck), "stuck");
  for (const ExpositionFormat format : {ExpositionFormat::kText, ExpositionFormat::kOpenMetrics}) {
    const std::string text = ReportPrometheusUnreadable("lab\"1", e, format);
    std::map<std::string, std::string> types;
    std::set<std::string> helps;
    const std::vector<Sample> samples = ParseExposition(text, &types, &helps, format);
    ASSERT_EQ(samples.size(), 2u) << text;
    EXPECT_EQ(samples[0].name, "ingestd_up");
    EXPECT_EQ(samples[0].value, 0);
    EXPECT_EQ(samples[0].labels.at("instance"), "lab\"1");
    EXPECT_EQ(samples[1].name, "ingestd_writer_info");
    EXPECT_EQ(samples[1].labels.at("state"), "absent");
    EXPECT_EQ(types["ingestd_up"], "gauge");
  }
}

TEST(ReportPrometheus, LabelsAndHelpAreValidUtf8AndDistinct) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  f.Add(segment::MetricKind::kCounter, "port", "rx_packets", "port=a\xff" "b\xc3\xa9,bad-key=1,bad_key=2,__x=3",
        "", "frames \"seen\" \xe2\x82");
  const Snapshot snap = Publish(f, instance);
  const std::string text = ReportPrometheus(snap);
  EXPECT_NE(text.find("port=\"a\xEF\xBF\xBD" "b\xc3\xa9\""), std::string::npos) << text;
  EXPECT_NE(text.find("bad_key=\"1\""), std::string::npos) << text;
  EXPECT_EQ(text.find("bad_key=\"2\""), std::string::npos) << "a label name twice: " << text;
  EXPECT_NE(text.find(",_x=\"3\""), std::string::npos) << "__ names are Prometheus' own: " << text;
  EXPECT_NE(text.find("# HELP ingestd_port_rx_packets_total frames \"seen\" \xEF\xBF\xBD\xEF\xBF\xBD\n"), std::string::npos)
      << "each byte of a cut-off sequence replaced: " << text;
  const std::string om = ReportPrometheus(snap, ExpositionFormat::kOpenMetrics);
  EXPECT_NE(om.find("# HELP ingestd_port_rx_packets frames \\\"seen\\\" \xEF\xBF\xBD\xEF\xBF\xBD\n"), std::string::npos) << om;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  ParseExposition(text, &types, &helps);
}

TEST(NegotiateExposition, OpenMetricsOnlyWhenAskedForAndPreferred) {
  // What Prometheus 2.42 sends.
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text"), ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateExposition("Application/OpenMetrics-Text; version=\"0.0.1\""), ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateExposition(""), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("*/*"), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("text/plain;version=0.0.4"), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text;q=0"), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text;version=2.0.0"), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("text/plain, application/openmetrics-text;q=0.5"), ExpositionFormat::kText);
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text;q=bogus, text/plain;q=0.1"), ExpositionFormat::kText);
  EXPECT_EQ(ExpositionContentType(ExpositionFormat::kText), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ExpositionContentType(ExpositionFormat::kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

// Every family the Grafana dashboard queries is one ReportPrometheus emits.
TEST(ReportPrometheus, GrafanaDashboardQueriesExistingFamilies) {
  std::ifstream in(std::string(INGESTD_SOURCE_DIR) + "/configs/grafana-dashboard.json");
  ASSERT_TRUE(in) << "configs/grafana-dashboard.json";
  const json dash = json::parse(in, nullptr, false);
  ASSERT_FALSE(dash.is_discarded());
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  ParseExposition(ReportPrometheus(Publish(f, instance)), &types, &helps);

  unsigned queries = 0;
  for (const json& panel : dash.at("panels")) {
    for (const json& target : panel.value("targets", json::array())) {
      EXPECT_EQ(target.at("datasource").at("uid"), "${DS_PROMETHEUS}");
      const std::string expr = target.at("expr");
      ++queries;
      for (size_t at = expr.find("ingestd_"); at != std::string::npos; at = expr.find("ingestd_", at)) {
        size_t end = at;
        while (end < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[end])) != 0 || expr[end] == '_')) ++end;
        std::string name = expr.substr(at, end - at);
        at = end;
        if (name.ends_with("_bucket")) {
          name.resize(name.size() - 7);
          EXPECT_EQ(types[name], "histogram") << name;
        }
        EXPECT_TRUE(types.count(name)) << name << " in: " << expr;
      }
    }
  }
  EXPECT_GE(queries, 10u);
}

// ---------------------------------------------------------------- table, rates

TEST(ReportJson, PortLinkStateAndRxQueues) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  for (const char* port : {"port=in", "port=out"}) {
    f.Counter("port", "rx_packets", port);
    f.Gauge("port", "link_up", port);
    f.Counter("port", "link_down_events", port, "events");
  }
  for (const char* q : {"port=in,queue=0", "port=in,queue=1"}) {
    f.Counter("port_queue", "rx_packets", q);
    f.Counter("port_queue", "rx_bytes", q, "bytes");
  }
  f.Set("port", "rx_packets", "port=in", 300);
  f.Set("port", "link_up", "port=in", 1);
  f.Set("port", "link_down_events", "port=in", 2);
  f.Set("port", "link_up", "port=out", 0);
  f.Set("port_queue", "rx_packets", "port=in,queue=0", 100);
  f.Set("port_queue", "rx_bytes", "port=in,queue=0", 6400);
  f.Set("port_queue", "rx_packets", "port=in,queue=1", 200);
  f.Set("port_queue", "rx_bytes", "port=in,queue=1", 12800);
  const Snapshot s = Publish(f, instance);
  const json j = ReportJson(s);

  ASSERT_EQ(j["ports"].size(), 2u);
  const json& in = j["ports"][0];
  EXPECT_EQ(in["link_up"], 1);
  EXPECT_EQ(in["link_down_events"], 2);
  EXPECT_EQ(in["rx_queues"], json::parse(R"([{"queue": 0, "rx_packets": 100, "rx_bytes": 6400},
                                             {"queue": 1, "rx_packets": 200, "rx_bytes": 12800}])"));
  EXPECT_EQ(j["ports"][1]["link_up"], 0);
  EXPECT_FALSE(j["ports"][1].contains("rx_queues"));

  const std::string table = ReportTable(s);
  for (const char* word : {"link downs", "DOWN", "rx queues", "33.3", "66.7"})
    EXPECT_NE(table.find(word), std::string::npos) << word << "\n" << table;

  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  ParseExposition(ReportPrometheus(s), &types, &helps);
  EXPECT_EQ(types["ingestd_port_link_up"], "gauge");
  EXPECT_EQ(types["ingestd_port_link_down_events_total"], "counter");
  EXPECT_EQ(types["ingestd_port_queue_rx_packets_total"], "counter");
}

TEST(ReportTable, ShowsEverySectionAndTheState) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  const std::string running = ReportTable(Publish(f, instance));
  for (const char* s : {"instance", "running", "ports", "wire", "lcores", "rx..parse", "stages", "cycles/pkt", "45.0",
                        "rings", "c0_s1", "mempools", "ingestd_pkt_s0", "ring_mp_mc", "8191", "drops by reason",
                        "malformed:truncated_vlan", "latency", "p99 µs", "allocation per packet", "heap bytes 1.3"})
    EXPECT_NE(running.find(s), std::string::npos) << s << "\n" << running;
  EXPECT_EQ(running.find("tx_full"), std::string::npos) << "zero drop reasons are not listed";

  shm_unlink(segment::ObjectName(instance).c_str());
  const std::string stopped = ReportTable(Publish(f, instance, /*stop=*/true));
  EXPECT_NE(stopped.find("stopped (final figures)"), std::string::npos) << stopped;
}

TEST(Rates, PerSecondDeltasOverThePublishInterval) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance), "");
  Snapshot before;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, before));
  f.Set("lcore", "rx_pkts", kL1, 1000 + 5000);
  f.Set("port", "rx_bytes", kPort, 64'000 + 1'250'000);
  f.Set("stage", "stage_pkts", "lcore=1,chain=0,stage=parse", 6000);
  f.Set("stage", "stage_timed_pkts", "lcore=1,chain=0,stage=parse", 500 + 2500);
  f.Set("stage", "stage_cycles", "lcore=1,chain=0,stage=parse", 22'500 + 75'000);
  Histogram e2e;
  for (int i = 0; i < 995; ++i) e2e.Record(2000 + static_cast<uint64_t>(i) * 2);
  for (int i = 0; i < 500; ++i) e2e.Record(100'000);
  f.SetHist("latency", "e2e", "chain=0,lcore=2", e2e);
  w.Publish(f.values());
  Snapshot after;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, after));
  // Pretend the publishes were exactly half a second apart.
  after.heartbeat_ns = before.heartbeat_ns + 500'000'000;

  const Rates r = ComputeRates(before, after);
  EXPECT_DOUBLE_EQ(r.interval_s, 0.5);
  std::map<std::string, double> by;
  for (const CounterRate& c : r.counters) {
    const Metric& m = after.metrics[c.metric];
    by[m.group + "/" + m.name + "/" + m.labels_text] = c.per_second;
  }
  EXPECT_DOUBLE_EQ(by[std::string("lcore/rx_pkts/") + kL1], 10'000);
  EXPECT_DOUBLE_EQ(by[std::string("lcore/tx_pkts/") + kL2], 0);
  EXPECT_DOUBLE_EQ(by[std::string("port/rx_bytes/") + kPort], 2'500'000);
  for (const CounterRate& c : r.counters) EXPECT_EQ(after.metrics[c.metric].kind, segment::MetricKind::kCounter);

  const std::string screen = ReportRates(before, after);
  EXPECT_NE(screen.find("rates over 0.50 s"), std::string::npos) << screen;
  EXPECT_NE(screen.find("rx 10000 pkt/s"), std::string::npos) << screen;
  EXPECT_NE(screen.find("20.00"), std::string::npos) << "20 Mbit/s on wire\n" << screen;
  EXPECT_NE(screen.find("30.0"), std::string::npos) << "parse: 30 cycles/pkt this interval\n" << screen;
  // Interval latency: only the 500 new 100 µs records.
  EXPECT_NE(screen.find("  500  "), std::string::npos) << screen;

  const json j = RatesJson(before, after);
  EXPECT_EQ(j["interval_s"], 0.5);
  EXPECT_FALSE(j["rates"].empty());

  // A counter that went backwards (a restarted writer) counts from zero.
  Snapshot restarted = after;
  restarted.start_unix_ns += 1;
  restarted.read_mono_ns = after.read_mono_ns + 1'000'000'000;
  std::fill(restarted.values.begin(), restarted.values.end(), 1);
  const Rates rr = ComputeRates(after, restarted);
  EXPECT_DOUBLE_EQ(rr.interval_s, 1.0);
  for (const CounterRate& c : rr.counters) EXPECT_LE(c.delta, 1u);
}

// ---------------------------------------------------------------- the CLI

struct RunResult {
  int exit = -1;
  std::string out;
};

/// Runs ingest-stats (path from meson's env) with `args`, stdout and stderr
/// together, under `timeout` so a hang fails instead of blocking.
RunResult RunCli(const std::string& args) {
  const char* bin = std::getenv("INGEST_STATS");
  RunResult r;
  if (bin == nullptr) return r;
  const std::string cmd = fmt::format("timeout 20 '{}' {} 2>&1", bin, args);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("INGEST_STATS") == nullptr) GTEST_SKIP() << "INGEST_STATS not set (run through meson test)";
  }
};

TEST_F(Cli, GoodSegmentPrintsTheTable) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  SegmentWriter w;
  // One publish with a 10 s period: three CLI runs under ASan on a loaded machine
  // can take longer than the 500 ms after which a 100 ms writer reads as stale.
  ASSERT_EQ(f.Start(w, instance, 10'000'000'000), "");
  const RunResult r = RunCli("--path " + fixture::ShmPath(instance));
  EXPECT_EQ(r.exit, 0) << r.out;
  for (const char* s : {"instance", "running", "ports", "wire", "latency", "drops by reason"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;

  const RunResult by_name = RunCli("--instance " + instance + " --json");
  EXPECT_EQ(by_name.exit, 0) << by_name.out;
  const json j = json::parse(by_name.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << by_name.out;
  EXPECT_EQ(j["totals"]["rx_packets"], 1000);

  const RunResult prom = RunCli("--instance " + instance + " --prometheus");
  EXPECT_EQ(prom.exit, 0);
  EXPECT_NE(prom.out.find("# TYPE ingestd_latency_e2e_seconds histogram"), std::string::npos) << prom.out;

  const RunResult list = RunCli("--list");
  EXPECT_EQ(list.exit, 0);
  EXPECT_NE(list.out.find(instance), std::string::npos) << list.out;
}

TEST_F(Cli, WatchPrintsRatesWhileTheWriterPublishes) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  int ready[2], stop[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(stop), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(stop[1]);
    FakeWriter f = IngestdCatalogue();
    SegmentWriter w;
    if (!f.Start(w, instance, 20'000'000).empty()) _exit(2);
    (void)!write(ready[1], "r", 1);
    // A writer publishing every period (20 ms) until the test closes the stop pipe; at most 10 s.
    pollfd until_stopped{stop[0], POLLIN, 0};
    for (uint64_t i = 1; i < 500 && poll(&until_stopped, 1, 20) == 0; ++i) {
      f.Set("lcore", "rx_pkts", kL1, i * 100);
      w.Publish(f.values());
    }
    w.MarkStopped();
    _exit(0);
  }
  close(ready[1]);
  close(stop[0]);
  char published = 0;
  const bool up = read(ready[0], &published, 1) == 1;  // the first publish is in the segment
  close(ready[0]);
  const RunResult watch = up ? RunCli("--instance " + instance + " --watch 0.2 --count 3") : RunResult{};
  close(stop[1]);  // the writer's poll wakes: it marks the segment stopped and exits
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(up) << "the writer never published";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the writer could not create its segment";
  EXPECT_EQ(watch.exit, 0) << watch.out;
  size_t screens = 0;
  for (size_t at = 0; (at = watch.out.find("rates over", at)) != std::string::npos; ++at) ++screens;
  EXPECT_EQ(screens, 3u) << watch.out;
  EXPECT_EQ(watch.out.find("\x1b[2J"), std::string::npos) << "no screen clearing into a pipe";
}

TEST_F(Cli, ExitStatusesForBrokenSegmentsAndWriters) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = IngestdCatalogue();
  FillRun(f);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance), "");
  const std::vector<uint8_t> good = fixture::ReadFileBytes(fixture::ShmPath(instance));
  const std::string path = fmt::format("/dev/shm/ingestd-cli-test-{}", instance);  // not "ingestd.": never listed

  std::vector<uint8_t> bad = good;
  bad[0] ^= 1;
  fixture::WriteFileBytes(path, bad);
  RunResult r = RunCli("--path " + path);
  EXPECT_EQ(r.exit, 5) << r.out;
  EXPECT_NE(r.out.find("bad magic"), std::string::npos) << r.out;

  fixture::WriteFileBytes(path, std::vector<uint8_t>(good.begin(), good.begin() + 1000));
  r = RunCli("--path " + path);
  EXPECT_EQ(r.exit, 5) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;

  bad = good;
  reinterpret_cast<segment::Header*>(bad.data())->layout_version = 99;
  fixture::WriteFileBytes(path, bad);
  r = RunCli("--path " + path);
  EXPECT_EQ(r.exit, 4) << r.out;
  EXPECT_NE(r.out.find("version 99"), std::string::npos) << r.out;

  // A stale copy: heartbeat 10 s old.
  bad = good;
  auto* h = reinterpret_cast<segment::Header*>(bad.data());
  h->heartbeat_ns.store(fixture::MonoNs() - 10'000'000'000);
  fixture::WriteFileBytes(path, bad);
  r = RunCli("--path " + path + " --json");
  EXPECT_EQ(r.exit, 3) << r.out;
  EXPECT_NE(r.out.find("stale"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(getpid())), std::string::npos) << "names the pid\n" << r.out;

  // A dead writer.
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  bad = good;
  reinterpret_cast<segment::Header*>(bad.data())->writer_pid = static_cast<uint32_t>(gone);
  fixture::WriteFileBytes(path, bad);
  r = RunCli("--path " + path);
  EXPECT_EQ(r.exit, 3) << r.out;
  EXPECT_NE(r.out.find("dead"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(gone)), std::string::npos) << r.out;

  // Stopped cleanly: final figures, status 0.
  bad = good;
  reinterpret_cast<segment::Header*>(bad.data())->state.store(
      static_cast<uint32_t>(segment::WriterState::kStopped));
  reinterpret_cast<segment::Header*>(bad.data())->writer_pid = static_cast<uint32_t>(gone);
  fixture::WriteFileBytes(path, bad);
  r = RunCli("--path " + path);
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_NE(r.out.find("stopped (final figures)"), std::string::npos) << r.out;

  fixture::WriteFileBytes(path, {});
  EXPECT_EQ(RunCli("--path " + path).exit, 5);
  EXPECT_EQ(RunCli("--path /nonexistent/segment").exit, 1);
  r = RunCli("--instance no-such-" + instance);
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.out.find("no ingestd instance"), std::string::npos) << r.out;
  EXPECT_EQ(RunCli("--json --prometheus").exit, 1);
  EXPECT_EQ(RunCli("--bogus").exit, 1);
  EXPECT_EQ(RunCli("--help").exit, 0);
  unlink(path.c_str());
}

}  // namespace
}  // namespace ingestd::stats
