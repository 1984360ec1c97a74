// SPDX-License-Identifier: BSD-3-Clause
// IPFIX messages walked field by field as a collector reads them (RFC 7011): header,
// template set and its refresh, data sets per address family, lengths, sequence numbers;
// and the JSON Lines record.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ipfix.hpp"

namespace ingestd::flows {
namespace {

uint16_t U16(const std::vector<uint8_t>& m, size_t at) { return static_cast<uint16_t>(m[at] << 8 | m[at + 1]); }
uint32_t U32(const std::vector<uint8_t>& m, size_t at) { return uint32_t{U16(m, at)} << 16 | U16(m, at + 2); }
uint64_t U64(const std::vector<uint8_t>& m, size_t at) { return uint64_t{U32(m, at)} << 32 | U32(m, at + 4); }

FlowRecord V4(uint8_t last, uint64_t packets) {
  FlowRecord r{};
  r.key.src[10] = r.key.src[11] = r.key.dst[10] = r.key.dst[11] = 0xff;
  const uint8_t src[4] = {10, 0, 0, last}, dst[4] = {192, 0, 2, 1};
  std::memcpy(r.key.src + 12, src, 4);
  std::memcpy(r.key.dst + 12, dst, 4);
  r.key.src_port = 1234;
  r.key.dst_port = 53;
  r.key.proto = 17;
  r.key.in_port = 3;
  r.packets = packets;
  r.bytes = packets * 100;
  r.ip_bytes = packets * 86;
  r.first_tsc = 1000;
  r.last_tsc = 3000;
  r.tcp_flags = 0x12;
  r.end = FlowEnd::kIdle;
  return r;
}

FlowRecord V6(uint64_t packets) {
  FlowRecord r = V4(0, packets);
  std::memset(r.key.src, 0, 16);
  r.key.src[0] = 0x20;
  r.key.src[1] = 0x01;
  return r;
}

const ExportClock kClock{1000, 0, 1'700'000'000'000};  // a 1 kHz TSC: tick t is t ms after that Unix time

TEST(Ipfix, MessageHeaderTemplatesAndRecordsReadBack) {
  IpfixEncoder enc(42);
  const std::vector<FlowRecord> records = {V4(1, 5), V4(2, 6), V6(7)};
  const auto messages = enc.Encode(records, kClock, 1234);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].templates);
  const std::vector<uint8_t>& m = messages[0].bytes;
  EXPECT_EQ(U16(m, 0), 10);                  // version
  EXPECT_EQ(U16(m, 2), m.size());            // length
  EXPECT_EQ(U32(m, 4), 1234u);               // export time
  EXPECT_EQ(U32(m, 8), 0u);                  // sequence: records before this message
  EXPECT_EQ(U32(m, 12), 42u);                // observation domain
  // Template set: id 2, templates 256 (13 fields) and 257 (13 fields).
  size_t at = 16;
  EXPECT_EQ(U16(m, at), 2);
  const uint16_t template_set_len = U16(m, at + 2);
  EXPECT_EQ(template_set_len, 4 + 2 * (4 + 13 * 4));
  EXPECT_EQ(U16(m, at + 4), 256);
  EXPECT_EQ(U16(m, at + 6), 13);
  EXPECT_EQ(U16(m, at + 8), 8);   // sourceIPv4Address
  EXPECT_EQ(U16(m, at + 10), 4);
  EXPECT_EQ(U16(m, at + 8 + 8 * 4), 1);     // octetDeltaCount, the ninth field
  EXPECT_EQ(U16(m, at + 8 + 12 * 4), 352);  // layer2OctetDeltaCount, the last
  EXPECT_EQ(U16(m, at + 8 + 12 * 4 + 2), 8);
  at += template_set_len;
  // Data set 256: two IPv4 records of 60 bytes.
  EXPECT_EQ(U16(m, at), 256);
  EXPECT_EQ(U16(m, at + 2), 4 + 2 * 60);
  const size_t r0 = at + 4;
  EXPECT_EQ(m[r0 + 3], 1);                   // source 10.0.0.1
  EXPECT_EQ(U16(m, r0 + 8), 1234);           // source port
  EXPECT_EQ(U16(m, r0 + 10), 53);
  EXPECT_EQ(m[r0 + 12], 17);                 // protocol
  EXPECT_EQ(U16(m, r0 + 13), 0x12);          // TCP flags
  EXPECT_EQ(U32(m, r0 + 15), 3u);            // ingress interface
  EXPECT_EQ(U64(m, r0 + 19), 5u);            // packets
  EXPECT_EQ(U64(m, r0 + 27), 430u);          // octetDeltaCount: IP bytes
  EXPECT_EQ(U64(m, r0 + 35), 1'700'000'001'000u);  // flowStartMilliseconds: tick 1000 at 1 kHz is 1 s in
  EXPECT_EQ(U64(m, r0 + 43), 1'700'000'003'000u);
  EXPECT_EQ(m[r0 + 51], 1);                  // flowEndReason idle
  EXPECT_EQ(U64(m, r0 + 52), 500u);          // layer2OctetDeltaCount: frame bytes
  at += U16(m, at + 2);
  // Data set 257: one IPv6 record of 84 bytes, ending the message.
  EXPECT_EQ(U16(m, at), 257);
  EXPECT_EQ(U16(m, at + 2), 4 + 84);
  EXPECT_EQ(m[at + 4], 0x20);
  EXPECT_EQ(at + U16(m, at + 2), m.size());
  EXPECT_EQ(enc.sequence(), 3u);
}

