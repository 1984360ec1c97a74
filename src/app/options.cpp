// SPDX-License-Identifier: BSD-3-Clause
// Command-line parsing with CLI11.
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <rte_version.h>

#include "ingestd/log/log.hpp"

namespace ingestd::app {

std::optional<int> ParseOptions(int argc, char** argv, Options& out) {
  CLI::App cli{"ingestd: zero-copy DPDK packet ingestion"};
  std::string check_path;
  double duration = 0;
  uint64_t packets = 0;
  std::string final_stats;
  std::string file_prefix;

  cli.add_option("-c,--config", out.config_path, "YAML port map and pipeline");
  // `--check-config FILE`, or `--check-config -c FILE` as a unit's ExecStartPre writes it.
  auto* check = cli.add_option("--check-config", check_path,
                               "validate FILE (or the -c file) and this host for it, start nothing, and exit")
                    ->expected(0, 1);
  cli.add_flag("--print-eal-args", out.print_eal_args,
               "print the EAL arguments the config yields (JSON array) and exit");
  auto* dur = cli.add_option("--duration", duration, "stop after SECONDS")->check(CLI::PositiveNumber);
  auto* pkts = cli.add_option("--packets", packets, "stop after N frames received")->check(CLI::PositiveNumber);
  auto* fs = cli.add_option("--final-stats", final_stats, "write the final counters as JSON to PATH");
  auto* fp = cli.add_option("--file-prefix", file_prefix, "override eal.file_prefix (runs side by side)");
  // rte_version() is the DPDK the binary was built against; answering needs no EAL.
  cli.set_version_flag("--version", std::string("ingestd ") + INGESTD_VERSION + " (" + rte_version() + ")");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (*check) {
    if (!check_path.empty() && !out.config_path.empty() && check_path != out.config_path) {
      log::Error("--check-config {} and -c {} name two files: give one", check_path, out.config_path);
      return 2;
    }
    if (!check_path.empty()) out.config_path = check_path;
    out.check_only = true;
  }
  if (out.config_path.empty()) {
    log::Error("no configuration: give -c FILE (try configs/demo.yaml)");
    return 2;
  }
  if (*dur) out.duration_s = duration;
  if (*pkts) out.packets = packets;
  if (*fs) out.final_stats_path = final_stats;
  if (*fp) out.file_prefix = file_prefix;
  return std::nullopt;
}

}  // namespace ingestd::app
