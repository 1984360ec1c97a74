// SPDX-License-Identifier: BSD-3-Clause
// Drop slots: their names, and the table of them in docs/design.md.
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

TEST(Docs, DropTableListsEveryReason) {
  std::ifstream in(INGESTD_SOURCE_DIR "/docs/design.md");
  ASSERT_TRUE(in) << "docs/design.md not found";
  std::stringstream text;
  text << in.rdbuf();
  for (unsigned s = 1; s < kDropSlots; ++s) {
    const std::string row = "| `" + DropSlotName(s) + "` |";
    EXPECT_NE(text.str().find(row), std::string::npos) << "docs/design.md lacks a row for " << DropSlotName(s);
  }
}

}  // namespace
}  // namespace ingestd::stats
