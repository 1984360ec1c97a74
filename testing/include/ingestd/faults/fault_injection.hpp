// SPDX-License-Identifier: BSD-3-Clause
// Faults injected on purpose, in the test build ingestd-fault only: an output
// that refuses packets, a slow transmitting lcore, a pool that runs dry. Each
// is installed from outside the data path (ethdev TX callbacks, a control
// thread on the pool), so ingestd itself carries none of this code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ingestd/status.hpp"

struct rte_mempool;

namespace ingestd::faults {

/// The environment variable ingestd-fault reads its plan from, once, at start.
inline constexpr const char* kFaultsEnv = "INGESTD_FAULTS";

/// A stretch of time counted from the first packet received, so a fault
/// starts once traffic flows however long start-up took.
struct Window {
  bool enabled = false;
  uint64_t start_ms = 0;
  uint64_t duration_ms = 0;
};

/// What to inject. Spelled in INGESTD_FAULTS as comma-separated items:
///   tx_stall=START+DURATION[:ACCEPT]  outputs take at most ACCEPT (default 0)
///                                     packets per tx_burst call
///   tx_slow=START+DURATION:NS         the lcore that transmits spends NS
///                                     nanoseconds per packet before each send
///   rx_slow=START+DURATION:NS         the lcore that receives spends NS
///                                     nanoseconds per packet after each receive
///                                     (an input rate limit); a delay never
///                                     outlasts its window, so a large NS
///                                     stalls the lcore until the window ends
///   pool_hold=START+DURATION[:LEAVE]  a control thread takes every mbuf it can
///                                     from the packet pools, leaving LEAVE
///                                     (default 0), and gives them back at the end
///   double_free=START+DURATION        once, the first packet offered to an
///                                     output in the window is freed before TX
///                                     frees it again: a planted bug, to prove
///                                     AuditPools() sees one
/// Times are milliseconds. Example: "tx_stall=150+250,tx_slow=0+100:2000".
struct FaultPlan {
  Window tx_stall;
  uint16_t tx_stall_accept = 0;
  Window tx_slow;
  uint64_t tx_slow_ns_per_packet = 0;
  Window rx_slow;
  uint64_t rx_slow_ns_per_packet = 0;
  Window pool_hold;
  uint64_t pool_hold_leave = 0;
  Window double_free;

  bool any() const noexcept {
    return tx_stall.enabled || tx_slow.enabled || rx_slow.enabled || pool_hold.enabled || double_free.enabled;
  }
};

/// Parses a plan. @return an error naming the bad item, or ok when `spec` is valid (an
/// empty spec is a valid plan with no faults).
Status ParseFaultPlan(std::string_view spec, FaultPlan& out);

struct InjectorState;

/// Installs a plan and keeps the figures of what it injected.
/// Threading: Install, Stop and the reports on the main thread; the RX and TX
/// callbacks run on the lcore that polls each queue (one per queue).
/// Ownership: mbufs the pool hold takes are returned by the hold's end or Stop.
class Injector {
 public:
  Injector();
  ~Injector();
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;

  /// Control path, after the ports have started and before the lcores launch:
  /// a callback on every RX and TX queue of `ports`, the hold thread on `pools`.
  Status Install(const FaultPlan& plan, std::span<const uint16_t> ports,
                 std::span<rte_mempool* const> pools);
  /// After every lcore has returned: ends a hold still running (the mbufs go
  /// back) and removes the callbacks. Idempotent.
  void Stop();
  /// After the ports have closed, with nothing left to return mbufs: finds every
  /// object of each pool (the common store and every lcore cache) and checks
  /// each is there exactly once. An mbuf freed twice shows up twice, one never
  /// freed is missing: what AddressSanitizer cannot see in DPDK's own memory.
  void AuditPools();

  /// What was injected, and when (CLOCK_MONOTONIC ns, comparable with the
  /// stats segment's heartbeat), for the --final-stats "faults" object.
  nlohmann::json Report() const;
  /// One line per fault, for stderr.
  std::string Summary() const;

 private:
  std::unique_ptr<InjectorState> state_;
};

}  // namespace ingestd::faults
