// SPDX-License-Identifier: BSD-3-Clause
// Two lcores hand mbufs over an SP/SC rte_ring through EnqueueBurst and RingReader,
// as a pipeline's segments do: every packet arrives once, in order, with the bytes and
// metadata the producer wrote, and every mbuf is back in its pool at the end.
//
// Under ThreadSanitizer (the 'concurrency' suite of build-tsan) this is where races in
// the hand-off would show: the producer's writes to an mbuf must happen-before the
// consumer's reads of it. DPDK's libraries are not instrumented; the ring's code is
// inline in its headers and so compiled here (build-tsan selects its C11-atomics
// variant, whose acquire/release TSan understands). The mempool's shared ring lives
// in an uninstrumented driver, so the pool hand-back is annotated below.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include "drop_sink.hpp"
#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ring_link.hpp"

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif
#include "test_eal.hpp"

namespace ingestd::stages {
namespace {

/// The mempool hands a freed mbuf to its next owner through code TSan cannot see:
/// a free on one lcore happens-before any later allocation on another.
void PoolFreed([[maybe_unused]] rte_mempool* pool) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(pool);
#endif
}
void PoolTaking([[maybe_unused]] rte_mempool* pool) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(pool);
#endif
}

rte_mempool* g_pool = nullptr;
unsigned g_consumer_lcore = RTE_MAX_LCORE;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_GE(testing::StartTestEal("handoff", 2), 0);
    g_pool = rte_pktmbuf_pool_create("handoff_pool", 4095, 64, dataplane::MempoolSet::PrivSize(), 256 + 128, 0);
    ASSERT_NE(g_pool, nullptr);
    g_consumer_lcore = rte_get_next_lcore(-1, /*skip_main=*/1, /*wrap=*/0);
    ASSERT_LT(g_consumer_lcore, RTE_MAX_LCORE);
  }
  void TearDown() override {
    rte_mempool_free(g_pool);
    testing::StopTestEal();
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr uint16_t kFrameLen = 64;

/// What the consumer lcore needs and reports. `go` and `done` carry it across.
struct Consumer {
  RingSource source;
  stats::LcoreCounters counters;
  uint64_t total = 0;
  uint64_t deadline_tsc = 0;
  std::atomic<bool> go{false};
  // Written by the consumer, read after `done`.
  uint64_t received = 0;
  uint64_t out_of_order = 0;
  uint64_t bad_bytes = 0;
  uint64_t bad_meta = 0;
  uint64_t byte_count_errors = 0;
  std::atomic<bool> done{false};
};

int ConsumeLcore(void* arg) {
  Consumer& h = *static_cast<Consumer*>(arg);
  while (!h.go.load(std::memory_order_acquire)) rte_pause();
  IdleBackoff idle;
  rte_mbuf* pkts[kMaxBurst];
  while (h.received < h.total && rte_rdtsc() < h.deadline_tsc) {
    uint64_t bytes = 0;
    const uint16_t n = h.source.Next(pkts, bytes);
    if (n == 0) {
      idle.Idle(h.counters);
      continue;
    }
    idle.Busy();
    uint64_t sum = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      const uint64_t seq = h.received + i;
      uint64_t in_data = 0;
      std::memcpy(&in_data, rte_pktmbuf_mtod(m, const void*), sizeof(in_data));
      h.out_of_order += in_data != seq;
      const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
      for (uint16_t b = sizeof(seq); b < kFrameLen; ++b) h.bad_bytes += data[b] != static_cast<uint8_t>(seq + b);
      packet::PktMeta& meta = packet::Meta(m);
      h.bad_meta += meta.ring_tsc != seq || meta.in_port != 7;
      meta.out_port = 1;  // a later stage writes metadata too, before TX frees the mbuf
      sum += m->pkt_len;
    }
    h.byte_count_errors += sum != bytes;
    h.received += n;
    rte_pktmbuf_free_bulk(pkts, n);
    PoolFreed(g_pool);
  }
  h.done.store(true, std::memory_order_release);
  return 0;
}

