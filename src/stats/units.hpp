// SPDX-License-Identifier: BSD-3-Clause
// Time units of segment metrics ("tsc", "ns"), shared by the reports and the Prometheus exposition.
#pragma once

#include <cstdint>
#include <string_view>

namespace ingestd::stats {

inline bool IsTimeUnit(std::string_view unit) noexcept { return unit == "tsc" || unit == "ns"; }

/// Nanoseconds per unit of a time metric; 0 when it cannot be converted.
inline double NsPerUnit(std::string_view unit, uint64_t tsc_hz) noexcept {
  if (unit == "ns") return 1;
  if (unit == "tsc" && tsc_hz != 0) return 1e9 / static_cast<double>(tsc_hz);
  return 0;
}

}  // namespace ingestd::stats
