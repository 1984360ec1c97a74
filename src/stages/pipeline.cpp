// SPDX-License-Identifier: BSD-3-Clause
// Pipeline construction and launch (control path).
#include "ingestd/stages/pipeline.hpp"

#include <algorithm>
#include <new>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

#include "ingestd/dataplane/ports.hpp"
#include "flow_table.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "segment_plan.hpp"

namespace ingestd::stages {

using dataplane::Status;

namespace {

/// Flow records one lcore may queue for the exporter, drained every 10 ms: 16,384
/// records of 80 bytes (1.3 MiB) hold 1.6 M expiring flows per second.
constexpr uint32_t kFlowExportRing = 16384;

template <typename T>
T* NewOnSocket(const char* what, int socket) {
  void* mem = rte_zmalloc_socket(what, sizeof(T), RTE_CACHE_LINE_SIZE, socket);
  return mem ? new (mem) T() : nullptr;
}

template <typename T>
void DeleteOnSocket(T* p) {
  if (p == nullptr) return;
  p->~T();
  rte_free(p);
}

int LaunchTrampoline(void* arg) {
  auto* plan = static_cast<SegmentPlan*>(arg);
  return plan->run(*plan);
}

rte_ether_addr ToEther(const config::MacAddress& mac) {
  rte_ether_addr a;
  for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; ++i) a.addr_bytes[i] = mac.bytes[i];
  return a;
}

}  // namespace

Pipeline::Pipeline() : control_(std::make_unique<RunControl>()) {}

Pipeline::~Pipeline() {
  Wait();
  Free(retired_);
  Free(current_);
  rte_free(qsbr_);
  for (SegmentPlan* p : plans_) {
    rte_ring_free(p->drop_tap.ring);  // emptied by the drop capture's Finish
    DeleteOnSocket(p);
  }
  for (const RingLink& l : links_) rte_ring_free(l.ring);
  DeleteOnSocket(routes_);
  DeleteOnSocket(encode_);
}

