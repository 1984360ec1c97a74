// SPDX-License-Identifier: BSD-3-Clause
// Registers every source's metrics once, with the source; refreshes the figures it keeps before each publish.
#include "ingestd/stats/collector.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <fmt/format.h>

namespace ingestd::stats {
namespace {

using segment::MetricKind;

using config::StageName;

// Port counters in publish order, with their rte_eth_stats field.
struct PortStat {
  const char* name;
  const char* help;
  uint64_t rte_eth_stats::*field;
};
constexpr PortStat kPortStats[] = {
    {"rx_packets", "frames received by the device", &rte_eth_stats::ipackets},
    {"tx_packets", "frames sent by the device", &rte_eth_stats::opackets},
    {"rx_bytes", "bytes received by the device", &rte_eth_stats::ibytes},
    {"tx_bytes", "bytes sent by the device", &rte_eth_stats::obytes},
    {"imissed", "frames the device dropped: no free RX descriptor", &rte_eth_stats::imissed},
    {"ierrors", "erroneous frames received", &rte_eth_stats::ierrors},
    {"oerrors", "failed transmissions", &rte_eth_stats::oerrors},
    {"rx_nombuf", "RX mbuf allocation failures", &rte_eth_stats::rx_nombuf},
};

}  // namespace

StatsCollector::~StatsCollector() {
  if (link_socket_ >= 0) close(link_socket_);
}

void StatsCollector::AddLcore(unsigned lcore, unsigned chain, config::Stage first,
                              config::Stage last, const LcoreCounters* counters) {
  lcores_.push_back({lcore, chain, first, last, counters});
}

void StatsCollector::AddRing(const std::string& name, unsigned chain, unsigned from_lcore,
                             unsigned to_lcore, const rte_ring* ring, const RingCounters* counters) {
  rings_.push_back({name, chain, from_lcore, to_lcore, ring, counters});
}

void StatsCollector::AddPort(const std::string& name, uint16_t port_id) {
  PortSource p;
  p.name = name;
  p.port_id = port_id;
  ports_.push_back(std::move(p));
}

void StatsCollector::AddMempool(const std::string& name, int socket, const rte_mempool* pool,
                                uint64_t kept_by_devices) {
  pools_.push_back({name, socket, pool, kept_by_devices});
}

void StatsCollector::AddRules(std::vector<std::string> names, std::vector<const Counter*> per_lcore) {
  rule_names_ = names;
  rule_retired_hits_.assign(names.size(), 0);
  current_slot_.clear();
  for (size_t r = 0; r < names.size(); ++r) current_slot_.push_back(static_cast<int>(r));
  current_rules_ = std::move(names);
  rule_hits_ = std::move(per_lcore);
}

std::vector<std::string> StatsCollector::ReplaceRules(std::vector<std::string> names,
                                                      std::vector<const Counter*> per_lcore) {
  for (size_t r = 0; r < current_rules_.size(); ++r) {
    if (current_slot_[r] < 0) continue;
    for (const Counter* lcore : rule_hits_) rule_retired_hits_[current_slot_[r]] += lcore[r].Load();
  }
  std::vector<std::string> unlisted;
  current_slot_.clear();
  for (const std::string& name : names) {
    const auto it = std::find(rule_names_.begin(), rule_names_.end(), name);
    current_slot_.push_back(it == rule_names_.end() ? -1 : static_cast<int>(it - rule_names_.begin()));
    if (it == rule_names_.end()) unlisted.push_back(name);
  }
  current_rules_ = std::move(names);
  rule_hits_ = std::move(per_lcore);
  return unlisted;
}

void StatsCollector::SetFlowExport(uint64_t records, uint64_t messages, uint64_t send_errors,
                                   uint64_t template_messages) {
  flow_export_ = {records, messages, send_errors, template_messages};
}

void StatsCollector::SetRuleReloads(uint64_t generation, uint64_t reloads, uint64_t failures) {
  reloads_ = {generation, reloads, failures};
}

void StatsCollector::RegisterLcore(const LcoreSource& l) {
  const std::string stages = l.first == l.last ? StageName(l.first)
                                               : fmt::format("{}..{}", StageName(l.first), StageName(l.last));
  const std::string who = fmt::format("lcore={},chain={}", l.lcore, l.chain);
  MetricRegistry& r = registry_;
  for (const CounterInfo& info : kLcoreCounterInfo)
    r.Add(MetricKind::kCounter, "lcore", std::string(info.name), who + ",stages=" + stages, std::string(info.unit),
          std::string(info.description), &(l.c->*info.member));
  for (unsigned s = 1; s < kDropSlots; ++s)
    r.Add(MetricKind::kCounter, "drops", "drops", who + ",reason=" + DropSlotName(s), "packets",
          "packets freed without leaving, by reason", &l.c->drops[s]);
  for (auto s = static_cast<unsigned>(l.first); s <= static_cast<unsigned>(l.last); ++s) {
    const std::string labels = who + ",stage=" + config::kStageNames[s];
    const StageCounters& sc = l.c->stages[s];
    r.Add(MetricKind::kCounter, "stage", "stage_pkts", labels, "packets", "packets into the stage", &sc.pkts);
    r.Add(MetricKind::kCounter, "stage", "stage_bytes", labels, "bytes", "bytes into the stage", &sc.bytes);
    r.Add(MetricKind::kCounter, "stage", "stage_bursts", labels, "bursts", "bursts into the stage", &sc.bursts);
    r.Add(MetricKind::kCounter, "stage", "stage_timed_pkts", labels, "packets", "packets of the timed bursts",
          &sc.timed_pkts);
    r.Add(MetricKind::kCounter, "stage", "stage_cycles", labels, "cycles",
          "TSC cycles in the stage during timed bursts", &sc.cycles);
    r.AddHistogram("latency", "stage_service", labels, "tsc", "service time per packet, amortised over a timed burst",
                   &l.c->stage_service[s]);
  }
  if (l.first != config::Stage::kRx)
    r.AddHistogram("latency", "ring_wait", who, "tsc", "time waiting in the ring to this lcore", &l.c->ring_wait);
  if (l.last == config::Stage::kTx)
    r.AddHistogram("latency", "e2e", who, "tsc", "RX to TX, per packet", &l.c->e2e);
  r.AddHistogram("allocation", "heap_bytes_per_packet", who, "bytes", "heap bytes a burst allocated per packet",
                 &l.c->heap_bytes_per_packet);
}

void StatsCollector::RegisterPort(PortSource& p) {
  const std::string labels = "port=" + p.name;
  MetricRegistry& r = registry_;
  static_assert(std::size(kPortStats) == PortSource::kStats);
  for (unsigned i = 0; i < PortSource::kStats; ++i)
    r.Add(MetricKind::kCounter, "port", kPortStats[i].name, labels, "", kPortStats[i].help, &p.stats[i]);
  r.Add(MetricKind::kGauge, "port", "link_up", labels, "", "1 while the device reports its link up", &p.link_up_value);
  r.Add(MetricKind::kCounter, "port", "link_down_events", labels, "events",
        "link up-to-down changes seen by the stats thread (sampled once per period)", &p.link_down_events);
  // Per-queue figures: how RSS (or the kernel's fanout) spread the traffic.
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(p.port_id, &info) == 0) {
    p.rx_queues = std::min<uint16_t>(info.nb_rx_queues, RTE_ETHDEV_QUEUE_STAT_CNTRS);
    p.if_index = info.if_index;
  }
  if (p.if_index != 0 && link_socket_ < 0) link_socket_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  p.queue_stats.assign(size_t{p.rx_queues} * 2, 0);
  for (uint16_t q = 0; q < p.rx_queues; ++q) {
    const std::string queue = fmt::format("{},queue={}", labels, q);
    r.Add(MetricKind::kCounter, "port_queue", "rx_packets", queue, "packets", "frames received on this RX queue",
          &p.queue_stats[2 * q]);
    r.Add(MetricKind::kCounter, "port_queue", "rx_bytes", queue, "bytes", "bytes received on this RX queue",
          &p.queue_stats[2 * q + 1]);
  }
  const int n = rte_eth_xstats_get_names(p.port_id, nullptr, 0);
  if (n <= 0) return;
  std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
  if (rte_eth_xstats_get_names(p.port_id, names.data(), static_cast<unsigned>(n)) != n) return;
  p.xstat_values.assign(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    r.Add(MetricKind::kCounter, "port_xstats", "xstat", labels + ",xstat=" + names[i].name, "",
          "device extended statistic", &p.xstat_values[static_cast<size_t>(i)]);
    p.xstat_ids.push_back(static_cast<uint64_t>(i));
  }
}

