// SPDX-License-Identifier: BSD-3-Clause
// Flow export into real collectors, started by the test on loopback: nfdump's nfcapd
// (read back with nfdump) and pmacct's nfacctd (print plugin, JSON), over IPv4 and IPv6;
// each reports exactly the flows, packets and IP bytes sent. And a collector that starts
// after ingestd sent its first templates still decodes every flow, thanks to the refresh.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "flow_traffic.hpp"
#include "harness.hpp"
#include "poll.hpp"
#include "live_stats.hpp"
#include "netns.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using namespace std::chrono_literals;

/// A UDP socket on loopback (127.0.0.1 or ::1), port of the kernel's choosing.
class UdpListener {
 public:
  explicit UdpListener(bool v6) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage a{};
    socklen_t len = 0;
    if (v6) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&a);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_loopback;
      len = sizeof *a6;
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a4;
    }
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0)
      throw std::runtime_error(fmt::format("cannot bind a UDP socket on loopback: {}", strerror(errno)));
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~UdpListener() { Close(); }
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  uint16_t port() const { return port_; }
  /// The next datagram, or nothing at `limit`.
  Bytes Receive(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(limit.count())) != 1) return {};
    Bytes d(65536);
    const ssize_t n = recv(fd_, d.data(), d.size(), 0);
    d.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return d;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/// A loopback UDP port nobody holds now: the collector binds it next.
uint16_t FreeUdpPort(bool v6) { return UdpListener(v6).port(); }

/// The kernel's view of the UDP socket bound to local `port` (/proc/net/udp, udp6).
struct UdpSocketState {
  bool bound = false;
  uint64_t rx_queue = 0;  // bytes received and not read yet by the owner
  uint64_t drops = 0;     // datagrams the socket dropped (receive buffer full)
};

UdpSocketState UdpSocket(uint16_t port, bool v6) {
  std::ifstream in(v6 ? "/proc/net/udp6" : "/proc/net/udp");
  std::string line;
  std::getline(in, line);  // the header
  UdpSocketState s;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st, queues, tr, retransmits, uid, timeout, inode, ref, pointer;
    uint64_t drops = 0;
    f >> sl >> local >> remote >> st >> queues >> tr >> retransmits >> uid >> timeout >> inode >> ref >> pointer >> drops;
    const size_t colon = local.rfind(':');
    if (colon == std::string::npos || std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
    s.bound = true;
    s.rx_queue = std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
    s.drops = drops;
  }
  return s;
}

/// A flow as a collector reported it.
struct Reported {
  std::string src;
  std::string exporter;  // the address the collector saw the IPFIX come from
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

/// A collector process of the test's, bound to loopback. Stopping it waits until it has
/// read everything queued on its socket, then signals it (it flushes its output).
class CollectorProcess {
 public:
  virtual ~CollectorProcess() = default;
  uint16_t port() const { return port_; }
  bool v6() const { return v6_; }
  /// Stopped with `signal`; returns its exit status.
  int Stop(int signal) {
    const bool drained = PollUntil([&] { return UdpSocket(port_, v6_).rx_queue == 0; }, 20s);
    EXPECT_TRUE(drained) << name_ << " did not read its socket";
    socket_drops_ = UdpSocket(port_, v6_).drops;
    child_->Signal(signal);
    return child_->Wait(20s);
  }
  uint64_t socket_drops() const { return socket_drops_; }
  std::string Output() const { return child_->Stdout() + child_->Stderr(); }

 protected:
  CollectorProcess(std::string name, bool v6, uint16_t port) : name_(std::move(name)), v6_(v6), port_(port) {}
  /// Starts `argv` and waits until its socket is bound.
  void Start(const std::vector<std::string>& argv, const TempDir& dir) {
    child_ = std::make_unique<Child>(argv, dir, name_);
    const bool bound = PollUntil([&] { return UdpSocket(port_, v6_).bound || Exited(child_->pid()); }, 20s) &&
                       UdpSocket(port_, v6_).bound;
    if (!bound) throw std::runtime_error(fmt::format("{} did not bind UDP port {}: {}", name_, port_, Output()));
  }

