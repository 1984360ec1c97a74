// SPDX-License-Identifier: BSD-3-Clause
// EAL for the stage unit tests: no hugepages, no PCI, no telemetry, a unique file
// prefix, and `lcores` lcores spread over the first two CPUs this process may use
// (lcore i on the i % 2-th; one CPU: all share it).
#pragma once

#include <sched.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <rte_eal.h>

#include "ingestd/dataplane/eal.hpp"

namespace ingestd::stages::testing {

/// rte_eal_init's result (< 0: failed). Once per process.
inline int StartTestEal(const std::string& name, unsigned lcores) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return -1;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  if (cpus.empty()) return -1;
  std::string list = "--lcores=";
  for (unsigned i = 0; i < lcores; ++i)
    list += (i ? "," : "") + std::to_string(i) + "@" + std::to_string(cpus[i % cpus.size()]);
  static std::vector<std::string> args;
  args = {name, "--no-huge", "--no-pci", "-m", "128", list, "--no-telemetry", "--log-level=warning",
          "--file-prefix=ingestd-unit-" + name + "-" + std::to_string(getpid())};
  static std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return rte_eal_init(static_cast<int>(argv.size()), argv.data());
}

/// Ends EAL and removes its runtime files.
inline void StopTestEal() {
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  dataplane::RemoveRuntimeFiles(runtime_dir);
}

}  // namespace ingestd::stages::testing
