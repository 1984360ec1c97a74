// SPDX-License-Identifier: BSD-3-Clause
// What the control thread builds and the stages read: run control, the port map,
// the encode rewrites, RX queue descriptions, the rules in force. Sized by
// ingestd/limits.hpp, which is checked here against the DPDK build.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_config.h>
#include <rte_ethdev.h>
#include <rte_ether.h>

#include "ingestd/config/config.hpp"
#include "ingestd/limits.hpp"
#include "ingestd/stats/counters.hpp"

struct rte_mempool_cache;

namespace ingestd::rules {
class RuleSet;
}

namespace ingestd::stages {

// Config validation refuses what the tables below cannot hold; DPDK must hold them too.
static_assert(kMaxPorts == RTE_MAX_ETHPORTS, "the port map is indexed by DPDK port id");
static_assert(kMaxQueuesPerPort <= RTE_MAX_QUEUES_PER_PORT);
static_assert(kMaxLcores == RTE_MAX_LCORE, "config accepts lcore ids DPDK can run");

/// Packets a stage may hand on from one burst: each may gain a mirror copy.
inline constexpr uint16_t kMaxBurstOut = 2 * kMaxBurst;

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
  /// buffer's data starts from its mbuf: for RX buffer look-ahead (rx_source.hpp).
  rte_mempool_cache* pool_cache = nullptr;
  uint32_t data_offset = 0;
};

/// One generation of rules as a process lcore applies it: swapped whole on reload.
struct ActiveRules {
  const rules::RuleSet* set = nullptr;
  stats::Counter* hits = nullptr;  // one per rule, this lcore's
};

}  // namespace ingestd::stages