TEST(RingHandoff, TwoLcoresHandEveryMbufOverInOrderWithItsBytesAndMetadata) {
  ASSERT_NE(g_pool, nullptr);
  constexpr uint64_t kPackets = 300'000;
  rte_ring* ring = rte_ring_create("handoff_ring", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  ASSERT_NE(ring, nullptr);

  RingSink producer;
  producer.Add(ring, config::RingPolicy::kBackpressure);  // lossless: every packet must arrive
  stats::LcoreCounters producer_counters;
  std::atomic<bool> producer_done{false};
  auto consumer = std::make_unique<Consumer>();
  consumer->source.Configure(ring, 32, &producer_done);
  consumer->total = kPackets;
  consumer->deadline_tsc = rte_rdtsc() + rte_get_tsc_hz() * 60;  // bounded even if something hangs
  ASSERT_EQ(rte_eal_remote_launch(ConsumeLcore, consumer.get(), g_consumer_lcore), 0);
  consumer->go.store(true, std::memory_order_release);

  IdleBackoff idle;
  rte_mbuf* pkts[kMaxBurst];
  uint64_t sent = 0;
  bool alloc_stalled = false;
  while (sent < kPackets) {
    const uint16_t n = static_cast<uint16_t>(std::min<uint64_t>(32, kPackets - sent));
    PoolTaking(g_pool);
    if (rte_pktmbuf_alloc_bulk(g_pool, pkts, n) != 0) {  // the consumer holds them: wait
      if (rte_rdtsc() > consumer->deadline_tsc) {
        alloc_stalled = true;
        break;
      }
      idle.Idle(producer_counters);
      continue;
    }
    idle.Busy();
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      const uint64_t seq = sent + i;
      auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrameLen));
      std::memcpy(data, &seq, sizeof(seq));
      for (uint16_t b = sizeof(seq); b < kFrameLen; ++b) data[b] = static_cast<uint8_t>(seq + b);
      packet::PktMeta& meta = packet::Meta(m);
      meta.ring_tsc = seq;
      meta.in_port = 7;
    }
    DropSink drops(producer_counters);
    StageContext ctx{producer_counters, drops};
    producer.Send(pkts, n, ctx);
    sent += n;
  }
  // Bounded: the consumer gives up at its deadline.
  while (!consumer->done.load(std::memory_order_acquire)) rte_pause();
  EXPECT_EQ(rte_eal_wait_lcore(g_consumer_lcore), 0);

  EXPECT_FALSE(alloc_stalled);
  EXPECT_EQ(consumer->received, kPackets);
  EXPECT_EQ(consumer->out_of_order, 0u);
  EXPECT_EQ(consumer->bad_bytes, 0u);
  EXPECT_EQ(consumer->bad_meta, 0u);
  EXPECT_EQ(consumer->byte_count_errors, 0u);
  EXPECT_EQ(producer_counters.ring_out_pkts.Load(), kPackets);
  const stats::RingCounters& ring_counters = *producer.CountersOf(ring);
  EXPECT_EQ(ring_counters.packets.Load(), kPackets);
  EXPECT_EQ(ring_counters.dropped.Load(), 0u);
  uint64_t dropped = 0;
  for (const auto& d : producer_counters.drops) dropped += d.Load();
  EXPECT_EQ(dropped, 0u) << "backpressure never drops";
  EXPECT_EQ(rte_ring_count(ring), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "mbuf leak";
  std::printf("ring hand-off: %llu packets, %llu ring-full events, ring high water %llu\n",
              static_cast<unsigned long long>(consumer->received),
              static_cast<unsigned long long>(ring_counters.full_events.Load()),
              static_cast<unsigned long long>(ring_counters.high_water.Load()));
  rte_ring_free(ring);
}

}  // namespace
}  // namespace ingestd::stages