Status StatsCollector::Start(const std::string& instance, uint64_t period_ns, int gid) {
  MetricRegistry& r = registry_;
  for (const LcoreSource& l : lcores_) RegisterLcore(l);
  for (RingSource& ring : rings_) {
    const std::string labels = fmt::format("ring={},chain={},from_lcore={},to_lcore={}", ring.name, ring.chain,
                                           ring.from_lcore, ring.to_lcore);
    r.Add(MetricKind::kGauge, "ring", "ring_size", labels, "packets", "ring capacity", &ring.size);
    r.Add(MetricKind::kGauge, "ring", "ring_occupancy", labels, "packets", "packets in the ring now", &ring.occupancy);
    r.Add(MetricKind::kGauge, "ring", "ring_high_water", labels, "packets", "most packets seen in the ring",
          &ring.counters->high_water);
    r.Add(MetricKind::kCounter, "ring", "ring_packets", labels, "packets", "packets enqueued", &ring.counters->packets);
    r.Add(MetricKind::kCounter, "ring", "ring_full_events", labels, "events", "enqueues that found it full",
          &ring.counters->full_events);
    r.Add(MetricKind::kCounter, "ring", "ring_dropped", labels, "packets",
          "packets freed because it was full (ring_policy: drop)", &ring.counters->dropped);
  }
  for (PortSource& p : ports_) RegisterPort(p);
  for (PoolSource& p : pools_) {
    // The handler the pool really has (DPDK's name), not what the config asked for.
    const std::string labels = fmt::format("mempool={},socket={},handler={}", p.name, p.socket,
                                           rte_mempool_get_ops(p.pool->ops_index)->name);
    r.Add(MetricKind::kGauge, "mempool", "mbufs_in_use", labels, "mbufs", "mbufs out of the pool", &p.in_use);
    r.Add(MetricKind::kGauge, "mempool", "mbufs_total", labels, "mbufs", "mbufs in the pool", &p.total);
    r.Add(MetricKind::kGauge, "mempool", "mbufs_kept_by_devices", labels, "mbufs",
          "mbufs ports keep out of the pool even after closing (net_af_xdp's fill ring)", &p.kept_by_devices);
  }
  rule_listed_hits_.assign(rule_names_.size(), 0);
  for (size_t i = 0; i < rule_names_.size(); ++i)
    r.Add(MetricKind::kCounter, "rule", "rule_hits", "rule=" + rule_names_[i], "packets",
          "packets the rule matched first", &rule_listed_hits_[i]);
  // Figures the control thread hands over (SetRuleReloads, SetFlowExport): unlabelled scalars.
  const struct {
    MetricKind kind;
    const char* group;
    const char* name;
    const char* unit;
    const char* help;
    const uint64_t* source;
  } handed_over[] = {
      {MetricKind::kGauge, "rules", "rules_generation", "", "rule sets in force so far: 1 + reloads applied",
       &reloads_.generation},
      {MetricKind::kCounter, "rules", "rules_reloads", "events", "rule reloads applied (SIGHUP, /ingestd/reload)",
       &reloads_.applied},
      {MetricKind::kCounter, "rules", "rules_reload_failures", "events",
       "rule reloads refused (errors in the file): the rules in force stayed", &reloads_.refused},
      {MetricKind::kCounter, "flow_export", "flow_records_exported", "flows",
       "flow records written to the collector and/or the JSON Lines file", &flow_export_.records},
      {MetricKind::kCounter, "flow_export", "ipfix_messages_sent", "messages", "IPFIX messages sent over UDP",
       &flow_export_.messages},
      {MetricKind::kCounter, "flow_export", "ipfix_send_errors", "messages",
       "IPFIX messages the socket refused (e.g. no collector listening)", &flow_export_.send_errors},
      {MetricKind::kCounter, "flow_export", "ipfix_template_messages_sent", "messages",
       "IPFIX messages sent carrying the templates: the first, then every refresh", &flow_export_.template_messages},
  };
  for (const auto& m : handed_over) r.Add(m.kind, m.group, m.name, "", m.unit, m.help, m.source);
  values_.assign(r.value_count(), 0);
  return writer_.Create(instance, r.table(), rte_get_tsc_hz(), period_ns, gid);
}

