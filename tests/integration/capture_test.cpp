// SPDX-License-Identifier: BSD-3-Clause
// Capture from a running instance: Debian's dpdk-dumpcap as a secondary process on
// hugepages, and ingestd's own drop capture (pcapng, the reason as each packet's
// comment), both read back with tshark.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "poll.hpp"
#include "ingestd/dataplane/eal.hpp"
#include "ingestd/dataplane/hugepages.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/verdict.hpp"
#include "live_stats.hpp"
#include "netns.hpp"
#include "tshark_fields.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kNrHugepages = "/proc/sys/vm/nr_hugepages";
constexpr const char* kHugepageMount = "/dev/hugepages";

std::optional<uint64_t> ReadNumber(const char* path) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

bool WriteNumber(const char* path, uint64_t v) {
  std::ofstream out(path);
  out << v << "\n";
  out.flush();
  return static_cast<bool>(out);
}

/// Makes `pages` free 2 MB hugepages and a hugetlbfs at /dev/hugepages for one test,
/// and puts nr_hugepages back (and unmounts what it mounted) when it goes, however
/// the test ends.
class HugepageGuard {
 public:
  explicit HugepageGuard(uint64_t pages) {
    previous_ = ReadNumber(kNrHugepages);
    if (!previous_) {
      error = fmt::format("cannot read {}", kNrHugepages);
      return;
    }
    const dataplane::HugepageInfo info = dataplane::ProbeHugepages();
    if (info.page_size_kb != 2048) {
      error = fmt::format("default hugepage size is {} kB, not 2048", info.page_size_kb);
      return;
    }
    if (info.free_pages < pages && !WriteNumber(kNrHugepages, *previous_ + (pages - info.free_pages))) {
      error = fmt::format("cannot write {} (run as root)", kNrHugepages);
      return;
    }
    const std::vector<std::string> mounts = dataplane::HugetlbfsMounts();
    if (std::find(mounts.begin(), mounts.end(), kHugepageMount) == mounts.end()) {
      std::error_code ec;
      fs::create_directories(kHugepageMount, ec);
      if (mount("nodev", kHugepageMount, "hugetlbfs", 0, nullptr) != 0) {
        error = fmt::format("cannot mount hugetlbfs at {}: {}", kHugepageMount, strerror(errno));
        return;
      }
      mounted_ = true;
    }
    const uint64_t free_now = dataplane::ProbeHugepages().free_pages;
    if (free_now < pages) error = fmt::format("the kernel gave {} free hugepages of the {} asked", free_now, pages);
  }
  ~HugepageGuard() {
    // Busy only if a process outside this test started on it meanwhile: then it is
    // detached, and that process keeps its mapping.
    if (mounted_ && umount(kHugepageMount) != 0) umount2(kHugepageMount, MNT_DETACH);
    if (previous_) WriteNumber(kNrHugepages, *previous_);
  }
  HugepageGuard(const HugepageGuard&) = delete;
  HugepageGuard& operator=(const HugepageGuard&) = delete;

  std::string error;  // empty: ready

 private:
  std::optional<uint64_t> previous_;
  bool mounted_ = false;
};

