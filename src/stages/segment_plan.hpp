// SPDX-License-Identifier: BSD-3-Clause
// What one lcore runs: its stages, inputs, outputs and counters. Built on the
// control path, read-only on the lcore except for its counters and done flag.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_config.h>
#include <rte_ether.h>

#include "ingestd/capture/drop_tap.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/packet/parse.hpp"
#include "ingestd/stats/counters.hpp"

struct rte_mempool;
struct rte_mempool_cache;
struct rte_rcu_qsbr;
struct rte_ring;

namespace ingestd::rules {
class RuleSet;
}
namespace ingestd::flows {
class FlowTable;
}

namespace ingestd::stages {

using config::Stage;

/// Bursts are at most 64 packets: enough to amortise a PMD call and a ring
/// operation, small enough that a burst's mbuf headers and metadata stay in L1.
inline constexpr uint16_t kMaxBurst = 64;
/// Packets a stage may hand on from one burst: each may gain a mirror copy.
inline constexpr uint16_t kMaxBurstOut = 2 * kMaxBurst;
inline constexpr unsigned kMaxRxQueuesPerChain = 64;
inline constexpr unsigned kMaxPorts = RTE_MAX_ETHPORTS;
inline constexpr unsigned kMaxQueuesPerPort = 64;

/// Shared by the main thread (writer) and every lcore (readers).
struct RunControl {
  std::atomic<bool> stop_rx{false};
  /// Packets still to receive when a limit is set (--packets): RX reserves
  /// from it before each burst so the total never exceeds the limit.
  std::atomic<int64_t> rx_budget{0};
  bool rx_limited = false;
};

/// Port map, indexed by DPDK port id and RX queue: output port id or kDropRoute.
struct RouteTable {
  uint16_t out[kMaxPorts][kMaxQueuesPerPort];
};

/// Encode-stage rewrites, indexed by output port id.
struct EncodeTable {
  using Vlan = config::EncodeConfig::Vlan;
  struct PortRewrite {
    bool any = false;  // some rewrite below applies: the per-packet fast path tests this alone
    bool set_src = false;
    bool set_dst = false;
    Vlan vlan = Vlan::kKeep;
    uint16_t vlan_tci = 0;
    uint32_t truncate = 0;  // snap length, 0 = whole frames
    uint8_t encap_len = 0;  // outer header bytes to prepend (0 = none)
    bool encap_udp = false; // VXLAN (UDP length and source port to fill) rather than GRE
    rte_ether_addr src{};
    rte_ether_addr dst{};
    alignas(8) uint8_t encap_header[64] = {};  // Ethernet + IPv4 (+ UDP + VXLAN | + GRE), lengths and checksum 0
  };
  PortRewrite port[kMaxPorts];
};

/// Fills `rw`'s outer header template from the port's encap config.
void BuildEncapTemplate(const config::EncapConfig& encap, EncodeTable::PortRewrite& rw);

struct RxQueue {
  uint16_t port_id;
  uint16_t queue;
  /// This lcore's cache of the pool the queue takes buffers from, and where a
  /// buffer's data starts from its mbuf: for RX buffer look-ahead (rx_stage.hpp).
  rte_mempool_cache* pool_cache = nullptr;
  uint32_t data_offset = 0;
};

/// One generation of rules as a process lcore applies it: swapped whole on reload.
struct ActiveRules {
  const rules::RuleSet* set = nullptr;
  stats::Counter* hits = nullptr;  // one per rule, this lcore's
};

struct SegmentPlan;
using SegmentFn = int (*)(SegmentPlan& plan) noexcept;

struct alignas(RTE_CACHE_LINE_SIZE) SegmentPlan {
  // Read-only after launch.
  SegmentFn run = nullptr;
  Stage first = Stage::kRx;
  Stage last = Stage::kTx;
  unsigned lcore = 0;
  unsigned chain = 0;
  uint16_t burst = 32;
  uint16_t tx_retries = 4;
  uint16_t tx_queue = 0;  // this chain's TX queue on every output port
  uint16_t rx_count = 0;
  /// Stages are timed on bursts whose number & timing_mask == 0 (1 in mask+1).
  uint32_t timing_mask = 7;
  uint32_t out_ring_capacity = 0;
  packet::ParseOptions parse_options;  // from the config's parse section
  RxQueue rx[kMaxRxQueuesPerChain] = {};
  rte_ring* in_ring = nullptr;   // from the previous segment, when first != kRx
  rte_ring* out_ring = nullptr;  // to the next segment, when last != kTx
  config::RingPolicy ring_policy = config::RingPolicy::kDrop;
  const RouteTable* routes = nullptr;
  const EncodeTable* encode = nullptr;
  /// process: the rules in force (null: none); the control thread swaps it and frees
  /// the old one once every reader has passed a quiescent state on `qsbr`.
  std::atomic<const ActiveRules*> rules{nullptr};
  rte_rcu_qsbr* qsbr = nullptr;           // process: set when this lcore reads `rules`
  unsigned qsbr_thread = 0;
  rte_mempool* clone_pool = nullptr;      // process: indirect mbufs for mirror copies
  flows::FlowTable* flows = nullptr;      // process: this lcore's flow table, when flows are on
  RunControl* control = nullptr;
  const std::atomic<bool>* upstream_done = nullptr;  // previous segment's `done`

  /// The drop capture's switch and ring: the control thread writes the switch, so it
  /// has a line of its own (read, never written, by this lcore).
  alignas(RTE_CACHE_LINE_SIZE) capture::DropTap drop_tap;

  // Written by this lcore only.
  alignas(RTE_CACHE_LINE_SIZE) std::atomic<bool> done{false};
  stats::LcoreCounters counters;
};

/// The loop for `plan.first..plan.last` (one template instance per span).
SegmentFn SegmentEntry(Stage first, Stage last) noexcept;

}  // namespace ingestd::stages