  std::string name_;
  bool v6_;
  uint16_t port_;
  std::unique_ptr<Child> child_;
  uint64_t socket_drops_ = 0;
};

/// nfdump's collector: nfcapd -w DIR into the TempDir, one file per hour (-t 3600);
/// SIGTERM closes the file. The records are read back with nfdump -R DIR -o json.
class Nfcapd : public CollectorProcess {
 public:
  Nfcapd(const TempDir& dir, bool v6, uint16_t port) : CollectorProcess("nfcapd", v6, port), dir_(dir.File("nfcapd")) {
    const std::string nfcapd = FindProgram("nfcapd");
    if (nfcapd.empty()) throw std::runtime_error("install nfdump (Debian: nfdump) for nfcapd");
    std::filesystem::create_directories(dir_);
    Start({nfcapd, v6 ? "-6" : "-4", "-b", v6 ? "::1" : "127.0.0.1", "-p", std::to_string(port), "-w", dir_, "-t", "3600"},
          dir);
  }

  std::vector<Reported> Records(const TempDir& dir) const {
    Child nfdump({FindProgram("nfdump"), "-R", dir_, "-o", "json"}, dir, "nfdump");
    EXPECT_EQ(nfdump.Wait(60s), 0) << nfdump.Stderr();
    const std::string out = nfdump.Stdout();
    std::vector<Reported> records;
    if (out.find('{') == std::string::npos) return records;  // no flows: nfdump prints no array
    for (const auto& j : nlohmann::json::parse(out)) {
      if (j.value("type", "") != "FLOW") continue;
      Reported r;
      r.src = j.contains("src6_addr") ? j.at("src6_addr").get<std::string>() : j.value("src4_addr", "");
      r.exporter = j.contains("ip6_router") ? j.at("ip6_router").get<std::string>() : j.value("ip4_router", "");
      r.src_port = j.at("src_port").get<uint16_t>();
      r.dst_port = j.at("dst_port").get<uint16_t>();
      r.packets = j.at("in_packets").get<uint64_t>();
      r.bytes = j.at("in_bytes").get<uint64_t>();
      records.push_back(r);
    }
    return records;
  }

  /// nfcapd's own summary at exit: "Flows: N, Packets: N, Bytes: N, Sequence Errors: N, Bad Packets: N".
  std::vector<uint64_t> Summary() const {
    const std::string out = Output();
    const size_t at = out.find("Flows: ");
    if (at == std::string::npos) return {};
    const std::string line = out.substr(at, out.find('\n', at) - at);
    std::vector<uint64_t> figures;
    for (const char* label : {"Flows", "Packets", "Bytes", "Sequence Errors", "Bad Packets"}) {
      const std::optional<uint64_t> v = NumberAfter(line, label);
      if (!v) return {};
      figures.push_back(*v);
    }
    return figures;
  }

 private:
  std::string dir_;
};

/// pmacct's collector: nfacctd with a config in the TempDir, the print plugin writing
/// JSON lines (aggregated on the 5-tuple) every second, appended, with start and end
/// markers around each purge. It ignores SIGTERM (blocked in its core process); SIGINT
/// stops it, the plugin purging its cache first.
class Nfacctd : public CollectorProcess {
 public:
  Nfacctd(const TempDir& dir, bool v6, uint16_t port)
      : CollectorProcess("nfacctd", v6, port), output_(dir.File("nfacctd.json")) {
    const std::string nfacctd = FindProgram("nfacctd");
    if (nfacctd.empty()) throw std::runtime_error("install pmacct (Debian: pmacct) for nfacctd");
    const std::string config = dir.File("nfacctd.conf");
    WriteText(config, fmt::format(R"(daemonize: false
nfacctd_ip: {}
nfacctd_port: {}
plugins: print[flows]
aggregate[flows]: src_host, dst_host, src_port, dst_port, proto
print_output[flows]: json
print_output_file[flows]: {}
print_output_file_append[flows]: true
print_markers[flows]: true
print_refresh_time[flows]: 1
)",
                                  v6 ? "::1" : "127.0.0.1", port, output_));
    Start({nfacctd, "-f", config}, dir);
  }

