// SPDX-License-Identifier: BSD-3-Clause
// Run totals: each field sums its own metrics over lcores and pools, and nothing else.
#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "ingestd/stats/run_totals.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "segment_fixture.hpp"

namespace ingestd::stats {
namespace {

using fixture::FakeWriter;
using fixture::ShmGuard;
using fixture::UniqueInstance;

using Places = std::array<const char*, 2>;
constexpr Places kLcores = {"lcore=1,chain=0,stages=rx..parse", "lcore=2,chain=0,stages=route..tx"};
constexpr Places kPools = {"mempool=ingestd_pkt_s0,socket=0", "mempool=ingestd_clone_s0,socket=0"};

/// Where a total's metric lives: on each of two lcores, or in each of two pools.
const Places& PlacesOf(const RunTotalSource& src) { return src.group == "lcore" ? kLcores : kPools; }

std::string Str(std::string_view v) { return std::string(v); }

std::string DropLabels(unsigned lcore, const char* reason) {
  return fmt::format("lcore={},chain=0,reason={}", lcore, reason);
}

/// Every metric a total reads, on two lcores and two pools, plus look-alikes no total may read.
FakeWriter Catalogue() {
  FakeWriter f;
  for (const RunTotalSource& src : kRunTotalSources)
    for (const char* l : PlacesOf(src)) {
      if (src.group == "lcore") f.Counter(Str(src.group), Str(src.name), l);
      else f.Gauge(Str(src.group), Str(src.name), l, "mbufs");
    }
  for (unsigned lcore : {1u, 2u})
    for (const char* reason : {"route_drop", "malformed:truncated_vlan"})
      f.Counter("drops", "drops", DropLabels(lcore, reason));
  f.Counter("lcore", "heap_frees", kLcores[0], "frees");
  f.Counter("port", "rx_packets", "port=wire");
  f.Counter("port", "tx_packets", "port=wire");
  f.Counter("stage", "stage_pkts", "lcore=1,chain=0,stage=rx");
  f.Hist("allocation", "heap_bytes_per_packet", "lcore=1,chain=0", "bytes");
  return f;
}

RunTotals TotalsOf(FakeWriter& f) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  SegmentWriter w;
  EXPECT_EQ(f.Start(w, instance), "");
  Snapshot s;
  const ReadError e = ReadSnapshotOfInstance(instance, s);
  EXPECT_FALSE(e) << e.message;
  return ComputeRunTotals(s);
}

TEST(RunTotals, AnEmptyRunIsAllZeroConservedAndLeakFree) {
  FakeWriter f = Catalogue();
  const RunTotals t = TotalsOf(f);
  for (const RunTotalSource& src : kRunTotalSources) EXPECT_EQ(t.*src.field, 0u) << src.name;
  EXPECT_EQ(t.dropped, 0u);
  EXPECT_EQ(t.drops.size(), 2u) << "reasons are listed with zero counts";
  EXPECT_TRUE(t.Conserved());
  EXPECT_EQ(t.MbufsLeaked(), 0u);
  EXPECT_EQ(t.PerPacket(5), 0) << "no packets: 0, not NaN";
}

TEST(RunTotals, EveryCountedFieldHasOneSource) {
  const uint64_t RunTotals::*fields[] = {&RunTotals::rx_packets,  &RunTotals::tx_packets,   &RunTotals::clones,
                                         &RunTotals::mbufs_taken, &RunTotals::heap_allocs,  &RunTotals::heap_bytes,
                                         &RunTotals::bytes_copied, &RunTotals::mbufs_in_use, &RunTotals::mbufs_total,
                                         &RunTotals::mbufs_kept_by_devices};
  for (const auto field : fields) {
    unsigned sources = 0;
    for (const RunTotalSource& src : kRunTotalSources) sources += src.field == field;
    EXPECT_EQ(sources, 1u);
  }
  EXPECT_EQ(std::size(kRunTotalSources), std::size(fields));
}

// Each field in turn: its metric on both lcores (or pools) set, every other metric zero.
TEST(RunTotals, EachFieldSumsItsOwnMetricAndNoOther) {
  for (const RunTotalSource& moved : kRunTotalSources) {
    FakeWriter f = Catalogue();
    f.Set(Str(moved.group), Str(moved.name), PlacesOf(moved)[0], 1000);
    f.Set(Str(moved.group), Str(moved.name), PlacesOf(moved)[1], 234);
    const RunTotals t = TotalsOf(f);
    for (const RunTotalSource& other : kRunTotalSources)
      EXPECT_EQ(t.*other.field, &other == &moved ? 1234u : 0u) << moved.name << " set, " << other.name << " read";
    EXPECT_EQ(t.dropped, 0u) << moved.name;
  }
}

TEST(RunTotals, LookAlikeMetricsAddToNoTotal) {
  FakeWriter f = Catalogue();
  f.Set("port", "rx_packets", "port=wire", 50);
  f.Set("port", "tx_packets", "port=wire", 50);
  f.Set("stage", "stage_pkts", "lcore=1,chain=0,stage=rx", 50);
  f.Set("lcore", "heap_frees", kLcores[0], 50);
  Histogram h;
  h.Record(64);
  f.SetHist("allocation", "heap_bytes_per_packet", "lcore=1,chain=0", h);
  const RunTotals t = TotalsOf(f);
  for (const RunTotalSource& src : kRunTotalSources) EXPECT_EQ(t.*src.field, 0u) << src.name;
  EXPECT_EQ(t.dropped, 0u);
}

TEST(RunTotals, DropsSumByReasonOverLcores) {
  FakeWriter f = Catalogue();
  f.Set("drops", "drops", DropLabels(1, "route_drop"), 2);
  f.Set("drops", "drops", DropLabels(2, "route_drop"), 3);
  f.Set("drops", "drops", DropLabels(1, "malformed:truncated_vlan"), 7);
  const RunTotals t = TotalsOf(f);
  EXPECT_EQ(t.dropped, 12u);
  EXPECT_EQ(t.drops.at("route_drop"), 5u);
  EXPECT_EQ(t.drops.at("malformed:truncated_vlan"), 7u);
  for (const RunTotalSource& src : kRunTotalSources) EXPECT_EQ(t.*src.field, 0u) << src.name;
}

TEST(RunTotals, ConservationCountsMirrorCopiesAsArrivals) {
  FakeWriter f = Catalogue();
  f.Set("lcore", "rx_pkts", kLcores[0], 100);
  f.Set("lcore", "clones", kLcores[1], 10);
  f.Set("lcore", "tx_pkts", kLcores[1], 105);
  f.Set("drops", "drops", DropLabels(2, "route_drop"), 5);
  RunTotals t = TotalsOf(f);
  EXPECT_TRUE(t.Conserved());
  t.tx_packets -= 1;  // one packet gone without a count
  EXPECT_FALSE(t.Conserved());
  t.tx_packets += 2;  // one more out than came in
  EXPECT_FALSE(t.Conserved());
}

TEST(RunTotals, MbufsKeptByDevicesAreNoLeak) {
  RunTotals t;
  t.mbufs_in_use = 64;
  t.mbufs_kept_by_devices = 64;
  EXPECT_EQ(t.MbufsLeaked(), 0u);
  t.mbufs_in_use = 67;
  EXPECT_EQ(t.MbufsLeaked(), 3u);
  t.mbufs_kept_by_devices = 100;  // more kept than in use: still none leaked
  EXPECT_EQ(t.MbufsLeaked(), 0u);
}

TEST(RunTotals, PerPacketDividesByReceivedPackets) {
  RunTotals t;
  t.rx_packets = 1000;
  EXPECT_DOUBLE_EQ(t.PerPacket(2000), 2.0);
  EXPECT_DOUBLE_EQ(t.PerPacket(1), 0.001);
}

}  // namespace
}  // namespace ingestd::stats
