// SPDX-License-Identifier: BSD-3-Clause
// Checks across sections: lcores and CPUs, stage coverage, port map, mempool sizing.
// Each YAML text starts on line 1 right after R"( ; positions are 1-based.
#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/config/eal_args.hpp"
#include "ingestd/limits.hpp"

namespace ingestd::config {
namespace {

using testing::ErrorsOf;
using testing::HasError;
using testing::Load;
using testing::OnlyError;
using testing::TestOptions;

TEST(ValidateTest, DuplicateLcore) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
pipeline:
  chains:
    - rx: ["wire:0"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
    - rx: ["wire:1"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 13);
  EXPECT_EQ(e.column(), 18);
  EXPECT_EQ(e.message(), "lcore 1 already runs segment 0 of chain 0 (line 9)");
}

TEST(ValidateTest, SegmentOnTheMainLcore) {
  const ConfigError e = OnlyError(R"(eal:
  main_lcore: 2
ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 2
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 10);
  EXPECT_EQ(e.column(), 18);
  EXPECT_EQ(e.message(), "lcore 2 is the main lcore, which never runs a stage");
}

constexpr const char* kCpus = R"(eal:
  main_lcore: 0
  main_cpu: 4
ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
pipeline:
  chains:
    - rx: ["wire:0"]
      segments:
        - lcore: 3
          stages: [rx, parse, process, encode, tx]
    - rx: ["wire:1"]
      segments:
        - lcore: 1
          cpu: 5
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)";

TEST(ValidateTest, CpusAreCheckedAgainstTheInjectedSet) {
  // The same file is fine on a host with those CPUs...
  EXPECT_NO_THROW(Load(kCpus, TestOptions({0, 1, 2, 3, 4, 5})));
  // ...and names every missing one on a two-CPU host.
  const std::vector<ConfigError> errors = ErrorsOf(kCpus, TestOptions({0, 1}));
  ASSERT_EQ(errors.size(), 3u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 3, 13, "main_cpu 4 is not available on this host (available: 0-1)"));
  EXPECT_TRUE(HasError(errors, 12, 18,
                       "lcore 3 would be pinned to CPU 3 (cpu defaults to the lcore id), which "
                       "this host does not have (available: 0-1)"));
  EXPECT_EQ(errors[1].hint(), "add 'cpu:' with one of 0-1");
  EXPECT_TRUE(HasError(errors, 17, 16, "cpu 5 is not available on this host (available: 0-1)"));
}

TEST(ValidateTest, DefaultedMainCpuIsCheckedToo) {
  const ConfigError e = OnlyError(R"(eal:
  main_lcore: 9
ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 15);
  EXPECT_EQ(e.message(),
            "the main lcore would be pinned to CPU 9 (main_cpu defaults to main_lcore), which "
            "this host does not have (available: 0-7)");
}

// Two segments per chain, stage lists given per test.
std::string TwoSegments(const std::string& a, const std::string& b) {
  return R"(ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: )" + a + R"(
        - lcore: 2
          stages: )" + b + R"(
routes:
  - from: wire
    to: drop
)";
}

TEST(ValidateTest, SegmentsMustCoverEveryStageOnceInOrder) {
  EXPECT_NO_THROW(Load(TwoSegments("[rx, parse]", "[process, encode, tx]")));
  EXPECT_NO_THROW(Load(TwoSegments("[rx]", "[parse, process, encode, tx]")));

  ConfigError gap = OnlyError(TwoSegments("[rx, parse]", "[encode, tx]"));
  EXPECT_EQ(gap.line(), 10);
  EXPECT_EQ(gap.column(), 11);
  EXPECT_EQ(gap.message(),
            "segment 1 of chain 0 starts at 'encode' but segment 0 ends at 'parse': no segment "
            "runs 'process'");

  ConfigError overlap = OnlyError(TwoSegments("[rx, parse]", "[parse, process, encode, tx]"));
  EXPECT_EQ(overlap.line(), 10);
  EXPECT_EQ(overlap.message(), "segment 1 of chain 0 starts at 'parse', which segment 0 already runs");

  ConfigError after_tx = OnlyError(TwoSegments("[rx, parse, process, encode, tx]", "[tx]"));
  EXPECT_EQ(after_tx.line(), 10);
  EXPECT_EQ(after_tx.message(), "segment 1 of chain 0 comes after 'tx', which ends the chain");

  const std::vector<ConfigError> ends = ErrorsOf(TwoSegments("[parse]", "[process, encode]"));
  EXPECT_TRUE(HasError(ends, 8, 11, "chain 0 starts at stage 'parse': its first segment must start with 'rx'"));
  EXPECT_TRUE(HasError(ends, 10, 11, "chain 0 ends at stage 'encode': its last segment must end with 'tx'"));
  EXPECT_EQ(ends.size(), 2u) << testing::Dump(ends);
}