  /// The purged entries, once every purge that began has ended (each purge is a writer
  /// process of the plugin's, which may outlive nfacctd by a moment).
  std::vector<Reported> Records() const {
    std::vector<nlohmann::json> lines;
    const bool complete = PollUntil(
        [&] {
          lines.clear();
          std::ifstream in(output_);
          int open = 0;
          for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            lines.push_back(nlohmann::json::parse(line, nullptr, false));
            const std::string event = lines.back().is_object() ? lines.back().value("event_type", "") : "";
            open += event == "purge_init" ? 1 : event == "purge_close" ? -1 : 0;
          }
          return open == 0;
        },
        20s);
    EXPECT_TRUE(complete) << "a purge of nfacctd's never ended: " << output_;
    std::vector<Reported> records;
    for (const auto& j : lines) {
      if (!j.is_object() || j.value("event_type", "") != "purge") continue;
      Reported r;
      r.src = j.at("ip_src").get<std::string>();
      r.src_port = j.at("port_src").get<uint16_t>();
      r.dst_port = j.at("port_dst").get<uint16_t>();
      r.packets = j.at("packets").get<uint64_t>();
      r.bytes = j.at("bytes").get<uint64_t>();
      records.push_back(r);
    }
    return records;
  }

 private:
  std::string output_;
};

std::string CollectorAddress(bool v6, uint16_t port) {
  return v6 ? fmt::format("[::1]:{}", port) : fmt::format("127.0.0.1:{}", port);
}

std::string SourceOf(uint16_t sport) {
  const unsigned i = sport - 10000u;
  return i % 5 == 0 ? "fd00::1" : fmt::format("10.7.{}.{}", i / 250, i % 250 + 1);
}

/// Every flow sent reported once, with its packets and IP bytes; and the totals.
void ExpectTheTraffic(const std::vector<Reported>& records, const Traffic& traffic, const std::string& who) {
  uint64_t packets = 0, bytes = 0;
  std::map<uint16_t, FlowTotals> seen;
  for (const Reported& r : records) {
    packets += r.packets;
    bytes += r.bytes;
    FlowTotals& s = seen[r.src_port];
    s.packets += r.packets;
    s.ip_bytes += r.bytes;
    EXPECT_EQ(r.src, SourceOf(r.src_port)) << who;
    EXPECT_EQ(r.dst_port, 53) << who;
  }
  std::printf("[ figure   ] %s: %zu flows, %llu packets, %llu bytes; sent %zu flows, %llu packets, %llu IP bytes "
              "(%llu frame bytes)\n",
              who.c_str(), records.size(), static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes), traffic.per_flow.size(),
              static_cast<unsigned long long>(traffic.total.packets),
              static_cast<unsigned long long>(traffic.total.ip_bytes),
              static_cast<unsigned long long>(traffic.total.bytes));
  EXPECT_EQ(records.size(), traffic.per_flow.size()) << who;
  EXPECT_EQ(packets, traffic.total.packets) << who;
  EXPECT_EQ(bytes, traffic.total.ip_bytes) << who << ": octetDeltaCount is IP header and payload (RFC 7012)";
  ASSERT_EQ(seen.size(), traffic.per_flow.size()) << who;
  for (const auto& [sport, sent] : traffic.per_flow) {
    EXPECT_EQ(seen[sport].packets, sent.packets) << who << " flow from port " << sport;
    EXPECT_EQ(seen[sport].ip_bytes, sent.ip_bytes) << who << " flow from port " << sport;
  }
}

