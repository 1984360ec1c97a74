// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: a port's `encode:` section -> EncodeConfig, errors at line:col.
#pragma once

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"
#include "yaml_reader.hpp"

namespace ingestd::config::internal {

void LoadEncode(const Field& field, Diagnostics& diag, EncodeConfig& out);

}  // namespace ingestd::config::internal