void StatsCollector::SampleRings() {
  for (RingSource& r : rings_) {
    r.size = rte_ring_get_capacity(r.ring);
    r.occupancy = rte_ring_count(r.ring);
  }
}

// Polled, not interrupt-driven: virtual devices (af_packet, tap, pcap) raise no
// link-state interrupt, and one ioctl per port per period costs nothing here.
// A flap shorter than a period can go unseen; the counter says "at least".
void StatsCollector::SampleLink(PortSource& p) {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(p.port_id, &link) != 0) return;
  bool up = link.link_status == RTE_ETH_LINK_UP;
  // DPDK 22.11's af_packet reports its link up from start to stop, whatever the
  // interface does: for a port backed by a kernel interface, that interface's
  // own state (administratively up, with carrier) decides too.
  if (p.if_index != 0 && up) {
    ifreq ifr{};
    ifr.ifr_ifindex = static_cast<int>(p.if_index);
    if (link_socket_ >= 0 && ioctl(link_socket_, SIOCGIFNAME, &ifr) == 0 &&
        ioctl(link_socket_, SIOCGIFFLAGS, &ifr) == 0)
      up = (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
  }
  if (p.link_sampled && p.link_up && !up) ++p.link_down_events;
  if (!p.link_sampled || p.link_up != up) {
    p.link_changed = true;
    p.link_speed = link.link_speed;
    p.link_full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
  }
  p.link_sampled = true;
  p.link_up = up;
  p.link_up_value = up ? 1 : 0;
}