TEST(Ipfix, ManyRecordsSplitIntoMessagesUnderTheLimitWithRunningSequence) {
  IpfixEncoder enc(1);
  std::vector<FlowRecord> records;
  for (int i = 0; i < 100; ++i) records.push_back(i % 3 ? V4(static_cast<uint8_t>(i), 1) : V6(1));
  const auto messages = enc.Encode(records, kClock, 0);
  ASSERT_GT(messages.size(), 1u);
  uint32_t expected_sequence = 0;
  size_t seen = 0;
  for (const auto& message : messages) {
    const std::vector<uint8_t>& m = message.bytes;
    EXPECT_LE(m.size(), IpfixEncoder::kMaxMessage);
    EXPECT_EQ(U16(m, 2), m.size());
    EXPECT_EQ(U32(m, 8), expected_sequence);
    size_t at = 16;
    size_t in_message = 0;
    bool templates = false;
    while (at < m.size()) {
      const uint16_t id = U16(m, at), len = U16(m, at + 2);
      if (id == 2) templates = true;
      else in_message += (len - 4) / (id == 256 ? 60 : 84);
      at += len;
    }
    EXPECT_EQ(at, m.size()) << "sets tile the message";
    EXPECT_EQ(templates, message.templates);
    expected_sequence += static_cast<uint32_t>(in_message);
    seen += in_message;
  }
  EXPECT_EQ(seen, records.size());
  EXPECT_EQ(enc.sequence(), 100u);
}

/// Which of `messages` carry the template set, as a string of T and '.'.
std::string TemplatePattern(const std::vector<IpfixMessage>& messages) {
  std::string out;
  for (const IpfixMessage& m : messages) {
    const bool set = m.bytes.size() > 16 && U16(m.bytes, 16) == 2;
    EXPECT_EQ(set, m.templates);
    out += set ? 'T' : '.';
  }
  return out;
}

TEST(Ipfix, TemplatesRideInTheFirstMessageThenInOneOfEveryN) {
  IpfixEncoder enc(1, TemplateRefresh{.seconds = 0, .messages = 4});
  const std::vector<FlowRecord> one = {V4(1, 1)};
  std::vector<IpfixMessage> all;
  for (int i = 0; i < 9; ++i)
    for (IpfixMessage& m : enc.Encode(one, kClock, 0, 0)) all.push_back(std::move(m));
  EXPECT_EQ(TemplatePattern(all), "T...T...T");
  IpfixEncoder every(1, TemplateRefresh{.seconds = 0, .messages = 1});
  std::vector<IpfixMessage> each;
  for (int i = 0; i < 3; ++i)
    for (IpfixMessage& m : every.Encode(one, kClock, 0, 0)) each.push_back(std::move(m));
  EXPECT_EQ(TemplatePattern(each), "TTT");
}

TEST(Ipfix, TemplatesFallDueByTimeAndGoOutAlone) {
  IpfixEncoder enc(9, TemplateRefresh{.seconds = 5, .messages = 0});
  EXPECT_TRUE(enc.TemplatesDue(100'000)) << "never sent";
  const IpfixMessage t = enc.Templates(77, 100'000);
  EXPECT_TRUE(t.templates);
  EXPECT_EQ(U16(t.bytes, 2), t.bytes.size());
  EXPECT_EQ(U16(t.bytes, 16), 2);
  EXPECT_EQ(16 + U16(t.bytes, 18), t.bytes.size()) << "the template set alone";
  EXPECT_EQ(U32(t.bytes, 12), 9u);
  EXPECT_FALSE(enc.TemplatesDue(104'999));
  const std::vector<FlowRecord> one = {V4(1, 1)};
  EXPECT_FALSE(enc.Encode(one, kClock, 0, 104'999)[0].templates);
  EXPECT_TRUE(enc.TemplatesDue(105'000));
  EXPECT_TRUE(enc.Encode(one, kClock, 0, 105'000)[0].templates);
  EXPECT_FALSE(enc.TemplatesDue(105'001)) << "the data message that carried them restarted the clock";
  EXPECT_EQ(enc.sequence(), 2u) << "templates do not count as records";
}

TEST(Ipfix, JsonLinesRecordNamesTheFlow) {
  const nlohmann::json j = nlohmann::json::parse(FlowJson(V4(9, 4), kClock));
  EXPECT_EQ(j.at("src"), "10.0.0.9");
  EXPECT_EQ(j.at("dst"), "192.0.2.1");
  EXPECT_EQ(j.at("packets"), 4);
  EXPECT_EQ(j.at("bytes"), 400);
  EXPECT_EQ(j.at("ip_bytes"), 344);
  EXPECT_EQ(j.at("first_ms"), 1'700'000'001'000);
  EXPECT_EQ(j.at("end"), "idle");
  EXPECT_EQ(nlohmann::json::parse(FlowJson(V6(1), kClock)).at("src"), "2001::");
}

}  // namespace
}  // namespace ingestd::flows
