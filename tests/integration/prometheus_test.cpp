// SPDX-License-Identifier: BSD-3-Clause
// ingest-stats --serve against Debian's prometheus and promtool, started here on loopback; docs/metrics.md against what is served.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "exposition.hpp"
#include "harness.hpp"
#include "poll.hpp"
#include "live_stats.hpp"

namespace ingestd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// What Prometheus 2.42 sends when it scrapes.
constexpr const char* kPrometheusAccept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// A program the build found (meson passes its path), or a failure naming the package.
std::string BuiltProgram(const char* env, const char* package) {
  const char* path = std::getenv(env);
  if (path == nullptr || *path == '\0') {
    ADD_FAILURE() << env << " is not set: apt-get install " << package << " and reconfigure (tools/lib/setup.sh)";
    return "/nonexistent";
  }
  return path;
}

/// A loopback port nobody listens on now: the kernel's pick for a socket bound to port 0.
int FreePort(bool v6 = false) {
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_addr = in6addr_loopback;
    len = sizeof(*sa);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*sa);
  }
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
  const int port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  close(fd);
  return port;
}

// Each poll is a request to a server: a tenth of a second apart spares the CPU.
constexpr auto kRequestInterval = std::chrono::milliseconds(100);

struct HttpAnswer {
  int status = -1;  // -1: no answer
  std::string content_type;
  std::string body;
};

HttpAnswer Get(const std::string& host, int port, const std::string& path, const httplib::Headers& headers = {},
               const httplib::Params& params = {}) {
  httplib::Client client(host, port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  const httplib::Result r = params.empty() ? client.Get(path, headers) : client.Get(path, params, headers);
  HttpAnswer a;
  if (!r) return a;
  a.status = r->status;
  a.content_type = r->get_header_value("Content-Type");
  a.body = r->body;
  return a;
}

/// A server process of this test, stopped with SIGTERM (by pid) when it goes.
class Server {
 public:
  Server(const std::vector<std::string>& argv, const TempDir& dir, const std::string& tag)
      : child_(std::make_unique<Child>(argv, dir, tag)) {}
  ~Server() { Stop(); }
  /// SIGTERM, then the exit status (-1 if it had to be killed at the deadline).
  int Stop() {
    if (!status_) {
      child_->Signal(SIGTERM);
      status_ = child_->Wait(30s);
    }
    return *status_;
  }
  /// Waits until the server's stderr contains `text`; false if it exits or the limit passes.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds limit) {
    return PollUntil([&] { return child_->Stderr().find(text) != std::string::npos || Exited(child_->pid()); }, limit,
                     kRequestInterval) &&
           child_->Stderr().find(text) != std::string::npos;
  }
  Child& child() { return *child_; }

 private:
  std::unique_ptr<Child> child_;
  std::optional<int> status_;
};

/// `ingest-stats --serve` for `instance` on a free loopback port.
class Exporter : public Server {
 public:
  Exporter(const std::string& instance, const TempDir& dir, bool v6 = false)
      : Exporter(instance, dir, v6, FreePort(v6)) {}
  static std::string IngestStatsBinary() { return BuiltProgram("INGEST_STATS_BIN", "(the build's ingest-stats)"); }
  static std::string Address(bool v6, int port) { return v6 ? fmt::format("[::1]:{}", port) : fmt::format("127.0.0.1:{}", port); }
  /// Up once it logged its address.
  bool Ready() { return WaitForLog("serving ", 20s); }
  HttpAnswer Scrape(const char* accept = nullptr) {
    httplib::Headers h;
    if (accept != nullptr) h.emplace("Accept", accept);
    return Get(host_, port_, "/metrics", h);
  }
  HttpAnswer Fetch(const std::string& path) { return Get(host_, port_, path); }
  int port() const { return port_; }

 private:
  Exporter(const std::string& instance, const TempDir& dir, bool v6, int port)
      : Server({IngestStatsBinary(), "--instance", instance, "--serve", Address(v6, port)}, dir,
               "ingest-stats-" + std::to_string(port)),
        port_(port),
        host_(v6 ? "::1" : "127.0.0.1") {}
  int port_;
  std::string host_;
};

