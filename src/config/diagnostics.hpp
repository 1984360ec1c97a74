// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: collects located errors and suggests close names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingestd/config/config.hpp"

namespace ingestd::config::internal {

/// Collects every error of one file so an operator fixes it in one pass.
class Diagnostics {
 public:
  explicit Diagnostics(std::string source) : source_(std::move(source)) {}

  /// Records an error at `at` (a Mark with line 0 prints as "file:0:0").
  void Error(Mark at, std::string message, std::string hint = {});

  size_t count() const noexcept { return errors_.size(); }
  const std::string& source() const noexcept { return source_; }

  /// Throws ConfigErrors, sorted into file order, if anything was recorded.
  void ThrowIfAny();

 private:
  std::string source_;
  std::vector<ConfigError> errors_;
};

/// The candidate closest to `word`: edit distance (with transpositions) at most
/// 2 and shorter than the word, or `word` a prefix of it (3+ characters).
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// "did you mean 'x'?" or empty.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

/// Compact CPU list as in sysfs: "0-3,6" (`cpus` ascending).
std::string FormatCpuList(const std::vector<unsigned>& cpus);

/// Parses a sysfs CPU list such as "0-3,6"; malformed ranges are skipped.
std::vector<unsigned> ParseCpuList(const std::string& text);

}  // namespace ingestd::config::internal