TEST(ValidateTest, UnpolledQueuesAndPorts) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
  - name: tool
    device: net_pcap1
pipeline:
  chains:
    - rx: ["wire:0"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  ASSERT_EQ(errors.size(), 3u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 2, 5, "port 'wire' queue 1 is polled by no chain"));
  EXPECT_EQ(errors[0].hint(), "frames would pile up unseen: add 'wire:1' to a chain's rx list");
  EXPECT_TRUE(HasError(errors, 5, 5, "port 'tool' is polled by no chain"));
  EXPECT_TRUE(HasError(errors, 5, 5, "port 'tool' has no route"));
}

TEST(ValidateTest, QueuePolledTwice) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
    - rx: ["wire:1"]
      segments:
        - lcore: 2
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.column(), 12);
  EXPECT_EQ(e.message(), "port 'wire' queue 1 is already polled by chain 0");

  const ConfigError same = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire, "wire:0"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(same.line(), 6);
  EXPECT_EQ(same.column(), 18);
  EXPECT_EQ(same.message(), "port 'wire' queue 0 is listed twice in chain 0");
}

TEST(ValidateTest, PortAndQueueWithoutRoute) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
  - name: tap
    device: net_tap0
pipeline:
  chains:
    - rx: [wire, tap]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: "wire:0"
    to: drop
)");
  ASSERT_EQ(errors.size(), 2u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 2, 5, "port 'wire' queue 1 has no route"));
  EXPECT_TRUE(HasError(errors, 5, 5, "port 'tap' has no route"));
}

TEST(ValidateTest, DuplicateAndOverlappingRoutes) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
  - from: "wire:1"
    to: drop
  - from: wire
    to: drop
)");
  ASSERT_EQ(errors.size(), 2u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 14, 11, "route from 'wire:1' overlaps the route from 'wire' at line 12"));
  EXPECT_EQ(errors[0].hint(), "a bare port name routes every queue of the port");
  EXPECT_TRUE(HasError(errors, 16, 11, "duplicate route from 'wire'"));
  EXPECT_EQ(errors[1].hint(), "it is first routed at line 12");
}

TEST(ValidateTest, RouteTargetNeedsATxQueuePerChain) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 2
  - name: tool
    device: net_pcap1
    rx_queues: 0
pipeline:
  chains:
    - rx: ["wire:0"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
    - rx: ["wire:1"]
      segments:
        - lcore: 2
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: tool
)");
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.message(),
            "port 'tool' has 1 TX queue but 2 lcores transmit to it (each transmitting lcore has a TX queue of its own)");
  EXPECT_EQ(e.hint(), "set tx_queues: 2 on port 'tool'");
}

std::string WithPipeline(const std::string& mempool_and_more) {
  return R"(ports:
  - name: wire
    device: net_pcap0
  - name: tool
    device: net_pcap1
    rx_queues: 0
pipeline:
)" + mempool_and_more + R"(
  chains:
    - rx: [wire]
      ring_size: 512
      segments:
        - lcore: 1
          stages: [rx, parse]
        - lcore: 2
          stages: [process, encode, tx]
routes:
  - from: wire
    to: tool
)";
}