/// dpdk-dumpcap gives EAL only --proc-type secondary, --log-level notice and its
/// --file-prefix (app/dumpcap/main.c, dpdk_init): it cannot be told --no-pci, and
/// EAL's PCI scan would find this machine's NIC. So it runs in a mount namespace of
/// its own (unshare --mount, private propagation: nothing leaks back to the host)
/// with an empty directory bind-mounted over /sys/bus/pci/devices, the directory
/// the scan lists. The shell checks that the directory is empty before it execs
/// dumpcap (exit 97 otherwise): the scan finds no device, so none can be probed.
std::vector<std::string> WithoutPciDevices(const std::string& empty_dir, const std::vector<std::string>& argv) {
  std::vector<std::string> out{FindProgram("unshare"), "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                               "mount --bind \"$1\" /sys/bus/pci/devices && [ -z \"$(ls -A /sys/bus/pci/devices)\" ]"
                               " || exit 97; shift; exec \"$@\"",
                               "sh", empty_dir};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

/// The frames of a pcapng as tshark reads them: tshark rewrites it as pcap, libpcap reads that.
std::vector<Bytes> FramesViaTshark(const std::string& pcapng, TempDir& dir) {
  const std::string pcap = pcapng + ".pcap";
  Child tshark({FindProgram("tshark"), "-r", pcapng, "-F", "pcap", "-w", pcap}, dir, "tshark-convert");
  EXPECT_EQ(tshark.Wait(60s), 0) << tshark.Stderr();
  return fs::exists(pcap) ? framegen::ReadPcap(pcap) : std::vector<Bytes>{};
}

uint64_t Counter(const nlohmann::json& stats, const std::string& name) {
  uint64_t n = 0;
  for (const auto& l : stats.at("lcores")) n += l.at("counters").at(name).get<uint64_t>();
  return n;
}

// --- dpdk-dumpcap against a running instance -------------------------------------------

// The traffic is exactly kCount frames, sent once dumpcap is attached: dumpcap stops at
// the last one, when no more arrive. Stopping it under traffic is not safe with DPDK
// 22.11: dumpcap frees its ring and pool as soon as rte_pdump_disable returns, while a
// worker may still be inside the capture callback copying into them (seen here as a
// SIGSEGV in rte_pcapng_copy on ingestd's lcore when dumpcap -c N stopped under
// net_pcap infinite_rx; later DPDK waits for callbacks in use before replying). So the
// frames come from tcpreplay, bounded in count and rate, on a veth pair in a namespace of
// the test's own, and ingestd reads them with net_af_packet.
TEST(Dumpcap, CapturesWhatARunningInstanceOnHugepagesReceives) {
  const std::string dumpcap = "/usr/bin/dpdk-dumpcap";
  ASSERT_TRUE(fs::exists(dumpcap)) << "Debian's dpdk-dev ships " << dumpcap << ": apt-get install dpdk-dev";
  ASSERT_FALSE(FindProgram("tcpreplay").empty()) << "apt-get install tcpreplay";
  HugepageGuard huge(256);
  ASSERT_TRUE(huge.error.empty()) << huge.error;
  TempDir dir;
  NetNamespace ns(CurrentTestName());  // before the processes in it
  ns.AddVethPair("d0", "d1");
  const std::string empty = dir.File("no-pci-devices");
  fs::create_directory(empty);

  constexpr unsigned kCount = 200;
  const std::vector<Bytes> frames = framegen::UdpTraffic(5, kCount, 128);  // each its own flow
  const std::string prefix = UniquePrefix(CurrentTestName());
  dir.OwnSegment(prefix);
  struct RuntimeFiles {  // a killed primary leaves these behind: remove this prefix's only
    std::string prefix;
    ~RuntimeFiles() { dataplane::RemoveRuntimeFiles("/var/run/dpdk/" + prefix); }
  } runtime_files{prefix};
  const std::string config = dir.File("dumpcap.yaml");
  const std::string stats_path = dir.File("dumpcap-stats.json");
  ConfigBuilder yaml(prefix);
  yaml.Eal("hugepages", "require");  // a secondary process maps the primary's hugepages
  // at the primary's addresses: far from both processes' libraries, or an ASan build's
  // shadow memory moves EAL's default to where dumpcap's libraries may be.
  yaml.Eal("base_virtaddr", "0x200000000000");
  yaml.Port("in", "net_af_packet0").Arg("iface", "d1").Queues(1, 1);
  yaml.Port("out", "net_null1").Queues(0, 1);
  yaml.Mempool(8191).Chain({"in"});
  WriteText(config, yaml.Route("in", "out").Yaml());

  Child ingestd(ns.Exec({IngestdBinary(), "-c", config, "--duration", "60", "--final-stats", stats_path}), dir,
                "ingestd");
  ASSERT_TRUE(PollUntil([&] { return ingestd.Stdout().find("ingestd: running") != std::string::npos; }, 30s))
      << ingestd.Stdout() << ingestd.Stderr();
  EXPECT_EQ(ingestd.Stdout().find("(no hugepages)"), std::string::npos) << "ingestd must run on hugepages";

  // The secondary sees ingestd's two virtual ports and nothing else: no PCI device.
  Child list(WithoutPciDevices(empty, {dumpcap, "--file-prefix=" + prefix, "-D"}), dir, "dumpcap-list");
  ASSERT_EQ(list.Wait(30s), 0) << list.Stdout() << list.Stderr();
  std::vector<std::string> listed;  // "<port>. <name>" lines (EAL's notices may share stdout)
  std::istringstream lines(list.Stdout());
  for (std::string l; std::getline(lines, l);)
    if (!l.empty() && std::isdigit(static_cast<unsigned char>(l[0])) && l.find(". ") != std::string::npos)
      listed.push_back(l);
  EXPECT_EQ(listed, (std::vector<std::string>{"0. net_af_packet0", "1. net_null1"})) << list.Stdout()
                                                                                      << list.Stderr();

  // -p: leave the port's promiscuous mode as the primary set it. dumpcap prints
  // "Packets captured:" once rte_pdump is enabled on the port.
  const std::string out = dir.File("dumpcap.pcapng");
  Child cap(WithoutPciDevices(empty, {dumpcap, "--file-prefix=" + prefix, "-i", "net_af_packet0", "-p", "-c",
                                      std::to_string(kCount), "-w", out}),
            dir, "dumpcap");
  ASSERT_TRUE(PollUntil([&] { return cap.Stderr().find("Packets captured:") != std::string::npos; }, 30s))
      << cap.Stdout() << cap.Stderr();
  const std::string replay_pcap = dir.File("replay.pcap");
  framegen::WritePcap(replay_pcap, frames);
  Child replay(ns.Exec({FindProgram("tcpreplay"), "-i", "d0", "--pps=1000", replay_pcap}), dir, "tcpreplay");
  EXPECT_EQ(replay.Wait(30s), 0) << replay.Stdout() << replay.Stderr();
  const int cap_rc = cap.Wait(30s);
  ingestd.Signal(SIGTERM);
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stdout() << ingestd.Stderr();
  ASSERT_EQ(cap_rc, 0) << cap.Stdout() << cap.Stderr();
  EXPECT_NE(cap.Stderr().find("Packets received/dropped on interface 'net_af_packet0': 200/0"), std::string::npos)
      << cap.Stderr();

  // tshark reads the pcapng: kCount Ethernet frames, the frames sent, in order. (The
  // interface's name in the file is not checked: 22.11's rte_pcapng names it after the
  // port's kernel ifindex, which dumpcap resolves in its own network namespace.)
  const auto rows = TsharkFields(out, {"frame.len", "frame.protocols"}, dir);
  ASSERT_EQ(rows.size(), kCount);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], std::to_string(frames[i].size()));
    EXPECT_TRUE(rows[i][1].starts_with("eth:ethertype:ip:udp")) << rows[i][1];
  }
  EXPECT_EQ(FramesViaTshark(out, dir), frames);

  // The primary was not disturbed: it received the same frames, forwarded every one, every mbuf is back.
  const nlohmann::json stats = ReadJson(stats_path);
  ExpectConserved(stats);
  EXPECT_EQ(stats.at("totals").at("rx_packets").get<uint64_t>(), uint64_t{kCount});
  EXPECT_EQ(stats.at("totals").at("tx_packets").get<uint64_t>(), uint64_t{kCount});
  EXPECT_EQ(stats.at("totals").at("dropped").get<uint64_t>(), 0u);
  EXPECT_NE(ingestd.Stdout().find("mbufs in use at exit: 0 of"), std::string::npos) << ingestd.Stdout();
}

