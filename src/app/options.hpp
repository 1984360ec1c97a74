// SPDX-License-Identifier: BSD-3-Clause
// ingestd's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ingestd::app {

struct Options {
  std::string config_path;
  bool check_only = false;       // --check-config: validate and exit
  bool print_eal_args = false;   // print the EAL argv as JSON and exit
  std::optional<double> duration_s;
  std::optional<uint64_t> packets;
  std::optional<std::string> final_stats_path;
  std::optional<std::string> file_prefix;  // overrides eal.file_prefix
};

/// Parses argv; on --help or an error prints and returns the exit code to use.
std::optional<int> ParseOptions(int argc, char** argv, Options& out);

}  // namespace ingestd::app
