// SPDX-License-Identifier: BSD-3-Clause
// How the parser tests call ParseFrame: on an exactly-sized heap copy of the bytes it may
// read, so AddressSanitizer reports any read past them, into a meta full of 0xa5, so a field
// the parser forgets to write shows up.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/parse.hpp"

namespace ingestd::packet {

/// Parses the first `data_len` bytes of `frame` (all by default) as a packet of `pkt_len`
/// bytes (default: what is given, i.e. one contiguous segment).
inline PktMeta ParseCopy(const framegen::Bytes& frame, const ParseOptions& opts = {}, uint64_t ol_flags = 0,
                         size_t data_len = SIZE_MAX, uint32_t pkt_len = UINT32_MAX) {
  const size_t n = std::min(data_len, frame.size());
  std::unique_ptr<uint8_t[]> copy(new uint8_t[n]);
  if (n != 0) std::memcpy(copy.get(), frame.data(), n);
  PktMeta m;
  std::memset(&m, 0xa5, sizeof(m));
  const uint32_t len = pkt_len == UINT32_MAX ? static_cast<uint32_t>(n) : pkt_len;
  EXPECT_EQ(ParseFrame(copy.get(), static_cast<uint32_t>(n), len, m, opts, ol_flags), m.verdict);
  return m;
}

/// The same parse: every byte equal but those rx, process and the ring hand-off write.
inline bool SameParse(const PktMeta& a, const PktMeta& b) {
  PktMeta x = a;
  PktMeta y = b;
  x.rx_tsc = y.rx_tsc = 0;
  x.in_port = y.in_port = x.in_queue = y.in_queue = x.out_port = y.out_port = 0;
  x.ring_tsc = y.ring_tsc = 0;
  return std::memcmp(&x, &y, sizeof(x)) == 0;
}

}  // namespace ingestd::packet
