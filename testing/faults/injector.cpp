// SPDX-License-Identifier: BSD-3-Clause
// The faults of a FaultPlan: RX and TX callbacks that delay or refuse, a thread
// that drains the pools. Test build only; none of it runs in ingestd.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include <fmt/format.h>

#include "ingestd/faults/fault_injection.hpp"
#include "ingestd/packet/mbuf_meta.hpp"

namespace ingestd::faults {
namespace {

uint64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

void SleepNs(uint64_t ns) {
  const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&ts, nullptr);
}

/// A window in TSC cycles from the clock's start.
struct CycleWindow {
  bool on = false;
  uint64_t from = 0;
  uint64_t to = 0;
  bool Contains(uint64_t since) const noexcept { return on && since >= from && since < to; }
  bool After(uint64_t since) const noexcept { return on && since >= to; }
  /// `cycles`, cut short at the window's end: a delay never outlasts its window.
  uint64_t Clip(uint64_t since, uint64_t cycles) const noexcept { return std::min(cycles, to - since); }
};

CycleWindow ToCycles(const Window& w, uint64_t hz) {
  return {w.enabled, w.start_ms * hz / 1000, (w.start_ms + w.duration_ms) * hz / 1000};
}

/// Busy work that holds the lcore, as a slow stage would.
void SpinFor(uint64_t now, uint64_t cycles) {
  const uint64_t until = now + cycles;
  while (rte_rdtsc() < until) rte_pause();
}

}  // namespace

/// State of one TX queue. Written only by the lcore transmitting on it (its
/// callback), read by the main thread after that lcore returned.
struct alignas(RTE_CACHE_LINE_SIZE) TxQueueFaults {
  InjectorState* owner = nullptr;
  uint16_t port = 0;
  uint16_t queue = 0;
  const rte_eth_rxtx_callback* callback = nullptr;

  uint64_t calls = 0;             // tx_burst calls with packets
  uint64_t offered = 0;           // packets in those calls
  uint64_t refused_calls = 0;     // calls the stall cut short
  uint64_t refused = 0;           // packets refused, a packet once per call
  uint64_t retries_seen = 0;      // calls that offered again exactly what the last one refused
  uint64_t refused_final = 0;     // refused packets never offered again: ingestd dropped them
  uint64_t delayed = 0;           // packets the slow fault delayed
  uint64_t last_call_tsc = 0;
  uint64_t max_gap = 0;           // longest time between two calls: how long the lcore was away
  uint64_t accepted_after_stall = 0;  // packets taken after the stall ended
  uint64_t sent_after_release = 0;    // packets taken after the pool hold ended
  uint64_t first_accept_after_stall_tsc = 0;
  uint64_t first_send_after_release_tsc = 0;

  // The tail the last call refused: a retry offers exactly these again. The
  // RX stamp tells a retry from a new burst whose first mbuf is a recycled one.
  rte_mbuf* pending_first = nullptr;
  uint64_t pending_rx_tsc = 0;
  uint16_t pending_n = 0;
};

/// State of one RX queue, written only by the lcore polling it.
struct alignas(RTE_CACHE_LINE_SIZE) RxQueueFaults {
  InjectorState* owner = nullptr;
  uint16_t port = 0;
  uint16_t queue = 0;
  const rte_eth_rxtx_callback* callback = nullptr;
  uint64_t delayed = 0;  // packets the rx_slow fault delayed
};

struct InjectorState {
  FaultPlan plan;
  uint64_t hz = rte_get_tsc_hz();
  CycleWindow tx_stall;
  CycleWindow tx_slow;
  uint64_t tx_slow_cycles_per_packet = 0;
  CycleWindow rx_slow;
  uint64_t rx_slow_cycles_per_packet = 0;
  CycleWindow double_free;
  std::atomic<bool> double_freed{false};

  // The clock starts at the first packet received (or, without one, sent).
  std::atomic<uint64_t> t0_tsc{0};
  std::atomic<uint64_t> t0_mono_ns{0};

  std::vector<std::unique_ptr<TxQueueFaults>> tx_queues;
  std::vector<std::unique_ptr<RxQueueFaults>> rx_queues;

