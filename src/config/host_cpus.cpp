// SPDX-License-Identifier: BSD-3-Clause
// The CPUs this process may run on: what lcore pinning is validated against.
#include <sched.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config {
namespace internal {

std::vector<unsigned> ParseCpuList(const std::string& text) {
  std::vector<unsigned> cpus;
  std::stringstream in(text);
  std::string range;
  while (std::getline(in, range, ',')) {
    unsigned lo = 0;
    unsigned hi = 0;
    const size_t dash = range.find('-');
    try {
      lo = static_cast<unsigned>(std::stoul(range.substr(0, dash)));
      hi = dash == std::string::npos ? lo : static_cast<unsigned>(std::stoul(range.substr(dash + 1)));
    } catch (const std::exception&) {
      continue;
    }
    for (unsigned c = lo; c <= hi && c < CPU_SETSIZE; ++c) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace internal

std::vector<unsigned> HostCpus() {
  std::vector<unsigned> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  // The affinity mask honours taskset/cgroup limits; the online list does not.
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) {
    std::ifstream online("/sys/devices/system/cpu/online");
    std::string text;
    if (std::getline(online, text)) cpus = internal::ParseCpuList(text);
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

}  // namespace ingestd::config
