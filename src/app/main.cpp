// SPDX-License-Identifier: BSD-3-Clause
// ingestd: validate the config, start EAL and the pipeline, run, drain, report.
#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pdump.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ingestd/config/config.hpp"
#include "ingestd/config/eal_args.hpp"
#include "ingestd/config/host_check.hpp"
#include "ingestd/dataplane/eal.hpp"
#include "ingestd/dataplane/file_access.hpp"
#include "ingestd/dataplane/hugepages.hpp"
#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/dataplane/ports.hpp"
#include "ingestd/log/log.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "ingestd/status.hpp"
#include "capture_command.hpp"
#include "drop_capture.hpp"
#include "exporter.hpp"
#include "flow_table.hpp"
#include "ingestd/stages/pipeline.hpp"
#include "ingestd/stats/collector.hpp"
#include "ingestd/stats/report.hpp"
#include "ingestd/stats/run_totals.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "dpdk_log.hpp"
#include "options.hpp"
#include "rules_reload.hpp"
#include "telemetry.hpp"
#ifdef INGESTD_FAULT_INJECTION
#include <cstdlib>

#include "ingestd/faults/fault_injection.hpp"
#endif

namespace ingestd::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;  // setup failure, leak, or lost packets
constexpr int kExitConfig = 2;   // bad command line or config

int Fail(const std::string& message, int code = kExitRuntime) {
  log::Error("{}", message);
  return code;
}

/// The lines ingestd prints at exit: totals, drops by reason, ports, and the
/// two checks that decide the exit status. `ingest-stats` shows the rest.
std::string Summary(const stats::RunTotals& t, const nlohmann::json& report) {
  std::string out = fmt::format("packets: {} received, {} transmitted, {} dropped\n", t.rx_packets, t.tx_packets,
                                t.dropped);
  for (const auto& [reason, n] : t.drops)
    if (n != 0) out += fmt::format("  drop {:<36} {}\n", reason, n);
  for (const nlohmann::json& p : report.at("ports")) {
    const uint64_t downs = p.value("link_down_events", uint64_t{0});
    out += fmt::format("port {:<12} rx {} pkts {} B, tx {} pkts {} B, imissed {}, rx_nombuf {}, errors {}/{}{}\n",
                       p.at("name").get<std::string>(), p.at("rx_packets").dump(), p.at("rx_bytes").dump(),
                       p.at("tx_packets").dump(), p.at("tx_bytes").dump(), p.at("imissed").dump(),
                       p.at("rx_nombuf").dump(), p.at("ierrors").dump(), p.at("oerrors").dump(),
                       downs != 0 ? fmt::format(", link went down {} time(s)", downs) : "");
  }
  out += fmt::format("conservation: received {}{} = transmitted {} + dropped {}: {}\n", t.rx_packets,
                     t.clones != 0 ? fmt::format(" + mirror copies {}", t.clones) : "", t.tx_packets, t.dropped,
                     t.Conserved() ? "holds" : "VIOLATED");
  for (const nlohmann::json& r : report.at("rules"))
    out += fmt::format("  rule {:<36} {} hits\n", r.at("rule").get<std::string>(), r.at("hits").dump());
  std::string note;
  if (t.MbufsLeaked() != 0) note = " (LEAK)";
  else if (t.mbufs_kept_by_devices != 0)
    note = fmt::format(" (kept by devices past close: {}; none lost by ingestd)", t.mbufs_kept_by_devices);
  out += fmt::format("mbufs in use at exit: {} of {}{}\n", t.mbufs_in_use, t.mbufs_total, note);
  return out;
}

/// 1-64 of [A-Za-z0-9_-], not starting with '-' (it becomes part of an EAL argument and of paths).
bool ValidFilePrefix(const std::string& p) {
  const auto ok = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  return !p.empty() && p.size() <= 64 && p[0] != '-' && std::all_of(p.begin(), p.end(), ok);
}

