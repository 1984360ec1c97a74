// SPDX-License-Identifier: BSD-3-Clause
// Stage burst functions on hand-built bursts: metadata, drops by reason, bounded TX
// retries, and every mbuf back in its pool afterwards.

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include "drop_sink.hpp"
#include "encode_stage.hpp"
#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "parse_stage.hpp"
#include "process_stage.hpp"
#include "tx_sink.hpp"
#include "test_eal.hpp"

namespace ingestd::stages {
namespace {

rte_mempool* g_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_GE(testing::StartTestEal("stages", 1), 0);
    g_pool = rte_pktmbuf_pool_create("unit_pool", 1023, 0, dataplane::MempoolSet::PrivSize(),
                                     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(g_pool, nullptr);
  }
  void TearDown() override {
    rte_mempool_free(g_pool);
    testing::StopTestEal();
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

rte_mbuf* MbufOf(const framegen::Bytes& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  std::memcpy(data, frame.data(), frame.size());  // test setup, not the data path
  return m;
}

class StagesTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "mbuf leak"; }
  stats::LcoreCounters counters_;
};

TEST_F(StagesTest, ParseKeepsGoodFramesInOrderAndDropsMalformedByReason) {
  const auto mix = framegen::MixedTraffic(21, 64);
  std::vector<rte_mbuf*> burst;
  std::vector<framegen::Bytes> good;
  uint64_t expected[stats::kDropSlots] = {};
  for (const auto& f : mix) {
    burst.push_back(MbufOf(f.bytes));
    if (f.expected == packet::ParseVerdict::kOk) good.push_back(f.bytes);
    else ++expected[stats::DropSlot(f.expected)];
  }
  uint16_t n;
  {
    DropSink drops(counters_);
    n = ParseBurst(burst.data(), static_cast<uint16_t>(burst.size()), drops);
  }
  ASSERT_EQ(n, good.size());
  for (uint16_t i = 0; i < n; ++i) {
    const packet::PktMeta& meta = packet::Meta(burst[i]);
    EXPECT_EQ(meta.verdict, packet::ParseVerdict::kOk);
    EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(burst[i], void*), good[i].data(), good[i].size()));
  }
  for (unsigned s = 0; s < stats::kDropSlots; ++s) EXPECT_EQ(counters_.drops[s].Load(), expected[s]) << s;
  rte_pktmbuf_free_bulk(burst.data(), n);
}

TEST_F(StagesTest, RouteSetsOutputPortOrDropsAsRouteDrop) {
  static RouteTable routes;
  for (auto& row : routes.out)
    for (auto& out : row) out = config::kDropRoute;
  routes.out[3][0] = 7;  // port 3 queue 0 -> port 7; queue 1 stays drop
  const auto frames = framegen::UdpTraffic(1, 4, 64);
  rte_mbuf* burst[4];
  for (int i = 0; i < 4; ++i) {
    burst[i] = MbufOf(frames[i]);
    packet::Meta(burst[i]).in_port = 3;
    packet::Meta(burst[i]).in_queue = static_cast<uint16_t>(i % 2);
  }
  // Without rules or flows the process stage is the port map alone.
  auto process = std::make_unique<ProcessStage>();
  process->Configure(&routes, nullptr);
  uint16_t n;
  {
    DropSink drops(counters_);
    StageContext ctx{counters_, drops};
    n = process->Burst(burst, 4, ctx);
  }
  ASSERT_EQ(n, 2);
  EXPECT_EQ(packet::Meta(burst[0]).out_port, 7);
  EXPECT_EQ(packet::Meta(burst[1]).out_port, 7);
  EXPECT_EQ(counters_.drops[stats::DropSlot(stats::OtherDrop::kRouteDrop)].Load(), 2u);
  rte_pktmbuf_free_bulk(burst, n);
}

