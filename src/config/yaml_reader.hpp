// SPDX-License-Identifier: BSD-3-Clause
// Private to src/config: reading YAML values with located errors, shared by the
// config loader and the rules loader.
#pragma once

#include <cstdint>
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "diagnostics.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config::internal {

/// The node's position, 1-based; {0, 0} when yaml-cpp has none.
Mark MarkOf(const YAML::Node& node);
/// `s` with control bytes escaped and cut to 60 characters, for one-line messages.
std::string Printable(std::string_view s);
/// "'value'", "a list", "a mapping" or "nothing".
std::string Describe(const YAML::Node& node);

bool IsHex(char c);
bool IsDigit(char c);
bool IsPowerOfTwo(uint64_t v);
/// The power of two in lo..hi nearest to v.
uint64_t NearestPowerOfTwo(uint64_t v, uint64_t lo, uint64_t hi);

/// One key: value pair of a mapping.
struct Field {
  std::string key;
  YAML::Node value;
  Mark key_at;
  // The value's position. yaml-cpp marks an empty value at the next token,
  // possibly lines away, so an empty value points at its key instead.
  Mark at;
};

/// Reads a mapping with a fixed key set: reports duplicates and (on Finish)
/// unknown keys with a suggestion.
class MapReader {
 public:
  MapReader(Diagnostics& diag, const YAML::Node& node, std::string_view what,
            const std::vector<std::string>& keys, Mark at)
      : diag_(diag), keys_(keys), at_(at) {
    if (!node.IsMap()) {
      diag_.Error(at, fmt::format("expected a mapping for {}, got {}", what, Describe(node)));
      return;
    }
    is_map_ = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const Mark key_at = MarkOf(it->first);
      if (!it->first.IsScalar()) {
        diag_.Error(key_at, fmt::format("expected a key name, got {}", Describe(it->first)));
        continue;
      }
      Field f{it->first.Scalar(), it->second, key_at,
              it->second.IsNull() ? key_at : MarkOf(it->second)};
      auto found = fields_.find(f.key);
      if (found != fields_.end()) {
        diag_.Error(key_at, fmt::format("duplicate key '{}'", Printable(f.key)),
                    fmt::format("it is first given at line {}", found->second.key_at.line));
        continue;
      }
      fields_.emplace(f.key, f);
    }
  }

  bool is_map() const { return is_map_; }

  const Field* Get(const std::string& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : &it->second;
  }

  const Field* Require(const std::string& key, std::string_view context) {
    const Field* f = Get(key);
    if (f == nullptr && is_map_) {
      diag_.Error(at_, fmt::format("missing required key '{}' {}", key, context));
    }
    return f;
  }

  /// Reports keys that are not in the schema; `context` reads "in port 'wire'".
  void Finish(std::string_view context) {
    for (const auto& [key, f] : fields_) {
      if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) continue;
      std::string hint = DidYouMean(key, keys_);
      if (hint.empty()) hint = "known keys: " + JoinNames(keys_);
      diag_.Error(f.key_at, fmt::format("unknown key '{}' {}", Printable(key), context), hint);
    }
  }

 private:
  Diagnostics& diag_;
  const std::vector<std::string>& keys_;
  Mark at_;
  bool is_map_ = false;
  std::map<std::string, Field> fields_;
};

/// Typed readers of scalar values: each reports its own error (at the value,
/// naming the key) and returns nullopt.
class ValueReader {
 protected:
  explicit ValueReader(Diagnostics& diag) : diag_(diag) {}

  std::optional<uint64_t> Uint(const Field& f, uint64_t lo, uint64_t hi);
  std::optional<uint64_t> PowerOfTwo(const Field& f, uint64_t lo, uint64_t hi);
  std::optional<bool> Bool(const Field& f);
  std::optional<std::string> String(const Field& f);
  std::optional<size_t> Choice(const Field& f, const std::vector<std::string>& names);
  bool List(const Field& f);
  std::optional<MacAddress> Mac(const Field& f);

  template <typename T>
  void Set(const Field* f, T& dst, uint64_t lo, uint64_t hi) {
    if (f == nullptr) return;
    if (std::optional<uint64_t> v = Uint(*f, lo, hi)) dst = static_cast<T>(*v);
  }

  template <typename T>
  void SetPowerOfTwo(const Field* f, T& dst, uint64_t lo, uint64_t hi) {
    if (f == nullptr) return;
    if (std::optional<uint64_t> v = PowerOfTwo(*f, lo, hi)) dst = static_cast<T>(*v);
  }

  Diagnostics& diag_;
};

}  // namespace ingestd::config::internal
