// SPDX-License-Identifier: BSD-3-Clause
// Whether this host can back EAL memory with hugepages, and what to do if not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"

namespace ingestd::dataplane {

struct HugepageInfo {
  uint64_t free_pages = 0;    // HugePages_Free
  uint64_t page_size_kb = 0;  // Hugepagesize
  bool mounted = false;       // a hugetlbfs mount exists
};

/// Reads /proc/meminfo and /proc/mounts. Missing files read as "no hugepages".
HugepageInfo ProbeHugepages();

/// Mount points of every hugetlbfs, from /proc/mounts.
std::vector<std::string> HugetlbfsMounts();

struct HugepageDecision {
  bool use_hugepages = false;
  bool fatal = false;   // hugepages: require, and they are not there
  std::string message;  // one line for the operator; empty when all is well
};

/// Decides between hugepages and --no-huge for `memory_mb` of EAL memory.
HugepageDecision DecideHugepages(config::HugepageMode mode, unsigned memory_mb,
                                 const HugepageInfo& info);

}  // namespace ingestd::dataplane
