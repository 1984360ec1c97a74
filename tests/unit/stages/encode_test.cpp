// SPDX-License-Identifier: BSD-3-Clause
// Encode on hand-built mbufs: VLAN push/pop/set, truncation, VXLAN and GRE outer
// headers (re-parsed: lengths, checksum, the inner frame unchanged), shared frames
// left alone, and a frame without headroom dropped as no_headroom.
#include <cstring>
#include <vector>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <gtest/gtest.h>

#include "drop_sink.hpp"
#include "encode_stage.hpp"
#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/parse.hpp"

namespace ingestd::stages {
namespace {

using framegen::Bytes;
using framegen::FrameBuilder;

class EncodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("encode_pool", 255, 0, dataplane::MempoolSet::PrivSize(),
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }
  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u) << "mbuf leak"; }

  rte_mbuf* Mbuf(const Bytes& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    packet::PktMeta& meta = packet::Meta(m);
    EXPECT_EQ(packet::ParseFrame(frame.data(), static_cast<uint32_t>(frame.size()),
                                 static_cast<uint32_t>(frame.size()), meta),
              packet::ParseVerdict::kOk);
    meta.out_port = 1;
    return m;
  }

  /// Encodes one frame for port 1 as `rw` says; the bytes that leave (empty if dropped).
  Bytes Encode(const Bytes& frame, EncodeTable::PortRewrite rw) {
    rw.any = true;
    table_->port[1] = rw;
    rte_mbuf* m = Mbuf(frame);
    uint16_t n;
    {
      DropSink drops(counters_);
      n = EncodeBurst(&m, 1, *table_, drops, counters_);
    }
    if (n == 0) return {};
    const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
    Bytes out(data, data + rte_pktmbuf_data_len(m));
    rte_pktmbuf_free(m);
    return out;
  }

  static inline rte_mempool* pool_ = nullptr;
  std::unique_ptr<EncodeTable> table_ = std::make_unique<EncodeTable>();
  stats::LcoreCounters counters_;
};

const Bytes kFrame = FrameBuilder().Ipv4().Udp({.src_port = 1111, .dst_port = 2222}).Payload(200).Build();

TEST_F(EncodeTest, VlanPushPopAndSet) {
  EncodeTable::PortRewrite push;
  push.vlan = EncodeTable::Vlan::kPush;
  push.vlan_tci = 5 << 13 | 100;
  const Bytes pushed = Encode(kFrame, push);
  EXPECT_EQ(pushed, FrameBuilder().Vlan(5 << 13 | 100).Ipv4().Udp({.src_port = 1111, .dst_port = 2222}).Payload(200).Build());

  const Bytes tagged = FrameBuilder().Vlan(7 << 13 | 300).Ipv4().Udp().Build();
  EncodeTable::PortRewrite set;
  set.vlan = EncodeTable::Vlan::kSet;
  set.vlan_tci = 42;
  EXPECT_EQ(Encode(tagged, set), FrameBuilder().Vlan(7 << 13 | 42).Ipv4().Udp().Build()) << "PCP kept, id replaced";

  EncodeTable::PortRewrite pop;
  pop.vlan = EncodeTable::Vlan::kPop;
  EXPECT_EQ(Encode(tagged, pop), FrameBuilder().Ipv4().Udp().Build());
  EXPECT_EQ(Encode(kFrame, pop), kFrame) << "untagged frames pass as they are";
}

TEST_F(EncodeTest, BytesCopiedCountsWhatVlanPushAndPopMove) {
  auto copied_by = [&](const Bytes& frame, const EncodeTable::PortRewrite& rw) {
    const uint64_t before = counters_.bytes_copied.Load();
    Encode(frame, rw);
    return counters_.bytes_copied.Load() - before;
  };
  EncodeTable::PortRewrite push, pop, set, vxlan;
  push.vlan = EncodeTable::Vlan::kPush;
  pop.vlan = EncodeTable::Vlan::kPop;
  set.vlan = EncodeTable::Vlan::kSet;
  config::EncapConfig encap;
  encap.type = config::EncapConfig::Type::kVxlan;
  BuildEncapTemplate(encap, vxlan);
  const Bytes tagged = FrameBuilder().Vlan(300).Ipv4().Udp().Build();
  EXPECT_EQ(copied_by(kFrame, push), 12u) << "the MAC addresses move into the headroom";
  EXPECT_EQ(copied_by(tagged, pop), 12u) << "the MAC addresses move over the tag";
  EXPECT_EQ(copied_by(kFrame, pop), 0u) << "nothing to pop";
  EXPECT_EQ(copied_by(tagged, set), 0u) << "the tag is rewritten in place";
  EXPECT_EQ(copied_by(kFrame, vxlan), 0u) << "outer headers are written in the headroom, the frame stays";
}

