// SPDX-License-Identifier: BSD-3-Clause
// process: flow tracking, then the rules (one rte_acl classification per burst and
// each matched packet's action: drop, sample, mirror, forward, balance), then the
// port map for every packet no rule sent elsewhere.
#pragma once

#include <atomic>

#include <rte_acl.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "drop_sink.hpp"
#include "flow_spread.hpp"
#include "flow_table.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "process_keys.hpp"
#include "stage_context.hpp"
#include "tables.hpp"

namespace ingestd::stages {

/// Owns what the process stage of one lcore reads: the port map, the rules in force
/// (swapped by the control thread under RCU), the flow table, the clone pool, and
/// the burst's keys.
/// Threading: Configure*/SetRules on the control thread (SetRules also while the
/// lcore runs); everything else on the lcore.
class ProcessStage {
 public:
  void Configure(const RouteTable* routes, rte_mempool* clone_pool) noexcept {
    routes_ = routes;
    clone_pool_ = clone_pool;
  }
  void ConfigureFlows(flows::FlowTable* table) noexcept { flows_ = table; }
  /// This lcore reports quiescent states as reader `thread` of `qsbr`.
  void ConfigureQsbr(rte_rcu_qsbr* qsbr, unsigned thread) noexcept {
    qsbr_ = qsbr;
    qsbr_thread_ = thread;
  }
  /// The rules in force (null: none). The control thread frees what it replaced
  /// once every reader has passed a quiescent state.
  void SetRules(const ActiveRules* rules) noexcept { rules_.store(rules, std::memory_order_release); }

  flows::FlowTable* flows() const noexcept { return flows_; }

  /// The lcore starts and stops reading the rules.
  void Online() noexcept {
    if (qsbr_ != nullptr) rte_rcu_qsbr_thread_online(qsbr_, qsbr_thread_);
  }
  void Offline() noexcept {
    if (qsbr_ != nullptr) rte_rcu_qsbr_thread_offline(qsbr_, qsbr_thread_);
  }

  /// Between bursts: this lcore holds no rules pointer, so a reload may retire the
  /// old set; and a few flow table positions are examined for expiry (bounded
  /// work, busy or idle). `now`: the TSC of the last loop iteration.
  void BetweenBursts(uint64_t now, stats::LcoreCounters& c) noexcept {
    if (qsbr_ != nullptr) rte_rcu_qsbr_quiescent(qsbr_, qsbr_thread_);
    if (flows_ != nullptr) flows_->Expire(now, kFlowExpiryBudget, c);
  }

  /// Survivors stay in order at the front, followed by any mirror copies (so
  /// `pkts` holds kMaxBurstOut). The rules pointer is read once per burst.
  uint16_t Burst(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    const ActiveRules* active = rules_.load(std::memory_order_acquire);
    const bool classify = active != nullptr && active->set->size() != 0;
    if (flows_ != nullptr) {
      if (classify) {
        BuildKeys<true, true>(pkts, n, keys_);
      } else {
        BuildKeys<false, true>(pkts, n, keys_);
      }
      TrackFlows(ctx);
    } else if (classify) {
      BuildKeys<true, false>(pkts, n, keys_);
    }
    return classify ? Classify(pkts, n, *active, ctx) : Route(pkts, n, ctx);
  }

 private:
  /// Flow table positions examined for expiry per loop iteration.
  static constexpr unsigned kFlowExpiryBudget = 8;

  /// Every IP packet counted into the flow table before the rules act on it: one
  /// bulk lookup per burst on the keys BuildKeys packed (its cache misses overlap
  /// instead of queueing).
  void TrackFlows(StageContext& ctx) noexcept {
    flows_->UpdateBurst(keys_.flow, keys_.flow_update, keys_.flows, ctx.now, ctx.counters);
  }

  /// The port map alone: sets out_port, drops what it routes to drop.
  uint16_t Route(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      packet::PktMeta& meta = packet::Meta(m);
      const uint16_t out = routes_->out[meta.in_port][meta.in_queue];
      if (out == config::kDropRoute) [[unlikely]] {
        ctx.drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRouteDrop));
        continue;
      }
      meta.out_port = out;
      pkts[kept++] = m;
    }
    return kept;
  }

  /// Classifies `pkts[0..n)` on the keys built and acts on each; `ctx.bytes`
  /// gains the mirror copies' bytes.
  uint16_t Classify(rte_mbuf** pkts, uint16_t n, const ActiveRules& active, StageContext& ctx) noexcept {
    const rules::RuleSet& rs = *active.set;
    stats::LcoreCounters& c = ctx.counters;
    const uint8_t* data[kMaxBurst];
    uint32_t results[kMaxBurst];
    for (uint16_t i = 0; i < n; ++i) data[i] = reinterpret_cast<const uint8_t*>(&keys_.acl[i]);
    rte_acl_classify(rs.acl(), data, results, n, 1);

    rte_mbuf* copies[kMaxBurst];
    uint16_t copy_count = 0;
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      packet::PktMeta& meta = packet::Meta(m);
      uint16_t out = routes_->out[meta.in_port][meta.in_queue];
      if (const uint32_t rule = results[i]; rule != 0) {
        const rules::RuleActionPlan& a = rs.action(rule - 1);
        stats::Counter& hits = active.hits[rule - 1];
        hits.Add(1);
        if (a.drop) {
          ctx.drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRuleDrop));
          continue;
        }
        // The first of every `sample` hits goes on.
        if (a.sample > 1 && (hits.Load() - 1) % a.sample != 0) {
          ctx.drops.Drop(m, stats::DropSlot(stats::OtherDrop::kSampledOut));
          continue;
        }
        if (a.mirror_port != rules::kNoPort) {
          if (rte_mbuf* copy = rte_pktmbuf_clone(m, clone_pool_)) [[likely]] {
            packet::PktMeta& copy_meta = packet::Meta(copy);
            copy_meta = meta;
            copy_meta.out_port = a.mirror_port;
            copies[copy_count++] = copy;
            ctx.bytes += copy->pkt_len;
            c.clones.Add(1);
            c.mbufs_taken.Add(1);
          } else {
            c.clone_failures.Add(1);
          }
        }
        if (a.out_port != rules::kNoPort) {
          out = a.out_port;
        } else if (a.balance_count != 0) {
          out = rs.balance_ports()[a.balance_first + PickReplica(SymmetricKeyHash(keys_.acl[i]), a.balance_count)];
        }
      }
      if (out == config::kDropRoute) [[unlikely]] {
        ctx.drops.Drop(m, stats::DropSlot(stats::OtherDrop::kRouteDrop));
        continue;
      }
      meta.out_port = out;
      pkts[kept++] = m;
    }
    for (uint16_t i = 0; i < copy_count; ++i) pkts[kept++] = copies[i];
    return kept;
  }

  // Read-only on the lcore after launch (rules_ is written by the control thread).
  const RouteTable* routes_ = nullptr;
  std::atomic<const ActiveRules*> rules_{nullptr};
  rte_rcu_qsbr* qsbr_ = nullptr;
  unsigned qsbr_thread_ = 0;
  rte_mempool* clone_pool_ = nullptr;
  flows::FlowTable* flows_ = nullptr;
  // Written per burst by the lcore: a line of their own, away from rules_.
  alignas(RTE_CACHE_LINE_SIZE) BurstKeys keys_;
};

}  // namespace ingestd::stages