/// Writes `text` to `path` as 0640, group `gid` (stats.group, if >= 0): the same
/// readers as the stats segment.
Status WriteReadableByGroup(const std::string& path, const std::string& text, int gid) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Error(errno, fmt::format("cannot write {}: {}", path, strerror(errno)));
  std::string err;
  if (fchmod(fd, 0640) != 0) err = "chmod";  // it may have existed with another mode
  if (err.empty() && gid >= 0 && fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) err = "chown";
  for (size_t done = 0; err.empty() && done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) err = "write";
    else done += static_cast<size_t>(n);
  }
  if (err.empty()) {
    close(fd);
    return Status::Ok();
  }
  const int code = errno;
  close(fd);
  return Status::Error(code, fmt::format("cannot write {}: {}: {}", path, err, strerror(code)));
}

double SecondsSince(const timespec& start) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return double(now.tv_sec - start.tv_sec) + double(now.tv_nsec - start.tv_nsec) / 1e9;
}

/// "10 Gbps", "2.5 Gbps", "100 Mbps" (rte_eth_link_speed_to_str is experimental in 22.11).
std::string LinkSpeed(uint32_t mbps) {
  if (mbps == RTE_ETH_SPEED_NUM_NONE || mbps == RTE_ETH_SPEED_NUM_UNKNOWN) return "(speed unknown)";
  if (mbps < 1000) return fmt::format("{} Mbps", mbps);
  return mbps % 1000 == 0 ? fmt::format("{} Gbps", mbps / 1000) : fmt::format("{:.1f} Gbps", mbps / 1000.0);
}

/// Logs what the last publishes saw of the ports' links: down is a warning.
void LogLinkChanges(stats::StatsCollector& collector) {
  for (const stats::StatsCollector::LinkChange& c : collector.TakeLinkChanges()) {
    if (c.up)
      log::Info("port {}: link up {} {}", c.port, LinkSpeed(c.speed_mbps),
                c.full_duplex ? "full-duplex" : "half-duplex");
    else
      log::Warning("port {}: link down", c.port);
  }
}

/// Publishes stats every period until a stop condition: SIGINT/SIGTERM, the
/// duration, or the packet limit reached. Signals are blocked in every thread
/// and taken here, so this control loop is the only place they arrive.
void RunControlLoop(const Options& opt, const sigset_t& signals, const stages::Pipeline& pipeline,
                    stats::StatsCollector& collector, RulesReloader& reloader, flows::FlowExporter* exporter,
                    capture::DropCapture& drop_capture, double period_s) {
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  const timespec poll{0, 10'000'000};  // 10 ms: how late a limit may be noticed
  // While capturing drops, 1 ms: each lcore's capture ring empties 1,000 times a second.
  const timespec capture_poll{0, 1'000'000};
  double next_publish = 0;
  for (;;) {
    const double elapsed = SecondsSince(start);
    g_capture_mailbox.Serve(drop_capture);
    drop_capture.Poll();
    if (exporter != nullptr) {
      exporter->Poll();
      collector.SetFlowExport(exporter->records(), exporter->messages(), exporter->send_errors(),
                              exporter->template_messages());
    }
    if (elapsed >= next_publish) {
      collector.Publish();
      LogLinkChanges(collector);
      next_publish = elapsed + period_s;
    }
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, drop_capture.active() ? &capture_poll : &poll);
    if (sig == SIGHUP || g_reload_requested.exchange(false)) {
      reloader.Reload();
      collector.Publish();  // the outcome is in the stats at once
    } else if (sig > 0) {
      log::Notice("{} received, stopping", strsignal(info.si_signo));
      return;
    }
    if (opt.packets && pipeline.ReceivedPackets() >= *opt.packets) return;
    if (opt.duration_s && SecondsSince(start) >= *opt.duration_s) return;
  }
}

