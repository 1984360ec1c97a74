// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: the `rules:` section -> RuleConfig, each error at its line:col.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics.hpp"
#include "ingestd/config/rules.hpp"
#include "yaml_reader.hpp"

namespace ingestd::config::internal {

/// Resolves a port name to its index, reporting an unknown one at `at`.
using PortLookup = std::function<std::optional<uint16_t>(const std::string& name, Mark at, std::string_view what)>;

/// Reads `field` (a list of rules) into `out`, in file order. Rules with errors
/// are reported and left out.
void LoadRules(const Field& field, Diagnostics& diag, const PortLookup& port_by_name,
               std::vector<RuleConfig>& out);

}  // namespace ingestd::config::internal