TEST_F(StagesTest, EncodeRewritesOnlyPortsThatAskForIt) {
  static EncodeTable encode;
  encode.port[1].set_src = true;
  encode.port[1].src = {{0x02, 0, 0, 0, 0, 0x01}};
  const auto frames = framegen::UdpTraffic(2, 2, 64);
  rte_mbuf* burst[2] = {MbufOf(frames[0]), MbufOf(frames[1])};
  packet::Meta(burst[0]).out_port = 1;
  packet::Meta(burst[1]).out_port = 2;
  encode.port[1].any = true;
  {
    DropSink drops(counters_);
    EXPECT_EQ(EncodeBurst(burst, 2, encode, drops, counters_), 2);
  }
  const auto* eth0 = rte_pktmbuf_mtod(burst[0], const uint8_t*);
  const uint8_t want_src[6] = {0x02, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(0, std::memcmp(eth0 + 6, want_src, 6));
  EXPECT_EQ(0, std::memcmp(eth0, frames[0].data(), 6)) << "destination untouched";
  EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(burst[1], void*), frames[1].data(), frames[1].size()));
  rte_pktmbuf_free_bulk(burst, 2);
}

TEST_F(StagesTest, TxRetriesABoundedNumberOfTimesThenCountsTxFull) {
  // A net_ring port whose TX ring holds 15 packets: a 32-packet burst cannot fit.
  rte_ring* rx = rte_ring_create("unit_rx", 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* tx = rte_ring_create("unit_tx", 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  ASSERT_NE(rx, nullptr);
  ASSERT_NE(tx, nullptr);
  const int port = rte_eth_from_rings("unit_ring", &rx, 1, &tx, 1, 0);
  ASSERT_GE(port, 0);
  const auto id = static_cast<uint16_t>(port);
  rte_eth_conf conf{};
  ASSERT_EQ(rte_eth_dev_configure(id, 1, 1, &conf), 0);
  ASSERT_EQ(rte_eth_rx_queue_setup(id, 0, 16, 0, nullptr, g_pool), 0);
  ASSERT_EQ(rte_eth_tx_queue_setup(id, 0, 16, 0, nullptr), 0);
  ASSERT_EQ(rte_eth_dev_start(id), 0);  // fast-path calls are no-ops until started

  const auto frames = framegen::UdpTraffic(3, 32, 100);
  rte_mbuf* burst[32];
  for (int i = 0; i < 32; ++i) {
    burst[i] = MbufOf(frames[i]);
    packet::Meta(burst[i]).out_port = static_cast<uint16_t>(port);
  }
  TxSink sink;
  sink.Configure(/*queue=*/0, /*retries=*/3);
  {
    DropSink drops(counters_);
    StageContext ctx{counters_, drops};
    sink.Send(burst, 32, ctx);
  }
  EXPECT_EQ(counters_.tx_pkts.Load(), 15u);
  EXPECT_EQ(counters_.tx_bytes.Load(), 15u * 100);
  EXPECT_EQ(counters_.tx_bursts.Load(), 4u);  // the first call plus 3 retries, no more
  EXPECT_EQ(counters_.tx_retries.Load(), 3u);
  EXPECT_EQ(counters_.drops[stats::DropSlot(stats::OtherDrop::kTxFull)].Load(), 17u);

  rte_mbuf* sent[16];
  const unsigned got = rte_ring_dequeue_burst(tx, reinterpret_cast<void**>(sent), 16, nullptr);
  ASSERT_EQ(got, 15u);
  for (unsigned i = 0; i < got; ++i)
    EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(sent[i], void*), frames[i].data(), 100)) << "order kept";
  rte_pktmbuf_free_bulk(sent, got);
  ASSERT_EQ(rte_eth_dev_stop(id), 0);
  rte_eth_dev_close(id);
  rte_ring_free(rx);
  rte_ring_free(tx);
}

}  // namespace
rte_mempool* UnitPool() { return g_pool; }

}  // namespace ingestd::stages
