// SPDX-License-Identifier: BSD-3-Clause
// MixedTraffic against the parser: labels, coverage, every truncation, and the committed capture.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ingestd/framegen/frame_builder.hpp"
#include "ingestd/packet/parse.hpp"
#include "parse_copy.hpp"

#ifndef INGESTD_SOURCE_DIR
#error "the build must define INGESTD_SOURCE_DIR (the source tree, for configs/)"
#endif
#ifndef INGESTD_INGEST_GEN
#error "the build must define INGESTD_INGEST_GEN (the ingest-gen executable)"
#endif

namespace ingestd::packet {
namespace {

using framegen::Bytes;
using framegen::LabeledFrame;
using framegen::MixedTraffic;

// The capture in configs/ and the command that makes it.
constexpr uint64_t kDemoSeed = 1;
constexpr size_t kDemoCount = 512;
const std::string kDemoPcap = std::string(INGESTD_SOURCE_DIR) + "/configs/demo-traffic.pcap";

std::string Describe(const LabeledFrame& f, size_t index) {
  std::ostringstream os;
  os << "frame " << index << " (" << f.kind << ", " << f.bytes.size() << " bytes)";
  return os.str();
}

// What must hold for any frame: offsets inside what was read, layers consistent.
void ExpectSaneMeta(const PktMeta& m, size_t data_len, uint32_t pkt_len) {
  ASSERT_LT(static_cast<unsigned>(m.verdict), kParseVerdictCount);
  ASSERT_LE(m.vlan_count, kMaxVlanDepth);
  ASSERT_LE(m.mpls_count, kMaxMplsLabels);
  if (m.l3 == L3Type::kNone) {
    EXPECT_EQ(m.l3_off, kNoOffset);
  } else {
    EXPECT_LE(m.l3_off, data_len);
    EXPECT_EQ(m.l3_off, kEthHeaderLen + m.vlan_count * kVlanTagLen + m.mpls_count * kMplsLabelLen);
  }
  if (m.l4_off == kNoOffset) {
    EXPECT_EQ(m.l4_len, 0);
    EXPECT_EQ(m.src_port, 0);
    EXPECT_EQ(m.dst_port, 0);
  } else {
    EXPECT_TRUE(m.l3 == L3Type::kIpv4 || m.l3 == L3Type::kIpv6);
    EXPECT_GE(m.l4_off, m.l3_off + kIpv4MinHeaderLen);
    EXPECT_LE(m.l4_off, data_len);
    EXPECT_LE(m.l4_off + m.l4_len, pkt_len);
  }
  if (m.verdict != ParseVerdict::kOk) return;
  EXPECT_NE(m.l3, L3Type::kNone);
  if (m.l3 == L3Type::kIpv4) {
    EXPECT_LE(m.l3_off + kIpv4MinHeaderLen, data_len);
  } else if (m.l3 == L3Type::kIpv6) {
    EXPECT_LE(m.l3_off + kIpv6HeaderLen, data_len);
  }
  if (m.l4_off != kNoOffset) {
    EXPECT_LE(m.l4_off + 8u, data_len);  // the smallest L4 header
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "ingestd_" + std::to_string(getpid()) + "_" + name;
}

TEST(MixedTraffic, ExpectedVerdictsMatchTheParser) {
  for (const uint64_t seed : {1u, 2u, 3u, 12345u}) {
    const std::vector<LabeledFrame> frames = MixedTraffic(seed, 300);
    ASSERT_EQ(frames.size(), 300u);
    for (size_t i = 0; i < frames.size(); ++i) {
      PktMeta m{};
      EXPECT_EQ(VerdictName(ParseFrame(frames[i].bytes, m)), VerdictName(frames[i].expected))
          << "seed " << seed << ", " << Describe(frames[i], i);
    }
  }
}

TEST(MixedTraffic, EveryMalformedKindInEveryDeck) {
  constexpr size_t kDecks = 4;
  const std::vector<LabeledFrame> frames = MixedTraffic(99, kDecks * framegen::kMixedTrafficDeck);
  std::set<std::string_view> all_kinds;
  for (size_t deck = 0; deck < kDecks; ++deck) {
    std::set<ParseVerdict> verdicts;
    std::set<std::string_view> kinds;
    for (size_t i = 0; i < framegen::kMixedTrafficDeck; ++i) {
      const LabeledFrame& f = frames[deck * framegen::kMixedTrafficDeck + i];
      verdicts.insert(f.expected);
      kinds.insert(f.kind);
    }
    // ok and the 15 reasons the mix was made for (TunnelTraffic covers the later ones).
    EXPECT_EQ(verdicts.size(), 16u) << "deck " << deck;
    EXPECT_FALSE(verdicts.contains(ParseVerdict::kHeadersNotContiguous));
    if (deck == 0) all_kinds = kinds;
    EXPECT_EQ(kinds, all_kinds) << "deck " << deck;
  }
}

TEST(MixedTraffic, CoversTheRequestedVariety) {
  const std::vector<LabeledFrame> frames = MixedTraffic(kDemoSeed, 300);
  std::map<std::string, int> seen;
  const auto note = [&](bool happened, const char* what) {
    if (happened) ++seen[what];
  };
  for (const LabeledFrame& lf : frames) {
    const Bytes& f = lf.bytes;
    EXPECT_LE(f.size(), framegen::kMaxFrameLen);
    PktMeta m{};
    if (ParseFrame(f, m) != ParseVerdict::kOk) continue;
    EXPECT_GE(f.size(), framegen::kMinFrameLen) << lf.kind;
    note(f.size() == framegen::kMinFrameLen, "size 60");
    note(f.size() == framegen::kMaxFrameLen, "size 1514");
    note(m.vlan_count == 0, "untagged");
    note(m.vlan_count == 1, "802.1Q");
    const uint16_t outer_tpid = static_cast<uint16_t>(f[12] << 8 | f[13]);
    note(m.vlan_count == 2 && outer_tpid == kTpid8021ad, "QinQ 88a8");
    note(m.vlan_count == 2 && outer_tpid == kTpid9100, "QinQ 9100");
    note(m.l3 == L3Type::kArp, "arp");
    note(m.l3 == L3Type::kOther, "other ethertype");
    if (m.l3 == L3Type::kIpv4) {
      const bool more_fragments = (f[m.l3_off + 6] & 0x20) != 0;
      note(m.is_fragment, "ipv4 later fragment");
      note(more_fragments && !m.is_fragment, "ipv4 first fragment");
      note(m.ip_proto == kIpProtoTcp && m.l4_off != kNoOffset, "ipv4 tcp");
      note(m.ip_proto == kIpProtoUdp && m.l4_off != kNoOffset, "ipv4 udp");
      note(m.ip_proto == kIpProtoIcmp, "ipv4 icmp");
    }
    if (m.l3 == L3Type::kIpv6) {
      note(m.ip_proto == kIpProtoTcp, "ipv6 tcp");
      note(m.ip_proto == kIpProtoUdp, "ipv6 udp");
      note(m.ip_proto == kIpProtoIcmpv6, "ipv6 icmpv6");
      const uint8_t next_header = f[m.l3_off + 6];
      note(next_header == 0 || next_header == 44 || next_header == 60, "ipv6 extension header");
    }
  }
  for (const char* what :
       {"size 60", "size 1514", "untagged", "802.1Q", "QinQ 88a8", "QinQ 9100", "arp",
        "other ethertype", "ipv4 later fragment", "ipv4 first fragment", "ipv4 tcp", "ipv4 udp",
        "ipv4 icmp", "ipv6 tcp", "ipv6 udp", "ipv6 icmpv6", "ipv6 extension header"}) {
    EXPECT_GT(seen[what], 0) << what;
  }
}

TEST(MixedTraffic, DeterministicAndPrefixStable) {
  const std::vector<LabeledFrame> a = MixedTraffic(5, 200);
  const std::vector<LabeledFrame> b = MixedTraffic(5, 150);
  const std::vector<LabeledFrame> c = MixedTraffic(6, 200);
  ASSERT_EQ(b.size(), 150u);
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i < b.size()) {
      EXPECT_EQ(a[i].bytes, b[i].bytes) << i;
      EXPECT_EQ(a[i].expected, b[i].expected) << i;
    }
    differ += a[i].bytes != c[i].bytes;
  }
  EXPECT_GT(differ, 190u);
  EXPECT_TRUE(MixedTraffic(5, 0).empty());
}

// Every prefix of every frame, as a whole (short) frame and as the first segment of the full
// frame. The second must agree with the full parse or say the headers are not contiguous.
TEST(MixedTraffic, EveryTruncationIsSafeAndConsistent) {
  const std::vector<LabeledFrame> frames = MixedTraffic(2024, 300);
  for (size_t i = 0; i < frames.size(); ++i) {
    const Bytes& f = frames[i].bytes;
    const auto full_len = static_cast<uint32_t>(f.size());
    SCOPED_TRACE(Describe(frames[i], i));
    const PktMeta full = ParseCopy(f);
    ASSERT_EQ(full.verdict, frames[i].expected);
    for (size_t n = 0; n <= f.size(); ++n) {
      SCOPED_TRACE(testing::Message() << "prefix " << n);
      PktMeta m = ParseCopy(f, {}, 0, n);
      const ParseVerdict cut = m.verdict;
      EXPECT_NE(cut, ParseVerdict::kHeadersNotContiguous);
      ExpectSaneMeta(m, n, static_cast<uint32_t>(n));

      m = ParseCopy(f, {}, 0, n, full_len);
      const ParseVerdict split = m.verdict;
      ExpectSaneMeta(m, n, full_len);
      if (split != ParseVerdict::kHeadersNotContiguous) {
        EXPECT_TRUE(SameParse(m, full)) << "verdict " << VerdictName(split);
      }
      if (::testing::Test::HasFailure()) return;  // one broken frame is enough to read
    }
  }
}

TEST(DemoCapture, CommittedFileMatchesTheGenerator) {
  const std::vector<LabeledFrame> frames = MixedTraffic(kDemoSeed, kDemoCount);
  const std::vector<Bytes> committed = framegen::ReadPcap(kDemoPcap);
  ASSERT_EQ(committed.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(committed[i], frames[i].bytes) << i;

  const std::string regenerated = TempPath("demo.pcap");
  framegen::WritePcap(regenerated, frames);
  EXPECT_TRUE(ReadFile(regenerated) == ReadFile(kDemoPcap)) << "pcap bytes differ";
  std::remove(regenerated.c_str());
}

TEST(DemoCapture, IngestGenReproducesTheCommittedFile) {
  const std::string out = TempPath("ingest-gen-demo.pcap");
  const std::string cmd = std::string("'") + INGESTD_INGEST_GEN + "' --out '" + out +
                          "' --mix demo --count " + std::to_string(kDemoCount) + " --seed " +
                          std::to_string(kDemoSeed) + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string generated = ReadFile(out);
  const std::string committed = ReadFile(kDemoPcap);
  EXPECT_EQ(generated.size(), committed.size());
  EXPECT_TRUE(generated == committed)
      << "regenerate with: ingest-gen --out configs/demo-traffic.pcap --mix demo --count "
      << kDemoCount << " --seed " << kDemoSeed;
  EXPECT_LT(committed.size(), 400u * 1024);
  std::remove(out.c_str());
}

}  // namespace
}  // namespace ingestd::packet
