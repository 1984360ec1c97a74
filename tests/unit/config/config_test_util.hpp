// SPDX-License-Identifier: BSD-3-Clause
// Helpers for the config tests: load inline YAML with a fixed CPU set, inspect errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "ingestd/config/config.hpp"

namespace ingestd::config::testing {

/// Eight CPUs, whatever this machine has: results never depend on the host.
inline LoadOptions TestOptions(std::vector<unsigned> cpus = {0, 1, 2, 3, 4, 5, 6, 7}) {
  LoadOptions o;
  o.cpus = std::move(cpus);
  return o;
}

/// The smallest valid file: one port, one lcore, everything dropped. Section tests
/// append the section they look at, so its lines start at line 15.
inline constexpr const char* kOnePortConfig = R"(eal:
  file_prefix: edge1
ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)";

/// The base directory relative device-arg paths resolve against in tests.
inline constexpr const char* kBaseDir = "/cfg";

inline RuntimeConfig Load(const std::string& yaml, const LoadOptions& options = TestOptions()) {
  return LoadConfigFromString(yaml, "test.yaml", kBaseDir, options);
}

/// Every error `yaml` produces; empty (and a test failure) if it loads.
inline std::vector<ConfigError> ErrorsOf(const std::string& yaml,
                                         const LoadOptions& options = TestOptions()) {
  try {
    Load(yaml, options);
  } catch (const ConfigErrors& e) {
    return e.errors();
  }
  ADD_FAILURE() << "expected errors, but the config loaded:\n" << yaml;
  return {};
}

inline std::string Dump(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) out += std::string("  ") + e.what() + "\n";
  return out;
}

/// True if some error sits at line:col and its message contains `needle`.
inline ::testing::AssertionResult HasError(const std::vector<ConfigError>& errors, int line,
                                           int column, std::string_view needle) {
  for (const ConfigError& e : errors) {
    if (e.line() == line && e.column() == column &&
        e.message().find(needle) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no error at " << line << ":" << column
                                       << " containing \"" << needle << "\"; got:\n"
                                       << Dump(errors);
}

/// The hint of the first error whose message contains `needle` ("<none>" if no such error).
inline std::string HintFor(const std::vector<ConfigError>& errors, std::string_view needle) {
  for (const ConfigError& e : errors) {
    if (e.message().find(needle) != std::string::npos) return e.hint();
  }
  return "<none>";
}

/// The single error `yaml` produces (a test failure if there are more or none).
inline ConfigError OnlyError(const std::string& yaml, const LoadOptions& options = TestOptions()) {
  std::vector<ConfigError> errors = ErrorsOf(yaml, options);
  if (errors.size() != 1) {
    ADD_FAILURE() << "expected exactly one error, got " << errors.size() << ":\n" << Dump(errors);
    if (errors.empty()) return ConfigError("none", 0, 0, "no error");
  }
  return errors.front();
}

}  // namespace ingestd::config::testing
