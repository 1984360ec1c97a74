// SPDX-License-Identifier: BSD-3-Clause
// Checks a capture filter (libpcap syntax) without opening any device.
#pragma once

#include <cstdint>
#include <string>

namespace ingestd::config {

/// Compiles `filter` for Ethernet frames of up to `snaplen` bytes with libpcap.
/// Returns libpcap's message for a bad filter, empty when it compiles (or is empty).
/// Threading: any thread (libpcap's compiler is serialised inside).
std::string CheckCaptureFilter(const std::string& filter, uint32_t snaplen);

}  // namespace ingestd::config