  std::vector<rte_mempool*> pools;
  std::thread hold_thread;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> release_tsc{0};  // 0 until the hold gave its mbufs back
  uint64_t held_max = 0;
  uint64_t hold_start_mono_ns = 0;
  uint64_t release_mono_ns = 0;
  bool stopped = false;
  nlohmann::json audit;  // AuditPools' findings, per pool

  uint64_t StartClock(uint64_t now) noexcept {
    uint64_t expected = 0;
    if (t0_tsc.compare_exchange_strong(expected, now, std::memory_order_acq_rel)) {
      t0_mono_ns.store(MonoNs(), std::memory_order_release);
      return now;
    }
    return expected;
  }

  void HoldLoop();
};

namespace {

uint16_t OnRxBurst(uint16_t /*port*/, uint16_t /*queue*/, rte_mbuf** /*pkts*/, uint16_t nb, uint16_t /*max*/,
                   void* arg) {
  auto& q = *static_cast<RxQueueFaults*>(arg);
  InjectorState& s = *q.owner;
  if (nb == 0) return 0;
  const uint64_t now = rte_rdtsc();
  uint64_t t0 = s.t0_tsc.load(std::memory_order_relaxed);
  if (t0 == 0) t0 = s.StartClock(now);
  const uint64_t since = now > t0 ? now - t0 : 0;  // another lcore may have started the clock just now
  if (s.rx_slow.Contains(since)) {
    SpinFor(now, s.rx_slow.Clip(since, s.rx_slow_cycles_per_packet * nb));
    q.delayed += nb;
  }
  return nb;
}

uint16_t OnTxBurst(uint16_t /*port*/, uint16_t /*queue*/, rte_mbuf** pkts, uint16_t nb, void* arg) {
  auto& q = *static_cast<TxQueueFaults*>(arg);
  InjectorState& s = *q.owner;
  if (nb == 0) return 0;
  const uint64_t now = rte_rdtsc();
  uint64_t t0 = s.t0_tsc.load(std::memory_order_relaxed);
  if (t0 == 0) t0 = s.StartClock(now);
  const uint64_t since = now > t0 ? now - t0 : 0;
  if (q.last_call_tsc != 0 && now - q.last_call_tsc > q.max_gap) q.max_gap = now - q.last_call_tsc;
  q.last_call_tsc = now;
  ++q.calls;
  q.offered += nb;

  if (q.pending_n != 0) {
    const bool retry = pkts[0] == q.pending_first && nb == q.pending_n &&
                       packet::Meta(pkts[0]).rx_tsc == q.pending_rx_tsc;
    if (retry) {
      ++q.retries_seen;
    } else {
      q.refused_final += q.pending_n;
    }
    q.pending_n = 0;
  }

  if (s.tx_slow.Contains(since)) {
    SpinFor(now, s.tx_slow.Clip(since, s.tx_slow_cycles_per_packet * nb));
    q.delayed += nb;
  }

  if (s.double_free.Contains(since) && !s.double_freed.exchange(true, std::memory_order_relaxed))
    rte_pktmbuf_free(pkts[0]);  // the planted bug: the PMD frees it again after sending

  uint16_t accept = nb;
  if (s.tx_stall.Contains(since)) {
    accept = std::min(nb, s.plan.tx_stall_accept);
  } else if (s.tx_stall.After(since)) {
    if (q.first_accept_after_stall_tsc == 0) q.first_accept_after_stall_tsc = now;
    q.accepted_after_stall += nb;
  }
  if (s.plan.pool_hold.enabled) {
    const uint64_t released = s.release_tsc.load(std::memory_order_relaxed);
    if (released != 0 && now >= released) {
      if (q.first_send_after_release_tsc == 0 && accept > 0) q.first_send_after_release_tsc = now;
      q.sent_after_release += accept;
    }
  }
  if (accept < nb) {
    ++q.refused_calls;
    q.refused += nb - accept;
    q.pending_first = pkts[accept];
    q.pending_rx_tsc = packet::Meta(pkts[accept]).rx_tsc;
    q.pending_n = static_cast<uint16_t>(nb - accept);
  }
  return accept;
}

}  // namespace

