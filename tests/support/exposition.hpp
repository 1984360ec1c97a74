// SPDX-License-Identifier: BSD-3-Clause
// A strict reader of Prometheus text 0.0.4 and OpenMetrics 1.0.0 expositions, for checking what is served.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ingestd::testing {

struct ExposedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;  // as written
  double number = 0;  // value, parsed
};

struct ExposedFamily {
  std::string name;  // as in its TYPE line (OpenMetrics: a counter's without "_total")
  std::string type;
  std::string unit;  // OpenMetrics' UNIT, "" if none
  std::optional<std::string> help;  // its HELP text, if it has one
  std::vector<ExposedSample> samples;
  /// Label names over all samples, "le" left out.
  std::set<std::string> LabelNames() const;
};

struct Exposition {
  std::vector<ExposedFamily> families;
  /// Every departure from the format, one line each ("" never). Checked: the line
  /// grammar, one TYPE per family before its samples, at most one HELP (text: before
  /// the TYPE; OpenMetrics: HELP and UNIT after it), families not interleaved,
  /// sample names of their family's type (OpenMetrics counters end in "_total"),
  /// UNIT a suffix of its family, "# EOF" last in OpenMetrics only, and per histogram
  /// series: le ascending and ending in +Inf, counts cumulative, +Inf equal to _count.
  std::vector<std::string> problems;
  const ExposedFamily* Find(const std::string& name) const;
};

Exposition ParseExposition(const std::string& text, bool openmetrics);

}  // namespace ingestd::testing
