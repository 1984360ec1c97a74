// SPDX-License-Identifier: BSD-3-Clause
// The drop capture: DropSink hands dropped mbufs (not copies) with their reason to the
// tap's ring or counts them missed; DropCapture writes them as pcapng blocks and frees them.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include "drop_capture.hpp"
#include "drop_sink.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "pcapng_writer.hpp"

namespace ingestd::stages {

rte_mempool* UnitPool();  // stages_test.cpp's pool (its EAL environment makes it)

namespace {

uint32_t U32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

// Block layout: type, total length, body padded to 32 bits, options, total length again.
TEST(PcapngWriterTest, BlocksHaveMatchingLengthsPaddingAndAnEndOfOptions) {
  std::vector<uint8_t> b;
  capture::PcapngWriter::AppendSectionHeader(b, "ingestd x");  // 9 bytes: padded to 12
  ASSERT_EQ(b.size(), 8u + 16 + (4 + 12) + 4 + 4);
  EXPECT_EQ(U32(b, 0), 0x0A0D0D0Au);
  EXPECT_EQ(U32(b, 4), b.size());
  EXPECT_EQ(U32(b, b.size() - 4), b.size());
  EXPECT_EQ(U32(b, 8), 0x1A2B3C4Du);
  EXPECT_EQ(U32(b, b.size() - 8), 0u) << "opt_endofopt";

  b.clear();
  capture::PcapngWriter::AppendInterface(b, "in", 128);
  ASSERT_EQ(b.size(), 8u + 8 + (4 + 4) + (4 + 4) + 4 + 4);
  EXPECT_EQ(U32(b, 0), 1u);
  EXPECT_EQ(U32(b, 4), b.size());
  EXPECT_EQ(U32(b, 12), 128u);

  b.clear();
  const uint8_t data[5] = {1, 2, 3, 4, 5};
  capture::PcapngWriter::AppendPacket(b, 1, 0x0000000100000002ull, data, 60, "drop: x");  // 7 bytes: 8
  ASSERT_EQ(b.size(), 8u + 20 + 8 + (4 + 8) + 4 + 4);
  EXPECT_EQ(U32(b, 0), 6u);
  EXPECT_EQ(U32(b, 4), b.size());
  EXPECT_EQ(U32(b, b.size() - 4), b.size());
  EXPECT_EQ(U32(b, 8), 1u);    // interface
  EXPECT_EQ(U32(b, 12), 1u);   // timestamp, high word
  EXPECT_EQ(U32(b, 16), 2u);   // low word
  EXPECT_EQ(U32(b, 20), 5u);   // captured
  EXPECT_EQ(U32(b, 24), 60u);  // original
  EXPECT_EQ(std::memcmp(b.data() + 28, data, 5), 0);
  EXPECT_EQ(b[33] | b[34] | b[35], 0) << "padding is zero";
  EXPECT_EQ(U32(b, 36), 1u | (7u << 16)) << "opt_comment, 7 bytes";
  EXPECT_EQ(std::memcmp(b.data() + 40, "drop: x", 7), 0);
  EXPECT_EQ(b.size() % 4, 0u);
}

class DropCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tap_.ring = rte_ring_create_elem(("unit_cap_" + std::to_string(n_++)).c_str(), sizeof(capture::DropRecord), 16,
                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    ASSERT_NE(tap_.ring, nullptr);
  }
  void TearDown() override {
    capture::DropRecord r;
    while (rte_ring_sc_dequeue_elem(tap_.ring, &r, sizeof r) == 0) rte_pktmbuf_free(r.m);
    rte_ring_free(tap_.ring);
    EXPECT_EQ(rte_mempool_in_use_count(UnitPool()), 0u) << "mbuf leak";
  }
  rte_mbuf* Mbuf(const framegen::Bytes& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(UnitPool());
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    return m;
  }

