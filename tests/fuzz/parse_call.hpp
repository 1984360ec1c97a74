// SPDX-License-Identifier: BSD-3-Clause
// The parser calls the fuzz targets share: default options, and every option turned on.
#pragma once

#include <array>
#include <cstdint>

#include "ingestd/packet/packet_meta.hpp"
#include "ingestd/packet/parse.hpp"

// Complete once the parser takes options; declared so the targets build before and after.
namespace ingestd::packet {
struct ParseOptions;
}  // namespace ingestd::packet

namespace ingestd::fuzz {

template <typename T>
concept Complete = requires { sizeof(T); };

/// Parses [data, data + data_len) of a pkt_len-byte frame twice: default options, then every
/// tunnel, the deepest VLAN stack and checksum verification (same as default where the
/// parser has no options). Touches the outputs so nothing is optimised away.
template <typename Options = packet::ParseOptions>
std::array<packet::ParseVerdict, 2> ParseBothWays(const uint8_t* data, uint32_t data_len,
                                                  uint32_t pkt_len) {
  packet::PktMeta meta{};
  std::array<packet::ParseVerdict, 2> v{};
  v[0] = packet::ParseFrame(data, data_len, pkt_len, meta);
  if constexpr (Complete<Options>) {
    Options all{};
    all.tunnels = static_cast<decltype(all.tunnels)>(~0u);
    all.vlan_depth = static_cast<decltype(all.vlan_depth)>(~0u);  // clamped by the parser
    all.verify_ipv4_checksum = true;
    v[1] = packet::ParseFrame(data, data_len, pkt_len, meta, all);
  } else {
    v[1] = v[0];
  }
  // The views must point inside the first segment whenever the verdict is ok.
  if (meta.verdict == packet::ParseVerdict::kOk && meta.l4_off != packet::kNoOffset &&
      meta.l4_off > data_len)
    __builtin_trap();
  return v;
}

}  // namespace ingestd::fuzz