// --- the drop capture ------------------------------------------------------------------

/// MixedTraffic's frames and, in order, the reasons ingestd must give the malformed ones.
struct DropMix {
  std::vector<Bytes> frames;
  std::vector<Bytes> dropped;         // the malformed frames, in input order
  std::vector<std::string> reasons;   // "malformed:<verdict>", parallel to `dropped`
};

DropMix MakeDropMix(size_t count) {
  DropMix mix;
  for (const auto& f : framegen::MixedTraffic(23, count)) {
    mix.frames.push_back(f.bytes);
    if (f.expected == packet::ParseVerdict::kOk) continue;
    mix.dropped.push_back(f.bytes);
    mix.reasons.push_back("malformed:" + std::string(packet::VerdictName(f.expected)));
  }
  return mix;
}

std::string CaptureYaml(const std::string& file, const std::string& extra_drops = "", unsigned ring_size = 0) {
  std::string y = "capture:\n";
  if (ring_size != 0) y += fmt::format("  ring_size: {}\n", ring_size);
  return y + fmt::format("  drops:\n    file: {}\n{}", file, extra_drops);
}

TEST(DropCapture, EveryDropIsWrittenWithItsReasonPortAndLcore) {
  TempDir dir;
  const DropMix mix = MakeDropMix(1400);
  ASSERT_GE(std::set<std::string>(mix.reasons.begin(), mix.reasons.end()).size(), 8u);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const std::string file = dir.File("drops.pcapng");
  s.extra_yaml = CaptureYaml(file);
  const Outcome o = RunScenario(s, mix.frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ExpectConserved(o.stats);  // captured drops are still drops, and their mbufs are back
  const uint64_t dropped = o.stats.at("totals").at("dropped").get<uint64_t>();
  ASSERT_EQ(dropped, mix.dropped.size());

  const auto rows = TsharkFields(file, {"frame.comment", "frame.interface_name", "frame.len", "frame.cap_len"}, dir);
  ASSERT_EQ(rows.size(), dropped);
  std::map<std::string, uint64_t> per_reason;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], fmt::format("drop: {}; port in; lcore 1", mix.reasons[i])) << "frame " << i + 1;
    EXPECT_EQ(rows[i][1], "in");
    EXPECT_EQ(rows[i][2], std::to_string(mix.dropped[i].size()));
    EXPECT_EQ(rows[i][3], rows[i][2]) << "whole frames: the default snap length is 65535";
    const std::string& c = rows[i][0];
    const size_t from = c.find(' ') + 1;
    ++per_reason[c.substr(from, c.find(';') - from)];
  }
  for (const auto& [reason, n] : o.stats.at("totals").at("drops").items())
    EXPECT_EQ(per_reason[reason], n.get<uint64_t>()) << reason;
  EXPECT_EQ(FramesViaTshark(file, dir), mix.dropped);  // byte for byte, in order

  EXPECT_EQ(Counter(o.stats, "drop_capture_queued"), dropped);
  EXPECT_EQ(Counter(o.stats, "drop_capture_written"), dropped);
  EXPECT_EQ(Counter(o.stats, "drop_capture_missed"), 0u);
  EXPECT_EQ(Counter(o.stats, "drop_capture_filtered"), 0u);
  EXPECT_EQ(Counter(o.stats, "drop_capture_discarded"), 0u);
  EXPECT_NE(o.run.out.find("mbufs in use at exit: 0 of"), std::string::npos) << o.run.out;
}

