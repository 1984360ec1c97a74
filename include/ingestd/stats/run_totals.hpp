// SPDX-License-Identifier: BSD-3-Clause
// A run's totals, typed: computed once from a snapshot, read by the reports and ingestd's exit checks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::stats {

/// Sums over every lcore and mempool of one snapshot. The packets fields count
/// frames; the allocation fields are what the lcores took or copied in all.
struct RunTotals {
  uint64_t rx_packets = 0;  // lcore rx_pkts
  uint64_t tx_packets = 0;  // lcore tx_pkts
  uint64_t clones = 0;      // mirror copies: packets that leave without having arrived
  uint64_t dropped = 0;     // every drop counter
  std::map<std::string, uint64_t> drops;  // by reason label ("route_drop", "malformed:..."), zeros kept

  uint64_t mbufs_in_use = 0;
  uint64_t mbufs_total = 0;
  uint64_t mbufs_kept_by_devices = 0;  // held by ports past their close: not a leak

  uint64_t mbufs_taken = 0;
  uint64_t heap_allocs = 0;
  uint64_t heap_bytes = 0;
  uint64_t bytes_copied = 0;

  /// Every packet in (and every mirror copy) left or was dropped with a reason.
  /// Only a stopped writer's snapshot must hold it: a running one has packets in flight.
  bool Conserved() const noexcept { return rx_packets + clones == tx_packets + dropped; }
  /// Mbufs out of their pools that no device accounts for.
  uint64_t MbufsLeaked() const noexcept {
    return mbufs_in_use > mbufs_kept_by_devices ? mbufs_in_use - mbufs_kept_by_devices : 0;
  }
  /// `n` per received packet (0 without packets).
  double PerPacket(uint64_t n) const noexcept {
    return rx_packets == 0 ? 0 : static_cast<double>(n) / static_cast<double>(rx_packets);
  }
};

/// Which metrics add up to which field: every scalar of `group` named `name`, whatever
/// its labels (the catalogue in docs/metrics.md). Drops are summed apart, by reason.
struct RunTotalSource {
  std::string_view group;
  std::string_view name;
  uint64_t RunTotals::*field;
};
inline constexpr RunTotalSource kRunTotalSources[] = {
    {"lcore", "rx_pkts", &RunTotals::rx_packets},
    {"lcore", "tx_pkts", &RunTotals::tx_packets},
    {"lcore", "clones", &RunTotals::clones},
    {"lcore", "mbufs_taken", &RunTotals::mbufs_taken},
    {"lcore", "heap_allocs", &RunTotals::heap_allocs},
    {"lcore", "heap_bytes", &RunTotals::heap_bytes},
    {"lcore", "bytes_copied", &RunTotals::bytes_copied},
    {"mempool", "mbufs_in_use", &RunTotals::mbufs_in_use},
    {"mempool", "mbufs_total", &RunTotals::mbufs_total},
    {"mempool", "mbufs_kept_by_devices", &RunTotals::mbufs_kept_by_devices},
};

/// The totals of `s`: kRunTotalSources, plus every "drops" counter.
RunTotals ComputeRunTotals(const Snapshot& s);

}  // namespace ingestd::stats
