// SPDX-License-Identifier: BSD-3-Clause
// The sizes the dataplane's fixed tables are built for. Config validation refuses
// what exceeds them, so a file that passes --check-config never fails at run time
// on one of these. No DPDK here (config needs none); src/stages/segment_plan.hpp
// asserts them against the DPDK build.
#pragma once

namespace ingestd {

/// Packets per burst (pipeline.burst): enough to amortise a PMD call and a ring
/// operation, small enough that a burst's mbuf headers and metadata stay in L1.
inline constexpr unsigned kMaxBurst = 64;
/// RX or TX queues of one port (rx_queues, tx_queues): the port map's width.
inline constexpr unsigned kMaxQueuesPerPort = 64;
/// Ports (RTE_MAX_ETHPORTS of Debian 12's DPDK 22.11): the port map's height.
inline constexpr unsigned kMaxPorts = 32;
/// RX queues one chain polls (its RX segment's queue table).
inline constexpr unsigned kMaxRxQueuesPerChain = 64;
/// Lcores (RTE_MAX_LCORE): lcore ids are 0 .. kMaxLcores - 1.
inline constexpr unsigned kMaxLcores = 128;
/// Lcores one segment fans out over (`lcores: [..]`): the rings its upstream spreads to.
inline constexpr unsigned kMaxFanout = 16;
/// A fan-out's weights (`weights: [..]`) add up to at most this: the hash picks one of
/// this many slots, each slot an lcore's.
inline constexpr unsigned kMaxFanoutSlots = 64;

}  // namespace ingestd