/// The frames of `frames` that libpcap's `filter` selects.
std::vector<Bytes> Selected(const std::vector<Bytes>& frames, const std::string& filter) {
  pcap_t* p = pcap_open_dead(DLT_EN10MB, 65535);
  bpf_program program{};
  EXPECT_EQ(pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0) << pcap_geterr(p);
  std::vector<Bytes> out;
  for (const Bytes& f : frames) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<uint32_t>(f.size());
    if (pcap_offline_filter(&program, &h, f.data()) != 0) out.push_back(f);
  }
  pcap_freecode(&program);
  pcap_close(p);
  return out;
}

TEST(DropCapture, AFilterSelectsExactlyTheDropsItMatches) {
  TempDir dir;
  const DropMix mix = MakeDropMix(1400);
  const std::vector<Bytes> udp = Selected(mix.dropped, "udp");
  ASSERT_GT(udp.size(), 0u);
  ASSERT_LT(udp.size(), mix.dropped.size());
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const std::string file = dir.File("udp-drops.pcapng");
  s.extra_yaml = CaptureYaml(file, "    filter: udp\n    snaplen: 64\n");
  const Outcome o = RunScenario(s, mix.frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ExpectConserved(o.stats);

  const auto rows = TsharkFields(file, {"frame.len", "frame.cap_len"}, dir);
  ASSERT_EQ(rows.size(), udp.size());
  std::vector<Bytes> snapped;
  for (size_t i = 0; i < udp.size(); ++i) {
    EXPECT_EQ(rows[i][0], std::to_string(udp[i].size()));
    EXPECT_EQ(rows[i][1], std::to_string(std::min<size_t>(udp[i].size(), 64)));
    snapped.push_back(Bytes(udp[i].begin(), udp[i].begin() + static_cast<long>(std::min<size_t>(udp[i].size(), 64))));
  }
  EXPECT_EQ(FramesViaTshark(file, dir), snapped);
  EXPECT_EQ(Counter(o.stats, "drop_capture_written"), udp.size());
  EXPECT_EQ(Counter(o.stats, "drop_capture_filtered"), mix.dropped.size() - udp.size());
  EXPECT_EQ(Counter(o.stats, "drop_capture_written") + Counter(o.stats, "drop_capture_filtered") +
                Counter(o.stats, "drop_capture_missed"),
            o.stats.at("totals").at("dropped").get<uint64_t>());
}

/// Frames parse drops, all for one reason: cut inside the IPv4 header (truncated_ipv4).
std::vector<Bytes> Malformed(size_t count) {
  std::vector<Bytes> out;
  for (const Bytes& f : framegen::UdpTraffic(9, count, 128)) out.push_back(framegen::Truncated(f, 20));
  return out;
}

TEST(DropCapture, ATinyRingUnderABurstOfDropsMissesAndNeverWaits) {
  TempDir dir;
  const std::vector<Bytes> frames = Malformed(20000);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const std::string file = dir.File("burst.pcapng");
  s.extra_yaml = CaptureYaml(file, "    packets: 1000000\n", 16);
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ExpectConserved(o.stats);
  const uint64_t dropped = o.stats.at("totals").at("dropped").get<uint64_t>();
  ASSERT_EQ(dropped, frames.size());
  const uint64_t missed = Counter(o.stats, "drop_capture_missed");
  const uint64_t written = Counter(o.stats, "drop_capture_written");
  EXPECT_GT(missed, 0u) << "20,000 drops at full speed into a 16-slot ring";
  EXPECT_EQ(Counter(o.stats, "drop_capture_queued") + missed, dropped);
  EXPECT_EQ(written + missed + Counter(o.stats, "drop_capture_filtered"), dropped);
  EXPECT_EQ(TsharkFields(file, {"frame.len"}, dir).size(), written);
  EXPECT_NE(o.run.out.find("mbufs in use at exit: 0 of"), std::string::npos) << o.run.out;
}

TEST(DropCapture, StopsAtItsPacketLimitAndFreesTheRest) {
  TempDir dir;
  const std::vector<Bytes> frames = Malformed(2000);
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  const std::string file = dir.File("limit.pcapng");
  s.extra_yaml = CaptureYaml(file, "    packets: 5\n");
  const Outcome o = RunScenario(s, frames, dir);
  ASSERT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  ExpectConserved(o.stats);
  EXPECT_EQ(TsharkFields(file, {"frame.comment"}, dir).size(), 5u);
  EXPECT_EQ(Counter(o.stats, "drop_capture_written"), 5u);
  // A burst of 32 drops reaches the ring at once: past the 5th, the capture has stopped.
  const uint64_t queued = Counter(o.stats, "drop_capture_queued");
  EXPECT_GE(Counter(o.stats, "drop_capture_discarded"), 27u);
  EXPECT_EQ(Counter(o.stats, "drop_capture_discarded") + 5, queued);
  EXPECT_NE(o.run.err.find("drop capture stopped (packet limit reached): 5 packets written"), std::string::npos)
      << o.run.err;
}

TEST(DropCapture, StartsAndStopsAtRunTimeThroughTelemetry) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.infinite_rx = true;  // drops go on until the test stops it
  s.null_output = true;
  const ScenarioFiles files = WriteScenario(s, Malformed(64), dir);
  Child ingestd({IngestdBinary(), "-c", files.config, "--duration", "60", "--final-stats", files.stats}, dir,
                "ingestd");
  ASSERT_TRUE(PollUntil([&] { return ingestd.Stdout().find("ingestd: running") != std::string::npos; }, 30s))
      << ingestd.Stdout() << ingestd.Stderr();
  const std::string cmd = "/ingestd/drop_capture";
  const auto reply = [&](const std::string& params) {
    const nlohmann::json r = TelemetryCommand(s.prefix, cmd + "," + params);
    return r.is_object() && r.contains(cmd) ? r.at(cmd) : nlohmann::json();
  };

  nlohmann::json r = reply("status");
  EXPECT_EQ(r.value("state", ""), "stopped") << r.dump();
  r = reply("start file=" + dir.File("bad.pcapng") + " filter=udp and and");
  EXPECT_NE(r.value("error", "").find("syntax error"), std::string::npos) << r.dump();
  r = reply("start packets=5");
  EXPECT_NE(r.value("error", "").find("file=PATH"), std::string::npos) << r.dump();

  // Started: it stops itself at its limit.
  const std::string first = dir.File("first.pcapng");
  r = reply("start file=" + first + " packets=50");
  EXPECT_EQ(r.value("state", ""), "running") << r.dump();
  EXPECT_TRUE(PollUntil([&] { return reply("status").value("state", "") == "stopped"; }, 20s));
  EXPECT_EQ(reply("status").value("written", uint64_t{0}), 50u);

  // Started again, stopped by command.
  const std::string second = dir.File("second.pcapng");
  r = reply("start file=" + second + " packets=1000000000 snaplen=64");
  EXPECT_EQ(r.value("state", ""), "running") << r.dump();
  EXPECT_TRUE(PollUntil([&] { return reply("status").value("written", uint64_t{0}) >= 100; }, 20s));
  r = reply("stop");
  EXPECT_EQ(r.value("state", ""), "stopped") << r.dump();
  const uint64_t second_written = r.value("written", uint64_t{0});
  EXPECT_GE(second_written, 100u);

  ingestd.Signal(SIGTERM);
  ASSERT_EQ(ingestd.Wait(30s), 0) << ingestd.Stdout() << ingestd.Stderr();
  const nlohmann::json stats = ReadJson(files.stats);
  ExpectConserved(stats);
  EXPECT_EQ(TsharkFields(first, {"frame.comment"}, dir).size(), 50u);
  const auto rows = TsharkFields(second, {"frame.comment", "frame.cap_len"}, dir);
  EXPECT_EQ(rows.size(), second_written);
  for (const auto& row : rows) {
    EXPECT_EQ(row[0], "drop: malformed:truncated_ipv4; port in; lcore 1");
    EXPECT_EQ(row[1], "20");
  }
  EXPECT_EQ(Counter(stats, "drop_capture_written"), 50 + second_written);
  EXPECT_EQ(Counter(stats, "drop_capture_queued"),
            Counter(stats, "drop_capture_written") + Counter(stats, "drop_capture_discarded") +
                Counter(stats, "drop_capture_filtered"));
  EXPECT_NE(ingestd.Stdout().find("mbufs in use at exit: 0 of"), std::string::npos) << ingestd.Stdout();
}

TEST(DropCapture, ABadFilterInTheConfigIsAnErrorAtItsLine) {
  TempDir dir;
  Scenario s;
  s.prefix = UniquePrefix(CurrentTestName());
  s.extra_yaml = CaptureYaml(dir.File("x.pcapng"), "    filter: udp port\n");
  const ScenarioFiles files = WriteScenario(s, Malformed(1), dir);
  const RunResult r = RunIngestd({"--check-config", files.config}, dir, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  // The filter is the config's last line but one: find its line number.
  std::ifstream in(files.config);
  int line = 0, filter_line = 0;
  for (std::string l; std::getline(in, l);)
    if (++line, l.find("filter: udp port") != std::string::npos) filter_line = line;
  ASSERT_GT(filter_line, 0);
  EXPECT_NE(r.err.find(fmt::format("{}:{}:13: filter 'udp port': ", files.config, filter_line)), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("syntax error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.File("x.pcapng")));
}

}  // namespace
}  // namespace ingestd::testing
