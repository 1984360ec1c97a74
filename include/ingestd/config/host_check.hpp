// SPDX-License-Identifier: BSD-3-Clause
// What --check-config verifies on the host from sysfs, without starting DPDK: PCI drivers, CPUs, NUMA, hugepages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"

namespace ingestd::config {

/// One thing found on the host: an error stops the start, a warning or note does not.
struct HostFinding {
  enum class Severity : uint8_t { kError, kWarning, kNote };
  Severity severity = Severity::kError;
  std::string message;  // what is wrong and what to do about it
};

/// Where host facts are read from.
struct HostPaths {
  std::string sys = "/sys";
};

/// Environment variable that replaces /sys, for tests only (a fake tree in a temp dir).
inline constexpr const char* kSysfsRootEnv = "INGESTD_SYSFS_ROOT";

/// /sys, or $INGESTD_SYSFS_ROOT when set.
HostPaths HostPathsFromEnv();

/// Drivers a PCI port may be bound to: DPDK's own (vfio-pci, uio_pci_generic, igb_uio)
/// or a bifurcated kernel driver DPDK shares the device with (mlx5_core, mlx4_core).
bool IsDpdkPciDriver(const std::string& driver);
bool IsBifurcatedPciDriver(const std::string& driver);

/// Checks `cfg` against the host under `paths`: every PCI port exists and is bound to a
/// usable driver; every lcore's CPU exists and is online; lcores on the NUMA node of the
/// ports they poll and the pools they use (warnings); with `eal.hugepages: require` on a
/// host of several NUMA nodes, enough free hugepages on each node the lcores use. A
/// file that cannot be read counts as "unknown" and reports nothing. Touches only files
/// under `paths`. Threading: any thread.
std::vector<HostFinding> CheckHost(const RuntimeConfig& cfg, const HostPaths& paths);

}  // namespace ingestd::config
