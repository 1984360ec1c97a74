// SPDX-License-Identifier: BSD-3-Clause
// Checks a capture filter (libpcap syntax) without opening any device.
#pragma once

#include <cstdint>
#include <string>

#include "ingestd/status.hpp"

namespace ingestd::config {

/// Compiles `filter` for Ethernet frames of up to `snaplen` bytes with libpcap.
/// Ok when it compiles (or is empty); else an error with libpcap's message.
/// Threading: any thread (libpcap's compiler is serialised inside).
Status CheckCaptureFilter(const std::string& filter, uint32_t snaplen);

}  // namespace ingestd::config