  static inline unsigned n_ = 0;
  capture::DropTap tap_;
  stats::LcoreCounters counters_;
};

TEST_F(DropCaptureTest, OffFreesOnHandsOverTheMbufItselfAndAFullRingIsMissedNotWaitedFor) {
  const auto frames = framegen::UdpTraffic(3, 30, 64);
  const unsigned bad = stats::DropSlot(packet::ParseVerdict::kBadIpv4Checksum);
  const unsigned full = stats::DropSlot(stats::OtherDrop::kTxFull);
  {
    DropSink drops(counters_, tap_);
    drops.Drop(Mbuf(frames[0]), bad);
  }
  EXPECT_EQ(rte_mempool_in_use_count(UnitPool()), 0u) << "off: freed at once";
  EXPECT_EQ(counters_.drop_capture_queued.Load(), 0u);

  tap_.on.store(true);
  rte_mbuf* first = Mbuf(frames[1]);
  std::vector<rte_mbuf*> burst;
  for (size_t i = 2; i < 22; ++i) burst.push_back(Mbuf(frames[i]));
  {
    DropSink drops(counters_, tap_);
    drops.Drop(first, bad);  // queued when the sink flushes, at the end of its burst
  }
  {
    DropSink drops(counters_, tap_);
    drops.DropBurst(burst.data(), static_cast<uint16_t>(burst.size()), full);  // 15 fit after the first
  }
  EXPECT_EQ(counters_.drop_capture_queued.Load(), 16u);
  EXPECT_EQ(counters_.drop_capture_missed.Load(), 5u);
  EXPECT_EQ(counters_.drops[bad].Load(), 2u);
  EXPECT_EQ(counters_.drops[full].Load(), 20u);
  EXPECT_EQ(rte_mempool_in_use_count(UnitPool()), 16u) << "the ring holds 16, the rest was freed";
  capture::DropRecord r;
  ASSERT_EQ(rte_ring_sc_dequeue_elem(tap_.ring, &r, sizeof r), 0);
  EXPECT_EQ(r.m, first) << "zero copy: the dropped mbuf itself";
  EXPECT_EQ(r.slot, bad);
  rte_pktmbuf_free(r.m);
  ASSERT_EQ(rte_ring_sc_dequeue_elem(tap_.ring, &r, sizeof r), 0);
  EXPECT_EQ(r.m, burst[0]);
  EXPECT_EQ(r.slot, full);
  rte_pktmbuf_free(r.m);
}

TEST_F(DropCaptureTest, WritesEachDropWithItsReasonThenFreesIt) {
  const std::string path = "/tmp/ingestd-unit-drops-" + std::to_string(getpid()) + ".pcapng";
  const auto frames = framegen::UdpTraffic(4, 12, 100);
  {
    capture::DropCapture capture({{3, &tap_, &counters_}}, {{"in", 0}}, capture::TscClock::Now());
    config::DropCaptureConfig cfg;
    cfg.file = path;
    cfg.packets = 10;
    cfg.snaplen = 64;
    ASSERT_TRUE(capture.Start(cfg).ok());
    EXPECT_TRUE(tap_.on.load());
    EXPECT_EQ(capture.Start(cfg).code(), EBUSY) << "one capture at a time";
    {
      DropSink drops(counters_, tap_);
      for (size_t i = 0; i < 6; ++i) drops.Drop(Mbuf(frames[i]), stats::DropSlot(stats::OtherDrop::kRuleDrop));
    }
    EXPECT_EQ(capture.Poll(), 6u);
    EXPECT_EQ(rte_mempool_in_use_count(UnitPool()), 0u) << "written and freed";
    {
      DropSink drops(counters_, tap_);
      for (size_t i = 6; i < 12; ++i) drops.Drop(Mbuf(frames[i]), stats::DropSlot(stats::OtherDrop::kRuleDrop));
    }
    capture.Poll();  // the 10th is written; the capture stops itself and frees the rest
    EXPECT_FALSE(capture.active());
    EXPECT_FALSE(tap_.on.load());
  }
  EXPECT_EQ(counters_.drop_capture_written.Load(), 10u);
  EXPECT_EQ(counters_.drop_capture_discarded.Load(), 2u);
  const std::vector<framegen::Bytes> read = framegen::ReadPcap(path);  // libpcap reads pcapng too
  ASSERT_EQ(read.size(), 10u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(read[i], framegen::Bytes(frames[i].begin(), frames[i].begin() + 64)) << i;
  std::filesystem::remove(path);
}

TEST_F(DropCaptureTest, ABadFilterOrFileChangesNothing) {
  capture::DropCapture capture({{3, &tap_, &counters_}}, {{"in", 0}}, capture::TscClock::Now());
  config::DropCaptureConfig cfg;
  cfg.file = "/tmp/ingestd-unit-never-" + std::to_string(getpid()) + ".pcapng";
  cfg.filter = "udp and";
  EXPECT_NE(capture.Start(cfg).message().find("syntax error"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(cfg.file));
  cfg.filter.clear();
  cfg.file = "/nonexistent-dir/x.pcapng";
  EXPECT_NE(capture.Start(cfg).message().find("cannot create /nonexistent-dir/x.pcapng"), std::string::npos);
  EXPECT_FALSE(capture.active());
  EXPECT_FALSE(tap_.on.load());
}

}  // namespace
}  // namespace ingestd::stages