Status Pipeline::Build(const config::RuntimeConfig& cfg, const dataplane::PortSet& ports, rte_mempool* clone_pool) {
  for (size_t i = 0; i < cfg.ports.size(); ++i) port_ids_.push_back(ports.PortId(i));
  clone_pool_ = clone_pool;
  routes_ = NewOnSocket<RouteTable>("ingestd_routes", SOCKET_ID_ANY);
  encode_ = NewOnSocket<EncodeTable>("ingestd_encode", SOCKET_ID_ANY);
  if (routes_ == nullptr || encode_ == nullptr)
    return Status::Error(ENOMEM, "cannot allocate the route tables; raise eal.memory_mb");

  for (auto& row : routes_->out)
    for (uint16_t& out : row) out = config::kDropRoute;
  for (const config::RouteConfig& r : cfg.routes) {
    const uint16_t in = ports.PortId(r.in_port);
    const uint16_t out = r.out_port == config::kDropRoute ? config::kDropRoute : ports.PortId(r.out_port);
    const uint16_t queues = cfg.ports[r.in_port].rx_queues;
    for (uint16_t q = 0; q < queues; ++q)
      if (!r.in_queue || *r.in_queue == q) routes_->out[in][q] = out;
  }
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    const config::PortConfig& p = cfg.ports[i];
    EncodeTable::PortRewrite& rw = encode_->port[ports.PortId(i)];
    if (p.set_src_mac) {
      rw.set_src = true;
      rw.src = ToEther(*p.set_src_mac);
    }
    if (p.set_dst_mac) {
      rw.set_dst = true;
      rw.dst = ToEther(*p.set_dst_mac);
    }
    rw.vlan = p.encode.vlan;
    rw.vlan_tci = p.encode.vlan_tci;
    rw.truncate = p.encode.truncate;
    BuildEncapTemplate(p.encode.encap, rw);
    rw.any = rw.set_src || rw.set_dst || p.encode.Any();
  }

  uint16_t next_tx_queue = 0;
  for (unsigned c = 0; c < cfg.pipeline.chains.size(); ++c) {
    const config::ChainConfig& chain = cfg.pipeline.chains[c];
    if (chain.rx.size() > kMaxRxQueuesPerChain)  // validation refuses it: a guard for configs built in code
      return Status::Error(EINVAL, fmt::format("chain {} polls more than {} RX queues", c, kMaxRxQueuesPerChain));
    SegmentPlan* last = nullptr;
    SegmentPlan* upstream = nullptr;  // what feeds this segment: every lcore of a fan-out has the same
    for (unsigned s = 0; s < chain.segments.size(); ++s) {
      const config::SegmentConfig& seg = chain.segments[s];
      if (seg.replica == 0) upstream = last;
      const int socket = static_cast<int>(rte_lcore_to_socket_id(seg.lcore));
      SegmentPlan* plan = nullptr;
      if (!chain.OwnsLcore(s)) {
        // The lcore before the fan-out runs its first replica: one loop from its own first
        // stage to tx, the other lcores' shares leaving before the fan-out's first stage.
        plan = upstream;
        plan->run = SegmentKeepingShareEntry(plan->first, seg.first);
        plan->last = seg.last;
        plan->ring_out.KeepOwnShare(seg.weight);
      } else {
        plan = NewOnSocket<SegmentPlan>("ingestd_segment", socket);
        if (plan == nullptr)
          return Status::Error(ENOMEM, fmt::format("cannot allocate lcore {}'s plan; raise eal.memory_mb", seg.lcore));
        plans_.push_back(plan);
        plan->run = SegmentEntry(seg.first, seg.last);
        plan->first = seg.first;
        plan->last = seg.last;
        plan->lcore = seg.lcore;
        plan->chain = c;
        plan->timing_mask = cfg.stats.stage_timing_every - 1;
        plan->rx.Configure(control_.get(), cfg.pipeline.burst);
        plan->parse.Configure(cfg.parse);
        plan->process.Configure(routes_, nullptr);
        plan->encode.Configure(encode_);
        // Every lcore gets its (small) capture ring now, so a capture can start at run time.
        plan->drop_tap.ring = rte_ring_create_elem(fmt::format("ingestd_cap_{}", seg.lcore).c_str(),
                                                   sizeof(capture::DropRecord), cfg.capture.ring_size, socket,
                                                   RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
        if (plan->drop_tap.ring == nullptr)
          return Status::Error(rte_errno, fmt::format("cannot create lcore {}'s drop capture ring ({} slots): {}",
                                                      seg.lcore, cfg.capture.ring_size, rte_strerror(rte_errno)));
      }
      // Every lcore that transmits has a TX queue of its own on each output port.
      if (seg.last == config::Stage::kTx) plan->tx.Configure(next_tx_queue++, cfg.pipeline.tx_retries);
      if (seg.first <= config::Stage::kProcess && config::Stage::kProcess <= seg.last) {
        plan->process.Configure(routes_, clone_pool);
        process_plans_.push_back(plan);
        if (cfg.flows.enabled) {
          const uint64_t ms = rte_get_tsc_hz() / 1000;
          std::unique_ptr<flows::FlowTable> table;
          if (auto st = flows::FlowTable::Create(fmt::format("ingestd_flows_{}", seg.lcore), cfg.flows.capacity,
                                                 kFlowExportRing, cfg.flows.idle_timeout_ms * ms,
                                                 cfg.flows.active_timeout_ms * ms, socket, table);
              !st.ok())
            return st;
          plan->process.ConfigureFlows(table.get());
          flow_tables_.push_back(std::move(table));
        }
      }
      if (seg.first == config::Stage::kRx) {
        for (const config::RxQueueRef& q : chain.rx) {
          rte_mempool* pool = ports.RxPool(q.port);
          plan->rx.Add(RxQueue{
              ports.PortId(q.port), q.queue, rte_mempool_default_cache(pool, seg.lcore),
              static_cast<uint32_t>(sizeof(rte_mbuf) + rte_pktmbuf_priv_size(pool) + RTE_PKTMBUF_HEADROOM)});
        }
      }
      if (upstream != nullptr && plan != upstream) {
        const std::string name = fmt::format("c{}_s{}", c, s);
        rte_ring* ring = rte_ring_create(("ingestd_" + name).c_str(), chain.ring_size, socket,
                                         RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (ring == nullptr) {
          return Status::Error(rte_errno, fmt::format("cannot create ring {} ({} slots): {}", name,
                                                      chain.ring_size, rte_strerror(rte_errno)));
        }
        links_.push_back({name, upstream, plan, ring});
        upstream->ring_out.Add(ring, chain.ring_policy, seg.weight);
        plan->ring_in.Configure(ring, cfg.pipeline.burst, &upstream->done);
      }
      last = plan;
    }
  }
  // Every process lcore reports quiescent states, so rules can be swapped in later
  // even when the file starts without any.
  const auto readers = static_cast<uint32_t>(process_plans_.size());
  if (readers != 0) {
    const size_t bytes = rte_rcu_qsbr_get_memsize(readers);
    qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ingestd_rules_qsbr", bytes, RTE_CACHE_LINE_SIZE));
    if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, readers) != 0)
      return Status::Error(ENOMEM, "cannot set up the rules' quiescent-state variable; raise eal.memory_mb");
    for (uint32_t i = 0; i < readers; ++i) {
      process_plans_[i]->process.ConfigureQsbr(qsbr_, i);
      rte_rcu_qsbr_thread_register(qsbr_, i);
    }
  }
  if (!cfg.rules.empty()) {
    if (auto s = MakeGeneration(cfg.rules, current_); !s.ok()) return s;
    current_.number = 1;
    for (size_t i = 0; i < process_plans_.size(); ++i)
      process_plans_[i]->process.SetRules(current_.per_plan[i]);
  }
  return Status::Ok();
}