int Run(const Options& opt, int /*argc*/, char** argv) {
  config::RuntimeConfig cfg;
  // Read before EAL pins this thread to the main lcore's CPU: a reload validates against it.
  std::vector<unsigned> host_cpus = config::HostCpus();
  try {
    cfg = config::LoadConfig(opt.config_path);
  } catch (const config::ConfigErrors& e) {
    for (const auto& err : e.errors()) log::Error("{}", err.what());
    log::Error("{} error(s) in {}; nothing was started", e.errors().size(), opt.config_path);
    return kExitConfig;
  } catch (const config::ConfigError& e) {
    log::Error("{}", e.what());
    log::Error("nothing was started");
    return kExitConfig;
  }
#ifdef INGESTD_FAULT_INJECTION
  // The test build's faults, read once here and installed before launch.
  faults::FaultPlan fault_plan;
  const char* fault_spec = std::getenv(faults::kFaultsEnv);
  if (const Status s = faults::ParseFaultPlan(fault_spec ? fault_spec : "", fault_plan); !s.ok())
    return Fail(s.message(), kExitConfig);
#endif
  if (opt.file_prefix) {
    if (!ValidFilePrefix(*opt.file_prefix))
      return Fail("--file-prefix: use 1-64 of [A-Za-z0-9_-], not starting with '-'", kExitConfig);
    cfg.eal.file_prefix = *opt.file_prefix;
  }

  const dataplane::HugepageDecision huge =
      dataplane::DecideHugepages(cfg.eal.hugepages, cfg.eal.memory_mb, dataplane::ProbeHugepages());
  const std::vector<std::string> eal_args = config::BuildEalArgs(cfg, argv[0], huge.use_hugepages);

  if (opt.print_eal_args) {
    std::printf("%s\n", nlohmann::json(eal_args).dump().c_str());
    return kExitOk;
  }
  // The host, as far as it can be seen without starting DPDK: the same checks at
  // --check-config and at every start, so a service's ExecStartPre and its start agree.
  using Severity = config::HostFinding::Severity;
  std::vector<config::HostFinding> findings = config::CheckHost(cfg, config::HostPathsFromEnv());
  if (!huge.message.empty())
    findings.insert(findings.begin(), {huge.fatal ? Severity::kError : Severity::kWarning, huge.message});
  size_t host_errors = 0;
  for (const config::HostFinding& f : findings) {
    if (f.severity == Severity::kError) ++host_errors;
    log::Write(f.severity == Severity::kError     ? log::Level::kError
               : f.severity == Severity::kWarning ? log::Level::kWarning
                                                  : log::Level::kNotice,
               f.message);
  }
  if (host_errors != 0) {
    log::Error("{}: {} problem(s) on this host; nothing was started", cfg.source, host_errors);
    return kExitRuntime;
  }
  if (opt.check_only) {
    std::printf("%s: ok (%zu ports, %zu chains, %zu routes)\n", cfg.source.c_str(), cfg.ports.size(),
                cfg.pipeline.chains.size(), cfg.routes.size());
    return kExitOk;
  }

  // Block the stop signals before EAL creates threads, so they inherit the
  // mask and only WaitForStop takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reload the rules
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // What EAL and the drivers create starts private to this user; RestrictCreatedFiles
  // then opens to stats.group what its members need.
  umask(077);
  // Destruction runs bottom-up: pipeline, ports (closing frees queue mbufs), pools, EAL.
  dataplane::Eal eal;
  RouteDpdkLog();
  if (auto s = eal.Start(eal_args); !s.ok()) return Fail(s.message());
  // EAL and the drivers created their sockets and files with the umask's modes.
  const int stats_gid = cfg.stats.group_id ? static_cast<int>(*cfg.stats.group_id) : -1;
  std::vector<std::string> access_notes;
  if (auto s = dataplane::RestrictCreatedFiles(cfg, eal.runtime_dir(), stats_gid, access_notes); !s.ok())
    return Fail(s.message());
  for (const std::string& n : access_notes) log::Notice("{}", n);
  dataplane::MempoolSet pools;
  dataplane::PortSet ports;
  if (auto s = ports.Resolve(cfg); !s.ok()) return Fail(s.message());
  if (auto s = pools.Create(cfg.pipeline.mempool, ports.Sockets(), "ingestd_pkt"); !s.ok())
    return Fail(s.message());
  // Mirror copies come from their own pool, made whenever the file has rules, so a
  // reload can add a mirror.
  if (!cfg.rules.empty()) {
    if (auto s = pools.CreateClonePool(cfg.pipeline.mempool.clones, cfg.pipeline.mempool.cache, "ingestd_clones");
        !s.ok())
      return Fail(s.message());
  }
  if (auto s = ports.Start(cfg, pools); !s.ok()) return Fail(s.message());
  for (const std::string& w : ports.warnings()) log::Notice("{}", w);

  stages::Pipeline pipeline;
  if (auto s = pipeline.Build(cfg, ports, pools.ClonePool()); !s.ok()) return Fail(s.message());
  if (!cfg.rules.empty())
    std::printf("ingestd: %zu rules compiled in %.1f ms\n", cfg.rules.size(), pipeline.Rules()->build_us() / 1000.0);
  if (opt.packets) pipeline.SetPacketLimit(*opt.packets);

  stats::StatsCollector collector;
  for (const auto& l : pipeline.Lcores()) collector.AddLcore(l.lcore, l.chain, l.first, l.last, l.counters);
  for (const auto& r : pipeline.Rings())
    collector.AddRing(r.name, r.chain, r.from_lcore, r.to_lcore, r.ring, r.counters);
  for (size_t i = 0; i < ports.size(); ++i) collector.AddPort(cfg.ports[i].name, ports.PortId(i));
  if (!cfg.rules.empty()) {
    std::vector<std::string> rule_names;
    for (const config::RuleConfig& r : cfg.rules) rule_names.push_back(r.name);
    collector.AddRules(std::move(rule_names), pipeline.RuleHits());
  }
  for (const auto& p : pools.Pools()) {
    uint64_t kept = 0;
    for (size_t i = 0; i < ports.size(); ++i)
      if (ports.RxPool(i) == p.pool) kept += ports.MbufsKeptAfterClose(i);
    collector.AddMempool(p.name, p.socket, p.pool, kept);
  }
  const std::string instance = cfg.stats.instance.value_or(cfg.eal.file_prefix);
  if (const Status s = collector.Start(instance, uint64_t{cfg.stats.period_ms} * 1'000'000, stats_gid); !s.ok())
    return Fail(s.message());
  // Lets dpdk-dumpcap capture from our ports (a secondary process: needs hugepages).
  RegisterTelemetry(instance);
  if (rte_pdump_init() != 0)
    log::Notice("packet capture (rte_pdump) unavailable: {}", rte_strerror(rte_errno));

#ifdef INGESTD_FAULT_INJECTION
  faults::Injector injector;
  {
    std::vector<uint16_t> port_ids;
    std::vector<rte_mempool*> rx_pools;
    for (size_t i = 0; i < ports.size(); ++i) {
      port_ids.push_back(ports.PortId(i));
      rte_mempool* p = ports.RxPool(i);
      if (p != nullptr && std::find(rx_pools.begin(), rx_pools.end(), p) == rx_pools.end()) rx_pools.push_back(p);
    }
    if (const Status s = injector.Install(fault_plan, port_ids, rx_pools); !s.ok()) return Fail(s.message());
  }
#endif
  // Dropped packets with their reason, to pcapng: from the start (capture.drops) or
  // when /ingestd/drop_capture asks. Declared after the pipeline: it empties the
  // pipeline's capture rings before they are freed.
  std::vector<capture::TapRef> taps;
  for (const auto& t : pipeline.DropTaps()) taps.push_back({t.lcore, t.tap, t.counters});
  std::vector<std::pair<std::string, uint16_t>> port_names;
  for (size_t i = 0; i < ports.size(); ++i) port_names.emplace_back(cfg.ports[i].name, ports.PortId(i));
  capture::DropCapture drop_capture(std::move(taps), std::move(port_names), capture::TscClock::Now());
  if (cfg.capture.drops) {
    if (const Status s = drop_capture.Start(*cfg.capture.drops); !s.ok())
      return Fail("capture.drops: " + s.message());
  }
  if (auto s = pipeline.Launch(); !s.ok()) return Fail(s.message());
  std::printf("ingestd: running %zu lcore(s) on %zu port(s)%s; stats: %s; stop with Ctrl-C\n",
              pipeline.Lcores().size(), ports.size(), huge.use_hugepages ? "" : " (no hugepages)",
              collector.segment_path().c_str());
  std::fflush(stdout);

  std::unique_ptr<flows::FlowExporter> exporter;
  if (cfg.flows.enabled) {
    const flows::ExportClock clock{rte_get_tsc_hz(), rte_rdtsc(),
                                   static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count())};
    if (auto s = flows::FlowExporter::Open(cfg.flows, clock, exporter); !s.ok()) return Fail(s.message());
    for (flows::FlowTable* t : pipeline.FlowTables()) exporter->AddRing(t->ring());
  }
  RulesReloader reloader(opt.config_path, cfg, std::move(host_cpus), pipeline, collector);
  RunControlLoop(opt, signals, pipeline, collector, reloader, exporter.get(), drop_capture,
                 cfg.stats.period_ms / 1000.0);
  pipeline.StopRx();
  pipeline.Wait();  // every ring drained to TX or a counted drop
  drop_capture.Finish();  // captured drops written or freed: back in their pools before the leak check
  if (exporter) {
    // What the lcores queued, then every flow still in a table: a run ends with all exported.
    exporter->Poll();
    std::vector<flows::FlowRecord> rest;
    for (flows::FlowTable* t : pipeline.FlowTables()) t->DrainAll([&](const flows::FlowRecord& r) { rest.push_back(r); });
    exporter->Export(rest);
    collector.SetFlowExport(exporter->records(), exporter->messages(), exporter->send_errors(),
                              exporter->template_messages());
  }
