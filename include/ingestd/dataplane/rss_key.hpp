// SPDX-License-Identifier: BSD-3-Clause
// The RSS key that sends both directions of a flow to the same RX queue.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ingestd::dataplane {

/// Toeplitz hashing with a key whose 16-bit pattern repeats (0x6d5a, Woo and
/// Park, "Scalable TCP Session Monitoring with Symmetric Receive-side
/// Scaling", 2012) gives the same hash when source and destination addresses
/// and ports are swapped: the IPv4 addresses sit 32 bits apart and the ports
/// 16 bits apart, both multiples of the pattern's period. So a chain sees both
/// directions of each flow. 52 bytes covers every key size ethdev drivers
/// report (40 for most, 52 for i40e/ice); a driver takes the first
/// hash_key_size bytes.
inline constexpr size_t kMaxRssKeyLen = 52;
inline constexpr std::array<uint8_t, kMaxRssKeyLen> kSymmetricRssKey = [] {
  std::array<uint8_t, kMaxRssKeyLen> key{};
  for (size_t i = 0; i < key.size(); i += 2) {
    key[i] = 0x6d;
    key[i + 1] = 0x5a;
  }
  return key;
}();

}  // namespace ingestd::dataplane
