// SPDX-License-Identifier: BSD-3-Clause
// Entry points: read the file, parse, validate, throw every error at once.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"
#include "loader.hpp"

namespace ingestd::config {
namespace {

std::filesystem::path AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir.empty() ? "." : dir, ec);
  if (ec) abs = dir;
  return abs.lexically_normal();
}

RuntimeConfig Load(const std::string& text, const std::string& source,
                   const std::filesystem::path& base_dir, const LoadOptions& options) {
  internal::Diagnostics diag(source);
  internal::Parsed parsed;
  if (internal::ParseYaml(text, base_dir.string(), diag, parsed)) {
    internal::Validate(parsed, options.cpus ? *options.cpus : HostCpus(), diag);
  }
  diag.ThrowIfAny();
  parsed.cfg.source = source;
  return std::move(parsed.cfg);
}

}  // namespace

std::optional<uint16_t> RuntimeConfig::FindPort(const std::string& name) const {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) return static_cast<uint16_t>(i);
  }
  return std::nullopt;
}

RuntimeConfig LoadConfig(const std::string& path) { return LoadConfig(path, LoadOptions{}); }

RuntimeConfig LoadConfig(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, 0, 0, "cannot read the config: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, 0, 0, fmt::format("cannot read the config: {}", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path, 0, 0, "cannot read the config: read error");
  // Relative paths inside the file are relative to the file, not to the cwd.
  return Load(text.str(), path, AbsoluteDir(path).parent_path(), options);
}

RuntimeConfig LoadConfigFromString(const std::string& text, const std::string& source,
                                   const std::string& base_dir) {
  return LoadConfigFromString(text, source, base_dir, LoadOptions{});
}

RuntimeConfig LoadConfigFromString(const std::string& text, const std::string& source,
                                   const std::string& base_dir, const LoadOptions& options) {
  return Load(text, source, AbsoluteDir(base_dir), options);
}

}  // namespace ingestd::config
