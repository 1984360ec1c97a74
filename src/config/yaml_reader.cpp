// SPDX-License-Identifier: BSD-3-Clause
// Reading YAML values with located errors (see yaml_reader.hpp).
#include "yaml_reader.hpp"

#include <charconv>

#include <fmt/format.h>

namespace ingestd::config::internal {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

namespace {

std::optional<MacAddress> ParseMac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * 3;
    if (!IsHex(s[at]) || !IsHex(s[at + 1]) || (i < 5 && s[at + 2] != ':')) return std::nullopt;
    unsigned value = 0;
    std::from_chars(s.data() + at, s.data() + at + 2, value, 16);
    mac.bytes[i] = static_cast<uint8_t>(value);
  }
  return mac;
}

}  // namespace

Mark MarkOf(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  // yaml-cpp counts from 0.
  return {m.line + 1, m.column + 1};
}

// Escapes control bytes (a "\0" in YAML yields a real NUL) so messages stay one line.
std::string Printable(std::string_view s) {
  constexpr size_t kMaxShown = 60;
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() > kMaxShown) out = out.substr(0, kMaxShown - 3) + "...";
  return out;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", Printable(node.Scalar()));
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

uint64_t NearestPowerOfTwo(uint64_t v, uint64_t lo, uint64_t hi) {
  uint64_t up = lo;
  while (up < v && up < hi) up <<= 1;
  const uint64_t down = up > lo ? up >> 1 : up;
  return (v - down < up - v) ? down : up;
}


std::optional<uint64_t> ValueReader::Uint(const Field& f, uint64_t lo, uint64_t hi) {
  if (!f.value.IsScalar()) {
    diag_.Error(f.at, fmt::format("{}: expected an integer, got {}", f.key, Describe(f.value)));
    return std::nullopt;
  }
  const std::string& s = f.value.Scalar();
  std::string_view digits(s);
  const bool negative = digits.starts_with('-');
  if (negative || digits.starts_with('+')) digits.remove_prefix(1);
  // YAML 1.2's core schema also reads 0x-prefixed hexadecimal as an integer (addresses).
  const bool hex = digits.starts_with("0x") || digits.starts_with("0X");
  if (hex) digits.remove_prefix(2);
  bool all_digits = !digits.empty();
  for (char c : digits) all_digits = all_digits && (hex ? IsHex(c) : IsDigit(c));
  if (!all_digits) {
    diag_.Error(f.at, fmt::format("{}: expected an integer, got '{}'", f.key, Printable(s)));
    return std::nullopt;
  }
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
  const bool zero = ec == std::errc() && v == 0;
  if (ec != std::errc() || (negative && !zero) || v < lo || v > hi) {
    diag_.Error(f.at, fmt::format("{} {} is out of range {}..{}", f.key, s, lo, hi));
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> ValueReader::PowerOfTwo(const Field& f, uint64_t lo, uint64_t hi) {
  std::optional<uint64_t> v = Uint(f, lo, hi);
  if (v && !IsPowerOfTwo(*v)) {
    diag_.Error(f.at, fmt::format("{} {} is not a power of two", f.key, *v),
                fmt::format("use {}", NearestPowerOfTwo(*v, lo, hi)));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ValueReader::Bool(const Field& f) {
  if (f.value.IsScalar()) {
    const std::string& s = f.value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  // yes/no/on/off are YAML 1.1 booleans some readers accept and others do
  // not: insist on the unambiguous spelling.
  diag_.Error(f.at, fmt::format("{}: expected true or false, got {}", f.key, Describe(f.value)));
  return std::nullopt;
}

std::optional<std::string> ValueReader::String(const Field& f) {
  if (!f.value.IsScalar()) {
    diag_.Error(f.at, f.value.IsNull()
                          ? fmt::format("{}: expected a value", f.key)
                          : fmt::format("{}: expected a string, got {}", f.key, Describe(f.value)));
    return std::nullopt;
  }
  return f.value.Scalar();
}

std::optional<size_t> ValueReader::Choice(const Field& f, const std::vector<std::string>& names) {
  std::optional<std::string> s = String(f);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (*s == names[i]) return i;
  }
  std::string hint = DidYouMean(*s, names);
  diag_.Error(f.at, fmt::format("{} must be one of {}, got '{}'", f.key, JoinNames(names),
                                Printable(*s)),
              hint);
  return std::nullopt;
}

bool ValueReader::List(const Field& f) {
  if (f.value.IsSequence()) return true;
  diag_.Error(f.at, fmt::format("{}: expected a list, got {}", f.key, Describe(f.value)));
  return false;
}

std::optional<MacAddress> ValueReader::Mac(const Field& f) {
  std::optional<std::string> s = String(f);
  if (!s) return std::nullopt;
  std::optional<MacAddress> mac = ParseMac(*s);
  if (!mac) {
    diag_.Error(f.at, fmt::format("{}: '{}' is not a MAC address", f.key, Printable(*s)),
                "write six hex bytes separated by ':', e.g. 02:00:00:00:00:01");
  }
  return mac;
}

}  // namespace ingestd::config::internal
