// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: the `capture:` section -> CaptureConfig, errors at line:col.
#pragma once

#include <filesystem>
#include <string>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"
#include "yaml_reader.hpp"

namespace ingestd::config::internal {

/// A relative `drops.file` resolves against `base_dir` (the config file's directory).
/// The filter is compiled with libpcap here, so a bad one is an error at its line:col.
void LoadCapture(const Field& field, Diagnostics& diag, const std::filesystem::path& base_dir, CaptureConfig& out);

}  // namespace ingestd::config::internal
