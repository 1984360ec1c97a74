// SPDX-License-Identifier: BSD-3-Clause
// Faults with nothing lost: an output that refuses packets for a while (injected, and a real
// memif peer that stops reading), a slow second lcore under both ring policies, a packet pool
// that runs dry. Each run checks ingestd's counters against what was injected or what the
// devices saw, that every mbuf came back, and how soon traffic flowed again.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "live_stats.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using nlohmann::json;
using namespace std::chrono_literals;

// The harness's Scenario: burst 32, ring 1024, pool cache 256, one chain.
constexpr uint64_t kBurst = 32;
constexpr uint64_t kTxRetries = 4;  // pipeline.tx_retries default
constexpr const char* kFastStats = "stats:\n  period_ms: 10\n";

std::string FaultBinary() {
  const char* bin = std::getenv("INGESTD_FAULT_BIN");
  if (bin == nullptr) throw std::runtime_error("INGESTD_FAULT_BIN is not set (run through meson test)");
  return bin;
}

/// Prints a figure in the test output and records it in the JUnit XML.
template <typename T>
void Figure(const std::string& name, const T& value) {
  std::cout << "[ figure   ] " << CurrentTestName() << ": " << name << " = " << value << "\n";
  ::testing::Test::RecordProperty(name, fmt::format("{}", value));
}

struct FaultRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  json stats;                       // --final-stats, with ingestd-fault's "faults" object
  std::vector<LiveReport> samples;  // every publish seen while it ran
};

/// Runs the fault build on `s` with INGESTD_FAULTS=`faults` until `stop_args`
/// (--duration/--packets) end it, or until `stop_when` holds on a live
/// sample (then SIGTERM). Every publish of the segment is kept.
FaultRun RunFaulted(Scenario s, const std::vector<Bytes>& frames, TempDir& dir, const std::string& faults,
                    const std::vector<std::string>& stop_args,
                    const std::function<bool(const LiveReport&)>& stop_when = nullptr) {
  const auto [config, stats] = WriteScenario(s, frames, dir);
  std::vector<std::string> argv{FaultBinary(), "-c", config, "--final-stats", stats};
  argv.insert(argv.end(), stop_args.begin(), stop_args.end());

  FaultRun r;
  const ScopedEnv env("INGESTD_FAULTS", faults);
  Child child(argv, dir, s.prefix);
  LiveSegment segment(s.prefix);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool signalled = false;
  while (std::chrono::steady_clock::now() < deadline && !Exited(child.pid())) {
    LiveReport live;
    if (segment.Next(live)) {
      r.samples.push_back(live);
      if (live.state == "stopped") break;
      if (stop_when && !signalled && live.state == "running" && stop_when(live)) {
        child.Signal(SIGTERM);
        signalled = true;
      }
    }
    const timespec poll_interval{0, 2'000'000};  // 2 ms: a publish every 10 ms is seen well in time
    nanosleep(&poll_interval, nullptr);
  }
  r.exit_code = child.Wait(30s);
  r.out = child.Stdout();
  r.err = child.Stderr();
  if (r.exit_code == 0) r.stats = ReadJson(stats);
  return r;
}

/// What every fault run must end with: clean exit, rx = tx + Σ drops, and every
/// mbuf back in its pool exactly once (the audit would see a double free as a
/// duplicate, which the in-use count cannot).
void ExpectCleanEnd(const FaultRun& r) {
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectConserved(r.stats);
  Figure("mbufs_in_use_after", r.stats.at("totals").at("mbufs_in_use").get<uint64_t>());
  const json& audit = r.stats.at("faults").at("pool_audit");
  ASSERT_FALSE(audit.empty());
  for (const json& pool : audit) {
    EXPECT_EQ(pool.at("duplicates").get<uint64_t>(), 0u) << pool.dump();
    EXPECT_EQ(pool.at("missing").get<uint64_t>(), 0u) << pool.dump();
    EXPECT_EQ(pool.at("objects_found"), pool.at("size")) << pool.dump();
  }
  Figure("pool_audit", audit.dump());
}