#ifdef INGESTD_FAULT_INJECTION
  injector.Stop();  // held mbufs back in their pool before the leak check
#endif
  collector.FreezePorts();  // ethdev stats vanish when the ports close

  ports.StopAll();            // closing returns the mbufs held in descriptor rings
  collector.PublishFinal();   // the last snapshot: mbufs in use counted after the close
#ifdef INGESTD_FAULT_INJECTION
  injector.AuditPools();  // every mbuf back exactly once: no double free, no leak
#endif

  // The run's report is read back from the segment, exactly as ingest-stats reads it.
  stats::Snapshot snapshot;
  if (stats::ReadError err = stats::ReadSnapshotOfInstance(instance, snapshot))
    return Fail("cannot read back the final stats: " + err.message);
  const stats::RunTotals totals = stats::ComputeRunTotals(snapshot);
  nlohmann::json report = stats::ReportJson(snapshot, totals);
  std::printf("%s", Summary(totals, report).c_str());
#ifdef INGESTD_FAULT_INJECTION
  report["faults"] = injector.Report();
  std::fprintf(stderr, "%s", injector.Summary().c_str());
#endif
  if (opt.final_stats_path) {
    if (const Status s = WriteReadableByGroup(*opt.final_stats_path, report.dump(2) + "\n", stats_gid); !s.ok())
      return Fail(s.message());
    std::printf("final stats: %s\n", opt.final_stats_path->c_str());
  }
  int rc = kExitOk;
  if (totals.MbufsLeaked() != 0) rc = Fail(fmt::format("{} mbufs leaked", totals.MbufsLeaked()));
  if (!totals.Conserved()) rc = Fail("packet conservation violated: a packet was lost without a count");
  return rc;
}

}  // namespace
}  // namespace ingestd::app

int main(int argc, char** argv) {
  ingestd::log::Init("ingestd");
  ingestd::app::Options opt;
  if (auto rc = ingestd::app::ParseOptions(argc, argv, opt)) return *rc;
  try {
    return ingestd::app::Run(opt, argc, argv);
  } catch (const std::exception& e) {
    ingestd::log::Error("{}", e.what());
    return 1;
  }
}
