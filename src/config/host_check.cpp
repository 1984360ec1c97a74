// SPDX-License-Identifier: BSD-3-Clause
// Host checks from sysfs: PCI drivers, lcore CPUs, NUMA placement, per-node hugepages.
#include "ingestd/config/host_check.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "diagnostics.hpp"

namespace ingestd::config {
namespace {

namespace fs = std::filesystem;
using Severity = HostFinding::Severity;

std::optional<std::string> FirstLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<long> ReadLong(const fs::path& path) {
  const std::optional<std::string> line = FirstLine(path);
  if (!line) return std::nullopt;
  char* end = nullptr;
  const long v = std::strtol(line->c_str(), &end, 10);
  if (end == line->c_str()) return std::nullopt;
  return v;
}

using internal::ParseCpuList;

std::string FormatCpus(std::vector<unsigned> cpus) {
  std::sort(cpus.begin(), cpus.end());
  return internal::FormatCpuList(cpus);
}

/// The host's NUMA nodes: node id -> its CPUs, from node/node<N>/cpulist.
std::map<int, std::vector<unsigned>> NumaNodes(const HostPaths& paths) {
  std::map<int, std::vector<unsigned>> nodes;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(paths.sys) / "devices/system/node", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 5 || name.compare(0, 4, "node") != 0) continue;
    char* end = nullptr;
    const long id = std::strtol(name.c_str() + 4, &end, 10);
    if (*end != '\0' || id < 0) continue;
    nodes[static_cast<int>(id)] = ParseCpuList(FirstLine(e.path() / "cpulist").value_or(""));
  }
  return nodes;
}

struct NodeHugepages {
  uint64_t free_kb = 0;
  uint64_t page_kb = 0;     // the smallest page size the node offers
  std::string nr_path;      // its nr_hugepages file
};

/// Free hugepage memory on one node, over every page size; nullopt if unknown.
std::optional<NodeHugepages> FreeHugepages(const HostPaths& paths, int node) {
  std::error_code ec;
  const fs::path dir = fs::path(paths.sys) / fmt::format("devices/system/node/node{}/hugepages", node);
  std::optional<NodeHugepages> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();  // hugepages-2048kB
    if (name.compare(0, 10, "hugepages-") != 0) continue;
    const uint64_t size_kb = std::strtoull(name.c_str() + 10, nullptr, 10);
    const std::optional<long> pages = ReadLong(e.path() / "free_hugepages");
    if (size_kb == 0 || !pages || *pages < 0) continue;
    if (!out) out.emplace();
    out->free_kb += static_cast<uint64_t>(*pages) * size_kb;
    if (out->page_kb == 0 || size_kb < out->page_kb) {
      out->page_kb = size_kb;
      out->nr_path = (e.path() / "nr_hugepages").string();
    }
  }
  return out;
}

struct LcoreUse {
  unsigned lcore = 0;
  unsigned cpu = 0;
  std::string who;  // "lcore 1" or "the main lcore (lcore 0)"
};

std::vector<LcoreUse> Lcores(const RuntimeConfig& cfg) {
  std::vector<LcoreUse> out;
  out.push_back({cfg.eal.main_lcore, cfg.eal.main_cpu, fmt::format("the main lcore (lcore {})", cfg.eal.main_lcore)});
  for (const ChainConfig& chain : cfg.pipeline.chains)
    for (size_t s = 0; s < chain.segments.size(); ++s)
      if (chain.OwnsLcore(s)) {
        const SegmentConfig& seg = chain.segments[s];
        out.push_back({seg.lcore, seg.cpu, fmt::format("lcore {}", seg.lcore)});
      }
  return out;
}