// ------------------------------------------------------------------ TX stall

/// The output refuses for 200 ms (taking `accept` packets per call) from 100 ms
/// after the first packet was received; the run lasts 0.8 s.
void TxStallScenario(Layout layout, uint16_t accept) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.layout = layout;
  s.ring_policy = "backpressure";  // a pipeline's ring waits for the stalled output: losses are TX's only
  s.infinite_rx = true;
  s.null_output = true;
  s.extra_yaml = kFastStats;
  const FaultRun r = RunFaulted(s, framegen::UdpTraffic(1, 256, 64), dir,
                                fmt::format("tx_stall=100+200:{}", accept), {"--duration", "0.8"});
  ExpectCleanEnd(r);
  if (r.exit_code != 0) return;
  const json& t = r.stats.at("totals");
  const json& stall = r.stats.at("faults").at("tx_stall");
  const uint64_t tx_full = Drops(r.stats, "tx_full");
  const uint64_t retries = SumLcoreCounter(r.stats, "tx_retries");
  Figure("injected_refused_offers", stall.at("refused_packets").get<uint64_t>());
  Figure("injected_refused_final", stall.at("refused_final").get<uint64_t>());
  Figure("counted_tx_full", tx_full);
  Figure("injected_retries_seen", stall.at("retries_seen").get<uint64_t>());
  Figure("counted_tx_retries", retries);
  Figure("first_accept_after_stall_us", stall.at("first_accept_after_us").get<double>());
  Figure("longest_gap_between_sends_us", r.stats.at("faults").at("tx_max_gap_us").get<double>());

  // Every packet the output refused and ingestd never offered again is a tx_full drop,
  // and every retry the output saw is one ingestd counted.
  EXPECT_GT(tx_full, 0u);
  EXPECT_EQ(tx_full, stall.at("refused_final").get<uint64_t>());
  EXPECT_EQ(retries, stall.at("retries_seen").get<uint64_t>());
  EXPECT_EQ(t.at("dropped").get<uint64_t>(), tx_full) << "UDP traffic: no other reason to drop";
  // Bounded retries: a burst that was dropped was offered exactly 1 + tx_retries times.
  // Each refused call is followed by a retry unless it was the burst's last offer.
  const uint64_t dropped_bursts =
      stall.at("refused_calls").get<uint64_t>() - stall.at("retries_seen").get<uint64_t>();
  EXPECT_GT(dropped_bursts, 0u);
  EXPECT_GE(retries, dropped_bursts * kTxRetries);
  if (accept == 0) {
    // With nothing taken, only a burst the stall's end cut short has fewer retries.
    EXPECT_LE(retries, dropped_bursts * kTxRetries + kTxRetries);
    // Every dropped packet was refused 1 + tx_retries times; only the burst
    // the stall's end cut short was refused fewer times and then sent.
    const uint64_t refused = stall.at("refused_packets").get<uint64_t>();
    EXPECT_GE(refused, (kTxRetries + 1) * tx_full);
    EXPECT_LE(refused, (kTxRetries + 1) * tx_full + kTxRetries * kBurst);
  }
  // Recovery: packets left again once the stall ended, and the devices agree with the counters.
  EXPECT_GE(stall.at("first_accept_after_us").get<double>(), 0.0);
  EXPECT_GT(stall.at("accepted_after").get<uint64_t>(), 0u);
  EXPECT_EQ(PortCounter(r.stats, "out", "tx_packets"), t.at("tx_packets").get<uint64_t>());
  EXPECT_EQ(PortCounter(r.stats, "in", "rx_packets"), t.at("rx_packets").get<uint64_t>());
}

TEST(Faults, TxStallRunToCompletionDropsAfterBoundedRetriesAndRecovers) {
  TxStallScenario(Layout::kRunToCompletion, 0);
}

