// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: the `flows:` section -> FlowsConfig, errors at line:col.
#pragma once

#include <filesystem>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"
#include "yaml_reader.hpp"

namespace ingestd::config::internal {

/// A relative `jsonl` path resolves against `base_dir` (the config file's directory).
void LoadFlows(const Field& field, Diagnostics& diag, const std::filesystem::path& base_dir, FlowsConfig& out);

}  // namespace ingestd::config::internal
