// SPDX-License-Identifier: BSD-3-Clause
// Which counters block, if any, counts this thread's heap allocations.
#pragma once

#include "ingestd/stats/counters.hpp"

namespace ingestd::stats {

/// Set by a data-path lcore for its own block while it runs, null elsewhere.
/// The malloc/new interposer linked into ingestd counts into it; a binary
/// without the interposer simply counts nothing. Initial-exec TLS: reading it
/// from malloc never allocates. constinit: no dynamic initialisation, so no TLS
/// wrapper call (and no wrapper check) on each access; UBSan's null check of
/// that wrapper's result also misfires once the linker relaxes the TLS access.
extern constinit thread_local LcoreCounters* t_alloc_tally __attribute__((tls_model("initial-exec")));

/// Counts this thread's allocations into `c` for the lifetime of the scope.
class ScopedAllocTally {
 public:
  explicit ScopedAllocTally(LcoreCounters& c) noexcept { t_alloc_tally = &c; }
  ~ScopedAllocTally() { t_alloc_tally = nullptr; }
  ScopedAllocTally(const ScopedAllocTally&) = delete;
  ScopedAllocTally& operator=(const ScopedAllocTally&) = delete;
};

}  // namespace ingestd::stats
