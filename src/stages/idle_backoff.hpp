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
  /// Time spent spinning before sleeping. Long enough that a dedicated lcore
  /// never sleeps while its neighbour is merely slower for a while (a ring
  /// that drains or fills for tens of microseconds); short enough that lcores
  /// sharing a CPU hand it over within a fraction of a scheduler slice.
  static constexpr unsigned kSpinUs = 200;
  /// Sleep per idle poll after that. Bounds the wake-up latency at low rates,
  /// and gives the CPU to another lcore when lcores outnumber CPUs.
  static constexpr unsigned kSleepUs = 20;

  IdleBackoff() noexcept : spin_cycles_(rte_get_tsc_hz() / 1'000'000 * kSpinUs) {}

  void Idle(stats::LcoreCounters& c) noexcept {
    const uint64_t now = rte_rdtsc();
    if (idle_since_ == 0) idle_since_ = now;
    if (now - idle_since_ < spin_cycles_) {
      rte_pause();
      return;
    }
    rte_delay_us_sleep(kSleepUs);
    c.idle_sleeps.Add(1);
  }
  void Busy() noexcept { idle_since_ = 0; }

 private:
  uint64_t spin_cycles_;
  uint64_t idle_since_ = 0;
};

}  // namespace ingestd::stages
