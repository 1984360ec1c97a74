// SPDX-License-Identifier: BSD-3-Clause
// Idle polling that yields: spin briefly, then sleep, so more busy-polling
// lcores than CPUs still all make progress.
#pragma once

#include <rte_cycles.h>
#include <rte_pause.h>

#include "ingestd/stats/counters.hpp"

namespace ingestd::stages {

class IdleBackoff {
 public:
  /// Empty polls spent spinning before sleeping: ~64 x 50 ns covers a
  /// back-to-back burst gap without a syscall.
  static constexpr unsigned kSpinPolls = 64;
  /// Sleep per idle poll after that. Bounds the wake-up latency at low rates,
  /// and gives the CPU to another lcore when lcores outnumber CPUs.
  static constexpr unsigned kSleepUs = 20;

  void Idle(stats::LcoreCounters& c) noexcept {
    if (++idle_polls_ <= kSpinPolls) {
      rte_pause();
      return;
    }
    rte_delay_us_sleep(kSleepUs);
    c.idle_sleeps.Add(1);
  }
  void Busy() noexcept { idle_polls_ = 0; }

 private:
  unsigned idle_polls_ = 0;
};

}  // namespace ingestd::stages
