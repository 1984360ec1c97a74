// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: ParseFrame on the input as one contiguous frame, default and all tunnels.
#include <cstdint>
#include <cstring>
#include <memory>

#include "parse_call.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xffff) return 0;  // frames past 64 KiB cannot be in an mbuf
  // An exactly-sized copy: ASan reports any read past the end of the frame.
  const auto len = static_cast<uint32_t>(size);
  std::unique_ptr<uint8_t[]> frame(new uint8_t[size == 0 ? 1 : size]);
  if (size != 0) std::memcpy(frame.get(), data, size);
  ingestd::fuzz::ParseBothWays(frame.get(), len, len);
  return 0;
}
