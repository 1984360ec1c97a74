// SPDX-License-Identifier: BSD-3-Clause
// ingest-owned-baseline: ingestd's parse -> process -> encode written with owned objects per stage
// on tbb::parallel_pipeline, replaying a pcap for a fixed time; reports ingestd's figures as JSON.
#include <fmt/core.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <time.h>
#include <x86intrin.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/verdict.hpp"
#include "ingestd/stats/histogram.hpp"
#include "pipeline.hpp"
#include "tally.hpp"

namespace {

using namespace ingestd::bench::owned;
using nlohmann::json;

struct Options {
  std::string pcap;
  double seconds = 0;
  unsigned threads = 1;
  size_t tokens = 256;
  unsigned stage_sample = 16;
  std::string json_out;
};

// Warm-up before timing: starts the TBB workers, warms the allocator and caches, and checks
// that every encoded frame equals the input with the addresses rewritten.
constexpr uint64_t kWarmupMinPackets = 4096;
// A day: keeps the TSC deadline far from overflow.
constexpr double kMaxSeconds = 86400;

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// TSC ticks per second, measured against steady_clock over ~50 ms.
double CalibrateTscHz() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  const uint64_t c0 = __rdtsc();
  Clock::time_point t1 = t0;
  while (t1 - t0 < std::chrono::milliseconds(50)) t1 = Clock::now();
  const uint64_t c1 = __rdtsc();
  return static_cast<double>(c1 - c0) / std::chrono::duration<double>(t1 - t0).count();
}

double PerPacket(uint64_t total, uint64_t packets) {
  return packets == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(packets);
}

double Round1(double v) { return std::round(v * 10) / 10; }

RouteTable BenchRoutes() {
  // As ingestd's bench config: everything from "in" leaves on "out", addresses rewritten.
  RouteTable routes;
  routes.emplace("in", OutputPort{"out", MacAddress{{0x02, 0, 0, 0, 0, 0x01}},
                                  MacAddress{{0x02, 0, 0, 0, 0, 0x02}}});
  return routes;
}

json LatencyJson(const ingestd::stats::Histogram& h, double tsc_hz) {
  std::vector<uint64_t> values(ingestd::stats::Histogram::kSummaryValues +
                               ingestd::stats::HistogramGeometry::kBuckets);
  h.CopyTo(values);
  const double ns_per_tick = 1e9 / tsc_hz;
  auto q = [&](double quantile) {
    return Round1(ingestd::stats::HistogramQuantile(values, quantile) * ns_per_tick);
  };
  return {{"count", h.Count()},
          {"p50", q(0.5)},
          {"p90", q(0.9)},
          {"p99", q(0.99)},
          {"p999", q(0.999)},
          {"max", Round1(static_cast<double>(h.Max()) * ns_per_tick)},
          {"mean", Round1(PerPacket(h.Sum(), h.Count()) * ns_per_tick)}};
}

// What one timed run measured.
struct Measurement {
  RunCounts counts;
  TallyTotals tally;  // the run only (difference of two sums)
  double seconds = 0;
  double cpu_seconds = 0;
  std::unique_ptr<LatencyHistogram> latency = std::make_unique<LatencyHistogram>();
  uint64_t warmup_mismatches = 0;
  uint64_t warmup_packets = 0;
};

Measurement Measure(const Options& o, const RunSpec& spec, double tsc_hz) {
  Measurement m;
  // global_control lifts TBB's default cap (the CPUs in the affinity mask), so --threads is
  // what runs even when the process is pinned to fewer CPUs.
  const tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, o.threads);
  tbb::task_arena arena(static_cast<int>(o.threads));

  RunSpec warm = spec;
  warm.max_packets = std::max<uint64_t>(kWarmupMinPackets, spec.frames.size());
  warm.verify = true;
  auto warm_latency = std::make_unique<LatencyHistogram>();
  const RunCounts w = arena.execute([&] { return RunPipeline(warm, *warm_latency); });
  m.warmup_mismatches = w.mismatches;
  m.warmup_packets = w.tx_packets;
  if (w.mismatches != 0) return m;

  RunSpec timed = spec;
  const TallyTotals before = SumTallies();
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  timed.stop_tsc = __rdtsc() + static_cast<uint64_t>(o.seconds * tsc_hz);
  m.counts = arena.execute([&] { return RunPipeline(timed, *m.latency); });
  const auto t1 = std::chrono::steady_clock::now();
  m.cpu_seconds = CpuSeconds() - cpu0;
  m.tally = SumTallies() - before;
  m.seconds = std::chrono::duration<double>(t1 - t0).count();
  return m;
}

