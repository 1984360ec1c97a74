// SPDX-License-Identifier: BSD-3-Clause
// Prefetch for a line about to be written.
#pragma once

namespace ingestd::stages {

/// Brings `p`'s line into L1 in a writable state, so that a store to a line
/// last written on another core finds it here instead of waiting for it.
/// PREFETCHW itself: with DPDK's -march=corei7, __builtin_prefetch(p, 1)
/// compiles to a read prefetch, which leaves the ownership transfer to the
/// store. CPUs without PREFETCHW execute it as a NOP.
inline void PrefetchForWrite(const void* p) noexcept {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

}  // namespace ingestd::stages
