// SPDX-License-Identifier: BSD-3-Clause
// Output captures as tshark decodes them: one row of fields per frame.
#pragma once

#include <string>
#include <vector>

#include "harness.hpp"

namespace ingestd::testing {

/// tshark -T fields over `pcap`: one row per frame, one cell per field ("" when absent).
/// `occurrence` picks which of a repeated field (outer or tunnelled header): f first, l last.
std::vector<std::vector<std::string>> TsharkFields(const std::string& pcap, const std::vector<std::string>& fields,
                                                   const TempDir& dir, char occurrence = 'f');

/// tshark prints booleans as 1/0 (4.0) or True/False (4.2 on).
inline bool TsharkTrue(const std::string& field) { return field == "1" || field == "True"; }

}  // namespace ingestd::testing