/// Debian's prometheus, scraping `target` every second, its data in `dir`.
class Prometheus : public Server {
 public:
  Prometheus(const std::string& target, TempDir& dir) : Prometheus(target, dir, FreePort()) {}
  bool Ready() {
    return PollUntil([&] { return Exited(child().pid()) || Get("127.0.0.1", port_, "/-/ready").status == 200; }, 60s,
                     kRequestInterval) &&
           !Exited(child().pid());
  }
  /// GET /api/v1/<what> with `params`; null unless status is "success".
  json Api(const std::string& what, const httplib::Params& params = {}) {
    const HttpAnswer a = Get("127.0.0.1", port_, "/api/v1/" + what, {}, params);
    if (a.status != 200) return nullptr;
    json j = json::parse(a.body, nullptr, false);
    return !j.is_discarded() && j.value("status", "") == "success" ? j["data"] : json(nullptr);
  }
  /// The value of an instant query that yields one sample; nullopt until it does.
  std::optional<double> Query(const std::string& expr) {
    const json data = Api("query", {{"query", expr}});
    if (data.is_null() || data.value("resultType", "") != "vector" || data["result"].size() != 1) return std::nullopt;
    return std::stod(data["result"][0]["value"][1].get<std::string>());  // "NaN" reads as NaN
  }

 private:
  static std::vector<std::string> Argv(const std::string& target, TempDir& dir, int port) {
    const std::string config = dir.File("prometheus.yml");
    // honor_labels: the exposition's instance label is ingestd's instance, not the target's address.
    WriteText(config, fmt::format("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                                  "scrape_configs:\n  - job_name: ingestd\n    honor_labels: true\n"
                                  "    static_configs:\n      - targets: ['{}']\n",
                                  target));
    return {BuiltProgram("PROMETHEUS_BIN", "prometheus"), "--config.file=" + config,
            "--storage.tsdb.path=" + dir.File("prometheus-data"), fmt::format("--web.listen-address=127.0.0.1:{}", port),
            "--log.level=warn"};
  }
  Prometheus(const std::string& target, TempDir& dir, int port)
      : Server(Argv(target, dir, port), dir, "prometheus"), port_(port) {}
  int port_;
};

/// A running ingestd: two lcores and a ring (rings and ring_wait families), two rules
/// (rule_hits), MixedTraffic with malformed frames looping until SIGTERM (bounded 120 s).
class LiveIngestd {
 public:
  LiveIngestd(const std::string& name, TempDir& dir) {
    scenario_.prefix = UniquePrefix(name);
    scenario_.layout = Layout::kPipeline;
    scenario_.infinite_rx = true;
    scenario_.null_output = true;
    scenario_.extra_yaml =
        "rules:\n"
        "  - {name: udp, match: {proto: udp}, count: true}\n"
        "  - {name: tcp, match: {proto: tcp}, count: true}\n";
    std::vector<framegen::Bytes> frames;
    for (auto& f : framegen::MixedTraffic(12, 2000)) frames.push_back(std::move(f.bytes));
    files_ = WriteScenario(scenario_, frames, dir);
    child_ = std::make_unique<Child>(std::vector<std::string>{IngestdBinary(), "-c", files_.config, "--duration", "120",
                                                              "--final-stats", files_.stats},
                                     dir, scenario_.prefix);
  }
  bool WaitUntilForwarding() {
    return PollLive(
        prefix(), [](const LiveReport& r) { return r.json.at("totals").at("rx_packets").get<uint64_t>() > 0; }, 30s);
  }
  /// SIGTERM; the final stats once it exited cleanly.
  json Stop() {
    child_->Signal(SIGTERM);
    const int rc = child_->Wait(60s);
    EXPECT_EQ(rc, 0) << child_->Stderr();
    return rc == 0 ? ReadJson(files_.stats) : json(nullptr);
  }
  const std::string& prefix() const { return scenario_.prefix; }

 private:
  Scenario scenario_;
  ScenarioFiles files_;
  std::unique_ptr<Child> child_;
};

/// The families of docs/metrics.md's tables: `| `name` | type | `label`, ... | unit | meaning |`.
struct DocFamily {
  std::string type;
  std::set<std::string> labels;
};
std::map<std::string, DocFamily> DocumentedFamilies() {
  std::ifstream in(std::string(INGESTD_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_TRUE(in) << "docs/metrics.md not found";
  std::map<std::string, DocFamily> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `ingestd_")) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) cells.push_back(cell);
    if (cells.size() < 5) {
      ADD_FAILURE() << "docs/metrics.md: a family row with fewer than 5 cells: " << line;
      continue;
    }
    auto ticked = [](const std::string& c) {
      std::vector<std::string> words;
      for (size_t at = c.find('`'); at != std::string::npos; at = c.find('`', at)) {
        const size_t end = c.find('`', at + 1);
        if (end == std::string::npos) break;
        words.push_back(c.substr(at + 1, end - at - 1));
        at = end + 1;
      }
      return words;
    };
    const std::vector<std::string> name = ticked(cells[0]);
    if (name.size() != 1) {
      ADD_FAILURE() << "docs/metrics.md: a family cell without one `name`: " << line;
      continue;
    }
    DocFamily f;
    std::stringstream type(cells[1]);
    type >> f.type;
    for (const std::string& l : ticked(cells[2])) f.labels.insert(l);
    EXPECT_TRUE(out.emplace(name[0], f).second) << "documented twice: " << name[0];
  }
  return out;
}

