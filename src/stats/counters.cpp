// SPDX-License-Identifier: BSD-3-Clause
// Names of drop slots, as stats and reports show them.
#include "ingestd/stats/counters.hpp"

#include <fmt/format.h>

namespace ingestd::stats {

std::string DropSlotName(unsigned slot) {
  if (slot < kOtherDropBase) return fmt::format("malformed:{}", packet::kParseVerdictNames[slot]);
  return std::string(kOtherDropNames[slot - kOtherDropBase]);
}

}  // namespace ingestd::stats
