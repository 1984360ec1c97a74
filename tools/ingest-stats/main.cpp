// SPDX-License-Identifier: BSD-3-Clause
// ingest-stats: reads an ingestd stats segment and prints tables, JSON, Prometheus text or live rates, or serves it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "serve.hpp"

namespace {

using ingestd::stats::Liveness;
using ingestd::stats::LivenessName;
using ingestd::stats::ReadError;
using ingestd::stats::ReadErrorKind;
using ingestd::stats::Snapshot;

// Exit statuses (documented in --help).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitBadServe = ingestd::ingest_stats::kServeBadListen;  // 2
constexpr int kExitWriterDown = 3;       // dead, stale or stuck writer
constexpr int kExitUnknownVersion = 4;
constexpr int kExitCorrupt = 5;

constexpr const char* kNoInstance =
    "no ingestd instance found (is it running? segments live in /dev/shm/ingestd.*)";

struct Options {
  std::string instance;
  std::string path;
  bool list = false;
  bool json = false;
  bool prometheus = false;
  std::string serve;  // ADDR:PORT
  double watch = 0;
  uint64_t count = 0;  // 0: until interrupted
};

/// Where to read from: a segment file (--path) or an instance's shm object.
struct Source {
  std::string path;
  std::string instance;
  ReadError Read(Snapshot& s) const {
    return path.empty() ? ingestd::stats::ReadSnapshotOfInstance(instance, s)
                        : ingestd::stats::ReadSnapshotFromPath(path, s);
  }
  std::string Describe() const { return path.empty() ? fmt::format("instance '{}'", instance) : path; }
};

/// JSON text; bytes that are not UTF-8 (a writer's label, say) become U+FFFD instead of throwing.
std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int ExitFor(const ReadError& e) {
  switch (e.kind) {
    case ReadErrorKind::kUnknownVersion: return kExitUnknownVersion;
    case ReadErrorKind::kCorrupt: return kExitCorrupt;
    case ReadErrorKind::kWriterStuck: return kExitWriterDown;
    default: return kExitError;
  }
}

int Fail(const ReadError& e) {
  fmt::print(stderr, "ingest-stats: {}\n", e.message);
  return ExitFor(e);
}

std::string Age(uint64_t ns) {
  if (ns < 10'000'000'000ull) return fmt::format("{} ms", ns / 1'000'000);
  return fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9);
}

/// The exit status a snapshot's liveness calls for, with its message on stderr.
int JudgeAndReport(const Snapshot& s, const Source& src, bool table_said_it) {
  switch (s.liveness) {
    case Liveness::kDead:
      fmt::print(stderr,
                 "ingest-stats: {}: writer pid {} is dead (no such process; last publish {} ago); {}\n",
                 src.Describe(), s.writer_pid, Age(s.heartbeat_age_ns),
                 s.values_valid ? "figures are its last publish" : "it died mid-publish, no figures");
      return kExitWriterDown;
    case Liveness::kStale:
      fmt::print(stderr,
                 "ingest-stats: {}: writer pid {} is stale: last publish {} ago (threshold {})\n",
                 src.Describe(), s.writer_pid, Age(s.heartbeat_age_ns), Age(s.StaleAfterNs()));
      return kExitWriterDown;
    case Liveness::kStopped:
      if (!table_said_it) fmt::print(stderr, "ingest-stats: {}: stopped (final figures)\n", src.Describe());
      return kExitOk;
    case Liveness::kStarting:
    case Liveness::kRunning:
      return kExitOk;
  }
  return kExitOk;
}

int List(const Options& o) {
  const std::vector<std::string> names = ingestd::stats::ListInstances();
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::array<std::string, 5>> rows;
  for (const std::string& name : names) {
    Snapshot s;
    const ReadError e = ingestd::stats::ReadSnapshotOfInstance(name, s);
    if (e) {
      out.push_back({{"name", name}, {"error", e.message}});
      rows.push_back({name, "-", "error", "-", e.message});
      continue;
    }
    out.push_back({{"name", name}, {"pid", s.writer_pid}, {"state", LivenessName(s.liveness)},
                   {"heartbeat_age_ms", s.heartbeat_age_ns / 1'000'000}, {"publishes", s.publishes}});
    rows.push_back({name, std::to_string(s.writer_pid), std::string(LivenessName(s.liveness)),
                    Age(s.heartbeat_age_ns), std::to_string(s.publishes)});
  }
  if (o.json) {
    fmt::print("{}\n", Dump(out, 2));
  } else if (!rows.empty()) {
    size_t w = 8;
    for (const auto& r : rows) w = std::max(w, r[0].size());
    fmt::print("{:<{}}  {:>8}  {:<8}  {:>10}  {}\n", "INSTANCE", w, "PID", "STATE", "AGE", "PUBLISHES");
    for (const auto& r : rows) fmt::print("{:<{}}  {:>8}  {:<8}  {:>10}  {}\n", r[0], w, r[1], r[2], r[3], r[4]);
  }
  if (names.empty()) fmt::print(stderr, "ingest-stats: {}\n", kNoInstance);
  return kExitOk;
}

/// Picks the instance when --instance is not given: the only one, or the only
/// live one among leftovers of stopped runs.
std::optional<Source> ResolveDefault(int* exit_code) {
  const std::vector<std::string> names = ingestd::stats::ListInstances();
  if (names.empty()) {
    fmt::print(stderr, "ingest-stats: {}\n", kNoInstance);
    *exit_code = kExitError;
    return std::nullopt;
  }
  if (names.size() == 1) return Source{"", names[0]};
  std::vector<std::string> live;
  std::string described;
  for (const std::string& name : names) {
    Snapshot s;
    const ReadError e = ingestd::stats::ReadSnapshotOfInstance(name, s);
    const std::string_view state = e ? "unreadable" : LivenessName(s.liveness);
    if (!e && (s.liveness == Liveness::kRunning || s.liveness == Liveness::kStarting)) live.push_back(name);
    described += fmt::format("{}{} ({})", described.empty() ? "" : ", ", name, state);
  }
  if (live.size() == 1) return Source{"", live[0]};
  fmt::print(stderr, "ingest-stats: several ingestd instances: {}; pick one with --instance NAME\n", described);
  *exit_code = kExitError;
  return std::nullopt;
}

int Once(const Options& o, const Source& src) {
  Snapshot s;
  if (const ReadError e = src.Read(s)) return Fail(e);
  if (o.json) {
    fmt::print("{}\n", Dump(ingestd::stats::ReportJson(s), 2));
  } else if (o.prometheus) {
    fmt::print("{}", ingestd::stats::ReportPrometheus(s));
  } else {
    fmt::print("{}", ingestd::stats::ReportTable(s));
  }
  std::fflush(stdout);
  return JudgeAndReport(s, src, !o.json && !o.prometheus);
}

int Watch(const Options& o, const Source& src) {
  const bool clear = !o.json && isatty(STDOUT_FILENO) == 1;
  Snapshot before;
  if (const ReadError e = src.Read(before)) return Fail(e);
  if (const int rc = JudgeAndReport(before, src, true); rc != kExitOk || before.liveness == Liveness::kStopped) {
    if (before.liveness == Liveness::kStopped) fmt::print("{}", ingestd::stats::ReportTable(before));
    return rc;
  }
  const auto interval = std::chrono::duration<double>(o.watch);
  for (uint64_t i = 0; o.count == 0 || i < o.count; ++i) {
    std::this_thread::sleep_for(interval);
    // Re-opened every time: a restarted instance replaces its segment.
    Snapshot after;
    if (const ReadError e = src.Read(after)) return Fail(e);
    if (o.json) {
      fmt::print("{}\n", Dump(ingestd::stats::RatesJson(before, after), -1));
    } else {
      fmt::print("{}{}", clear ? "\x1b[H\x1b[2J" : (i == 0 ? "" : "\n"), ingestd::stats::ReportRates(before, after));
    }
    std::fflush(stdout);
    if (after.liveness != Liveness::kRunning && after.liveness != Liveness::kStarting)
      return JudgeAndReport(after, src, !o.json);
    before = std::move(after);
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Reads the stats segment of a running (or finished) ingestd.\n"
      "Exit status: 0 ok (running, starting, or stopped cleanly: final figures; --serve: stopped by "
      "SIGTERM or SIGINT);\n1 error or no instance; 2 --serve: bad ADDR:PORT, or it cannot be bound; 3 writer "
      "dead, stale or stuck;\n4 unknown segment layout version; 5 corrupted or truncated segment."};
  app.set_version_flag("--version", "ingest-stats " INGESTD_VERSION);
  auto* instance = app.add_option("--instance", o.instance,
                                  "instance name (/dev/shm/ingestd.NAME); needed only when several exist");
  auto* path = app.add_option("--path", o.path, "read this segment file instead (tests, copies)");
  instance->excludes(path);
  auto* list = app.add_flag("--list", o.list, "list instances: name, pid, state, age of the last publish");
  auto* json = app.add_flag("--json", o.json, "the report as JSON (the --final-stats schema)");
  auto* prom = app.add_flag("--prometheus", o.prometheus, "Prometheus text exposition format 0.0.4");
  json->excludes(prom);
  auto* serve = app.add_option("--serve", o.serve,
                               "serve Prometheus scrapes at ADDR:PORT (127.0.0.1:9469, [::1]:9469): GET /metrics, "
                               "text 0.0.4 or OpenMetrics, the segment read at every scrape; needs --instance "
                               "or --path");
  auto* watch = app.add_option("--watch", o.watch, "refresh every SECONDS with rates from deltas")
                    ->check(CLI::Range(0.05, 86400.0));
  app.add_option("--count", o.count, "with --watch: stop after N refreshes")->needs(watch);
  watch->excludes(prom);
  for (CLI::Option* other : {list, json, prom, watch}) serve->excludes(other);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitError;
  }

  if (!o.serve.empty()) {
    ingestd::ingest_stats::ServeOptions so;
    so.instance = o.instance;
    so.path = o.path;
    std::string error;
    if (!ingestd::ingest_stats::ParseListenAddress(o.serve, &so.listen, &error)) {
      fmt::print(stderr, "ingest-stats: --serve {}\n", error);
      return kExitBadServe;
    }
    if (o.instance.empty() && o.path.empty()) {
      fmt::print(stderr, "ingest-stats: --serve needs --instance NAME (or --path FILE): it reports that instance, "
                         "running or not\n");
      return kExitBadServe;
    }
    return ingestd::ingest_stats::Serve(so);
  }
  try {
    if (o.list) return List(o);
    Source src;
    if (!o.path.empty()) {
      src.path = o.path;
    } else if (!o.instance.empty()) {
      src.instance = o.instance;
    } else {
      int rc = kExitError;
      const std::optional<Source> picked = ResolveDefault(&rc);
      if (!picked) return rc;
      src = *picked;
    }
    return o.watch > 0 ? Watch(o, src) : Once(o, src);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ingest-stats: {}\n", e.what());
    return kExitError;
  }
}
