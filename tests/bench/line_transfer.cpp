// SPDX-License-Identifier: BSD-3-Clause
// line_transfer: what one cache line costs to move between two CPUs — the price a pipeline
// layout pays for every line of a packet that changes lcore. Two threads pinned to the given
// CPUs pass a counter back and forth in one line; a round trip is two transfers.
//   build/tests/bench/line_transfer [CPU_A CPU_B]      (default 0 1)
#include <pthread.h>
#include <sched.h>
#include <x86intrin.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

alignas(64) std::atomic<long> g_turn{0};

bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/// Waits for the counter to reach each of its values (`first`, `first` + 2, ...) and bumps it.
void Play(long first, long rounds) {
  for (long v = first; v < 2 * rounds; v += 2) {
    while (g_turn.load(std::memory_order_acquire) != v) {
    }
    g_turn.store(v + 1, std::memory_order_release);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int cpu_a = argc > 2 ? std::atoi(argv[1]) : 0;
  const int cpu_b = argc > 2 ? std::atoi(argv[2]) : 1;
  constexpr long kRounds = 1'000'000;
  bool pinned_b = false;
  std::thread other([&] {
    pinned_b = PinTo(cpu_b);
    Play(1, kRounds);
  });
  if (!PinTo(cpu_a)) {
    std::fprintf(stderr, "line_transfer: cannot pin to CPU %d\n", cpu_a);
    other.detach();
    return 1;
  }
  const unsigned long long start = __rdtsc();
  Play(0, kRounds);
  other.join();
  const double cycles = static_cast<double>(__rdtsc() - start);
  if (!pinned_b) {
    std::fprintf(stderr, "line_transfer: cannot pin to CPU %d\n", cpu_b);
    return 1;
  }
  std::printf("CPU %d <-> CPU %d: %.0f TSC cycles per round trip, %.0f per line transfer\n", cpu_a, cpu_b,
              cycles / kRounds, cycles / (2 * kRounds));
  return 0;
}