Status Pipeline::MakeGeneration(const std::vector<config::RuleConfig>& rules, Generation& out) const {
  const std::string name = fmt::format("ingestd_rules_g{}", current_.number + 1);
  if (auto s = rules::RuleSet::Build(rules, port_ids_, name, SOCKET_ID_ANY, out.set); !s.ok()) return s;
  if (out.set->mirrors() && clone_pool_ == nullptr)
    return Status::Error(EINVAL, "a rule mirrors, but no clone pool was made at start (it is made when the file "
                                 "starts with rules); restart ingestd to add the first mirror");
  for (SegmentPlan* plan : process_plans_) {
    const int socket = static_cast<int>(rte_lcore_to_socket_id(plan->lcore));
    auto* active = NewOnSocket<ActiveRules>("ingestd_active_rules", socket);
    const size_t n = std::max<size_t>(out.set->size(), 1);
    auto* hits = static_cast<stats::Counter*>(
        rte_zmalloc_socket("ingestd_rule_hits", sizeof(stats::Counter) * n, RTE_CACHE_LINE_SIZE, socket));
    if (active == nullptr || hits == nullptr) {
      DeleteOnSocket(active);
      rte_free(hits);
      return Status::Error(ENOMEM, fmt::format("cannot allocate lcore {}'s rule counters; raise eal.memory_mb",
                                               plan->lcore));
    }
    for (size_t r = 0; r < n; ++r) new (&hits[r]) stats::Counter();
    active->set = out.set.get();
    active->hits = hits;
    out.per_plan.push_back(active);
  }
  return Status::Ok();
}

void Pipeline::Free(Generation& g) {
  for (ActiveRules* a : g.per_plan) {
    rte_free(a->hits);
    DeleteOnSocket(a);
  }
  g.per_plan.clear();
  g.set.reset();
}

Status Pipeline::SwapRules(const std::vector<config::RuleConfig>& rules) {
  FreeRetiredRules();
  Generation next;
  if (auto s = MakeGeneration(rules, next); !s.ok()) {
    Free(next);
    return s;
  }
  next.number = current_.number + 1;
  for (size_t i = 0; i < process_plans_.size(); ++i)
    process_plans_[i]->process.SetRules(next.per_plan[i]);
  // Every online lcore passes a quiescent state between two bursts: after that none
  // can hold the old pointer. Lcores that have exited are offline and not waited for.
  if (qsbr_ != nullptr) rte_rcu_qsbr_check(qsbr_, rte_rcu_qsbr_start(qsbr_), true);
  retired_ = std::move(current_);
  current_ = std::move(next);
  return Status::Ok();
}

std::vector<const stats::Counter*> Pipeline::RetiredRuleHits() const {
  std::vector<const stats::Counter*> out;
  for (const ActiveRules* a : retired_.per_plan) out.push_back(a->hits);
  return out;
}

void Pipeline::FreeRetiredRules() { Free(retired_); }

void Pipeline::SetPacketLimit(uint64_t packets) noexcept {
  control_->rx_limited = true;
  control_->rx_budget.store(static_cast<int64_t>(packets), std::memory_order_relaxed);
}

Status Pipeline::Launch() {
  for (SegmentPlan* plan : plans_) {
    if (!rte_lcore_is_enabled(plan->lcore) || plan->lcore == rte_get_main_lcore()) {
      return Status::Error(EINVAL, fmt::format("lcore {} is not an enabled worker lcore", plan->lcore));
    }
    if (int rc = rte_eal_remote_launch(LaunchTrampoline, plan, plan->lcore); rc != 0) {
      StopRx();
      return Status::Error(-rc, fmt::format("cannot launch lcore {}: {}", plan->lcore, rte_strerror(-rc)));
    }
    launched_.push_back(plan->lcore);
  }
  return Status::Ok();
}

void Pipeline::StopRx() noexcept { control_->stop_rx.store(true, std::memory_order_relaxed); }

void Pipeline::Wait() {
  for (unsigned lcore : launched_) rte_eal_wait_lcore(lcore);
  launched_.clear();
}

uint64_t Pipeline::ReceivedPackets() const noexcept {
  uint64_t n = 0;
  for (const SegmentPlan* p : plans_) n += p->counters.rx_pkts.Load();
  return n;
}

std::vector<Pipeline::RingView> Pipeline::Rings() const {
  std::vector<RingView> out;
  for (const RingLink& l : links_)
    out.push_back({l.name, l.to->chain, l.from->lcore, l.to->lcore, l.ring, l.from->ring_out.CountersOf(l.ring)});
  return out;
}

std::vector<flows::FlowTable*> Pipeline::FlowTables() const {
  std::vector<flows::FlowTable*> out;
  for (const auto& t : flow_tables_) out.push_back(t.get());
  return out;
}

std::vector<const stats::Counter*> Pipeline::RuleHits() const {
  std::vector<const stats::Counter*> out;
  for (const ActiveRules* a : current_.per_plan) out.push_back(a->hits);
  return out;
}

std::vector<Pipeline::TapView> Pipeline::DropTaps() const {
  std::vector<TapView> out;
  for (SegmentPlan* p : plans_) out.push_back({p->lcore, &p->drop_tap, &p->counters});
  return out;
}

std::vector<Pipeline::LcoreView> Pipeline::Lcores() const {
  std::vector<LcoreView> out;
  for (const SegmentPlan* p : plans_) out.push_back({p->lcore, p->chain, p->first, p->last, &p->counters});
  return out;
}

}  // namespace ingestd::stages
