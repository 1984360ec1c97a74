// SPDX-License-Identifier: BSD-3-Clause
// Run totals: each field sums its own metrics over lcores and pools, and nothing else.
#include <array>
#include <cstdint>
#include <string>
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

struct Field {
  const char* group;
  const char* name;
  uint64_t RunTotals::*field;
  bool lcore() const { return std::string(group) == "lcore"; }
  const Places& places() const { return lcore() ? kLcores : kPools; }
};
constexpr Field kFields[] = {
    {"lcore", "rx_pkts", &RunTotals::rx_packets},
    {"lcore", "tx_pkts", &RunTotals::tx_packets},
    {"lcore", "clones", &RunTotals::clones},
    {"lcore", "mbufs_taken", &RunTotals::mbufs_taken},
    {"lcore", "heap_allocs", &RunTotals::heap_allocs},
    {"lcore", "heap_bytes", &RunTotals::heap_bytes},
    {"lcore", "bytes_copied", &RunTotals::bytes_copied},
    {"mempool", "mbufs_in_use", &RunTotals::mbufs_in_use},
    {"mempool", "mbufs_total", &RunTotals::mbufs_total},
    {"mempool", "mbufs_kept_by_devices", &RunTotals::mbufs_kept_by_devices},
};

std::string DropLabels(unsigned lcore, const char* reason) {
  return fmt::format("lcore={},chain=0,reason={}", lcore, reason);
}

/// Every metric a total reads, on two lcores and two pools, plus look-alikes no total may read.
FakeWriter Catalogue() {
  FakeWriter f;
  for (const Field& fld : kFields)
    for (const char* l : fld.places()) {
      if (fld.lcore()) f.Counter(fld.group, fld.name, l);
      else f.Gauge(fld.group, fld.name, l, "mbufs");
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
  for (const Field& fld : kFields) EXPECT_EQ(t.*fld.field, 0u) << fld.name;
  EXPECT_EQ(t.dropped, 0u);
  EXPECT_EQ(t.drops.size(), 2u) << "reasons are listed with zero counts";
  EXPECT_TRUE(t.Conserved());
  EXPECT_EQ(t.MbufsLeaked(), 0u);
  EXPECT_EQ(t.PerPacket(5), 0) << "no packets: 0, not NaN";
}

// Each field in turn: its metric on both lcores (or pools) set, every other metric zero.
TEST(RunTotals, EachFieldSumsItsOwnMetricAndNoOther) {
  for (const Field& moved : kFields) {
    FakeWriter f = Catalogue();
    f.Set(moved.group, moved.name, moved.places()[0], 1000);
    f.Set(moved.group, moved.name, moved.places()[1], 234);
    const RunTotals t = TotalsOf(f);
    for (const Field& other : kFields)
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
  for (const Field& fld : kFields) EXPECT_EQ(t.*fld.field, 0u) << fld.name;
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
  for (const Field& fld : kFields) EXPECT_EQ(t.*fld.field, 0u) << fld.name;
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
