// SPDX-License-Identifier: BSD-3-Clause
// PollUntil: how a test waits for something another process or thread does.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace ingestd::testing {

/// Calls `done` until it holds (true) or `limit` has passed (false). The pause between
/// calls only spaces them out: the condition is what synchronises, never the pause.
/// `interval`: what one call costs the system under test (an HTTP request: 100 ms).
template <typename F>
bool PollUntil(F&& done, std::chrono::milliseconds limit,
               std::chrono::milliseconds interval = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
  }
}

}  // namespace ingestd::testing
