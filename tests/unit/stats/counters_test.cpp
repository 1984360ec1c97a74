// SPDX-License-Identifier: BSD-3-Clause
// Drop slots: their names, and the README's table of them.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ingestd/stats/counters.hpp"

namespace ingestd::stats {
namespace {

TEST(DropSlots, NamesAreMalformedVerdictsThenOtherReasons) {
  EXPECT_EQ(DropSlotName(DropSlot(packet::ParseVerdict::kTruncatedVlan)), "malformed:truncated_vlan");
  EXPECT_EQ(DropSlotName(DropSlot(OtherDrop::kRouteDrop)), "route_drop");
  EXPECT_EQ(DropSlotName(DropSlot(OtherDrop::kTxFull)), "tx_full");
  EXPECT_EQ(kDropSlots, packet::kParseVerdictCount + kOtherDropCount);
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