void CheckPci(const PortConfig& p, const HostPaths& paths, std::vector<HostFinding>& out) {
  const fs::path dev = fs::path(paths.sys) / "bus/pci/devices" / p.device;
  std::error_code ec;
  if (!fs::exists(dev, ec)) {
    out.push_back({Severity::kError,
                   fmt::format("port '{}': PCI device {} does not exist on this host (no {}): check the address "
                               "with `dpdk-devbind.py --status` or `lspci -D`",
                               p.name, p.device, dev.string())});
    return;
  }
  const fs::path link = fs::read_symlink(dev / "driver", ec);
  const std::string driver = ec ? std::string() : link.filename().string();
  if (driver.empty()) {
    out.push_back({Severity::kError,
                   fmt::format("port '{}': {} is bound to no driver: bind it with dpdk-devbind.py --bind=vfio-pci {}",
                               p.name, p.device, p.device)});
  } else if (IsBifurcatedPciDriver(driver)) {
    out.push_back({Severity::kNote,
                   fmt::format("port '{}': {} is driven by {}, a bifurcated driver: DPDK shares the device with the "
                               "kernel, no bind needed{}",
                               p.name, p.device, driver,
                               p.args.empty() ? "" : " (its args are passed as device arguments)")});
  } else if (!IsDpdkPciDriver(driver)) {
    out.push_back({Severity::kError,
                   fmt::format("port '{}': {} is bound to {}, not a DPDK driver: bind it with "
                               "dpdk-devbind.py --bind=vfio-pci {} (or list a bifurcated device)",
                               p.name, p.device, driver, p.device)});
  } else if (driver == "vfio-pci" && !fs::exists(dev / "iommu_group", ec)) {
    out.push_back({Severity::kWarning,
                   fmt::format("port '{}': {} is bound to vfio-pci but has no IOMMU group: turn the IOMMU on "
                               "(intel_iommu=on or amd_iommu=on) or load vfio with enable_unsafe_noiommu_mode=1",
                               p.name, p.device)});
  }
}

void CheckCpus(const RuntimeConfig& cfg, const HostPaths& paths, std::vector<HostFinding>& out) {
  const fs::path cpus = fs::path(paths.sys) / "devices/system/cpu";
  std::error_code ec;
  if (!fs::is_directory(cpus, ec)) return;  // nothing to go by
  const std::vector<unsigned> present = ParseCpuList(FirstLine(cpus / "present").value_or(""));
  std::set<unsigned> seen;
  for (const LcoreUse& l : Lcores(cfg)) {
    if (!seen.insert(l.cpu).second) continue;
    const fs::path cpu = cpus / fmt::format("cpu{}", l.cpu);
    if (!fs::is_directory(cpu, ec)) {
      out.push_back({Severity::kError,
                     fmt::format("{}: CPU {} does not exist on this host{}: pin it to a CPU that does", l.who, l.cpu,
                                 present.empty() ? "" : fmt::format(" (present: {})", FormatCpus(present)))});
    } else if (ReadLong(cpu / "online").value_or(1) == 0) {  // CPU 0 often has no "online" file: always on
      out.push_back({Severity::kError, fmt::format("{}: CPU {} is offline: bring it online with echo 1 > {}", l.who,
                                                   l.cpu, (cpu / "online").string())});
    }
  }
}