TEST(ValidateTest, MempoolTooSmallGivesTheBreakdown) {
  // descriptors: wire 1024 + 1024, tool 0 + 1024 = 3072; ring 512; caches
  // (2 workers + main) x ceil(1.5 x 256) = 1152; bursts 2 x 2 x 32 = 128.
  const ConfigError e = OnlyError(WithPipeline(R"(  mempool:
    mbufs: 4863)"));
  EXPECT_EQ(e.line(), 9);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.message(),
            "mempool of 4863 mbufs is too small: at least 4864 are needed (port descriptors 3072 "
            "+ rings 512 + lcore caches 1152 + bursts 128)");
  EXPECT_EQ(e.hint(),
            "raise pipeline.mempool.mbufs to at least 4864 (2^k - 1 is best for the mempool: 8191)");
  EXPECT_NO_THROW(Load(WithPipeline(R"(  mempool:
    mbufs: 4864)")));
}

TEST(ValidateTest, MempoolCacheMustFitThePool) {
  const ConfigError e = OnlyError(WithPipeline(R"(  mempool:
    mbufs: 600
    cache: 512)"));
  EXPECT_EQ(e.line(), 10);
  EXPECT_EQ(e.column(), 12);
  EXPECT_EQ(e.message(), "cache 512 is too large for 600 mbufs: DPDK needs cache x 1.5 <= mbufs");
  EXPECT_EQ(e.hint(), "lower cache to at most 400 or raise mbufs");
}

TEST(ValidateTest, DataRoomMustHoldAFullFrame) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    mtu: 9000
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.column(), 10);
  EXPECT_NE(e.message().find("mtu 9000 does not fit one mbuf: it needs a data_room of 9154"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(e.hint(), "raise pipeline.mempool.data_room to 9154, or lower mtu to 2022");

  // Exactly fitting is fine: 2022 + 26 + 128 = 2176.
  EXPECT_NO_THROW(Load(R"(ports:
  - name: wire
    device: net_pcap0
    mtu: 2022
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)"));

  // A port without mtu keeps the device default, 1500: it must fit too.
  const ConfigError small = OnlyError(WithPipeline(R"(  mempool:
    data_room: 1024)"));
  EXPECT_EQ(small.line(), 9);
  EXPECT_EQ(small.column(), 16);
  EXPECT_NE(small.message().find("data_room 1024 cannot hold a full frame at the default mtu 1500 "
                                 "(ports wire, tool): it needs 1654"),
            std::string::npos)
      << small.what();
}

TEST(ValidateTest, MemoryMustHoldThePool) {
  const ConfigError e = OnlyError(R"(eal:
  memory_mb: 16
ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 14);
  EXPECT_EQ(e.message(),
            "memory_mb 16 cannot hold the mempool: 8191 mbufs x 2304 bytes need at least 18 MiB");
}


// The RX segment's queue table holds kMaxRxQueuesPerChain queues: a chain polling
// more is refused when the file is checked, not when the pipeline is built.
std::string TwoWidePorts(const std::string& chains) {
  return R"(ports:
  - name: a
    device: net_null0
    rx_queues: 64
    rx_desc: 64
  - name: b
    device: net_null1
    rx_queues: 64
    rx_desc: 64
pipeline:
  mempool: {mbufs: 65535}
  chains:
)" + chains + R"(routes:
  - from: a
    to: drop
  - from: b
    to: drop
)";
}

TEST(ValidateTest, AChainPollsAtMostTheQueuesItsTableHolds) {
  static_assert(kMaxRxQueuesPerChain == 64);
  // 64 queues of a, one of b: 65, refused at the entry past the limit.
  const ConfigError e = OnlyError(TwoWidePorts(R"(    - rx: [a, "b:0"]
      segments: [{lcore: 1, stages: [rx, parse, process, encode, tx]}]
    - rx: ["b:1", "b:2", "b:3", "b:4", "b:5", "b:6", "b:7", "b:8", "b:9", "b:10", "b:11", "b:12", "b:13", "b:14",
           "b:15", "b:16", "b:17", "b:18", "b:19", "b:20", "b:21", "b:22", "b:23", "b:24", "b:25", "b:26", "b:27",
           "b:28", "b:29", "b:30", "b:31", "b:32", "b:33", "b:34", "b:35", "b:36", "b:37", "b:38", "b:39", "b:40",
           "b:41", "b:42", "b:43", "b:44", "b:45", "b:46", "b:47", "b:48", "b:49", "b:50", "b:51", "b:52", "b:53",
           "b:54", "b:55", "b:56", "b:57", "b:58", "b:59", "b:60", "b:61", "b:62", "b:63"]
      segments: [{lcore: 2, stages: [rx, parse, process, encode, tx]}]
)"));
  EXPECT_EQ(e.line(), 13);
  EXPECT_EQ(e.column(), 15);
  EXPECT_EQ(e.message(), "chain 0 polls 65 RX queues, more than the 64 one chain can poll");
  EXPECT_EQ(e.hint(),
            "split the queues over more chains (a port by queue, e.g. 'name:0'); each chain polls at most 64");
  EXPECT_EQ(std::string(e.what()).substr(0, 16), "test.yaml:13:15:");
  // Exactly the limit passes.
  EXPECT_NO_THROW(Load(TwoWidePorts(R"(    - rx: [a]
      segments: [{lcore: 1, stages: [rx, parse, process, encode, tx]}]
    - rx: [b]
      segments: [{lcore: 2, stages: [rx, parse, process, encode, tx]}]
)")));
}

// A chain of `segments` (block YAML, from line 12) from port wire to port tool.
std::string WireToTool(const std::string& segments, unsigned tx_queues = 2) {
  return R"(ports:
  - name: wire
    device: net_pcap0
  - name: tool
    device: net_pcap1
    rx_queues: 0
    tx_queues: )" + std::to_string(tx_queues) + R"(
pipeline:
  chains:
    - rx: [wire]
      segments:
)" + segments + R"(routes:
  - from: wire
    to: tool
)";
}

// A fan-out: rx and parse on one lcore, the rest on two, each transmitting on its own queue.
std::string Fanout(const std::string& first_stages, const std::string& fanned, unsigned tx_queues = 2) {
  return WireToTool("        - lcore: 1\n          stages: " + first_stages +
                        "\n        - lcores: [2, 3]\n          stages: " + fanned + "\n",
                    tx_queues);
}

TEST(ValidateTest, FanoutBecomesOneSegmentPerLcore) {
  const RuntimeConfig cfg = Load(Fanout("[rx, parse]", "[process, encode, tx]"));
  const ChainConfig& chain = cfg.pipeline.chains.at(0);
  ASSERT_EQ(chain.segments.size(), 3u);
  for (unsigned i = 1; i < 3; ++i) {
    const SegmentConfig& s = chain.segments[i];
    EXPECT_EQ(s.lcore, i + 1);
    EXPECT_EQ(s.cpu, i + 1);
    EXPECT_EQ(s.replica, i - 1);
    EXPECT_EQ(s.replicas, 2);
    EXPECT_EQ(s.first, Stage::kProcess);
    EXPECT_EQ(s.last, Stage::kTx);
  }
  EXPECT_EQ(chain.segments[0].replicas, 1);
}

TEST(ValidateTest, FanoutNeedsATxQueuePerLcore) {
  const ConfigError e = OnlyError(Fanout("[rx, parse]", "[process, encode, tx]", 1));
  EXPECT_EQ(e.line(), 7);
  EXPECT_EQ(e.message(),
            "port 'tool' has 1 TX queue but 2 lcores transmit to it (each transmitting lcore has a TX queue of its own)");
  EXPECT_EQ(e.hint(), "set tx_queues: 2 on port 'tool'");
}

TEST(ValidateTest, FanoutBeforeParseIsRefused) {
  const ConfigError e = OnlyError(Fanout("[rx]", "[parse, process, encode, tx]"));
  EXPECT_EQ(e.line(), 14);
  EXPECT_EQ(e.message(), "chain 0 fans out at stage 'parse' before anything has parsed the packets");
}

TEST(ValidateTest, FanoutMustRunToTx) {
  const std::vector<ConfigError> errors = ErrorsOf(WireToTool(R"(        - lcore: 1
          stages: [rx, parse]
        - lcores: [2, 3]
          stages: [process]
        - lcore: 4
          stages: [encode, tx]
)"));
  EXPECT_TRUE(HasError(errors, 14, 11, "chain 0: a segment on several lcores must run to 'tx' (it ends at 'process')"))
      << testing::Dump(errors);
}

TEST(ValidateTest, FanoutLcoresAreCheckedOneByOne) {
  const std::vector<ConfigError> errors = ErrorsOf(WireToTool(R"(        - lcore: 1
          stages: [rx, parse]
        - lcores: [2, 1]
          cpus: [1]
          stages: [process, encode, tx]
)"));
  EXPECT_TRUE(HasError(errors, 15, 17, "cpus: 1 CPU for 2 lcores")) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 14, 23, "lcore 1 already runs segment 0 of chain 0 (line 12)")) << testing::Dump(errors);
}

TEST(ValidateTest, FanoutsFirstLcoreMayBeTheLcoreBeforeItWhichKeepsItsShare) {
  const RuntimeConfig cfg = Load(WireToTool(R"(        - lcore: 1
          cpu: 0
          stages: [rx, parse]
        - lcores: [1, 2]
          weights: [1, 3]
          stages: [process, encode, tx]
)"));
  const ChainConfig& chain = cfg.pipeline.chains.at(0);
  ASSERT_EQ(chain.segments.size(), 3u);
  EXPECT_FALSE(chain.OwnsLcore(1));
  EXPECT_EQ(chain.segments[1].cpu, 0u) << "the lcore's CPU is the one of the segment before";
  EXPECT_EQ(chain.segments[1].weight, 1u);
  EXPECT_EQ(chain.segments[2].weight, 3u);
  // EAL sees each lcore once.
  std::string lcores;
  for (const std::string& a : BuildEalArgs(cfg, "ingestd", false))
    if (a.rfind("--lcores=", 0) == 0) lcores = a;
  EXPECT_EQ(lcores, "--lcores=0@0,1@0,2@2");
}

TEST(ValidateTest, OnlyAFanoutsFirstLcoreMayBeTheLcoreBeforeIt) {
  // As the second lcore, or pinned elsewhere, lcore 1 is refused.
  std::vector<ConfigError> errors = ErrorsOf(WireToTool(R"(        - lcore: 1
          stages: [rx, parse]
        - lcores: [2, 1]
          stages: [process, encode, tx]
)"));
  EXPECT_TRUE(HasError(errors, 14, 23, "lcore 1 already runs segment 0 of chain 0 (line 12)")) << testing::Dump(errors);
  errors = ErrorsOf(WireToTool(R"(        - lcore: 1
          stages: [rx, parse]
        - lcores: [1, 2]
          cpus: [0, 2]
          stages: [process, encode, tx]
)"));
  EXPECT_TRUE(HasError(errors, 15, 18,
                       "lcore 1 runs the segment before this fan-out on CPU 1; it cannot also be on CPU 0 in "
                       "segment 1 of chain 0"))
      << testing::Dump(errors);
}

TEST(ValidateTest, FanoutWeightsAreOnePerLcoreAndFitTheSlots) {
  const auto errors_with = [](const std::string& weights, const std::string& lcores = "lcores: [2, 3]") {
    return ErrorsOf(WireToTool("        - lcore: 1\n          stages: [rx, parse]\n        - " + lcores +
                               "\n          weights: " + weights + "\n          stages: [process, encode, tx]\n"));
  };
  std::vector<ConfigError> errors = errors_with("[1]");
  EXPECT_TRUE(HasError(errors, 15, 20, "weights: 1 for 2 lcores")) << testing::Dump(errors);
  errors = errors_with("[0, 1]");
  EXPECT_EQ(errors.size(), 1u) << testing::Dump(errors);
  EXPECT_EQ(errors.at(0).line(), 15);
  errors = errors_with("[40, 30]");
  EXPECT_TRUE(HasError(errors, 15, 20, "weights: they add up to 70; at most 64")) << testing::Dump(errors);
  errors = errors_with("[1]", "lcore: 2");
  EXPECT_TRUE(HasError(errors, 15, 11, "'weights' goes with 'lcores' in segment 1 of chain 0")) << testing::Dump(errors);
}

TEST(ValidateTest, LcoreAndLcoresTogetherIsAnError) {
  const std::vector<ConfigError> errors = ErrorsOf(WireToTool(R"(        - lcore: 1
          lcores: [1, 2]
          stages: [rx, parse, process, encode, tx]
)"));
  EXPECT_TRUE(HasError(errors, 13, 11, "a segment has 'lcore' or 'lcores', not both in segment 0 of chain 0"))
      << testing::Dump(errors);
}

}  // namespace
}  // namespace ingestd::config