void InjectorState::HoldLoop() {
  constexpr uint64_t kPollNs = 200'000;  // how soon mbufs given back to a pool are taken again
  while (!stop.load(std::memory_order_relaxed) && t0_mono_ns.load(std::memory_order_acquire) == 0)
    SleepNs(kPollNs);
  const uint64_t t0 = t0_mono_ns.load(std::memory_order_acquire);
  const uint64_t from = t0 + plan.pool_hold.start_ms * 1'000'000;
  const uint64_t to = from + plan.pool_hold.duration_ms * 1'000'000;
  while (!stop.load(std::memory_order_relaxed) && MonoNs() < from) SleepNs(kPollNs);

  std::vector<std::vector<void*>> held(pools.size());
  for (size_t i = 0; i < pools.size(); ++i) held[i].reserve(pools[i]->size);
  hold_start_mono_ns = MonoNs();
  while (!stop.load(std::memory_order_relaxed) && MonoNs() < to) {
    uint64_t total = 0;
    for (size_t i = 0; i < pools.size(); ++i) {
      rte_mempool* pool = pools[i];
      // Take in shrinking chunks (a get is all or nothing) until the pool,
      // lcore caches included, is down to what the plan leaves.
      void* chunk[512];
      unsigned want = 512;
      while (want > 0) {
        const unsigned avail = rte_mempool_avail_count(pool);
        if (avail <= plan.pool_hold_leave) break;
        const unsigned n = std::min<unsigned>(want, unsigned(avail - plan.pool_hold_leave));
        if (rte_mempool_generic_get(pool, chunk, n, nullptr) == 0) {
          held[i].insert(held[i].end(), chunk, chunk + n);
        } else {
          want = n / 2;
        }
      }
      total += held[i].size();
    }
    held_max = std::max(held_max, total);
    SleepNs(kPollNs);
  }
  for (size_t i = 0; i < pools.size(); ++i)
    if (!held[i].empty()) rte_mempool_generic_put(pools[i], held[i].data(), unsigned(held[i].size()), nullptr);
  release_tsc.store(rte_rdtsc(), std::memory_order_relaxed);
  release_mono_ns = MonoNs();
}

Injector::Injector() : state_(std::make_unique<InjectorState>()) {}

Injector::~Injector() { Stop(); }

Status Injector::Install(const FaultPlan& plan, std::span<const uint16_t> ports,
                         std::span<rte_mempool* const> pools) {
  InjectorState& s = *state_;
  s.plan = plan;
  s.tx_stall = ToCycles(plan.tx_stall, s.hz);
  s.tx_slow = ToCycles(plan.tx_slow, s.hz);
  s.tx_slow_cycles_per_packet = plan.tx_slow_ns_per_packet * s.hz / 1'000'000'000;
  s.rx_slow = ToCycles(plan.rx_slow, s.hz);
  s.double_free = ToCycles(plan.double_free, s.hz);
  s.rx_slow_cycles_per_packet = plan.rx_slow_ns_per_packet * s.hz / 1'000'000'000;
  for (uint16_t port : ports) {
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
      return Status::Error(-rc, fmt::format("fault injection: port {}: {}", port, rte_strerror(-rc)));
    for (uint16_t q = 0; q < info.nb_tx_queues; ++q) {
      auto tq = std::make_unique<TxQueueFaults>();
      tq->owner = &s;
      tq->port = port;
      tq->queue = q;
      tq->callback = rte_eth_add_tx_callback(port, q, OnTxBurst, tq.get());
      if (tq->callback == nullptr)
        return Status::Error(rte_errno, fmt::format("fault injection: no TX callback on port {} queue {}: {}", port,
                                                    q, rte_strerror(rte_errno)));
      s.tx_queues.push_back(std::move(tq));
    }
    for (uint16_t q = 0; q < info.nb_rx_queues; ++q) {
      auto rq = std::make_unique<RxQueueFaults>();
      rq->owner = &s;
      rq->port = port;
      rq->queue = q;
      rq->callback = rte_eth_add_rx_callback(port, q, OnRxBurst, rq.get());
      if (rq->callback == nullptr)
        return Status::Error(rte_errno, fmt::format("fault injection: no RX callback on port {} queue {}: {}", port,
                                                    q, rte_strerror(rte_errno)));
      s.rx_queues.push_back(std::move(rq));
    }
  }
  s.pools.assign(pools.begin(), pools.end());
  if (plan.pool_hold.enabled) s.hold_thread = std::thread([&s] { s.HoldLoop(); });
  return Status::Ok();
}

