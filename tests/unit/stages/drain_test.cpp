// SPDX-License-Identifier: BSD-3-Clause
// The drain protocol of a pipeline's hand-off, on the real lcore loops: a producer
// segment [rx] stops (its done flag set) with packets still in its ring, and the
// consumer segment [parse..tx] must transmit or drop every one before it exits,
// including the burst its RingSource holds ahead. Conservation is exact: frames
// received = frames transmitted + frames dropped, under both ring policies.
//
// Order is made deterministic by what each side is allowed to see, never by sleeps:
// the consumer is launched only after the producer has finished (drop policy, and
// backpressure with a ring that holds every packet), or once the producer is seen
// blocked on a full ring (backpressure that must wait for the consumer).

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "segment_plan.hpp"
#include "test_eal.hpp"

namespace ingestd::stages {
namespace {

rte_mempool* g_pool = nullptr;
unsigned g_producer_lcore = RTE_MAX_LCORE;
unsigned g_consumer_lcore = RTE_MAX_LCORE;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_GE(testing::StartTestEal("drain", 3), 0);
    g_pool = rte_pktmbuf_pool_create("drain_pool", 4095, 0, dataplane::MempoolSet::PrivSize(),
                                     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(g_pool, nullptr);
    g_producer_lcore = rte_get_next_lcore(-1, /*skip_main=*/1, /*wrap=*/0);
    g_consumer_lcore = rte_get_next_lcore(g_producer_lcore, 1, 0);
    ASSERT_LT(g_consumer_lcore, RTE_MAX_LCORE);
  }
  void TearDown() override {
    rte_mempool_free(g_pool);
    testing::StopTestEal();
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

int RunPlan(void* arg) {
  auto* plan = static_cast<SegmentPlan*>(arg);
  return plan->run(*plan);
}

uint64_t Drops(const stats::LcoreCounters& c) {
  uint64_t n = 0;
  for (const auto& d : c.drops) n += d.Load();
  return n;
}

/// Spins until `done()` or a 30 s deadline; false at the deadline (the test then fails, never hangs).
template <typename Done>
bool WaitFor(Done done) {
  const uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * 30;
  while (!done()) {
    if (rte_rdtsc() > deadline) return false;
    rte_pause();
  }
  return true;
}

/// Two net_ring ports (frames queued on `in`'s RX ring; `out`'s TX ring holds all
/// that is sent), a hand-off ring of `ring_size` slots, a producer [rx] and a
/// consumer [parse, process, encode, tx] built as the pipeline builds them.
class DrainTest : public ::testing::Test {
 protected:
  static constexpr unsigned kPortRing = 4096;

  void SetUp() override {
    ASSERT_NE(g_pool, nullptr);
    in_rx_ = rte_ring_create("drain_in_rx", kPortRing, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    in_tx_ = rte_ring_create("drain_in_tx", 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    out_rx_ = rte_ring_create("drain_out_rx", 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    out_tx_ = rte_ring_create("drain_out_tx", kPortRing, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_TRUE(in_rx_ && in_tx_ && out_rx_ && out_tx_);
    // Port names stay taken after close: each test names its own.
    static unsigned test_number = 0;
    ++test_number;
    in_ = StartPort(("drain_in" + std::to_string(test_number)).c_str(), in_rx_, in_tx_);
    out_ = StartPort(("drain_out" + std::to_string(test_number)).c_str(), out_rx_, out_tx_);

    routes_ = std::make_unique<RouteTable>();
    for (auto& row : routes_->out)
      for (auto& o : row) o = config::kDropRoute;
    routes_->out[in_][0] = out_;
    encode_ = std::make_unique<EncodeTable>();
  }

  void TearDown() override {
    rte_mbuf* m[64];
    unsigned got;
    while ((got = rte_ring_dequeue_burst(out_tx_, reinterpret_cast<void**>(m), 64, nullptr)) != 0)
      rte_pktmbuf_free_bulk(m, got);
    for (uint16_t p : {in_, out_}) {
      EXPECT_EQ(rte_eth_dev_stop(p), 0);
      rte_eth_dev_close(p);
    }
    rte_ring_free(hand_off_);
    for (rte_ring* r : {in_rx_, in_tx_, out_rx_, out_tx_}) rte_ring_free(r);
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "mbuf leak";
  }

  static uint16_t StartPort(const char* name, rte_ring* rx, rte_ring* tx) {
    const int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, 0);
    EXPECT_GE(port, 0);
    const auto id = static_cast<uint16_t>(port);
    rte_eth_conf conf{};
    EXPECT_EQ(rte_eth_dev_configure(id, 1, 1, &conf), 0);
    EXPECT_EQ(rte_eth_rx_queue_setup(id, 0, 64, 0, nullptr, g_pool), 0);
    EXPECT_EQ(rte_eth_tx_queue_setup(id, 0, 64, 0, nullptr), 0);
    EXPECT_EQ(rte_eth_dev_start(id), 0);
    return id;
  }

  /// Queues `frames` on the input port: `malformed_every`-th frame truncated so parse drops it.
  void Offer(size_t frames, size_t malformed_every = 0) {
    const auto bytes = framegen::UdpTraffic(7, frames, 128, 16);
    for (size_t i = 0; i < frames; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
      ASSERT_NE(m, nullptr);
      const bool malformed = malformed_every != 0 && i % malformed_every == 0;
      const auto len = static_cast<uint16_t>(malformed ? 10 : bytes[i].size());  // 10: no whole Ethernet header
      std::memcpy(rte_pktmbuf_append(m, len), bytes[i].data(), len);
      std::memset(&packet::Meta(m), 0xff, sizeof(packet::PktMeta));  // what RX writes must be written again
      ASSERT_EQ(rte_ring_enqueue(in_rx_, m), 0);
    }
    offered_ = frames;
  }

  void Build(config::RingPolicy policy, unsigned ring_size) {
    hand_off_ = rte_ring_create("drain_hand_off", ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(hand_off_, nullptr);
    producer_ = std::make_unique<SegmentPlan>();
    producer_->first = producer_->last = Stage::kRx;
    producer_->run = SegmentEntry(Stage::kRx, Stage::kRx);
    producer_->rx.Configure(&control_, 32);
    producer_->rx.Add(RxQueue{in_, 0, nullptr, 0});
    producer_->ring_out.Add(hand_off_, policy);

    consumer_ = std::make_unique<SegmentPlan>();
    consumer_->first = Stage::kParse;
    consumer_->run = SegmentEntry(Stage::kParse, Stage::kTx);
    consumer_->timing_mask = 0;  // every burst timed: latency from every packet's RX stamp
    consumer_->ring_in.Configure(hand_off_, 32, &producer_->done);
    consumer_->process.Configure(routes_.get(), nullptr);
    consumer_->encode.Configure(encode_.get());
    consumer_->tx.Configure(0, 4);
  }

  void LaunchProducer() { ASSERT_EQ(rte_eal_remote_launch(RunPlan, producer_.get(), g_producer_lcore), 0); }
  void LaunchConsumer() { ASSERT_EQ(rte_eal_remote_launch(RunPlan, consumer_.get(), g_consumer_lcore), 0); }

  /// Once every offered frame is received: RX stops, the producer finishes (its done flag).
  void StopProducerAfterAll() {
    ASSERT_TRUE(WaitFor([&] { return producer_->counters.rx_pkts.Load() == offered_; }));
    control_.stop_rx.store(true, std::memory_order_relaxed);
    EXPECT_EQ(rte_eal_wait_lcore(g_producer_lcore), 0);
    ASSERT_TRUE(producer_->done.load());
  }

  /// The hand-off ring's counters, written by the producer.
  const stats::RingCounters& RingCounters() const { return *producer_->ring_out.CountersOf(hand_off_); }

  /// Both segments have exited: nothing left anywhere, every frame accounted for.
  void ExpectConservation() {
    EXPECT_EQ(rte_eal_wait_lcore(g_consumer_lcore), 0);
    EXPECT_TRUE(consumer_->done.load());
    const stats::LcoreCounters& p = producer_->counters;
    const stats::LcoreCounters& c = consumer_->counters;
    EXPECT_EQ(rte_ring_count(hand_off_), 0u) << "the consumer exited with packets in its ring";
    EXPECT_EQ(p.rx_pkts.Load(), offered_);
    EXPECT_EQ(c.ring_in_pkts.Load(), p.ring_out_pkts.Load()) << "every packet enqueued was dequeued";
    EXPECT_EQ(RingCounters().packets.Load(), p.ring_out_pkts.Load());
    EXPECT_EQ(p.rx_pkts.Load(), c.tx_pkts.Load() + Drops(p) + Drops(c));
    EXPECT_EQ(rte_ring_count(out_tx_), c.tx_pkts.Load());
  }

  RunControl control_;
  rte_ring* in_rx_ = nullptr;
  rte_ring* in_tx_ = nullptr;
  rte_ring* out_rx_ = nullptr;
  rte_ring* out_tx_ = nullptr;
  rte_ring* hand_off_ = nullptr;
  uint16_t in_ = 0;
  uint16_t out_ = 0;
  uint64_t offered_ = 0;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<EncodeTable> encode_;
  std::unique_ptr<SegmentPlan> producer_;
  std::unique_ptr<SegmentPlan> consumer_;
};

TEST_F(DrainTest, DropPolicyConsumerDrainsAFullRingLeftByAFinishedProducer) {
  // 1000 frames into a 255-packet ring nobody reads: 255 kept, 745 dropped as ring_full.
  Offer(1000);
  Build(config::RingPolicy::kDrop, 256);
  // The packets the ring refused are captured with the RX fields the producer wrote.
  rte_ring* captured = rte_ring_create_elem("drain_capture", sizeof(capture::DropRecord), 1024, 0,
                                            RING_F_SP_ENQ | RING_F_SC_DEQ);
  ASSERT_NE(captured, nullptr);
  producer_->drop_tap.ring = captured;
  producer_->drop_tap.on.store(true);
  const uint64_t start_tsc = rte_rdtsc();
  LaunchProducer();
  StopProducerAfterAll();
  capture::DropRecord record;
  unsigned refused = 0;
  while (rte_ring_sc_dequeue_elem(captured, &record, sizeof record) == 0) {
    const packet::PktMeta& meta = packet::Meta(record.m);
    EXPECT_EQ(record.slot, stats::DropSlot(stats::OtherDrop::kRingFull));
    EXPECT_EQ(meta.in_port, in_);
    EXPECT_EQ(meta.in_queue, 0u);
    EXPECT_GE(meta.rx_tsc, start_tsc);
    EXPECT_LE(meta.rx_tsc, rte_rdtsc());
    rte_pktmbuf_free(record.m);
    ++refused;
  }
  rte_ring_free(captured);
  EXPECT_EQ(refused, 745u);
  ASSERT_EQ(rte_ring_count(hand_off_), 255u);
  EXPECT_EQ(producer_->counters.drops[stats::DropSlot(stats::OtherDrop::kRingFull)].Load(), 745u);
  const stats::RingCounters& ring = RingCounters();
  EXPECT_EQ(ring.packets.Load(), 255u);
  EXPECT_EQ(ring.dropped.Load(), 745u);
  EXPECT_GT(ring.full_events.Load(), 0u);
  EXPECT_EQ(ring.high_water.Load(), 255u);
  // The consumer first sees `done` with an empty look-ahead and a full ring.
  LaunchConsumer();
  ExpectConservation();
  EXPECT_EQ(consumer_->counters.tx_pkts.Load(), 255u);
  EXPECT_EQ(Drops(consumer_->counters), 0u);
  // The consumer wrote the RX fields it was handed: every transmitted packet's RX -> TX time was recorded,
  // none of them from the poisoned stamp.
  // (A poisoned stamp lies in the future: it records 0.)
  EXPECT_EQ(consumer_->counters.e2e.Count(), 255u);
  EXPECT_GT(consumer_->counters.e2e.Max(), 0u);
  EXPECT_LT(consumer_->counters.e2e.Max(), rte_get_tsc_hz() * 30);
}

TEST_F(DrainTest, BackpressureConsumerDrainsEverythingAFinishedProducerQueued) {
  // A ring that holds every frame: the producer finishes without waiting; a tenth
  // of the frames are malformed, so parse drops on the consumer side count too.
  Offer(500, 10);
  Build(config::RingPolicy::kBackpressure, 512);
  LaunchProducer();
  StopProducerAfterAll();
  ASSERT_EQ(rte_ring_count(hand_off_), 500u);
  LaunchConsumer();
  ExpectConservation();
  EXPECT_EQ(Drops(producer_->counters), 0u) << "backpressure never drops";
  EXPECT_EQ(consumer_->counters.tx_pkts.Load(), 450u);
  EXPECT_EQ(Drops(consumer_->counters), 50u);
}

TEST_F(DrainTest, BackpressureProducerWaitsForTheConsumerThenBothDrainToZero) {
  // 2000 frames, a 63-packet ring: the producer blocks on the full ring until the
  // consumer runs; it finishes while the consumer is still behind it.
  Offer(2000);
  Build(config::RingPolicy::kBackpressure, 64);
  LaunchProducer();
  // Blocked, not dropping: the ring was seen full (its high water is the producer's own
  // reading; the ring's indices are the producer's to write while it runs).
  const stats::LcoreCounters& p = producer_->counters;
  const stats::RingCounters& ring = RingCounters();
  const bool blocked = WaitFor([&] { return ring.full_events.Load() != 0 && ring.high_water.Load() == 63; });
  if (!blocked) {  // run both to the end, so a failure ends instead of leaving an lcore blocked
    LaunchConsumer();
    StopProducerAfterAll();
    rte_eal_wait_lcore(g_consumer_lcore);
  }
  ASSERT_TRUE(blocked) << "high water " << ring.high_water.Load();
  EXPECT_EQ(Drops(p), 0u);
  LaunchConsumer();
  StopProducerAfterAll();
  ExpectConservation();
  EXPECT_EQ(Drops(producer_->counters), 0u);
  EXPECT_EQ(consumer_->counters.tx_pkts.Load(), 2000u);
  EXPECT_EQ(ring.dropped.Load(), 0u);
  EXPECT_EQ(ring.packets.Load(), 2000u);
}

}  // namespace
}  // namespace ingestd::stages
