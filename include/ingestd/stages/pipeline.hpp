// SPDX-License-Identifier: BSD-3-Clause
// The pipeline: chains of segments on lcores, linked by rings, launched and drained.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/result.hpp"
#include "ingestd/stats/counters.hpp"

struct rte_mempool;
struct rte_rcu_qsbr;
struct rte_ring;

namespace ingestd::rules {
class RuleSet;
}
namespace ingestd::flows {
class FlowTable;
}

namespace ingestd::dataplane {
class PortSet;
}
namespace ingestd::capture {
struct DropTap;
}

namespace ingestd::stages {

struct SegmentPlan;
struct RunControl;
struct RouteTable;
struct EncodeTable;
struct ActiveRules;

/// Owns the segment plans, rings and tables of one run.
/// Threading: every method on the main thread; the lcores run the plans.
/// Lifecycle: Build -> Launch -> (SetPacketLimit) -> StopRx -> Wait -> destroy.
class Pipeline {
 public:
  Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  /// Allocates plans on their lcores' sockets, rings where consecutive stages
  /// sit on different lcores, the route and encode tables, and compiles the
  /// rules. `clone_pool` holds mirror copies (needed when a rule mirrors).
  dataplane::Status Build(const config::RuntimeConfig& cfg, const dataplane::PortSet& ports,
                          rte_mempool* clone_pool = nullptr);

  /// Stops RX after `packets` frames in total (before Launch).
  void SetPacketLimit(uint64_t packets) noexcept;

  /// Starts every segment on its lcore.
  dataplane::Status Launch();

  /// Asks RX to stop. Downstream segments then drain their rings and exit.
  void StopRx() noexcept;

  /// Waits until every lcore has returned (all rings drained).
  void Wait();

  /// Frames received so far, over all RX segments (relaxed reads).
  uint64_t ReceivedPackets() const noexcept;

  struct LcoreView {
    unsigned lcore;
    unsigned chain;
    config::Stage first;
    config::Stage last;
    const stats::LcoreCounters* counters;
  };
  std::vector<LcoreView> Lcores() const;

  /// Each lcore's drop capture tap, for the control thread (capture::DropCapture):
  /// it switches the tap and is the only consumer of its ring and the only writer
  /// of the counters' drop_capture_{filtered,written,discarded}.
  struct TapView {
    unsigned lcore;
    capture::DropTap* tap;
    stats::LcoreCounters* counters;
  };
  std::vector<TapView> DropTaps() const;

  struct RingView {
    std::string name;  // "c<chain>_s<segment>": the ring into that segment
    unsigned chain;
    unsigned from_lcore;
    unsigned to_lcore;
    const rte_ring* ring;
    const stats::RingCounters* counters;  // written by the producing lcore
  };
  std::vector<RingView> Rings() const;

  /// Per-rule hit counters of every lcore that runs the process stage
  /// (hits[lcore][rule]) for the rules in force; empty without rules.
  std::vector<const stats::Counter*> RuleHits() const;
  /// The compiled rules in force, or null without rules.
  const rules::RuleSet* Rules() const noexcept { return current_.set.get(); }
  /// Reloads so far (1 = the rules of the start).
  uint64_t RulesGeneration() const noexcept { return current_.number; }

  /// Compiles `rules` (which must name the ports this pipeline was built with) and
  /// swaps them in on every process lcore while they run: each lcore switches
  /// between two bursts, so no packet sees half of either set. Returns once no
  /// lcore can still read the old set; the old set stays allocated (its counters
  /// readable) until FreeRetiredRules. On error nothing changes.
  dataplane::Status SwapRules(const std::vector<config::RuleConfig>& rules);
  /// The process lcores' flow tables (empty when flows are off). Their rings are the
  /// exporter's to drain while running; DrainAll them only after Wait.
  std::vector<flows::FlowTable*> FlowTables() const;

  /// Per-rule counters of the set SwapRules replaced, as RuleHits; empty if none.
  std::vector<const stats::Counter*> RetiredRuleHits() const;
  void FreeRetiredRules();

 private:
  std::unique_ptr<RunControl> control_;
  RouteTable* routes_ = nullptr;
  EncodeTable* encode_ = nullptr;
  /// One compiled rule set and the per-lcore state pointing at it.
  struct Generation {
    std::unique_ptr<rules::RuleSet> set;
    std::vector<ActiveRules*> per_plan;  // parallel to process_plans_
    uint64_t number = 0;
  };
  dataplane::Status MakeGeneration(const std::vector<config::RuleConfig>& rules, Generation& out) const;
  void Free(Generation& g);

  std::vector<uint16_t> port_ids_;       // config port index -> DPDK port id
  rte_mempool* clone_pool_ = nullptr;
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::vector<SegmentPlan*> process_plans_;
  std::vector<std::unique_ptr<flows::FlowTable>> flow_tables_;
  Generation current_;
  Generation retired_;
  std::vector<SegmentPlan*> plans_;
  struct RingLink {
    std::string name;
    SegmentPlan* from;
    SegmentPlan* to;
    rte_ring* ring;
  };
  std::vector<RingLink> links_;
  std::vector<unsigned> launched_;
};

}  // namespace ingestd::stages
