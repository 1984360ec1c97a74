// SPDX-License-Identifier: BSD-3-Clause
// The RSS key ports are configured with: Toeplitz over it hashes both directions
// of a flow alike (DPDK's software Toeplitz, rte_softrss, stands in for the NIC).
#include <array>
#include <cstdint>
#include <random>

#include <rte_thash.h>

#include <gtest/gtest.h>

#include "ingestd/dataplane/rss_key.hpp"

namespace ingestd::dataplane {
namespace {

// The Toeplitz key most NICs ship with (Microsoft's RSS specification): not symmetric.
constexpr std::array<uint8_t, 40> kDefaultToeplitzKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

/// 32-bit draws (std::mt19937 yields them as unsigned long).
struct Rng {
  explicit Rng(uint32_t seed) : engine(seed) {}
  uint32_t operator()() { return static_cast<uint32_t>(engine()); }
  std::mt19937 engine;
};

uint32_t HashV4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t* key) {
  uint32_t tuple[RTE_THASH_V4_L4_LEN] = {src, dst, (uint32_t{sport} << 16) | dport};
  return rte_softrss(tuple, RTE_THASH_V4_L4_LEN, key);
}

uint32_t HashV6(const std::array<uint32_t, 4>& src, const std::array<uint32_t, 4>& dst, uint16_t sport,
                uint16_t dport, const uint8_t* key) {
  uint32_t tuple[RTE_THASH_V6_L4_LEN] = {src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3],
                                         (uint32_t{sport} << 16) | dport};
  return rte_softrss(tuple, RTE_THASH_V6_L4_LEN, key);
}

TEST(SymmetricRssKey, BothDirectionsOfEveryFlowHashAlike) {
  Rng rng(7);
  for (int i = 0; i < 10000; ++i) {
    const uint32_t a = rng(), b = rng();
    const auto pa = static_cast<uint16_t>(rng()), pb = static_cast<uint16_t>(rng());
    ASSERT_EQ(HashV4(a, b, pa, pb, kSymmetricRssKey.data()), HashV4(b, a, pb, pa, kSymmetricRssKey.data()));
    const std::array<uint32_t, 4> x{rng(), rng(), rng(), rng()}, y{rng(), rng(), rng(), rng()};
    ASSERT_EQ(HashV6(x, y, pa, pb, kSymmetricRssKey.data()), HashV6(y, x, pb, pa, kSymmetricRssKey.data()));
  }
}

TEST(SymmetricRssKey, StillSpreadsFlowsOverQueues) {
  // Symmetry must not cost the spread: 4 queues, 4000 flows, each queue near a quarter.
  Rng rng(11);
  std::array<int, 4> per_queue{};
  for (int i = 0; i < 4000; ++i) {
    const uint32_t h = HashV4(rng(), rng(), static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()),
                              kSymmetricRssKey.data());
    ++per_queue[h % per_queue.size()];  // a 128-entry RETA filled round-robin maps h to h % queues
  }
  for (int n : per_queue) EXPECT_NEAR(n, 1000, 150);
}

TEST(SymmetricRssKey, TheUsualDefaultKeyIsNotSymmetric) {
  // The check above can fail: with the default key most reversed flows hash differently.
  Rng rng(7);
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t a = rng(), b = rng();
    const auto pa = static_cast<uint16_t>(rng()), pb = static_cast<uint16_t>(rng());
    same += HashV4(a, b, pa, pb, kDefaultToeplitzKey.data()) == HashV4(b, a, pb, pa, kDefaultToeplitzKey.data());
  }
  EXPECT_LT(same, 10);
}

}  // namespace
}  // namespace ingestd::dataplane
