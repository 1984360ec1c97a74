// SPDX-License-Identifier: BSD-3-Clause
// The flow table through the real binary: every flow exported as IPFIX to a UDP
// collector (this test, on loopback) and as JSON Lines; tshark decodes the IPFIX and
// its packet and byte totals equal the traffic sent; a table smaller than the
// traffic's flows evicts (counted) and still loses nothing.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "flow_traffic.hpp"
#include "harness.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "netns.hpp"
#include "tshark_fields.hpp"

namespace ingestd::testing {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;
using namespace std::chrono_literals;

/// A UDP socket on 127.0.0.1 with a port of the kernel's choosing: the IPFIX collector.
class Collector {
 public:
  Collector() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int size = 8 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Collector() { close(fd_); }
  uint16_t port() const { return port_; }
  /// Every datagram queued now (the sender has exited: nothing more comes).
  std::vector<Bytes> Drain() {
    std::vector<Bytes> out;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) return out;
      Bytes d(65536);
      const ssize_t n = recv(fd_, d.data(), d.size(), 0);
      if (n <= 0) return out;
      d.resize(static_cast<size_t>(n));
      out.push_back(std::move(d));
    }
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

struct Exported {
  nlohmann::json stats;
  std::vector<Bytes> datagrams;
  std::vector<nlohmann::json> jsonl;
};

Exported RunWithFlows(const Traffic& traffic, unsigned capacity, const TempDir& dir, const std::string& name) {
  Collector collector;
  const std::string prefix = UniquePrefix(name);
  const std::string input = dir.File(name + ".pcap");
  framegen::WritePcap(input, traffic.frames);
  const std::string config = dir.File(name + ".yaml");
  const std::string jsonl = dir.File(name + ".jsonl");
  WriteText(config, FlowsConfigYaml(prefix, input,
                                    fmt::format(R"(capacity: {}, idle_timeout_ms: 60000, ipfix: "127.0.0.1:{}", )"
                                                R"(domain_id: 7, jsonl: {})",
                                                capacity, collector.port(), jsonl)));
  const std::string stats_path = dir.File(name + ".json");
  const RunResult r = RunIngestd({"-c", config, "--packets", std::to_string(traffic.frames.size()), "--duration", "60",
                                  "--final-stats", stats_path},
                                 dir, 90s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Exported e;
  e.stats = ReadJson(stats_path);
  e.datagrams = collector.Drain();
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) e.jsonl.push_back(nlohmann::json::parse(line));
  return e;
}

TEST(Flows, IpfixAndJsonLinesTotalsEqualTheTrafficSent) {
  ASSERT_NE(FindProgram("tshark"), "") << "install tshark (Debian: tshark)";
  TempDir dir;
  const Traffic traffic = MakeTraffic(400);
  const Exported e = RunWithFlows(traffic, 4096, dir, "flows");
  ExpectConserved(e.stats);
  EXPECT_EQ(e.stats.at("flow_export").at("records").get<uint64_t>(), traffic.per_flow.size());
  EXPECT_EQ(e.stats.at("flow_export").at("ipfix_send_errors").get<uint64_t>(), 0u);

  // JSON Lines: one record per flow, each with that flow's exact totals.
  ASSERT_EQ(e.jsonl.size(), traffic.per_flow.size());
  for (const auto& j : e.jsonl) {
    const FlowTotals& sent = traffic.per_flow.at(j.at("src_port").get<uint16_t>());
    EXPECT_EQ(j.at("packets").get<uint64_t>(), sent.packets);
    EXPECT_EQ(j.at("bytes").get<uint64_t>(), sent.bytes);
    EXPECT_EQ(j.at("ip_bytes").get<uint64_t>(), sent.ip_bytes);
    EXPECT_EQ(j.at("end"), "end_of_run");
  }

  // IPFIX, as tshark decodes it: the datagrams wrapped as UDP to 4739 in a capture.
  ASSERT_FALSE(e.datagrams.empty());
  // The templates: in the first message (alone, before any flow expired), then refreshed;
  // the counter names exactly the messages that carried them.
  uint64_t with_templates = 0;
  for (const Bytes& d : e.datagrams) with_templates += d.size() > 17 && (d[16] << 8 | d[17]) == 2;
  const auto& fe = e.stats.at("flow_export");
  EXPECT_EQ(fe.at("ipfix_messages").get<uint64_t>(), e.datagrams.size());
  EXPECT_EQ(fe.at("ipfix_template_messages").get<uint64_t>(), with_templates);
  EXPECT_GE(with_templates, 1u);
  EXPECT_EQ(e.datagrams.front()[16] << 8 | e.datagrams.front()[17], 2) << "the first message has the templates";
  std::vector<Bytes> wrapped;
  for (const Bytes& d : e.datagrams)
    wrapped.push_back(FrameBuilder().Ipv4().Udp({.src_port = 40000, .dst_port = 4739}).Payload(d).Build());
  const std::string pcap = dir.File("ipfix.pcap");
  framegen::WritePcap(pcap, wrapped);
  const auto rows = TsharkFields(
      pcap, {"cflow.version", "cflow.od_id", "cflow.packets", "cflow.octets", "cflow.layer2_octet_delta_count"}, dir, 'a');
  uint64_t records = 0, packets = 0, bytes = 0, l2_bytes = 0;
  auto each = [](const std::string& cell, auto&& f) {
    size_t at = 0;
    while (at < cell.size()) {
      const size_t comma = cell.find(',', at);
      f(std::stoull(cell.substr(at, comma - at)));
      at = comma == std::string::npos ? cell.size() : comma + 1;
    }
  };
  for (const auto& row : rows) {
    EXPECT_EQ(row[0], "10");
    EXPECT_EQ(row[1], "7");
    each(row[2], [&](uint64_t v) {
      packets += v;
      ++records;
    });
    each(row[3], [&](uint64_t v) { bytes += v; });
    each(row[4], [&](uint64_t v) { l2_bytes += v; });
  }
  std::printf("[ figure   ] IPFIX: %zu messages (%llu with templates), %llu records, %llu packets, %llu IP bytes, %llu frame bytes "
              "(sent %llu / %llu / %llu)\n",
              e.datagrams.size(), static_cast<unsigned long long>(with_templates), static_cast<unsigned long long>(records), static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(l2_bytes),
              static_cast<unsigned long long>(traffic.total.packets),
              static_cast<unsigned long long>(traffic.total.ip_bytes),
              static_cast<unsigned long long>(traffic.total.bytes));
  EXPECT_EQ(records, traffic.per_flow.size());
  EXPECT_EQ(packets, traffic.total.packets);
  EXPECT_EQ(bytes, traffic.total.ip_bytes) << "octetDeltaCount: IP header and payload (RFC 7012)";
  EXPECT_EQ(l2_bytes, traffic.total.bytes) << "layer2OctetDeltaCount: the frames";
}

TEST(Flows, AFullTableEvictsCountedAndLosesNothing) {
  TempDir dir;
  const Traffic traffic = MakeTraffic(3000);  // 3,000 flows through a table of 1,024
  const Exported e = RunWithFlows(traffic, 1024, dir, "evict");
  ExpectConserved(e.stats);
  uint64_t evictions = 0, lost = 0;
  for (const auto& l : e.stats.at("lcores")) {
    evictions += l.at("counters").value("flow_evictions", uint64_t{0});
    lost += l.at("counters").value("flow_records_lost", uint64_t{0});
  }
  EXPECT_GT(evictions, 0u);
  EXPECT_EQ(lost, 0u);
  uint64_t packets = 0, bytes = 0, evicted = 0;
  for (const auto& j : e.jsonl) {
    packets += j.at("packets").get<uint64_t>();
    bytes += j.at("bytes").get<uint64_t>();
    evicted += j.at("end") == "evicted";
  }
  std::printf("[ figure   ] 3000 flows, table 1024: %llu evictions, %zu records\n",
              static_cast<unsigned long long>(evictions), e.jsonl.size());
  EXPECT_EQ(evicted, evictions);
  EXPECT_EQ(packets, traffic.total.packets);
  EXPECT_EQ(bytes, traffic.total.bytes);
}

}  // namespace
}  // namespace ingestd::testing