// The JSON report: the figures ingestd's final stats give (per-packet heap and copies over
// received packets, drops by parse verdict), plus this design's stage and copy breakdown.
json Report(const Options& o, size_t frames_in_pcap, const Measurement& m, double tsc_hz) {
  const RunCounts& c = m.counts;
  const TallyTotals& d = m.tally;
  const uint64_t rx = c.rx_packets;
  json drops = json::object();
  uint64_t dropped = 0;
  for (unsigned v = 0; v < ingestd::packet::kParseVerdictCount; ++v) {
    if (d.drops[v] == 0) continue;
    drops[std::string(ingestd::packet::kParseVerdictNames[v])] = d.drops[v];
    dropped += d.drops[v];
  }
  if (d.route_drops != 0) {
    drops["route_drop"] = d.route_drops;
    dropped += d.route_drops;
  }
  json stage_cycles = json::object();
  json copied_by_stage = json::object();
  uint64_t copied = 0;
  for (unsigned s = 0; s < kStageCount; ++s) {
    stage_cycles[kStageNames[s]] = Round1(PerPacket(d.stage_cycles[s], d.timed_calls[s]));
    if (s != static_cast<unsigned>(Stage::kTransmit))
      copied_by_stage[kStageNames[s]] = Round1(PerPacket(d.bytes_copied[s], rx));
    copied += d.bytes_copied[s];
  }
  const double cpu_cycles = m.cpu_seconds * tsc_hz;
  return {
      {"tool", "ingest-owned-baseline"},
      {"pcap", o.pcap},
      {"frames_in_pcap", frames_in_pcap},
      {"packets", rx},
      {"bytes", c.rx_bytes},
      {"tx_packets", c.tx_packets},
      {"tx_bytes", c.tx_bytes},
      {"dropped", dropped},
      {"drops", drops},
      {"conserved", rx == c.tx_packets + dropped},
      {"seconds", m.seconds},
      {"mpps", static_cast<double>(rx) / m.seconds / 1e6},
      {"threads", o.threads},
      {"threads_used", d.threads_with_filter_calls},
      {"tokens", o.tokens},
      {"cpu_seconds", m.cpu_seconds},
      {"tsc_hz", std::llround(tsc_hz)},
      {"cycles_per_packet", Round1(rx == 0 ? 0.0 : cpu_cycles / static_cast<double>(rx))},
      {"stage_cycles_per_packet", stage_cycles},
      {"stage_sample", o.stage_sample},
      {"latency_ns", LatencyJson(m.latency->tsc, tsc_hz)},
      {"heap_allocs_per_packet", PerPacket(d.heap_allocs, rx)},
      {"heap_bytes_per_packet", Round1(PerPacket(d.heap_bytes, rx))},
      {"heap_frees_per_packet", PerPacket(d.heap_frees, rx)},
      {"bytes_copied_per_packet", Round1(PerPacket(copied, rx))},
      {"bytes_copied_per_packet_by_stage", copied_by_stage},
  };
}

