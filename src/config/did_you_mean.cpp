// SPDX-License-Identifier: BSD-3-Clause
// Name suggestions for typos in keys, enum values and references.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "diagnostics.hpp"

namespace ingestd::config::internal {
namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
// so "rx_qeueus" is as close to "rx_queues" as a single typo.
size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  constexpr size_t kMaxDistance = 2;
  constexpr size_t kMinPrefix = 3;
  std::optional<std::string> best;
  size_t best_distance = kMaxDistance + 1;
  for (const std::string& c : candidates) {
    if (c == word) continue;
    size_t distance = EditDistance(word, c);
    // Only a real typo counts: "ab" is 2 edits from every 2-letter word.
    if (distance >= word.size()) distance = kMaxDistance + 1;
    // A truncated key ("rx_que") is as good as one typo.
    if (word.size() >= kMinPrefix && c.starts_with(word)) distance = std::min<size_t>(distance, 1);
    if (distance < best_distance) {
      best_distance = distance;
      best = c;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> match = ClosestMatch(word, candidates);
  return match ? fmt::format("did you mean '{}'?", *match) : std::string();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string FormatCpuList(const std::vector<unsigned>& cpus) {
  std::string out;
  size_t i = 0;
  while (i < cpus.size()) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace ingestd::config::internal