TEST_F(EncodeTest, TruncateCutsToTheSnapLength) {
  EncodeTable::PortRewrite cut;
  cut.truncate = 96;
  const Bytes out = Encode(kFrame, cut);
  ASSERT_EQ(out.size(), 96u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), kFrame.begin()));
  const Bytes small = FrameBuilder().Ipv4().Udp().Build();
  EXPECT_EQ(Encode(small, cut), small) << "shorter frames untouched";
}

/// Re-parses an encapsulated frame with every tunnel on.
packet::PktMeta Reparse(const Bytes& out) {
  packet::PktMeta meta{};
  EXPECT_EQ(packet::ParseFrame(out.data(), static_cast<uint32_t>(out.size()), static_cast<uint32_t>(out.size()), meta,
                               packet::ParseOptions{.tunnels = packet::kTunnelAll}),
            packet::ParseVerdict::kOk);
  return meta;
}

TEST_F(EncodeTest, VxlanOuterHeadersCarryTheFrameUnchanged) {
  config::EncapConfig vxlan;
  vxlan.type = config::EncapConfig::Type::kVxlan;
  vxlan.id = 0x123456;
  const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
  std::memcpy(vxlan.src_ip, src, 4);
  std::memcpy(vxlan.dst_ip, dst, 4);
  vxlan.dst_mac = {{0x02, 0, 0, 0, 0, 0x22}};
  EncodeTable::PortRewrite rw;
  BuildEncapTemplate(vxlan, rw);
  ASSERT_EQ(rw.encap_len, 50);
  const Bytes out = Encode(kFrame, rw);
  ASSERT_EQ(out.size(), kFrame.size() + 50);
  EXPECT_TRUE(std::equal(kFrame.begin(), kFrame.end(), out.begin() + 50)) << "the frame follows, byte for byte";
  const packet::PktMeta meta = Reparse(out);
  EXPECT_EQ(meta.tunnel, packet::TunnelType::kVxlan);
  EXPECT_EQ(meta.tunnel_id, 0x123456u);
  EXPECT_EQ(meta.dst_port, 4789);
  EXPECT_GE(meta.src_port, 49152);
  EXPECT_EQ(meta.inner_src_port, 1111);
  EXPECT_EQ(meta.inner_dst_port, 2222);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(out.data() + 14);
  EXPECT_EQ(rte_be_to_cpu_16(ip->total_length), out.size() - 14);
  EXPECT_EQ(rte_ipv4_cksum(ip), 0) << "a valid header sums to 0xffff";
  EXPECT_EQ(out[0] | out[5], 0x22);
}

TEST_F(EncodeTest, GreWithKeyCarriesTheFrameUnchanged) {
  config::EncapConfig gre;
  gre.type = config::EncapConfig::Type::kGre;
  gre.id = 7;
  gre.gre_key = true;
  EncodeTable::PortRewrite rw;
  BuildEncapTemplate(gre, rw);
  ASSERT_EQ(rw.encap_len, 14 + 20 + 8);
  const Bytes out = Encode(kFrame, rw);
  ASSERT_EQ(out.size(), kFrame.size() + 42);
  EXPECT_TRUE(std::equal(kFrame.begin(), kFrame.end(), out.begin() + 42));
  const packet::PktMeta meta = Reparse(out);
  EXPECT_EQ(meta.ip_proto, 47);
  EXPECT_EQ(meta.tunnel, packet::TunnelType::kGre);
  EXPECT_EQ(meta.tunnel_id, 7u);
  EXPECT_EQ(meta.inner_dst_port, 2222);
}

TEST_F(EncodeTest, SharedFramesAreLeftAloneAndNoHeadroomDrops) {
  EncodeTable::PortRewrite push;
  push.vlan = EncodeTable::Vlan::kPush;
  push.vlan_tci = 9;
  push.any = true;
  table_->port[1] = push;
  rte_mbuf* m = Mbuf(kFrame);
  rte_mbuf_refcnt_update(m, 1);  // as if a mirror copy pointed at it
  {
    DropSink drops(counters_);
    EXPECT_EQ(EncodeBurst(&m, 1, *table_, drops, counters_), 1);
  }
  EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(m, const void*), kFrame.data(), kFrame.size()));
  EXPECT_EQ(counters_.rewrites_skipped.Load(), 1u);
  rte_pktmbuf_free(m);
  rte_pktmbuf_free(m);

  rte_mbuf* full = Mbuf(kFrame);
  rte_pktmbuf_prepend(full, rte_pktmbuf_headroom(full));  // no headroom left
  {
    DropSink drops(counters_);
    EXPECT_EQ(EncodeBurst(&full, 1, *table_, drops, counters_), 0);
  }
  EXPECT_EQ(counters_.drops[stats::DropSlot(stats::OtherDrop::kNoHeadroom)].Load(), 1u);
}

}  // namespace
}  // namespace ingestd::stages
