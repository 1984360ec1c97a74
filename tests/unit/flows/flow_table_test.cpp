// SPDX-License-Identifier: BSD-3-Clause
// The flow table on a fake clock (the `now` TSC argument): burst updates agree with
// per-packet ones, a full table evicts (exported, counted) without losing or misrouting
// a packet, idle and active timeouts export records, and a full export ring is counted.
#include <unistd.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <rte_eal.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include "flow_table.hpp"
#include "ingestd/dataplane/eal.hpp"

namespace ingestd::flows {
namespace {

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // No hugepages, no PCI, one lcore: runs on any box, alongside any other run.
    static std::string prefix = "--file-prefix=ingestd-unit-flows-" + std::to_string(getpid());
    static std::vector<std::string> args{"flow_table_test", "--no-huge", "--no-pci", "-m", "128", "-l", "0",
                                         "--log-level=warning", prefix};
    static std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0);
  }
  void TearDown() override {
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    dataplane::RemoveRuntimeFiles(runtime_dir);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr uint64_t kIdle = 100;
constexpr uint64_t kActive = 1000;

FlowKey Key(uint32_t flow) {
  FlowKey k{};
  k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
  std::memcpy(k.src + 12, &flow, 4);
  k.dst[15] = 1;
  k.src_port = static_cast<uint16_t>(1024 + flow % 50000);
  k.dst_port = 53;
  k.proto = 17;
  return k;
}

uint32_t FlowOf(const FlowKey& k) {
  uint32_t flow;
  std::memcpy(&flow, k.src + 12, 4);
  return flow;
}

std::unique_ptr<FlowTable> Table(uint32_t capacity, uint32_t ring_size = 1 << 14) {
  static unsigned serial = 0;
  std::unique_ptr<FlowTable> t;
  const dataplane::Status s =
      FlowTable::Create("flow_test_" + std::to_string(serial++), capacity, ring_size, kIdle, kActive, 0, t);
  EXPECT_TRUE(s.ok()) << s.message();
  return t;
}

/// Every record the table exported so far, taken off its ring.
std::vector<FlowRecord> Exported(FlowTable& t) {
  std::vector<FlowRecord> out;
  FlowRecord r;
  while (rte_ring_sc_dequeue_elem(t.ring(), &r, sizeof r) == 0) out.push_back(r);
  return out;
}

std::vector<FlowRecord> Drained(FlowTable& t) {
  std::vector<FlowRecord> out;
  t.DrainAll([&](const FlowRecord& r) { out.push_back(r); });
  return out;
}

/// Per flow: (packets, bytes, ip_bytes, tcp_flags) summed over its records.
using Totals = std::map<uint32_t, std::tuple<uint64_t, uint64_t, uint64_t, uint8_t>>;
void AddTo(Totals& t, const std::vector<FlowRecord>& records) {
  for (const FlowRecord& r : records) {
    auto& [packets, bytes, ip_bytes, flags] = t[FlowOf(r.key)];
    packets += r.packets;
    bytes += r.bytes;
    ip_bytes += r.ip_bytes;
    flags = static_cast<uint8_t>(flags | r.tcp_flags);
  }
}

struct Traffic {
  std::vector<FlowKey> keys;
  std::vector<FlowUpdate> updates;
  Totals sent;
};

/// `packets` packets over `flows` flows, repeats within a burst included.
Traffic RandomTraffic(uint32_t flows, size_t packets, uint32_t seed) {
  std::mt19937 rng(seed);  // 32-bit draws
  Traffic t;
  for (size_t i = 0; i < packets; ++i) {
    const uint32_t flow = rng() % flows;
    const FlowUpdate u{static_cast<uint32_t>(64 + rng() % 1400), static_cast<uint32_t>(50 + rng() % 1400),
                       static_cast<uint8_t>(1u << (rng() % 8))};
    t.keys.push_back(Key(flow));
    t.updates.push_back(u);
    auto& [p, b, ip, f] = t.sent[flow];
    ++p;
    b += u.bytes;
    ip += u.ip_bytes;
    f = static_cast<uint8_t>(f | u.tcp_flags);
  }
  return t;
}

/// One packet of each of `flows` flows.
Traffic DistinctFlows(uint32_t flows) {
  Traffic t;
  for (uint32_t f = 0; f < flows; ++f) {
    t.keys.push_back(Key(f));
    t.updates.push_back({64, 50, 0});
  }
  return t;
}

/// Feeds `t` in bursts of `burst`, all at time `now`.
void Feed(FlowTable& table, const Traffic& t, uint16_t burst, uint64_t now, stats::LcoreCounters& c) {
  for (size_t at = 0; at < t.keys.size(); at += burst) {
    const auto n = static_cast<uint16_t>(std::min<size_t>(burst, t.keys.size() - at));
    table.UpdateBurst(&t.keys[at], &t.updates[at], n, now, c);
  }
}

TEST(FlowTable, BurstUpdatesCountAsPerPacketUpdates) {
  const Traffic t = RandomTraffic(300, 20'000, 1);
  auto burst = Table(1024), single = Table(1024);
  stats::LcoreCounters cb, cs;
  Feed(*burst, t, 100, 7, cb);  // over RTE_HASH_LOOKUP_BULK_MAX: split in two lookups
  for (size_t i = 0; i < t.keys.size(); ++i)
    single->Update(t.keys[i], t.updates[i].bytes, t.updates[i].ip_bytes, t.updates[i].tcp_flags, 7, cs);
  Totals from_burst, from_single;
  AddTo(from_burst, Drained(*burst));
  AddTo(from_single, Drained(*single));
  EXPECT_EQ(from_burst, t.sent);
  EXPECT_EQ(from_single, t.sent);
  EXPECT_EQ(cb.flows_created.Load(), 300u);
  EXPECT_EQ(cs.flows_created.Load(), 300u);
  EXPECT_EQ(cb.flow_evictions.Load(), 0u);
}

TEST(FlowTable, ANewFlowTwiceInOneBurstIsOneFlowOfTwoPackets) {
  auto table = Table(64);
  stats::LcoreCounters c;
  const FlowKey keys[3] = {Key(5), Key(6), Key(5)};
  const FlowUpdate updates[3] = {{100, 86, 0x02}, {60, 46, 0}, {200, 186, 0x10}};
  table->UpdateBurst(keys, updates, 3, 42, c);
  EXPECT_EQ(c.flows_created.Load(), 2u);
  const std::vector<FlowRecord> records = Drained(*table);
  ASSERT_EQ(records.size(), 2u);
  const FlowRecord& r = FlowOf(records[0].key) == 5 ? records[0] : records[1];
  EXPECT_EQ(r.packets, 2u);
  EXPECT_EQ(r.bytes, 300u);
  EXPECT_EQ(r.ip_bytes, 272u);
  EXPECT_EQ(r.tcp_flags, 0x12);
  EXPECT_EQ(r.first_tsc, 42u);
  EXPECT_EQ(r.end, FlowEnd::kEndOfRun);
}

TEST(FlowTable, AFullTableHoldsItsCapacity) {
  constexpr uint32_t kCapacity = 4096;
  auto table = Table(kCapacity);
  stats::LcoreCounters c;
  const Traffic t = DistinctFlows(kCapacity);
  Feed(*table, t, 32, 1, c);
  EXPECT_EQ(c.flows_created.Load(), kCapacity) << "extendable buckets: every flow fits, whatever its hash";
  EXPECT_EQ(c.flow_evictions.Load(), 0u);
  EXPECT_EQ(Drained(*table).size(), kCapacity);
}

TEST(FlowTable, AFullTableEvictsOneFlowPerNewFlowAndLosesNoPacket) {
  constexpr uint32_t kCapacity = 256;
  auto table = Table(kCapacity, 1 << 16);  // room for every eviction's record
  stats::LcoreCounters c;
  // Four times more flows than room, bursts of 32: evictions in the middle of bursts
  // whose later packets hit the evicted flows, or the flows that took their positions.
  const Traffic t = RandomTraffic(4 * kCapacity, 50'000, 2);
  Feed(*table, t, 32, 9, c);
  const std::vector<FlowRecord> evicted = Exported(*table);
  const std::vector<FlowRecord> left = Drained(*table);
  EXPECT_GT(c.flow_evictions.Load(), 1000u);
  EXPECT_EQ(c.flows_exported.Load(), c.flow_evictions.Load()) << "each eviction exports its flow";
  EXPECT_EQ(evicted.size(), c.flow_evictions.Load());
  EXPECT_EQ(c.flows_created.Load(), evicted.size() + left.size());
  EXPECT_EQ(left.size(), kCapacity) << "the table stays full";
  for (const FlowRecord& r : evicted) EXPECT_EQ(r.end, FlowEnd::kEvicted);
  Totals counted;
  AddTo(counted, evicted);
  AddTo(counted, left);
  EXPECT_EQ(counted, t.sent) << "every packet counted once, in its own flow";
}

TEST(FlowTable, IdleFlowsLeaveAfterTheIdleTimeout) {
  auto table = Table(64);
  const uint32_t positions = 128;  // more than the table has: every position looked at
  stats::LcoreCounters c;
  const FlowKey keys[2] = {Key(1), Key(2)};
  const FlowUpdate updates[2] = {{100, 86, 0}, {100, 86, 0}};
  table->UpdateBurst(keys, updates, 2, 0, c);
  table->Expire(kIdle - 1, positions, c);
  EXPECT_EQ(c.flows_exported.Load(), 0u) << "neither idle long enough";
  table->UpdateBurst(keys, updates, 1, 50, c);  // flow 1 seen again
  table->Expire(kIdle, positions, c);
  const std::vector<FlowRecord> out = Exported(*table);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(FlowOf(out[0].key), 2u);
  EXPECT_EQ(out[0].end, FlowEnd::kIdle);
  EXPECT_EQ(out[0].packets, 1u);
  EXPECT_EQ(out[0].first_tsc, 0u);
  EXPECT_EQ(out[0].last_tsc, 0u);
  EXPECT_EQ(c.flows_exported.Load(), 1u);
  table->Expire(50 + kIdle, positions, c);
  ASSERT_EQ(Exported(*table).size(), 1u) << "flow 1, idle since 50";
  EXPECT_EQ(c.flows_exported.Load(), 2u);
  EXPECT_TRUE(Drained(*table).empty());
}

TEST(FlowTable, BusyFlowsLeaveAfterTheActiveTimeoutAndStartAgain) {
  auto table = Table(64);
  stats::LcoreCounters c;
  const FlowKey key = Key(7);
  const FlowUpdate update{100, 86, 0};
  uint64_t now = 0;
  for (; now < kActive; now += kIdle / 2) {
    table->UpdateBurst(&key, &update, 1, now, c);
    table->Expire(now, 128, c);
  }
  EXPECT_EQ(c.flows_exported.Load(), 0u) << "never idle, not yet active too long";
  table->Expire(now, 128, c);  // now == kActive: first seen at 0
  const std::vector<FlowRecord> out = Exported(*table);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].end, FlowEnd::kActive);
  EXPECT_EQ(out[0].packets, kActive / (kIdle / 2));
  EXPECT_EQ(out[0].last_tsc, kActive - kIdle / 2);
  table->UpdateBurst(&key, &update, 1, now, c);
  EXPECT_EQ(c.flows_created.Load(), 2u) << "the next packet starts a new record";
}

TEST(FlowTable, ExpiryLooksAtItsBudgetOfPositionsOnly) {
  auto table = Table(64);
  stats::LcoreCounters c;
  const Traffic t = DistinctFlows(64);
  Feed(*table, t, 32, 0, c);
  table->Expire(kIdle, 1, c);
  EXPECT_LE(c.flows_exported.Load(), 1u);
  for (int i = 0; i < 1000 && c.flows_exported.Load() < 64; ++i) table->Expire(kIdle, 8, c);
  EXPECT_EQ(c.flows_exported.Load(), 64u) << "the cursor comes round to every flow";
}

TEST(FlowTable, AFullExportRingCountsLostRecords) {
  auto table = Table(64, 4);  // a ring of 4 holds 3 records
  stats::LcoreCounters c;
  const Traffic t = DistinctFlows(5);
  Feed(*table, t, 32, 0, c);
  table->Expire(kIdle, 128, c);
  EXPECT_EQ(c.flows_exported.Load(), 3u);
  EXPECT_EQ(c.flow_records_lost.Load(), 2u);
  EXPECT_EQ(Exported(*table).size(), 3u);
  EXPECT_TRUE(Drained(*table).empty()) << "lost records leave the table too";
}

}  // namespace
}  // namespace ingestd::flows