// Prometheus scrapes a live instance through ingest-stats: rx rate, a drop reason equal to
// ingestd's own count, a latency quantile, and the target healthy (the exposition parsed).
TEST(Prometheus, ScrapesRxRateDropReasonAndLatencyOfALiveInstance) {
  TempDir dir;
  LiveIngestd ingestd(CurrentTestName(), dir);
  ASSERT_TRUE(ingestd.WaitUntilForwarding());
  Exporter exporter(ingestd.prefix(), dir);
  ASSERT_TRUE(exporter.Ready()) << exporter.child().Stderr();
  EXPECT_NE(exporter.child().Stderr().find(fmt::format("http://127.0.0.1:{}/metrics", exporter.port())),
            std::string::npos)
      << "one line at start with the address: " << exporter.child().Stderr();
  Prometheus prometheus(Exporter::Address(false, exporter.port()), dir);
  ASSERT_TRUE(prometheus.Ready()) << prometheus.child().Stderr();

  const std::string sel = fmt::format("instance=\"{}\"", ingestd.prefix());
  std::optional<double> rx_rate, p99;
  const bool live = PollUntil([&] {
    if (!rx_rate || *rx_rate <= 0) rx_rate = prometheus.Query(fmt::format("sum(rate(ingestd_lcore_rx_pkts_total{{{}}}[5s]))", sel));
    if (!p99 || !std::isfinite(*p99))
      p99 = prometheus.Query(fmt::format(
          "histogram_quantile(0.99, sum by (le) (rate(ingestd_latency_e2e_seconds_bucket{{{}}}[5s])))", sel));
    return rx_rate && *rx_rate > 0 && p99 && std::isfinite(*p99);
  }, 60s, kRequestInterval);
  EXPECT_TRUE(live) << "rx rate " << (rx_rate ? fmt::format("{}", *rx_rate) : "none") << ", p99 "
                    << (p99 ? fmt::format("{}", *p99) : "none") << "\n" << prometheus.child().Stderr();
  if (p99) {
    EXPECT_GT(*p99, 0);
  }

  // The target parsed: healthy, no error; and parsed as OpenMetrics, which alone carries a unit.
  const json targets = prometheus.Api("targets");
  ASSERT_FALSE(targets.is_null());
  ASSERT_EQ(targets["activeTargets"].size(), 1u) << targets.dump();
  const json& target = targets["activeTargets"][0];
  EXPECT_EQ(target["health"], "up") << target.dump();
  EXPECT_EQ(target["lastError"], "") << target.dump();
  const json metadata = prometheus.Api("metadata", {{"metric", "ingestd_latency_e2e_seconds"}});
  ASSERT_FALSE(metadata.is_null());
  ASSERT_TRUE(metadata.contains("ingestd_latency_e2e_seconds")) << metadata.dump();
  EXPECT_EQ(metadata["ingestd_latency_e2e_seconds"][0]["type"], "histogram") << metadata.dump();
  EXPECT_EQ(metadata["ingestd_latency_e2e_seconds"][0]["unit"], "seconds") << metadata.dump();

  // Stopped, the instance keeps its final figures: Prometheus' drops and rx equal ingestd's own.
  const json final_stats = ingestd.Stop();
  ASSERT_FALSE(final_stats.is_null());
  std::string reason;
  uint64_t count = 0;
  for (const auto& [r, n] : final_stats.at("totals").at("drops").items()) {
    if (r.starts_with("malformed:") && n.get<uint64_t>() > count) {
      reason = r;
      count = n.get<uint64_t>();
    }
  }
  ASSERT_GT(count, 0u) << final_stats.at("totals").dump();
  const uint64_t rx = final_stats.at("totals").at("rx_packets").get<uint64_t>();
  std::optional<double> drops, rx_total, up;
  const bool settled = PollUntil([&] {
    drops = prometheus.Query(fmt::format("sum(ingestd_drops_total{{{},reason=\"{}\"}})", sel, reason));
    rx_total = prometheus.Query(fmt::format("sum(ingestd_lcore_rx_pkts_total{{{}}})", sel));
    up = prometheus.Query(fmt::format("ingestd_up{{{}}}", sel));
    return drops && *drops == static_cast<double>(count) && rx_total && *rx_total == static_cast<double>(rx) && up &&
           *up == 0;
  }, 30s, kRequestInterval);
  EXPECT_TRUE(settled) << reason << ": prometheus " << (drops ? fmt::format("{}", *drops) : "none") << ", ingestd "
                       << count << "; rx prometheus " << (rx_total ? fmt::format("{}", *rx_total) : "none")
                       << ", ingestd " << rx << "; up " << (up ? fmt::format("{}", *up) : "none");
  EXPECT_EQ(prometheus.Query(fmt::format("ingestd_writer_info{{{},state=\"stopped\"}}", sel)), 1.0);
  fmt::print("[prometheus] rate(rx)={:.0f} pkt/s  p99(e2e)={:.3g} s  drops{{reason=\"{}\"}}={} (ingestd {})  "
             "rx={} (ingestd {})  up={}\n",
             rx_rate.value_or(-1), p99.value_or(-1), reason, drops.value_or(-1), count, rx_total.value_or(-1), rx,
             up.value_or(-1));
  EXPECT_EQ(exporter.Stop(), 0) << exporter.child().Stderr();
  EXPECT_EQ(prometheus.Stop(), 0) << prometheus.child().Stderr();
}

