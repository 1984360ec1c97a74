// SPDX-License-Identifier: BSD-3-Clause
// Builds the rte_eal_init argv from a validated config: an array, never a shell line.
#include "ingestd/config/eal_args.hpp"

#include <fmt/format.h>

namespace ingestd::config {

std::vector<std::string> BuildEalArgs(const RuntimeConfig& cfg, const std::string& program,
                                      bool use_hugepages) {
  std::vector<std::string> args;
  args.push_back(program);

  std::string lcores = fmt::format("{}@{}", cfg.eal.main_lcore, cfg.eal.main_cpu);
  for (const ChainConfig& chain : cfg.pipeline.chains) {
    for (size_t s = 0; s < chain.segments.size(); ++s)
      if (chain.OwnsLcore(s)) lcores += fmt::format(",{}@{}", chain.segments[s].lcore, chain.segments[s].cpu);
  }
  args.push_back("--lcores=" + lcores);
  args.push_back(fmt::format("--main-lcore={}", cfg.eal.main_lcore));
  args.push_back("--file-prefix=" + cfg.eal.file_prefix);
  args.push_back("-m");
  args.push_back(fmt::format("{}", cfg.eal.memory_mb));
  if (!use_hugepages) args.push_back("--no-huge");
  if (cfg.eal.base_virtaddr != 0) args.push_back(fmt::format("--base-virtaddr={:#x}", cfg.eal.base_virtaddr));

  // Only what the file names is probed: an allow-list, or no PCI scan at all.
  bool any_pci = false;
  for (const PortConfig& port : cfg.ports) {
    if (!port.is_pci) continue;
    any_pci = true;
    std::string allow = port.device;
    for (const DeviceArg& arg : port.args) allow += fmt::format(",{}={}", arg.key, arg.value);
    args.push_back("-a");
    args.push_back(std::move(allow));
  }
  if (!any_pci) args.push_back("--no-pci");

  for (const PortConfig& port : cfg.ports) {
    if (port.is_pci) continue;
    std::string vdev = "--vdev=" + port.device;
    for (const DeviceArg& arg : port.args) vdev += fmt::format(",{}={}", arg.key, arg.value);
    args.push_back(std::move(vdev));
  }
  args.push_back("--log-level=" + cfg.eal.log_level);
  return args;
}

}  // namespace ingestd::config
