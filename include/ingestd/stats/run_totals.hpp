// SPDX-License-Identifier: BSD-3-Clause
// A run's counters summed at the end: the --final-stats JSON and the printed summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingestd/stats/counters.hpp"

namespace ingestd::stats {

struct PortTotals {
  std::string name;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t imissed = 0;
  uint64_t ierrors = 0;
  uint64_t oerrors = 0;
  uint64_t rx_nombuf = 0;
};

struct LcoreTotals {
  unsigned lcore = 0;
  unsigned chain = 0;
  std::string stages;  // e.g. "rx..parse"
  uint64_t values[std::size(kLcoreCounterInfo)] = {};
  uint64_t drops[kDropSlots] = {};
};

/// Everything a finished run reports. Control path only.
struct RunTotals {
  std::vector<LcoreTotals> lcores;
  std::vector<PortTotals> ports;
  uint64_t mbufs_in_use = 0;
  uint64_t mbufs_total = 0;

  /// Adds one lcore's block (relaxed reads; exact once the lcore has stopped).
  void AddLcore(unsigned lcore, unsigned chain, std::string stages, const LcoreCounters& c);

  uint64_t Sum(Counter LcoreCounters::*member) const;
  uint64_t DropsAt(unsigned slot) const;
  uint64_t Received() const { return Sum(&LcoreCounters::rx_pkts); }
  uint64_t Transmitted() const { return Sum(&LcoreCounters::tx_pkts); }
  uint64_t Dropped() const;
  /// received == transmitted + dropped: nothing in flight, nothing lost unseen.
  bool Conserved() const { return Received() == Transmitted() + Dropped(); }

  /// {"totals": {...}, "ports": [...], "lcores": [...]} — see README "Final stats".
  nlohmann::json ToJson() const;
  /// A few human lines: totals, drops by reason, ports, conservation, leaks.
  std::string Summary() const;
};

}  // namespace ingestd::stats