// Both formats as served: promtool finds nothing in the text format; OpenMetrics passes the
// strict reader; both carry the same samples; docs/metrics.md lists exactly what is served.
TEST(Prometheus, ServedFormatsAreValidAndDocumented) {
  TempDir dir;
  LiveIngestd ingestd(CurrentTestName(), dir);
  ASSERT_TRUE(ingestd.WaitUntilForwarding());
  Exporter exporter(ingestd.prefix(), dir);
  ASSERT_TRUE(exporter.Ready()) << exporter.child().Stderr();
  const HttpAnswer text = exporter.Scrape();
  const HttpAnswer om = exporter.Scrape(kPrometheusAccept);
  ASSERT_EQ(text.status, 200);
  ASSERT_EQ(om.status, 200);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(om.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(exporter.Scrape("text/plain;version=0.0.4").content_type, text.content_type);
  ingestd.Stop();

  // promtool reads the exposition on stdin.
  Child promtool({BuiltProgram("PROMTOOL_BIN", "prometheus"), "check", "metrics"}, dir, "promtool", Child::Stdin::kPipe);
  ASSERT_TRUE(promtool.WriteStdin(text.body));
  promtool.CloseStdin();
  EXPECT_EQ(promtool.Wait(30s), 0) << promtool.Stdout() << promtool.Stderr();
  EXPECT_EQ(promtool.Stdout() + promtool.Stderr(), "") << "promtool's lint findings";

  const Exposition t = ParseExposition(text.body, false);
  const Exposition o = ParseExposition(om.body, true);
  EXPECT_TRUE(t.problems.empty()) << fmt::format("{}", fmt::join(t.problems, "\n"));
  EXPECT_TRUE(o.problems.empty()) << fmt::format("{}", fmt::join(o.problems, "\n"));
  EXPECT_TRUE(om.body.ends_with("\n# EOF\n"));
  ASSERT_EQ(o.families.size(), t.families.size());
  size_t counters = 0, histograms = 0;
  for (size_t i = 0; i < o.families.size(); ++i) {
    const ExposedFamily& of = o.families[i];
    const ExposedFamily& tf = t.families[i];
    EXPECT_EQ(tf.name, of.type == "counter" ? of.name + "_total" : of.name);
    EXPECT_EQ(tf.type, of.type);
    ASSERT_EQ(tf.samples.size(), of.samples.size()) << of.name;
    for (size_t k = 0; k < of.samples.size(); ++k) {
      EXPECT_EQ(tf.samples[k].name, of.samples[k].name);
      EXPECT_EQ(tf.samples[k].labels, of.samples[k].labels);
    }
    if (of.type == "counter") {
      ++counters;
      for (const ExposedSample& s : of.samples) EXPECT_TRUE(s.name.ends_with("_total")) << s.name;
    }
    if (of.type == "histogram") ++histograms;
  }
  EXPECT_GE(counters, 40u);
  EXPECT_GE(histograms, 4u);  // stage_service, ring_wait, e2e, allocation
  const ExposedFamily* e2e = o.Find("ingestd_latency_e2e_seconds");
  ASSERT_NE(e2e, nullptr);
  EXPECT_EQ(e2e->unit, "seconds");

  // docs/metrics.md: every family served is documented with its type and labels, and
  // every documented family is served (this scenario has rings, rules and a pipeline).
  const std::map<std::string, DocFamily> docs = DocumentedFamilies();
  std::set<std::string> served;
  for (const ExposedFamily& f : t.families) {
    served.insert(f.name);
    const auto it = docs.find(f.name);
    if (it == docs.end()) {
      ADD_FAILURE() << "served but not in docs/metrics.md: " << f.name << " (" << f.type << ")";
      continue;
    }
    EXPECT_EQ(it->second.type, f.type) << f.name;
    EXPECT_EQ(it->second.labels, f.LabelNames()) << f.name;
  }
  for (const auto& [name, f] : docs) EXPECT_TRUE(served.count(name)) << "documented but not served: " << name;
  std::ifstream in(std::string(INGESTD_SOURCE_DIR) + "/docs/metrics.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const ExposedFamily* drops = t.Find("ingestd_drops_total");
  ASSERT_NE(drops, nullptr);
  std::set<std::string> reasons;
  for (const ExposedSample& s : drops->samples) reasons.insert(s.labels.at("reason"));
  EXPECT_GE(reasons.size(), 30u);
  for (const std::string& r : reasons)
    EXPECT_NE(doc.find("`" + r + "`"), std::string::npos) << "drop reason not in docs/metrics.md: " << r;
  EXPECT_EQ(exporter.Stop(), 0);
}

// With no such instance the endpoint still answers, ingestd_up 0; once the instance has run
// it reports it (the segment is read at every scrape). Bad addresses and taken ports exit 2.
TEST(Prometheus, AnswersForAnAbsentInstanceAndRefusesBadAddresses) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  Exporter exporter(s.prefix, dir, /*v6=*/true);
  ASSERT_TRUE(exporter.Ready()) << exporter.child().Stderr();
  const HttpAnswer absent = exporter.Scrape();
  ASSERT_EQ(absent.status, 200);
  EXPECT_NE(absent.body.find(fmt::format("ingestd_up{{instance=\"{}\"}} 0\n", s.prefix)), std::string::npos)
      << absent.body;
  EXPECT_NE(absent.body.find(fmt::format("ingestd_writer_info{{instance=\"{}\",state=\"absent\"}} 1\n", s.prefix)),
            std::string::npos)
      << absent.body;
  EXPECT_TRUE(ParseExposition(exporter.Scrape(kPrometheusAccept).body, true).problems.empty());
  EXPECT_EQ(exporter.Fetch("/nothing").status, 404);
  const HttpAnswer index = exporter.Fetch("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("href=\"/metrics\""), std::string::npos);

  const Outcome o = RunScenario(s, framegen::UdpTraffic(5, 100, 64), dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.err;
  const Exposition after = ParseExposition(exporter.Scrape().body, false);
  EXPECT_TRUE(after.problems.empty());
  const ExposedFamily* info = after.Find("ingestd_writer_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->samples.at(0).labels.at("state"), "stopped");
  const ExposedFamily* rx = after.Find("ingestd_lcore_rx_pkts_total");
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->samples.at(0).value, "100");
  EXPECT_NE(exporter.child().Stderr().find("is stopped (was absent)"), std::string::npos) << exporter.child().Stderr();
  EXPECT_EQ(exporter.Stop(), 0);
  EXPECT_NE(exporter.child().Stderr().find("SIGTERM: stopped serving"), std::string::npos);

  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{Exporter::IngestStatsBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    Child c(argv, dir, "ingest-stats-once");
    RunResult r;
    r.exit_code = c.Wait(10s);
    r.out = c.Stdout();
    r.err = c.Stderr();
    return r;
  };
  const RunResult name = run({"--instance", "x", "--serve", "localhost:9469"});
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_NE(name.err.find("'localhost' is not a numeric IPv4 address"), std::string::npos) << name.err;
  const RunResult bare_v6 = run({"--instance", "x", "--serve", "::1:9469"});
  EXPECT_EQ(bare_v6.exit_code, 2);
  EXPECT_NE(bare_v6.err.find("goes in brackets"), std::string::npos) << bare_v6.err;
  const RunResult port = run({"--instance", "x", "--serve", "127.0.0.1:65536"});
  EXPECT_EQ(port.exit_code, 2);
  EXPECT_NE(port.err.find("from 1 to 65535"), std::string::npos) << port.err;

  // A port someone else listens on.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  const RunResult taken = run({"--instance", "x", "--serve", fmt::format("127.0.0.1:{}", ntohs(sa.sin_port))});
  close(fd);
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_NE(taken.err.find("the port is in use"), std::string::npos) << taken.err;

  const RunResult version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "ingest-stats " INGESTD_PROJECT_VERSION "\n");
}

}  // namespace
}  // namespace ingestd::testing
