// SPDX-License-Identifier: BSD-3-Clause
// The stats publisher: samples every lcore block, ring, port and mempool, and
// publishes the snapshot into the instance's segment. Runs on the main lcore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/stage.hpp"
#include "ingestd/stats/counters.hpp"
#include "ingestd/stats/metric_registry.hpp"
#include "ingestd/stats/segment_writer.hpp"
#include "ingestd/status.hpp"

struct rte_ring;
struct rte_mempool;

namespace ingestd::stats {

/// Threading: every method on one control thread (the main lcore). Reads the
/// lcores' blocks with relaxed loads while they run; never writes them.
/// The Add* calls come before Start: Start registers every metric with the
/// address of its source, so the sources stay put from then on.
class StatsCollector {
 public:
  StatsCollector() = default;
  StatsCollector(const StatsCollector&) = delete;
  StatsCollector& operator=(const StatsCollector&) = delete;
  ~StatsCollector();

  void AddLcore(unsigned lcore, unsigned chain, config::Stage first, config::Stage last,
                const LcoreCounters* counters);
  void AddRing(const std::string& name, unsigned chain, unsigned from_lcore, unsigned to_lcore,
               const rte_ring* ring, const RingCounters* counters);
  void AddPort(const std::string& name, uint16_t port_id);
  /// `kept_by_devices`: mbufs ports take from the pool and keep past their close
  /// (PortSet::MbufsKeptAfterClose); the leak check discounts them.
  void AddMempool(const std::string& name, int socket, const rte_mempool* pool, uint64_t kept_by_devices = 0);

  /// Per-rule hits: `names[r]` is rule r; `per_lcore[l][r]` one lcore's count. The
  /// names given before Start are the ones the stats list (the table is fixed then).
  void AddRules(std::vector<std::string> names, std::vector<const Counter*> per_lcore);
  /// After a reload: folds the old set's counts into the listed rules and follows
  /// the new set's counters from now on, matched by name. Returns the new set's
  /// names the stats cannot list (added after start). The old counters must still
  /// be readable during the call.
  std::vector<std::string> ReplaceRules(std::vector<std::string> names, std::vector<const Counter*> per_lcore);
  /// The reload figures: generation in force, reloads applied, reloads refused.
  void SetRuleReloads(uint64_t generation, uint64_t reloads, uint64_t failures);
  /// The flow exporter's figures: records exported, IPFIX messages sent, sends that failed.
  void SetFlowExport(uint64_t records, uint64_t messages, uint64_t send_errors, uint64_t template_messages);

  /// Builds the metric table and creates the segment.
  Status Start(const std::string& instance, uint64_t period_ns, int gid = -1);

  /// Samples everything and publishes one snapshot.
  void Publish();
  /// Reads the ports one last time; later publishes reuse these figures
  /// (ethdev stats are gone once a port is closed).
  void FreezePorts();
  /// Publishes the final snapshot and marks the segment stopped.
  void PublishFinal();

  const std::string& segment_path() const noexcept { return writer_.path(); }

  /// A port's link as a sample found it, when it differs from the sample before
  /// (a port's first sample counts as a change).
  struct LinkChange {
    std::string port;
    bool up = false;
    uint32_t speed_mbps = 0;  // rte_eth_link::link_speed (RTE_ETH_SPEED_NUM_*)
    bool full_duplex = false;
  };
  /// The link changes publishes have seen since the last call, in port order. The
  /// control thread logs them: a flap shorter than a period goes unseen here too.
  std::vector<LinkChange> TakeLinkChanges();

 private:
  // Each source below is registered once, in Start, with the objects its metrics
  // read (MetricRegistry); the figures kept here are refreshed before each sample.
  struct LcoreSource {
    unsigned lcore, chain;
    config::Stage first, last;
    const LcoreCounters* c;
  };
  struct RingSource {
    std::string name;
    unsigned chain, from_lcore, to_lcore;
    const rte_ring* ring;
    const RingCounters* counters;
    uint64_t size = 0;
    uint64_t occupancy = 0;
  };
  struct PortSource {
    static constexpr unsigned kStats = 8;  // the rte_eth_stats fields published (kPortStats)
    std::string name;
    uint16_t port_id;
    uint16_t rx_queues = 0;  // queues with their own counters (at most RTE_ETHDEV_QUEUE_STAT_CNTRS)
    uint32_t if_index = 0;   // the kernel interface behind the port (af_packet, tap, af_xdp), or 0
    uint64_t stats[kStats] = {};
    std::vector<uint64_t> queue_stats;  // rx packets, rx bytes per queue; sized in Start
    std::vector<uint64_t> xstat_ids;
    std::vector<uint64_t> xstat_values;  // sized in Start
    bool link_sampled = false;  // link_up holds a first sample
    bool link_up = false;
    uint64_t link_up_value = 0;  // link_up as the gauge publishes it
    uint64_t link_down_events = 0;
    bool link_changed = false;  // since the last TakeLinkChanges
    uint32_t link_speed = 0;
    bool link_full_duplex = false;
  };
  struct PoolSource {
    std::string name;
    int socket;
    const rte_mempool* pool;
    uint64_t kept_by_devices;
    uint64_t in_use = 0;
    uint64_t total = 0;
  };

  void RegisterLcore(const LcoreSource& l);
  void RegisterPort(PortSource& p);
  void SampleRings();
  void SamplePorts();
  void SampleLink(PortSource& p);
  void SamplePools();
  void SampleRules();

  std::vector<LcoreSource> lcores_;
  std::vector<RingSource> rings_;
  std::vector<PortSource> ports_;
  std::vector<PoolSource> pools_;
  std::vector<std::string> rule_names_;       // listed in the stats: the rules at start
  std::vector<uint64_t> rule_retired_hits_;  // per listed rule: hits of replaced sets
  std::vector<uint64_t> rule_listed_hits_;   // per listed rule: what the stats show
  std::vector<std::string> current_rules_;   // the set in force
  std::vector<int> current_slot_;            // its rule r -> listed index, or -1
  std::vector<const Counter*> rule_hits_;    // the set in force: one array per process lcore
  struct {
    uint64_t generation = 0, applied = 0, refused = 0;
  } reloads_;
  struct {
    uint64_t records = 0, messages = 0, send_errors = 0, template_messages = 0;
  } flow_export_;
  MetricRegistry registry_;       // filled once in Start: sources are not added or moved after
  std::vector<uint64_t> values_;  // sized once in Start: publishing allocates nothing
  bool ports_frozen_ = false;
  int link_socket_ = -1;  // for interface-flag ioctls, opened when a port has a kernel interface
  SegmentWriter writer_;
};

}  // namespace ingestd::stats