/// Runs `traffic` through ingestd to completion with flows exported to `collector_address`.
nlohmann::json RunToCollector(const Traffic& traffic, const std::string& collector_address, TempDir& dir,
                              const std::string& name, const std::string& extra_flows_yaml = "") {
  const std::string prefix = UniquePrefix(name);
  dir.OwnSegment(prefix);
  const std::string input = dir.File(name + ".pcap");
  framegen::WritePcap(input, traffic.frames);
  const std::string config = dir.File(name + ".yaml");
  WriteText(config, FlowsConfigYaml(prefix, input,
                                    fmt::format(R"(idle_timeout_ms: 60000, ipfix: "{}", domain_id: 7{})",
                                                collector_address, extra_flows_yaml)));
  const std::string stats = dir.File(name + ".json");
  const RunResult r = RunIngestd({"-c", config, "--packets", std::to_string(traffic.frames.size()), "--duration",
                                  "60", "--final-stats", stats},
                                 dir, 90s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json report = ReadJson(stats);
  ExpectConserved(report);
  const auto& fe = report.at("flow_export");
  EXPECT_EQ(fe.at("records").get<uint64_t>(), traffic.per_flow.size());
  EXPECT_EQ(fe.at("ipfix_send_errors").get<uint64_t>(), 0u);
  EXPECT_GE(fe.at("ipfix_template_messages").get<uint64_t>(), 1u);
  std::printf("[ figure   ] ingestd: %llu IPFIX messages, %llu of them with templates\n",
              static_cast<unsigned long long>(fe.at("ipfix_messages").get<uint64_t>()),
              static_cast<unsigned long long>(fe.at("ipfix_template_messages").get<uint64_t>()));
  return report;
}

void NfcapdReportsTheTraffic(bool v6) {
  TempDir dir;
  const Traffic traffic = MakeTraffic(400);
  Nfcapd nfcapd(dir, v6, FreeUdpPort(v6));
  RunToCollector(traffic, CollectorAddress(v6, nfcapd.port()), dir, v6 ? "nfcapd6" : "nfcapd4");
  EXPECT_EQ(nfcapd.Stop(SIGTERM), 0) << nfcapd.Output();
  EXPECT_EQ(nfcapd.socket_drops(), 0u);
  const std::vector<Reported> records = nfcapd.Records(dir);
  ExpectTheTraffic(records, traffic, v6 ? "nfcapd on [::1]" : "nfcapd on 127.0.0.1");
  for (const Reported& r : records) EXPECT_EQ(r.exporter, v6 ? "::1" : "127.0.0.1") << "the IPFIX arrived over IPv6";
  // nfcapd's own count: no sequence number gaps, no packet it could not parse.
  const std::vector<uint64_t> summary = nfcapd.Summary();
  ASSERT_EQ(summary.size(), 5u) << nfcapd.Output();
  EXPECT_EQ(summary[0], traffic.per_flow.size());
  EXPECT_EQ(summary[1], traffic.total.packets);
  EXPECT_EQ(summary[2], traffic.total.ip_bytes);
  EXPECT_EQ(summary[3], 0u) << "sequence errors";
  EXPECT_EQ(summary[4], 0u) << "bad packets";
}

TEST(Collectors, NfcapdOnIpv4CountsEveryFlowPacketAndIpByte) { NfcapdReportsTheTraffic(false); }

TEST(Collectors, NfcapdOnIpv6LoopbackCountsEveryFlowPacketAndIpByte) { NfcapdReportsTheTraffic(true); }

TEST(Collectors, NfacctdCountsEveryFlowPacketAndIpByte) {
  TempDir dir;
  const Traffic traffic = MakeTraffic(400);
  Nfacctd nfacctd(dir, false, FreeUdpPort(false));
  RunToCollector(traffic, CollectorAddress(false, nfacctd.port()), dir, "nfacctd");
  EXPECT_EQ(nfacctd.Stop(SIGINT), 0) << nfacctd.Output();
  EXPECT_EQ(nfacctd.socket_drops(), 0u);
  ExpectTheTraffic(nfacctd.Records(), traffic, "nfacctd on 127.0.0.1");
}

/// ingestd runs with its flows in the table (exported at the end) and the collector's
/// port first held by the test, which sees the first templates and closes; then the
/// collector starts on that port. Returns what it decoded of the end-of-run export.
struct LateCollector {
  std::vector<Reported> records;
  nlohmann::json stats;
};

LateCollector RunWithALateCollector(const Traffic& traffic, const std::string& refresh_yaml, bool wait_for_refresh,
                                    TempDir& dir, const std::string& name) {
  UdpListener first(false);
  const uint16_t port = first.port();
  const std::string prefix = UniquePrefix(name);
  dir.OwnSegment(prefix);
  const std::string input = dir.File(name + ".pcap");
  framegen::WritePcap(input, traffic.frames);
  const std::string config = dir.File(name + ".yaml");
  WriteText(config, FlowsConfigYaml(prefix, input,
                                    fmt::format(R"(idle_timeout_ms: 60000, ipfix: "127.0.0.1:{}", domain_id: 7, {})",
                                                port, refresh_yaml)));
  const std::string stats = dir.File(name + ".json");
  Child ingestd({IngestdBinary(), "-c", config, "--duration", "60", "--final-stats", stats}, dir, name);
  // The first message is the templates alone: the flows wait in the table until the end.
  const Bytes d = first.Receive(30s);
  EXPECT_GE(d.size(), 20u) << "no IPFIX from ingestd: " << ingestd.Stderr();
  if (d.size() >= 20) {
    EXPECT_EQ(d[0] << 8 | d[1], 10) << "IPFIX version";
    EXPECT_EQ(d[16] << 8 | d[17], 2) << "a template set";
    EXPECT_EQ(16u + (d[18] << 8 | d[19]), d.size()) << "the template set alone";
  }
  first.Close();
  LateCollector out;
  {
    Nfcapd nfcapd(dir, false, port);
    const uint64_t bound_ns = MonoNs();
    // Every frame received, and so every flow in the table, before the export at the end.
    LiveReport r;
    EXPECT_TRUE(PollLive(
        prefix,
        [&](const LiveReport& l) {
          return l.json.at("totals").at("rx_packets").get<uint64_t>() == traffic.frames.size() &&
                 l.published_mono_ns > bound_ns + 20'000'000;
        },
        30s, &r));
    if (wait_for_refresh) {
      // A template message sent after nfcapd bound its port: one the publish sampled
      // 20 ms (two control loop turns) after that had not counted yet.
      const uint64_t before = r.json.at("flow_export").at("ipfix_template_messages").get<uint64_t>();
      EXPECT_TRUE(PollLive(
          prefix,
          [&](const LiveReport& l) {
            return l.json.at("flow_export").at("ipfix_template_messages").get<uint64_t>() > before;
          },
          30s));
    }
    ingestd.Signal(SIGTERM);
    EXPECT_EQ(ingestd.Wait(60s), 0) << ingestd.Stderr();
    EXPECT_EQ(nfcapd.Stop(SIGTERM), 0) << nfcapd.Output();
    out.records = nfcapd.Records(dir);
  }
  out.stats = ReadJson(stats);
  ExpectConserved(out.stats);
  return out;
}

TEST(Collectors, ACollectorStartedAfterTheFirstTemplatesDecodesEveryFlow) {
  TempDir dir;
  const Traffic traffic = MakeTraffic(200);
  const LateCollector late =
      RunWithALateCollector(traffic, "template_refresh_s: 1, template_refresh_messages: 0", true, dir, "late");
  ExpectTheTraffic(late.records, traffic, "nfcapd started after the first templates");
  const uint64_t templates = late.stats.at("flow_export").at("ipfix_template_messages").get<uint64_t>();
  std::printf("[ figure   ] template refresh every 1 s: %llu template messages sent\n",
              static_cast<unsigned long long>(templates));
  EXPECT_GE(templates, 2u) << "the first, and the refresh the late collector decoded with";
}

TEST(Collectors, WithoutARefreshTheLateCollectorDecodesNothing) {
  // The control: templates only in the first message (an hour or 1,000 messages apart).
  TempDir dir;
  const Traffic traffic = MakeTraffic(200);
  const LateCollector late = RunWithALateCollector(
      traffic, "template_refresh_s: 3600, template_refresh_messages: 1000", false, dir, "never");
  std::printf("[ figure   ] no refresh: a late nfcapd decoded %zu of %zu flows\n", late.records.size(),
              traffic.per_flow.size());
  EXPECT_EQ(late.records.size(), 0u);
  EXPECT_EQ(late.stats.at("flow_export").at("ipfix_template_messages").get<uint64_t>(), 1u);
  EXPECT_EQ(late.stats.at("flow_export").at("records").get<uint64_t>(), traffic.per_flow.size());
}

}  // namespace
}  // namespace ingestd::testing
