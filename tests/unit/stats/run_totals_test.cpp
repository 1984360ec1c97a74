// SPDX-License-Identifier: BSD-3-Clause
// The run report: sums, conservation, the JSON schema, and the README's drop table.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ingestd/stats/run_totals.hpp"

namespace ingestd::stats {
namespace {

TEST(DropSlots, NamesAreMalformedVerdictsThenOtherReasons) {
  EXPECT_EQ(DropSlotName(DropSlot(packet::ParseVerdict::kTruncatedVlan)), "malformed:truncated_vlan");
  EXPECT_EQ(DropSlotName(DropSlot(OtherDrop::kRouteDrop)), "route_drop");
  EXPECT_EQ(DropSlotName(DropSlot(OtherDrop::kTxFull)), "tx_full");
  EXPECT_EQ(kDropSlots, packet::kParseVerdictCount + kOtherDropCount);
}

TEST(RunTotals, SumsLcoresAndChecksConservation) {
  LcoreCounters a;
  LcoreCounters b;
  a.rx_pkts.Add(100);
  a.drops[DropSlot(packet::ParseVerdict::kBadIpv4Ihl)].Add(3);
  a.ring_out_pkts.Add(97);
  b.ring_in_pkts.Add(97);
  b.tx_pkts.Add(95);
  b.drops[DropSlot(OtherDrop::kTxFull)].Add(2);

  RunTotals t;
  t.AddLcore(1, 0, "rx..parse", a);
  t.AddLcore(2, 0, "process..tx", b);
  EXPECT_EQ(t.Received(), 100u);
  EXPECT_EQ(t.Transmitted(), 95u);
  EXPECT_EQ(t.Dropped(), 5u);
  EXPECT_TRUE(t.Conserved());

  b.tx_pkts.Add(1);  // a packet counted out that never came in
  RunTotals broken;
  broken.AddLcore(1, 0, "rx..parse", a);
  broken.AddLcore(2, 0, "process..tx", b);
  EXPECT_FALSE(broken.Conserved());
  EXPECT_NE(broken.Summary().find("VIOLATED"), std::string::npos);
}

TEST(RunTotals, JsonHasTheDocumentedSchema) {
  LcoreCounters c;
  c.rx_pkts.Add(10);
  c.tx_pkts.Add(9);
  c.drops[DropSlot(OtherDrop::kRouteDrop)].Add(1);
  RunTotals t;
  t.AddLcore(1, 0, "rx..tx", c);
  t.ports.push_back({"wire", 10, 0, 640, 0, 0, 0, 0, 0});
  t.mbufs_total = 8191;
  const nlohmann::json j = t.ToJson();
  const auto& totals = j.at("totals");
  EXPECT_EQ(totals.at("rx_packets"), 10);
  EXPECT_EQ(totals.at("tx_packets"), 9);
  EXPECT_EQ(totals.at("dropped"), 1);
  EXPECT_EQ(totals.at("mbufs_in_use"), 0);
  EXPECT_EQ(totals.at("conserved"), true);
  EXPECT_EQ(totals.at("drops").size(), kDropSlots - 1) << "every reason, zero or not";
  EXPECT_EQ(totals.at("drops").at("route_drop"), 1);
  for (const char* key : {"name", "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "imissed", "rx_nombuf"})
    EXPECT_TRUE(j.at("ports").at(0).contains(key)) << key;
  EXPECT_EQ(j.at("lcores").at(0).at("counters").size(), std::size(kLcoreCounterInfo));
}

TEST(Readme, DropTableListsEveryReason) {
  std::ifstream in(INGESTD_SOURCE_DIR "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream text;
  text << in.rdbuf();
  for (unsigned s = 1; s < kDropSlots; ++s) {
    const std::string row = "| `" + DropSlotName(s) + "` |";
    EXPECT_NE(text.str().find(row), std::string::npos) << "README lacks a row for " << DropSlotName(s);
  }
}

}  // namespace
}  // namespace ingestd::stats
