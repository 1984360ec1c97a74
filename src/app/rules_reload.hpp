// SPDX-License-Identifier: BSD-3-Clause
// Live rule reload: SIGHUP or /ingestd/reload re-reads the config file's rules and
// swaps them in without stopping the lcores; a file with errors changes nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"

namespace ingestd::stages {
class Pipeline;
}
namespace ingestd::stats {
class StatsCollector;
}

namespace ingestd::app {

/// Set by the telemetry thread (/ingestd/reload); taken by the control loop.
inline std::atomic<bool> g_reload_requested{false};

/// Threading: Reload on the control (main) thread only, as the collector.
class RulesReloader {
 public:
  /// `host_cpus`: the CPUs as read before EAL pinned this thread to one (what the file
  /// was validated against at start).
  RulesReloader(std::string path, const config::RuntimeConfig& running, std::vector<unsigned> host_cpus,
                stages::Pipeline& pipeline, stats::StatsCollector& collector);

  /// Loads and validates the whole file, then swaps in its rules: every outcome is one
  /// line on stderr and a count in the stats (rule_reloads). Returns true if applied.
  bool Reload();

 private:
  bool Refuse(const std::string& why);

  std::string path_;
  const config::RuntimeConfig& running_;
  config::LoadOptions load_options_;
  stages::Pipeline& pipeline_;
  stats::StatsCollector& collector_;
  uint64_t applied_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace ingestd::app
