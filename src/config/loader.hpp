// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: the parsed config plus the positions of values the
// typed structs keep no Mark for, handed from the YAML loader to validation.
#pragma once

#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config::internal {

struct PortMarks {
  Mark tx_queues;  // the value, or the port when defaulted
  Mark mtu;        // the value, or the port when unset
  bool ok = true;  // name, queue counts and mtu parsed: cross-checks may trust them
};

struct SegmentMarks {
  Mark lcore;
  Mark cpu;                // the value, or the lcore's when defaulted
  bool cpu_given = false;
  bool cpu_ok = true;      // false: cpu had an error of its own
};

struct ChainMarks {
  std::vector<Mark> rx;    // one per RxQueueRef (an expanded bare port repeats its entry)
  std::vector<SegmentMarks> segments;
  bool stages_ok = true;   // every segment's stage list parsed and in order
};

struct RouteMarks {
  Mark from;
  Mark to;
};

/// What the loader found, for the checks that span sections.
struct Parsed {
  RuntimeConfig cfg;
  Mark root;
  Mark main_lcore;
  Mark main_cpu;   // the value, or main_lcore's when defaulted
  bool main_cpu_given = false;
  Mark memory_mb;
  Mark cache;
  Mark data_room;
  std::vector<PortMarks> ports;
  std::vector<ChainMarks> chains;
  std::vector<RouteMarks> routes;
  size_t chain_count = 0;  // chain entries in the file, parsed or not
  bool eal_ok = true;
  bool pipeline_ok = true;  // burst, tx_retries, mempool
  // False when something meant to poll or route a queue did not resolve, so
  // "polled by no chain" / "has no route" would mislead.
  bool chains_ok = true;
  bool routes_ok = true;
};

/// YAML text -> Parsed, reporting syntax, type, range, name, reference and
/// per-node errors. Returns false if the text is not usable YAML at all.
bool ParseYaml(const std::string& text, const std::string& base_dir, Diagnostics& diag,
               Parsed& out);

/// Checks across sections: lcores and CPUs, stage coverage, the port map,
/// mempool sizing. Skips what an earlier error already made unreliable.
void Validate(const Parsed& parsed, const std::vector<unsigned>& cpus, Diagnostics& diag);

}  // namespace ingestd::config::internal
