// SPDX-License-Identifier: BSD-3-Clause
// The thread-local allocation tally pointer (see alloc_tally.hpp).
#include "ingestd/stats/alloc_tally.hpp"

namespace ingestd::stats {

constinit thread_local LcoreCounters* t_alloc_tally __attribute__((tls_model("initial-exec"))) = nullptr;

}  // namespace ingestd::stats
