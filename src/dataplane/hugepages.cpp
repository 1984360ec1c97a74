// SPDX-License-Identifier: BSD-3-Clause
// Hugepage probing from /proc: decided before EAL starts, so a shortage is explained, not crashed into.
#include "ingestd/dataplane/hugepages.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ingestd::dataplane {

HugepageInfo ProbeHugepages() {
  HugepageInfo info;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit_or_rest;
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream in(line);
    if (!(in >> key >> value)) continue;
    if (key == "HugePages_Free:") info.free_pages = value;
    if (key == "Hugepagesize:") info.page_size_kb = value;
  }
  info.mounted = !HugetlbfsMounts().empty();
  return info;
}

std::vector<std::string> HugetlbfsMounts() {
  std::vector<std::string> out;
  std::ifstream mounts("/proc/mounts");
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream in(line);
    std::string device, mount_point, fs_type;
    if (in >> device >> mount_point >> fs_type && fs_type == "hugetlbfs") out.push_back(mount_point);
  }
  return out;
}

HugepageDecision DecideHugepages(config::HugepageMode mode, unsigned memory_mb,
                                 const HugepageInfo& info) {
  HugepageDecision d;
  if (mode == config::HugepageMode::kOff) return d;  // asked for --no-huge: nothing to say

  const uint64_t free_mb = info.free_pages * info.page_size_kb / 1024;
  const uint64_t pages_needed =
      info.page_size_kb ? (uint64_t{memory_mb} * 1024 + info.page_size_kb - 1) / info.page_size_kb
                        : uint64_t{memory_mb} / 2;
  const std::string how = fmt::format(
      "reserve them with: echo {} > /proc/sys/vm/nr_hugepages{}", pages_needed,
      info.mounted ? "" : " && mount -t hugetlbfs nodev /dev/hugepages");
  std::string why;
  if (!info.mounted) {
    why = "no hugetlbfs is mounted";
  } else if (free_mb < memory_mb) {
    why = fmt::format("{} MiB of hugepages free, {} MiB needed (eal.memory_mb)", free_mb, memory_mb);
  }
  if (why.empty()) {
    d.use_hugepages = true;
    return d;
  }
  if (mode == config::HugepageMode::kRequire) {
    d.fatal = true;
    d.message = fmt::format("hugepages required but {}; {}", why, how);
  } else {
    d.message = fmt::format("{}; running with --no-huge (slower DMA mappings); {}",
                            why, how);
  }
  return d;
}

}  // namespace ingestd::dataplane
