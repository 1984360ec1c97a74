// SPDX-License-Identifier: BSD-3-Clause
// ConfigError/ConfigErrors formatting and the error collector the loader uses.
#include <algorithm>

#include <fmt/format.h>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config {
namespace {

std::string Format(const std::string& file, int line, int column, const std::string& message,
                   const std::string& hint) {
  // Line 0 means "no position" (e.g. an unreadable file): print just the file.
  std::string out = line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, message)
                             : fmt::format("{}: {}", file, message);
  if (!hint.empty()) out += fmt::format("\n  hint: {}", hint);
  return out;
}

std::string JoinWhat(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.what();
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string message,
                         std::string hint)
    : std::runtime_error(Format(file, line, column, message, hint)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors)
    : std::runtime_error(JoinWhat(errors)), errors_(std::move(errors)) {}

namespace internal {

void Diagnostics::Error(Mark at, std::string message, std::string hint) {
  errors_.emplace_back(source_, at.line, at.column, std::move(message), std::move(hint));
}

void Diagnostics::ThrowIfAny() {
  if (errors_.empty()) return;
  // Stable: errors at one position keep the order they were found in.
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line() != b.line() ? a.line() < b.line() : a.column() < b.column();
  });
  throw ConfigErrors(std::move(errors_));
}

}  // namespace internal
}  // namespace ingestd::config