TEST(Faults, TxStallPartialAcceptPipelineDropsOnlyWhatWasRefused) {
  TxStallScenario(Layout::kPipeline, 5);
}

// A real output that refuses: net_memif towards a peer ingestd that is stopped
// (SIGSTOP) and so stops reading; its ring fills and TX takes nothing more.
std::string MemifYaml(const std::string& prefix, const std::string& socket, bool server,
                      const std::string& rx_pcap) {
  ConfigBuilder yaml(prefix);
  const auto memif = [&](PortYaml& port) -> PortYaml& {
    return port.Arg("role", server ? "server" : "client").Arg("socket", socket).Arg("id", "0");
  };
  if (server) memif(yaml.Port("in", "net_memif0")).Queues(1, 1);
  else yaml.Port("in", "net_pcap0").Arg("rx_pcap", rx_pcap).Queues(1, 1);
  if (server) yaml.Port("out", "net_null1").Queues(0, 1);
  else memif(yaml.Port("out", "net_memif1")).Queues(0, 1);
  yaml.Burst(32).Mempool(8191);
  yaml.Chain({"in"}).Segment(1, server ? 0 : 1);  // the two workers on different CPUs
  return yaml.Route("in", "out").Section("stats", "{period_ms: 10}").Yaml();
}

TEST(Faults, MemifPeerThatStopsReadingStallsTheOutputAndTrafficResumes) {
  // The sender reads a 40,000-frame capture held to 100 kpps (ingestd-fault's
  // rx_slow: the only fault injected here; the stall is the peer's). When the
  // capture is done the sender is idle but connected, so the peer can be
  // stopped first: DPDK 22.11's memif unmaps its rings from its control thread
  // when the other side disconnects, without waiting for an lcore polling them
  // (see docs/operations.md, When the world misbehaves), so a side must not be polling when its peer leaves.
  TempDir dir;
  const std::string peer_prefix = UniquePrefix(CurrentTestName() + "-peer");
  const std::string src_prefix = UniquePrefix(CurrentTestName() + "-src");
  dir.OwnSegment(peer_prefix);
  dir.OwnSegment(src_prefix);
  const std::string socket = dir.File("memif.sock");
  const std::string rx_pcap = dir.File("in.pcap");
  constexpr uint64_t kFrames = 40'000;
  framegen::WritePcap(rx_pcap, framegen::UdpTraffic(4, kFrames, 64));
  WriteText(dir.File("peer.yaml"), MemifYaml(peer_prefix, socket, true, ""));
  WriteText(dir.File("src.yaml"), MemifYaml(src_prefix, socket, false, rx_pcap));

  // Both bounded by --duration even if the test fails half way.
  Child peer({IngestdBinary(), "-c", dir.File("peer.yaml"), "--duration", "25", "--final-stats",
              dir.File("peer.json")},
             dir, "peer");
  ASSERT_TRUE(PollLive(peer_prefix, [](const LiveReport& r) { return r.state == "running"; }, 20s))
      << peer.Stderr();
  std::unique_ptr<Child> src_child;
  {
    const ScopedEnv env("INGESTD_FAULTS", "rx_slow=0+60000:10000");
    src_child = std::make_unique<Child>(std::vector<std::string>{FaultBinary(), "-c", dir.File("src.yaml"),
                                                                 "--duration", "25", "--final-stats",
                                                                 dir.File("src.json")},
                                        dir, "src");
  }
  Child& src = *src_child;
  const auto tx = [](const LiveReport& r) { return r.json.at("totals").at("tx_packets").get<uint64_t>(); };
  LiveReport last;
  ASSERT_TRUE(PollLive(src_prefix, [&](const LiveReport& r) { return tx(r) > 4'000; }, 20s, &last))
      << "no traffic through memif: " << src.Stderr() << peer.Stderr();

  // Stop the reader. Stalled: TX took nothing for 50 ms while drops grew.
  struct Resume {
    Child& peer;
    ~Resume() { peer.Signal(SIGCONT); }
  } resume{peer};
  peer.Signal(SIGSTOP);
  const uint64_t tx_full_before = Drops(last.json, "tx_full");
  LiveReport stalled_since;
  ASSERT_TRUE(PollLive(src_prefix, [&](const LiveReport& r) {
    if (stalled_since.json.is_null() || tx(r) != tx(stalled_since)) stalled_since = r;
    return r.published_mono_ns - stalled_since.published_mono_ns >= 50'000'000 &&
           Drops(r.json, "tx_full") > tx_full_before;
  }, 10s, &last)) << "the output never stalled";
  const uint64_t tx_stalled = tx(last);
  const uint64_t tx_full_during = Drops(last.json, "tx_full") - tx_full_before;

  // Resume the reader: the first publish with more packets sent bounds the recovery time.
  peer.Signal(SIGCONT);
  const uint64_t resumed_ns = MonoNs();
  ASSERT_TRUE(PollLive(src_prefix, [&](const LiveReport& r) { return tx(r) > tx_stalled; }, 10s, &last))
      << "traffic did not resume";
  const double recovery_ms = double(last.published_mono_ns - std::min(last.published_mono_ns, resumed_ns)) / 1e6;

  // The capture read to its end and nothing in flight; then the peer has read all of it.
  ASSERT_TRUE(PollLive(src_prefix, [&](const LiveReport& r) {
    const json& t = r.json.at("totals");
    return PortCounter(r.json, "in", "rx_packets") == kFrames &&
           t.at("rx_packets").get<uint64_t>() == t.at("tx_packets").get<uint64_t>() + t.at("dropped").get<uint64_t>();
  }, 20s, &last)) << "the capture was not read to its end";
  const uint64_t sent_live = tx(last);
  ASSERT_TRUE(PollLive(peer_prefix, [&](const LiveReport& r) {
    return r.json.at("totals").at("rx_packets").get<uint64_t>() == sent_live;
  }, 10s)) << "the peer did not receive what was sent";

  peer.Signal(SIGTERM);
  ASSERT_EQ(peer.Wait(30s), 0) << peer.Stdout() << peer.Stderr();
  src.Signal(SIGTERM);
  ASSERT_EQ(src.Wait(30s), 0) << src.Stdout() << src.Stderr();
  const json s = ReadJson(dir.File("src.json"));
  const json p = ReadJson(dir.File("peer.json"));
  ExpectConserved(s);
  ExpectConserved(p);
  const uint64_t sent = s.at("totals").at("tx_packets").get<uint64_t>();
  const uint64_t peer_received = p.at("totals").at("rx_packets").get<uint64_t>();
  Figure("tx_full_while_stopped", tx_full_during);
  Figure("counted_tx_full", Drops(s, "tx_full"));
  Figure("sent", sent);
  Figure("peer_received", peer_received);
  Figure("recovery_ms_at_most", recovery_ms);
  Figure("mbufs_in_use_after", s.at("totals").at("mbufs_in_use").get<uint64_t>());
  EXPECT_GT(tx_full_during, 0u);
  EXPECT_EQ(s.at("totals").at("rx_packets").get<uint64_t>(), kFrames);
  EXPECT_EQ(s.at("totals").at("dropped").get<uint64_t>(), Drops(s, "tx_full")) << "UDP traffic: TX is the only loss";
  EXPECT_GT(SumLcoreCounter(s, "tx_retries"), 0u);
  // memif forgets its counters when its peer disconnects: the device's count is read live.
  EXPECT_EQ(sent, sent_live);
  EXPECT_EQ(PortCounter(last.json, "out", "tx_packets"), sent) << "the memif device took what ingestd counted as sent";
  EXPECT_EQ(peer_received, sent) << "the peer received every packet the sender sent";
}

// ------------------------------------------------------------------ slow stage

/// Pipeline layout. The input is held to 100 kpps (10 us per packet on the RX
/// lcore, for the whole run) so the second lcore (process..tx) keeps up even
/// on a busy machine; from 150 ms on, for 300 ms, it spends 1 ms per packet:
/// it sends at most a burst now and then, whatever share of a CPU it gets.
FaultRun SlowSecondLcore(const std::string& policy, TempDir& dir) {
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.layout = Layout::kPipeline;
  s.ring_policy = policy;
  s.infinite_rx = true;
  s.null_output = true;
  s.extra_yaml = kFastStats;
  return RunFaulted(s, framegen::UdpTraffic(5, 256, 64), dir, "rx_slow=0+60000:10000,tx_slow=150+300:1000000",
                    {"--duration", "0.8"});
}

uint64_t RingOccupancy(const json& report) { return report.at("rings").at(0).at("occupancy").get<uint64_t>(); }

/// Figures and checks both policies share: the ring filled, mbufs in use stayed
/// bounded, and the ring drained once the lcore was fast again.
void ExpectSlowStageBoundedAndRecovered(const FaultRun& r) {
  const json& slow = r.stats.at("faults").at("tx_slow");
  const uint64_t slow_start = slow.at("start_mono_ns").get<uint64_t>();
  const uint64_t slow_end = slow.at("end_mono_ns").get<uint64_t>();
  const json& ring = r.stats.at("rings").at(0);
  const uint64_t capacity = ring.at("size").get<uint64_t>();
  EXPECT_GT(slow.at("delayed_packets").get<uint64_t>(), 0u);
  EXPECT_GE(ring.at("high_water").get<uint64_t>(), capacity - kBurst) << "the ring never filled";

  // In use: the pcap PMD's copy of the capture (infinite_rx keeps it in mbufs of the
  // same pool), the ring, and at most two bursts per lcore (one in hand, one read ahead).
  const uint64_t replay = 256;
  const uint64_t bound = replay + capacity + 2 * kBurst * 2;
  uint64_t peak = 0;
  uint64_t before_slow_max_occupancy = 0;
  for (const LiveReport& l : r.samples) {
    if (l.state != "running") continue;
    peak = std::max(peak, l.json.at("totals").at("mbufs_in_use").get<uint64_t>());
    if (l.published_mono_ns < slow_start)
      before_slow_max_occupancy = std::max(before_slow_max_occupancy, RingOccupancy(l.json));
  }
  Figure("samples", r.samples.size());
  Figure("mbufs_in_use_peak", peak);
  Figure("mbufs_in_use_bound", bound);
  EXPECT_GT(peak, 0u);
  EXPECT_LE(peak, bound);

  // Recovery: from the end of the slowness to the first publish showing the ring drained.
  double recovery_ms = -1;
  for (const LiveReport& l : r.samples) {
    if (l.state == "running" && l.published_mono_ns >= slow_end && RingOccupancy(l.json) <= 2 * kBurst) {
      recovery_ms = double(l.published_mono_ns - slow_end) / 1e6;
      break;
    }
  }
  Figure("ring_occupancy_max_before_slowness", before_slow_max_occupancy);
  Figure("recovery_ms", recovery_ms);
  EXPECT_GE(recovery_ms, 0.0) << "the ring never drained after the slowness";
}

TEST(Faults, SlowSecondLcoreWithDropPolicyCountsEveryLossAsRingFull) {
  TempDir dir;
  const FaultRun r = SlowSecondLcore("drop", dir);
  ExpectCleanEnd(r);
  if (r.exit_code != 0) return;
  const json& t = r.stats.at("totals");
  const uint64_t ring_full = Drops(r.stats, "ring_full");
  // What was lost, by the devices: received by `in` and never sent by `out`.
  const uint64_t lost = PortCounter(r.stats, "in", "rx_packets") - PortCounter(r.stats, "out", "tx_packets");
  Figure("lost_by_devices", lost);
  Figure("counted_ring_full", ring_full);
  EXPECT_GT(ring_full, 0u);
  EXPECT_EQ(ring_full, lost);
  EXPECT_EQ(t.at("dropped").get<uint64_t>(), ring_full);
  // The ring's own counters say the same: what it refused, and what it carried.
  const json& ring = r.stats.at("rings").at(0);
  EXPECT_EQ(ring.at("dropped").get<uint64_t>(), ring_full);
  EXPECT_GT(ring.at("full_events").get<uint64_t>(), 0u);
  EXPECT_EQ(ring.at("packets").get<uint64_t>(), PortCounter(r.stats, "out", "tx_packets"));
  ExpectSlowStageBoundedAndRecovered(r);
}

TEST(Faults, SlowSecondLcoreWithBackpressureLosesNothingAndHoldsRxBack) {
  TempDir dir;
  const FaultRun r = SlowSecondLcore("backpressure", dir);
  ExpectCleanEnd(r);
  if (r.exit_code != 0) return;
  const json& t = r.stats.at("totals");
  EXPECT_EQ(t.at("dropped").get<uint64_t>(), 0u);
  EXPECT_EQ(PortCounter(r.stats, "in", "rx_packets"), PortCounter(r.stats, "out", "tx_packets"));
  const json& ring = r.stats.at("rings").at(0);
  EXPECT_GT(ring.at("full_events").get<uint64_t>(), 0u);
  EXPECT_EQ(ring.at("dropped").get<uint64_t>(), 0u);
  EXPECT_EQ(ring.at("packets").get<uint64_t>(), PortCounter(r.stats, "in", "rx_packets"));

  // RX is held back: while the second lcore is slow, RX takes in no more than
  // TX sends plus what the ring and the bursts in hand can hold.
  const json& slow = r.stats.at("faults").at("tx_slow");
  const uint64_t slow_start = slow.at("start_mono_ns").get<uint64_t>();
  const uint64_t slow_end = slow.at("end_mono_ns").get<uint64_t>();
  const LiveReport* first = nullptr;
  const LiveReport* last = nullptr;
  for (const LiveReport& l : r.samples) {
    if (l.state != "running" || l.published_mono_ns < slow_start || l.published_mono_ns > slow_end) continue;
    if (first == nullptr) first = &l;
    last = &l;
  }
  ASSERT_NE(first, nullptr);
  ASSERT_NE(first, last) << "fewer than two publishes during the slowness";
  const auto count = [](const LiveReport& l, const char* k) { return l.json.at("totals").at(k).get<uint64_t>(); };
  const uint64_t rx_during = count(*last, "rx_packets") - count(*first, "rx_packets");
  const uint64_t tx_during = count(*last, "tx_packets") - count(*first, "tx_packets");
  const uint64_t capacity = r.stats.at("rings").at(0).at("size").get<uint64_t>();
  Figure("rx_during_slowness", rx_during);
  Figure("tx_during_slowness", tx_during);
  EXPECT_LE(rx_during, tx_during + capacity + 4 * kBurst);
  ExpectSlowStageBoundedAndRecovered(r);
}

// ------------------------------------------------------------------ mempool exhaustion

TEST(Faults, PoolRunningDryCountsRxNombufAndTrafficResumes) {
  // A finite capture: net_pcap counts rx_nombuf when it reads a frame and has no
  // mbuf for it (the frame is lost). Its infinite_rx mode does not count them.
  // The second lcore sends at 2 us per packet, so the capture lasts ~0.2 s;
  // from 30 ms on, for 100 ms, a thread takes every mbuf the pool gives up.
  TempDir dir;
  const auto frames = framegen::UdpTraffic(6, 100'000, 64);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.layout = Layout::kPipeline;
  s.ring_policy = "backpressure";
  s.extra_yaml = kFastStats;
  const uint64_t n = frames.size();
  const FaultRun r = RunFaulted(
      s, frames, dir, "tx_slow=0+60000:2000,pool_hold=30+100", {"--duration", "25"},
      [n](const LiveReport& l) {
        const json& t = l.json.at("totals");
        // Every frame read (or lost for want of an mbuf), and nothing left in flight.
        return PortCounter(l.json, "in", "rx_packets") + PortCounter(l.json, "in", "rx_nombuf") == n &&
               t.at("rx_packets") == PortCounter(l.json, "in", "rx_packets") &&
               t.at("rx_packets").get<uint64_t>() ==
                   t.at("tx_packets").get<uint64_t>() + t.at("dropped").get<uint64_t>();
      });
  ExpectCleanEnd(r);
  if (r.exit_code != 0) return;
  const json& hold = r.stats.at("faults").at("pool_hold");
  const uint64_t nombuf = PortCounter(r.stats, "in", "rx_nombuf");
  const uint64_t received = PortCounter(r.stats, "in", "rx_packets");
  Figure("held_max_mbufs", hold.at("held_max").get<uint64_t>());
  Figure("rx_nombuf", nombuf);
  Figure("received", received);
  Figure("first_send_after_release_us", hold.at("first_send_after_release_us").get<double>());
  Figure("sent_after_release", hold.at("sent_after_release").get<uint64_t>());
  EXPECT_GT(hold.at("held_max").get<uint64_t>(), 0u);
  EXPECT_GT(nombuf, 0u);
  EXPECT_EQ(received + nombuf, n) << "every frame of the capture was received or counted as rx_nombuf";
  EXPECT_EQ(r.stats.at("totals").at("dropped").get<uint64_t>(), 0u) << "backpressure: nothing dropped inside";
  EXPECT_GE(hold.at("first_send_after_release_us").get<double>(), 0.0);
  EXPECT_GT(hold.at("sent_after_release").get<uint64_t>(), 0u) << "traffic did not resume";
  EXPECT_EQ(framegen::ReadPcap(dir.File(s.prefix + "-out.pcap")).size(),
            r.stats.at("totals").at("tx_packets").get<uint64_t>());
}

TEST(Faults, PoolAuditCatchesAPlantedDoubleFree) {
  // The control for ExpectCleanEnd's audit: one mbuf freed twice on purpose.
  // The pool then holds it twice, which mbufs_in_use (capped at the pool size)
  // and conservation cannot show; the audit must.
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;
  s.null_output = true;
  s.extra_yaml = kFastStats;
  const FaultRun r = RunFaulted(s, framegen::UdpTraffic(9, 256, 64), dir, "double_free=50+100", {"--duration", "0.4"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.stats.at("faults").at("double_freed"), 1);
  EXPECT_EQ(r.stats.at("totals").at("mbufs_in_use").get<uint64_t>(), 0u) << "the in-use count cannot see it";
  const json& pool = r.stats.at("faults").at("pool_audit").at(0);
  Figure("pool_audit", pool.dump());
  EXPECT_EQ(pool.at("duplicates").get<uint64_t>(), 1u);
  EXPECT_EQ(pool.at("objects_found").get<uint64_t>(), pool.at("size").get<uint64_t>() + 1);
  EXPECT_EQ(pool.at("missing").get<uint64_t>(), 0u);
}

TEST(Faults, BadFaultSpecIsAConfigError) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.rx_pcap = dir.File("in.pcap");
  s.tx_pcap = dir.File("out.pcap");
  const std::string config = dir.File("run.yaml");
  WriteText(config, s.Yaml());
  const ScopedEnv env("INGESTD_FAULTS", "tx_stall=100");
  Child child({FaultBinary(), "-c", config, "--duration", "1"}, dir, "ingestd");
  EXPECT_EQ(child.Wait(30s), 2);
  EXPECT_NE(child.Stderr().find("INGESTD_FAULTS: bad item 'tx_stall=100'"), std::string::npos) << child.Stderr();
}

}  // namespace
}  // namespace ingestd::testing