void StatsCollector::SamplePorts() {
  if (ports_frozen_) return;
  for (PortSource& p : ports_) {
    rte_eth_stats s{};
    if (rte_eth_stats_get(p.port_id, &s) == 0) {
      for (unsigned i = 0; i < PortSource::kStats; ++i) p.stats[i] = s.*kPortStats[i].field;
      for (uint16_t q = 0; q < p.rx_queues; ++q) {
        p.queue_stats[2 * q] = s.q_ipackets[q];
        p.queue_stats[2 * q + 1] = s.q_ibytes[q];
      }
    }
    SampleLink(p);
    if (!p.xstat_ids.empty()) {
      rte_eth_xstats_get_by_id(p.port_id, p.xstat_ids.data(), p.xstat_values.data(),
                               static_cast<unsigned>(p.xstat_ids.size()));
    }
  }
}

void StatsCollector::SamplePools() {
  for (PoolSource& p : pools_) {
    p.in_use = rte_mempool_in_use_count(p.pool);  // walks every lcore cache: here only
    p.total = p.pool->size;
  }
}

void StatsCollector::SampleRules() {
  for (size_t s = 0; s < rule_listed_hits_.size(); ++s) rule_listed_hits_[s] = rule_retired_hits_[s];
  for (size_t r = 0; r < current_rules_.size(); ++r) {
    if (current_slot_[r] < 0) continue;
    for (const Counter* lcore : rule_hits_) rule_listed_hits_[current_slot_[r]] += lcore[r].Load();
  }
}

void StatsCollector::Publish() {
  // The figures the collector keeps first, then every registered source in one walk.
  SampleRings();
  SamplePorts();
  SamplePools();
  SampleRules();
  registry_.Sample(values_);
  writer_.Publish(values_);
}

std::vector<StatsCollector::LinkChange> StatsCollector::TakeLinkChanges() {
  std::vector<LinkChange> out;
  for (PortSource& p : ports_) {
    if (!p.link_changed) continue;
    p.link_changed = false;
    out.push_back({p.name, p.link_up, p.link_speed, p.link_full_duplex});
  }
  return out;
}

void StatsCollector::FreezePorts() {
  SamplePorts();
  ports_frozen_ = true;
}

void StatsCollector::PublishFinal() {
  Publish();
  writer_.MarkStopped();
}

}  // namespace ingestd::stats
