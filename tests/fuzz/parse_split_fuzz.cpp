// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: ParseFrame on a frame whose first segment holds only part of it (the last
// input byte picks how much), as for a multi-segment mbuf. Checks the documented promise: the
// verdict is the one-segment verdict, or headers_not_contiguous, and never a truncation.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "parse_call.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 0xffff) return 0;
  const auto pkt_len = static_cast<uint32_t>(size);
  const auto data_len = static_cast<uint32_t>((data[size - 1] * (size + 1)) >> 8);  // 0..size
  // Only the first segment is allocated: ASan catches a read past data_len.
  std::unique_ptr<uint8_t[]> first(new uint8_t[data_len == 0 ? 1 : data_len]);
  if (data_len != 0) std::memcpy(first.get(), data, data_len);
  const auto split = ingestd::fuzz::ParseBothWays(first.get(), data_len, pkt_len);

  std::unique_ptr<uint8_t[]> whole(new uint8_t[size]);
  std::memcpy(whole.get(), data, size);
  const auto full = ingestd::fuzz::ParseBothWays(whole.get(), pkt_len, pkt_len);
  for (int i = 0; i < 2; ++i) {
    if (split[i] != full[i] && split[i] != ingestd::packet::ParseVerdict::kHeadersNotContiguous)
      std::abort();  // segmentation changed the verdict
  }
  return 0;
}