void Injector::Stop() {
  InjectorState& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  s.stop.store(true, std::memory_order_relaxed);
  if (s.hold_thread.joinable()) s.hold_thread.join();
  for (auto& q : s.tx_queues) {
    // The lcores have returned: a refusal nobody retried was a drop.
    q->refused_final += q->pending_n;
    q->pending_n = 0;
    if (q->callback != nullptr && rte_eth_remove_tx_callback(q->port, q->queue, q->callback) == 0)
      rte_free(const_cast<rte_eth_rxtx_callback*>(q->callback));
    q->callback = nullptr;
  }
  for (auto& q : s.rx_queues) {
    if (q->callback != nullptr && rte_eth_remove_rx_callback(q->port, q->queue, q->callback) == 0)
      rte_free(const_cast<rte_eth_rxtx_callback*>(q->callback));
    q->callback = nullptr;
  }
}

void Injector::AuditPools() {
  InjectorState& s = *state_;
  s.audit = nlohmann::json::array();
  for (rte_mempool* pool : s.pools) {
    std::vector<void*> seen;
    seen.reserve(pool->size + 64);
    // The lcore caches, read in place (their lcores are gone)...
    if (pool->cache_size != 0) {
      for (unsigned lcore = 0; lcore < RTE_MAX_LCORE; ++lcore) {
        const rte_mempool_cache& c = pool->local_cache[lcore];
        seen.insert(seen.end(), c.objs, c.objs + c.len);
      }
    }
    // ...then the common store, taken out in shrinking chunks and put back.
    const size_t cached = seen.size();
    void* chunk[512];
    for (unsigned want = 512; want > 0;) {
      if (rte_mempool_generic_get(pool, chunk, want, nullptr) == 0) {
        seen.insert(seen.end(), chunk, chunk + want);
      } else {
        want /= 2;
      }
    }
    if (seen.size() > cached)
      rte_mempool_generic_put(pool, seen.data() + cached, unsigned(seen.size() - cached), nullptr);
    const size_t found = seen.size();
    std::sort(seen.begin(), seen.end());
    const size_t distinct = size_t(std::unique(seen.begin(), seen.end()) - seen.begin());
    s.audit.push_back({{"pool", pool->name},
                       {"size", pool->size},
                       {"objects_found", found},
                       {"duplicates", found - distinct},
                       {"missing", distinct < pool->size ? pool->size - distinct : 0}});
  }
}

