// SPDX-License-Identifier: BSD-3-Clause
// INGESTD_FAULTS → FaultPlan: "name=START+DURATION[:ARG]" items, comma-separated.
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "ingestd/faults/fault_injection.hpp"

namespace ingestd::faults {
namespace {

bool ParseNumber(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// "START+DURATION[:ARG]": the window and, when present, the argument.
bool ParseWindow(std::string_view value, Window& w, std::string_view& arg) {
  const size_t colon = value.find(':');
  arg = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
  const std::string_view span = value.substr(0, colon);
  const size_t plus = span.find('+');
  if (plus == std::string_view::npos) return false;
  if (!ParseNumber(span.substr(0, plus), w.start_ms) || !ParseNumber(span.substr(plus + 1), w.duration_ms))
    return false;
  if (w.duration_ms == 0 || w.start_ms > 3'600'000 || w.duration_ms > 3'600'000) return false;
  w.enabled = true;
  return colon == std::string_view::npos || !arg.empty();
}

}  // namespace

Status ParseFaultPlan(std::string_view spec, FaultPlan& out) {
  out = FaultPlan{};
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;

    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    std::string_view arg;
    uint64_t n = 0;
    const auto bad = [&](std::string_view form) {
      return Status::Error(fmt::format("{}: bad item '{}': expected {}=START+DURATION{} (milliseconds, duration > 0)",
                                       kFaultsEnv, item, name, form));
    };
    if (name == "tx_stall") {
      if (!ParseWindow(value, out.tx_stall, arg)) return bad("[:ACCEPT]");
      if (!arg.empty()) {
        if (!ParseNumber(arg, n) || n > std::numeric_limits<uint16_t>::max()) return bad("[:ACCEPT]");
        out.tx_stall_accept = static_cast<uint16_t>(n);
      }
    } else if (name == "tx_slow" || name == "rx_slow") {
      const bool tx = name == "tx_slow";
      if (!ParseWindow(value, tx ? out.tx_slow : out.rx_slow, arg) || !ParseNumber(arg, n) || n == 0 ||
          n > 1'000'000)
        return bad(":NS (1..1000000 per packet)");
      (tx ? out.tx_slow_ns_per_packet : out.rx_slow_ns_per_packet) = n;
    } else if (name == "pool_hold") {
      if (!ParseWindow(value, out.pool_hold, arg)) return bad("[:LEAVE]");
      if (!arg.empty() && !ParseNumber(arg, out.pool_hold_leave)) return bad("[:LEAVE]");
    } else if (name == "double_free") {
      if (!ParseWindow(value, out.double_free, arg) || !arg.empty()) return bad("");
    } else {
      return Status::Error(fmt::format(
          "{}: unknown fault '{}' (known: tx_stall, tx_slow, rx_slow, pool_hold, double_free)", kFaultsEnv, name));
    }
  }
  return Status::Ok();
}

}  // namespace ingestd::faults