int Run(const Options& o) {
  const std::vector<ingestd::framegen::Bytes> frames = ingestd::framegen::ReadPcap(o.pcap);
  if (frames.empty()) {
    fmt::print(stderr, "ingest-owned-baseline: {} holds no frames\n", o.pcap);
    return 2;
  }
  // Opened before the run, so an unwritable path fails now rather than after it.
  std::ofstream out(o.json_out);
  if (!out) {
    fmt::print(stderr, "ingest-owned-baseline: cannot write {}\n", o.json_out);
    return 1;
  }
  const double tsc_hz = CalibrateTscHz();
  const RouteTable routes = BenchRoutes();
  RunSpec spec;
  spec.frames = frames;
  spec.in_port = "in";
  spec.routes = &routes;
  spec.tokens = o.tokens;
  spec.stage_sample = o.stage_sample;

  tbb::task_scheduler_handle scheduler{tbb::attach{}};
  const Measurement m = Measure(o, spec, tsc_hz);
  // Joins TBB's workers: nothing of theirs outlives main (valgrind sees no lost thread state).
  tbb::finalize(scheduler, std::nothrow);
  if (m.warmup_mismatches != 0) {
    fmt::print(stderr,
               "ingest-owned-baseline: {} of {} encoded frames differ from the input "
               "with rewritten addresses\n",
               m.warmup_mismatches, m.warmup_packets);
    return 1;
  }
  const json report = Report(o, frames.size(), m, tsc_hz);
  out << report.dump(2) << '\n';
  out.close();
  if (!out) {
    fmt::print(stderr, "ingest-owned-baseline: cannot write {}\n", o.json_out);
    return 1;
  }
  if (TallySlotsOverflowed())
    fmt::print(stderr, "ingest-owned-baseline: more than {} threads; some counts are lost\n",
               kTallySlots);
  fmt::print(stderr,
             "ingest-owned-baseline: {:.3f} Mpps, {} pkts in {:.2f} s on {} thread(s), {} dropped; "
             "{:.0f} cycles/pkt; per pkt {:.1f} allocs, {:.0f} heap B, {:.0f} B copied; "
             "latency p50 {:.0f} ns p99 {:.0f} ns\n",
             report["mpps"].get<double>(), m.counts.rx_packets, m.seconds, o.threads,
             report["dropped"].get<uint64_t>(), report["cycles_per_packet"].get<double>(),
             report["heap_allocs_per_packet"].get<double>(),
             report["heap_bytes_per_packet"].get<double>(),
             report["bytes_copied_per_packet"].get<double>(),
             report["latency_ns"]["p50"].get<double>(), report["latency_ns"]["p99"].get<double>());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Owned-copy baseline: ingestd's parse -> process -> encode with a heap object per stage "
      "on a TBB parallel_pipeline, replaying a pcap in a loop."};
  app.add_option("--pcap", o.pcap, "Ethernet pcap to replay (loaded into memory first)")
      ->required();
  app.add_option("--seconds", o.seconds, "length of the timed run")->required();
  app.add_option("--threads", o.threads, "TBB arena threads")->capture_default_str();
  app.add_option("--tokens", o.tokens, "packets in flight at most (parallel_pipeline tokens)")
      ->capture_default_str();
  app.add_option("--stage-sample", o.stage_sample,
                 "time one filter call in N per stage and thread (1: every call)")
      ->capture_default_str();
  app.add_option("--json", o.json_out, "report file to write")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  std::string bad;
  std::error_code ec;
  if (o.pcap.empty() || !std::filesystem::exists(o.pcap, ec))
    bad = fmt::format("--pcap {}: no such file", o.pcap);
  else if (!std::filesystem::is_regular_file(o.pcap, ec))
    bad = fmt::format("--pcap {}: not a regular file", o.pcap);
  else if (std::filesystem::file_size(o.pcap, ec) == 0)
    bad = fmt::format("--pcap {}: empty file", o.pcap);
  else if (!(o.seconds > 0) || !std::isfinite(o.seconds))
    bad = "--seconds must be greater than 0";
  else if (o.seconds > kMaxSeconds)
    bad = fmt::format("--seconds must be at most {}", kMaxSeconds);
  else if (o.threads < 1)
    bad = "--threads must be at least 1";
  else if (o.tokens < 1)
    bad = "--tokens must be at least 1";
  else if (o.stage_sample < 1)
    bad = "--stage-sample must be at least 1";
  else if (o.json_out.empty())
    bad = "--json needs a file name";
  if (!bad.empty()) {
    fmt::print(stderr, "ingest-owned-baseline: {}\n", bad);
    return 2;
  }

  try {
    return Run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ingest-owned-baseline: {}\n", e.what());
    return 1;
  }
}
