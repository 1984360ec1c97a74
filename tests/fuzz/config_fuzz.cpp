// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the YAML config loader on arbitrary text. Its contract is to throw
// ConfigErrors or ConfigError and nothing else; any other exception or a crash is a finding.
#include <cstdint>
#include <string>

#include "ingestd/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ingestd::config::LoadOptions options;
  options.cpus = std::vector<unsigned>{0, 1, 2, 3};  // independent of the fuzzing host
  try {
    (void)ingestd::config::LoadConfigFromString(text, "fuzz.yaml", "/nonexistent", options);
  } catch (const ingestd::config::ConfigErrors&) {
  } catch (const ingestd::config::ConfigError&) {
  }
  return 0;
}