nlohmann::json Injector::Report() const {
  const InjectorState& s = *state_;
  const uint64_t t0_tsc = s.t0_tsc.load(std::memory_order_relaxed);
  const uint64_t t0_mono = s.t0_mono_ns.load(std::memory_order_relaxed);
  const auto mono_at_ms = [&](uint64_t ms) { return t0_mono == 0 ? 0 : t0_mono + ms * 1'000'000; };
  // Microseconds from `from_tsc` to the earliest queue event, or -1 when none happened.
  const auto us_until = [&](uint64_t from_tsc, uint64_t TxQueueFaults::*event) {
    uint64_t first = 0;
    for (const auto& q : s.tx_queues)
      if (q.get()->*event != 0 && (first == 0 || q.get()->*event < first)) first = q.get()->*event;
    return first == 0 || first < from_tsc ? -1.0 : double(first - from_tsc) * 1e6 / double(s.hz);
  };
  uint64_t calls = 0, offered = 0, refused_calls = 0, refused = 0, retries = 0, refused_final = 0, delayed = 0;
  uint64_t after_stall = 0, after_release = 0;
  for (const auto& q : s.tx_queues) {
    after_stall += q->accepted_after_stall;
    after_release += q->sent_after_release;
    calls += q->calls;
    offered += q->offered;
    refused_calls += q->refused_calls;
    refused += q->refused;
    retries += q->retries_seen;
    refused_final += q->refused_final;
    delayed += q->delayed;
  }
  uint64_t gap = 0;
  for (const auto& q : s.tx_queues) gap = std::max(gap, q->max_gap);
  nlohmann::json j = {{"clock_start_mono_ns", t0_mono}, {"tx_calls", calls}, {"tx_offered", offered}, 
                      {"tx_max_gap_us", double(gap) * 1e6 / double(s.hz)}};
  if (!s.audit.is_null()) j["pool_audit"] = s.audit;
  if (s.plan.double_free.enabled) j["double_freed"] = s.double_freed.load(std::memory_order_relaxed) ? 1 : 0;
  if (s.plan.tx_stall.enabled) {
    j["tx_stall"] = {
        {"start_mono_ns", mono_at_ms(s.plan.tx_stall.start_ms)},
        {"end_mono_ns", mono_at_ms(s.plan.tx_stall.start_ms + s.plan.tx_stall.duration_ms)},
        {"accept_per_call", s.plan.tx_stall_accept},
        {"refused_calls", refused_calls},
        {"refused_packets", refused},
        {"retries_seen", retries},
        {"refused_final", refused_final},
        {"accepted_after", after_stall},
        {"first_accept_after_us",
         t0_tsc == 0 ? -1.0 : us_until(t0_tsc + s.tx_stall.to, &TxQueueFaults::first_accept_after_stall_tsc)},
    };
  }
  if (s.plan.tx_slow.enabled) {
    j["tx_slow"] = {
        {"start_mono_ns", mono_at_ms(s.plan.tx_slow.start_ms)},
        {"end_mono_ns", mono_at_ms(s.plan.tx_slow.start_ms + s.plan.tx_slow.duration_ms)},
        {"ns_per_packet", s.plan.tx_slow_ns_per_packet},
        {"delayed_packets", delayed},
    };
  }
  if (s.plan.rx_slow.enabled) {
    uint64_t rx_delayed = 0;
    for (const auto& q : s.rx_queues) rx_delayed += q->delayed;
    j["rx_slow"] = {
        {"start_mono_ns", mono_at_ms(s.plan.rx_slow.start_ms)},
        {"end_mono_ns", mono_at_ms(s.plan.rx_slow.start_ms + s.plan.rx_slow.duration_ms)},
        {"ns_per_packet", s.plan.rx_slow_ns_per_packet},
        {"delayed_packets", rx_delayed},
    };
  }
  if (s.plan.pool_hold.enabled) {
    const uint64_t released = s.release_tsc.load(std::memory_order_relaxed);
    j["pool_hold"] = {
        {"start_mono_ns", s.hold_start_mono_ns},
        {"release_mono_ns", s.release_mono_ns},
        {"leave", s.plan.pool_hold_leave},
        {"held_max", s.held_max},
        {"sent_after_release", after_release},
        {"first_send_after_release_us",
         released == 0 ? -1.0 : us_until(released, &TxQueueFaults::first_send_after_release_tsc)},
    };
  }
  return j;
}

std::string Injector::Summary() const {
  const nlohmann::json j = Report();
  std::string out;
  if (j.contains("tx_stall")) {
    const auto& t = j["tx_stall"];
    out += fmt::format(
        "fault tx_stall: refused {} packet offers in {} calls; {} offered again (retries), {} never "
        "(dropped); first accept {:.1f} us after the stall\n",
        t["refused_packets"].dump(), t["refused_calls"].dump(), t["retries_seen"].dump(),
        t["refused_final"].dump(), t["first_accept_after_us"].get<double>());
  }
  if (j.contains("tx_slow")) {
    const auto& t = j["tx_slow"];
    out += fmt::format("fault tx_slow: delayed {} packets by {} ns each\n", t["delayed_packets"].dump(),
                       t["ns_per_packet"].dump());
  }
  if (j.contains("rx_slow")) {
    const auto& t = j["rx_slow"];
    out += fmt::format("fault rx_slow: delayed {} packets by {} ns each\n", t["delayed_packets"].dump(),
                       t["ns_per_packet"].dump());
  }
  if (j.contains("pool_hold")) {
    const auto& t = j["pool_hold"];
    out += fmt::format("fault pool_hold: held up to {} mbufs; first send {:.1f} us after giving them back\n",
                       t["held_max"].dump(), t["first_send_after_release_us"].get<double>());
  }
  return out;
}

}  // namespace ingestd::faults