void CheckNuma(const RuntimeConfig& cfg, const HostPaths& paths,
               const std::map<int, std::vector<unsigned>>& nodes, std::vector<HostFinding>& out) {
  std::map<unsigned, int> node_of_cpu;
  for (const auto& [node, cpus] : nodes)
    for (unsigned c : cpus) node_of_cpu[c] = node;
  auto cpu_node = [&](unsigned cpu) {
    const auto it = node_of_cpu.find(cpu);
    return it == node_of_cpu.end() ? -1 : it->second;
  };
  auto node_cpus = [&](int node) {
    const auto it = nodes.find(node);
    return it == nodes.end() ? std::string("?") : FormatCpus(it->second);
  };
  std::vector<int> port_node(cfg.ports.size(), -1);
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    if (!cfg.ports[i].is_pci) continue;
    port_node[i] = static_cast<int>(
        ReadLong(fs::path(paths.sys) / "bus/pci/devices" / cfg.ports[i].device / "numa_node").value_or(-1));
  }
  for (const ChainConfig& chain : cfg.pipeline.chains) {
    for (size_t s = 0; s < chain.segments.size(); ++s) {
      if (!chain.OwnsLcore(s)) continue;
      const SegmentConfig& seg = chain.segments[s];
      const int node = cpu_node(seg.cpu);
      if (node < 0) continue;
      std::set<int> warned;
      for (const RxQueueRef& rx : chain.rx) {
        const int pnode = port_node[rx.port];
        if (pnode < 0 || pnode == node || !warned.insert(pnode).second) continue;
        const PortConfig& p = cfg.ports[rx.port];
        if (s == 0) {
          out.push_back({Severity::kWarning,
                         fmt::format("lcore {} (CPU {}, NUMA node {}) polls port '{}' ({}) on node {}: every packet "
                                     "crosses the interconnect; pin it to a CPU of node {} ({})",
                                     seg.lcore, seg.cpu, node, p.name, p.device, pnode, pnode, node_cpus(pnode))});
        } else {
          out.push_back({Severity::kWarning,
                         fmt::format("lcore {} (CPU {}, NUMA node {}) handles mbufs from the pool of port '{}' on "
                                     "node {}: pin it to a CPU of node {} ({})",
                                     seg.lcore, seg.cpu, node, p.name, pnode, pnode, node_cpus(pnode))});
        }
      }
    }
  }
}

// EAL's -m memory is spread over the nodes in proportion to the lcores on each
// (as EAL does without --socket-mem); each of those nodes must have its share free.
void CheckHugepagesPerNode(const RuntimeConfig& cfg, const HostPaths& paths,
                           const std::map<int, std::vector<unsigned>>& nodes, std::vector<HostFinding>& out) {
  if (cfg.eal.hugepages != HugepageMode::kRequire || nodes.size() < 2) return;
  std::map<int, unsigned> lcores_on;
  std::vector<LcoreUse> lcores = Lcores(cfg);
  for (const LcoreUse& l : lcores)
    for (const auto& [node, cpus] : nodes)
      if (std::find(cpus.begin(), cpus.end(), l.cpu) != cpus.end()) ++lcores_on[node];
  for (const auto& [node, count] : lcores_on) {
    const uint64_t needed = (uint64_t{cfg.eal.memory_mb} * count + lcores.size() - 1) / lcores.size();
    const std::optional<NodeHugepages> huge = FreeHugepages(paths, node);
    if (!huge || huge->free_kb >= needed * 1024) continue;
    const uint64_t more = (needed * 1024 - huge->free_kb + huge->page_kb - 1) / huge->page_kb;
    out.push_back({Severity::kError,
                   fmt::format("hugepages: NUMA node {} has {} MiB free, {} MiB needed there ({} of {} lcores on it, "
                               "eal.memory_mb {}): reserve {} more {} kB pages on it (raise {} by {})",
                               node, huge->free_kb / 1024, needed, count, lcores.size(), cfg.eal.memory_mb, more,
                               huge->page_kb, huge->nr_path, more)});
  }
}

}  // namespace

HostPaths HostPathsFromEnv() {
  HostPaths paths;
  if (const char* root = std::getenv(kSysfsRootEnv); root != nullptr && *root != '\0') paths.sys = root;
  return paths;
}

bool IsDpdkPciDriver(const std::string& driver) {
  return driver == "vfio-pci" || driver == "uio_pci_generic" || driver == "igb_uio";
}

bool IsBifurcatedPciDriver(const std::string& driver) { return driver == "mlx5_core" || driver == "mlx4_core"; }

std::vector<HostFinding> CheckHost(const RuntimeConfig& cfg, const HostPaths& paths) {
  std::vector<HostFinding> out;
  for (const PortConfig& p : cfg.ports)
    if (p.is_pci) CheckPci(p, paths, out);
  CheckCpus(cfg, paths, out);
  const std::map<int, std::vector<unsigned>> nodes = NumaNodes(paths);
  CheckNuma(cfg, paths, nodes, out);
  CheckHugepagesPerNode(cfg, paths, nodes, out);
  return out;
}

}  // namespace ingestd::config
