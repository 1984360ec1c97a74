// SPDX-License-Identifier: BSD-3-Clause
// A valid file maps onto every RuntimeConfig field; the shipped configs load.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config {
namespace {

using testing::ErrorsOf;
using testing::HasError;
using testing::Load;
using testing::TestOptions;

void ExpectMark(const Mark& m, int line, int column) {
  EXPECT_EQ(m.line, line);
  EXPECT_EQ(m.column, column);
}

// Lines are numbered in the comments: every Mark below is checked against them.
constexpr const char* kFull = R"(eal:
  main_lcore: 2
  main_cpu: 3
  memory_mb: 512
  file_prefix: rt_test-1
  hugepages: require
  log_level: debug
ports:
  - name: in0
    device: net_pcap0
    args:
      rx_pcap: traffic/in.pcap
      infinite_rx: 1
    rx_queues: 2
    tx_queues: 2
    rx_desc: 512
    tx_desc: 256
    mtu: 1500
    promiscuous: false
  - name: out-1
    device: 01:00.0
    rx_queues: 0
    tx_queues: 2
    set_src_mac: 02:00:00:00:00:01
    set_dst_mac: AA:bb:CC:dd:EE:ff
pipeline:
  burst: 16
  tx_retries: 0
  mempool:
    mbufs: 16383
    cache: 128
    data_room: 4096
  chains:
    - rx: ["in0:0"]
      ring_size: 2048
      ring_policy: backpressure
      segments:
        - lcore: 4
          cpu: 5
          stages: [rx, parse]
        - lcore: 5
          stages: [process, encode, tx]
    - rx: ["in0:1"]
      segments:
        - lcore: 6
          cpu: 0
          stages: [rx, parse, process, encode, tx]
routes:
  - from: "in0:0"
    to: out-1
  - from: "in0:1"
    to: drop
)";

TEST(LoaderTest, FullFileRoundTripsIntoTypedConfig) {
  const RuntimeConfig cfg = Load(kFull);
  EXPECT_EQ(cfg.source, "test.yaml");

  EXPECT_EQ(cfg.eal.main_lcore, 2u);
  EXPECT_EQ(cfg.eal.main_cpu, 3u);
  EXPECT_EQ(cfg.eal.memory_mb, 512u);
  EXPECT_EQ(cfg.eal.file_prefix, "rt_test-1");
  EXPECT_EQ(cfg.eal.hugepages, HugepageMode::kRequire);
  EXPECT_EQ(cfg.eal.log_level, "debug");

  ASSERT_EQ(cfg.ports.size(), 2u);
  const PortConfig& in = cfg.ports[0];
  EXPECT_EQ(in.name, "in0");
  EXPECT_EQ(in.device, "net_pcap0");
  EXPECT_FALSE(in.is_pci);
  ASSERT_EQ(in.args.size(), 2u);
  EXPECT_EQ(in.args[0].key, "rx_pcap");
  EXPECT_EQ(in.args[0].value, "/cfg/traffic/in.pcap");  // resolved against the base dir
  EXPECT_EQ(in.args[1].key, "infinite_rx");
  EXPECT_EQ(in.args[1].value, "1");                     // not a path: as written
  EXPECT_EQ(in.rx_queues, 2);
  EXPECT_EQ(in.tx_queues, 2);
  EXPECT_EQ(in.rx_desc, 512);
  EXPECT_EQ(in.tx_desc, 256);
  EXPECT_EQ(in.mtu, std::optional<uint16_t>(1500));
  EXPECT_FALSE(in.promiscuous);
  EXPECT_FALSE(in.set_src_mac);
  EXPECT_FALSE(in.set_dst_mac);
  ExpectMark(in.mark, 9, 5);

  const PortConfig& out = cfg.ports[1];
  EXPECT_EQ(out.name, "out-1");
  EXPECT_EQ(out.device, "0000:01:00.0");  // domain added, as DPDK names the port
  EXPECT_TRUE(out.is_pci);
  EXPECT_TRUE(out.args.empty());
  EXPECT_EQ(out.rx_queues, 0);
  EXPECT_EQ(out.tx_queues, 2);
  EXPECT_EQ(out.rx_desc, 1024);
  EXPECT_EQ(out.tx_desc, 1024);
  EXPECT_FALSE(out.mtu);
  EXPECT_TRUE(out.promiscuous);
  ASSERT_TRUE(out.set_src_mac);
  EXPECT_EQ(*out.set_src_mac, (MacAddress{{0x02, 0, 0, 0, 0, 0x01}}));
  ASSERT_TRUE(out.set_dst_mac);
  EXPECT_EQ(*out.set_dst_mac, (MacAddress{{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}));
  ExpectMark(out.mark, 20, 5);

  EXPECT_EQ(cfg.pipeline.burst, 16);
  EXPECT_EQ(cfg.pipeline.tx_retries, 0);
  EXPECT_EQ(cfg.pipeline.mempool.mbufs, 16383u);
  EXPECT_EQ(cfg.pipeline.mempool.cache, 128u);
  EXPECT_EQ(cfg.pipeline.mempool.data_room, 4096);
  ExpectMark(cfg.pipeline.mempool.mark, 30, 5);

  ASSERT_EQ(cfg.pipeline.chains.size(), 2u);
  const ChainConfig& c0 = cfg.pipeline.chains[0];
  ASSERT_EQ(c0.rx.size(), 1u);
  EXPECT_EQ(c0.rx[0].port, 0);
  EXPECT_EQ(c0.rx[0].queue, 0);
  EXPECT_EQ(c0.ring_size, 2048u);
  EXPECT_EQ(c0.ring_policy, RingPolicy::kBackpressure);
  ExpectMark(c0.mark, 34, 7);
  ASSERT_EQ(c0.segments.size(), 2u);
  EXPECT_EQ(c0.segments[0].lcore, 4u);
  EXPECT_EQ(c0.segments[0].cpu, 5u);
  EXPECT_EQ(c0.segments[0].first, Stage::kRx);
  EXPECT_EQ(c0.segments[0].last, Stage::kParse);
  ExpectMark(c0.segments[0].mark, 38, 11);
  EXPECT_EQ(c0.segments[1].lcore, 5u);
  EXPECT_EQ(c0.segments[1].cpu, 5u);  // defaults to the lcore id
  EXPECT_EQ(c0.segments[1].first, Stage::kProcess);
  EXPECT_EQ(c0.segments[1].last, Stage::kTx);
  ExpectMark(c0.segments[1].mark, 41, 11);

  const ChainConfig& c1 = cfg.pipeline.chains[1];
  ASSERT_EQ(c1.rx.size(), 1u);
  EXPECT_EQ(c1.rx[0].port, 0);
  EXPECT_EQ(c1.rx[0].queue, 1);
  EXPECT_EQ(c1.ring_size, 1024u);
  EXPECT_EQ(c1.ring_policy, RingPolicy::kDrop);
  ExpectMark(c1.mark, 43, 7);
  ASSERT_EQ(c1.segments.size(), 1u);
  EXPECT_EQ(c1.segments[0].lcore, 6u);
  EXPECT_EQ(c1.segments[0].cpu, 0u);
  EXPECT_EQ(c1.segments[0].first, Stage::kRx);
  EXPECT_EQ(c1.segments[0].last, Stage::kTx);
  ExpectMark(c1.segments[0].mark, 45, 11);

  ASSERT_EQ(cfg.routes.size(), 2u);
  EXPECT_EQ(cfg.routes[0].in_port, 0);
  EXPECT_EQ(cfg.routes[0].in_queue, std::optional<uint16_t>(0));
  EXPECT_EQ(cfg.routes[0].out_port, 1);
  ExpectMark(cfg.routes[0].mark, 49, 5);
  EXPECT_EQ(cfg.routes[1].in_port, 0);
  EXPECT_EQ(cfg.routes[1].in_queue, std::optional<uint16_t>(1));
  EXPECT_EQ(cfg.routes[1].out_port, kDropRoute);
  ExpectMark(cfg.routes[1].mark, 51, 5);

  EXPECT_EQ(cfg.FindPort("out-1"), std::optional<uint16_t>(1));
  EXPECT_EQ(cfg.FindPort("nope"), std::nullopt);
}

constexpr const char* kMinimal = R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 3
  - name: tool
    device: net_pcap1
    rx_queues: 0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: tool
)";

TEST(LoaderTest, OmittedKeysTakeTheirDefaults) {
  const RuntimeConfig cfg = Load(kMinimal);
  EXPECT_EQ(cfg.eal.main_lcore, 0u);
  EXPECT_EQ(cfg.eal.main_cpu, 0u);
  EXPECT_EQ(cfg.eal.memory_mb, 256u);
  EXPECT_EQ(cfg.eal.file_prefix, "ingestd");
  EXPECT_EQ(cfg.eal.hugepages, HugepageMode::kAuto);
  EXPECT_EQ(cfg.eal.log_level, "notice");
  const PortConfig& wire = cfg.ports[0];
  EXPECT_EQ(wire.tx_queues, 1);
  EXPECT_EQ(wire.rx_desc, 1024);
  EXPECT_EQ(wire.tx_desc, 1024);
  EXPECT_FALSE(wire.mtu);
  EXPECT_TRUE(wire.promiscuous);
  EXPECT_TRUE(wire.args.empty());
  EXPECT_EQ(cfg.pipeline.burst, 32);
  EXPECT_EQ(cfg.pipeline.tx_retries, 4);
  EXPECT_EQ(cfg.pipeline.mempool.mbufs, 8191u);
  EXPECT_EQ(cfg.pipeline.mempool.cache, 256u);
  EXPECT_EQ(cfg.pipeline.mempool.data_room, 2176);
  const ChainConfig& chain = cfg.pipeline.chains.at(0);
  EXPECT_EQ(chain.ring_size, 1024u);
  EXPECT_EQ(chain.ring_policy, RingPolicy::kDrop);
  EXPECT_EQ(chain.segments.at(0).cpu, 1u);
  // A bare port polls every queue, and a bare route covers every queue.
  ASSERT_EQ(chain.rx.size(), 3u);
  for (uint16_t q = 0; q < 3; ++q) {
    EXPECT_EQ(chain.rx[q].port, 0);
    EXPECT_EQ(chain.rx[q].queue, q);
  }
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_FALSE(cfg.routes[0].in_queue);
  EXPECT_EQ(cfg.routes[0].out_port, 1);
}

TEST(LoaderTest, MainCpuDefaultsToMainLcore) {
  const RuntimeConfig cfg = Load(std::string("eal:\n  main_lcore: 3\n") + kMinimal);
  EXPECT_EQ(cfg.eal.main_cpu, 3u);
}

TEST(LoaderTest, ShippedDemoConfigsLoad) {
  const std::string dir = INGESTD_CONFIGS_DIR;
  // The demo runs on 2-CPU machines; its capture need not exist yet.
  const RuntimeConfig demo = LoadConfig(dir + "/demo.yaml", TestOptions({0, 1}));
  EXPECT_EQ(demo.source, dir + "/demo.yaml");
  EXPECT_EQ(demo.eal.file_prefix, "ingestd-demo");
  ASSERT_EQ(demo.ports.size(), 2u);
  ASSERT_EQ(demo.ports[0].args.size(), 1u);
  EXPECT_EQ(demo.ports[0].args[0].value,
            (std::filesystem::absolute(dir) / "demo-traffic.pcap").lexically_normal().string());
  EXPECT_EQ(demo.pipeline.chains.at(0).segments.size(), 1u);

  const RuntimeConfig pipe = LoadConfig(dir + "/demo-pipeline.yaml", TestOptions({0, 1}));
  EXPECT_EQ(pipe.eal.file_prefix, "ingestd-demo-pipeline");
  const ChainConfig& chain = pipe.pipeline.chains.at(0);
  ASSERT_EQ(chain.segments.size(), 2u);
  EXPECT_EQ(chain.segments[0].lcore, 1u);
  EXPECT_EQ(chain.segments[0].cpu, 1u);
  EXPECT_EQ(chain.segments[0].last, Stage::kParse);
  EXPECT_EQ(chain.segments[1].lcore, 2u);
  EXPECT_EQ(chain.segments[1].cpu, 0u);
  EXPECT_EQ(chain.segments[1].first, Stage::kProcess);

  const RuntimeConfig fan = LoadConfig(dir + "/demo-fanout.yaml", TestOptions({0, 1}));
  const ChainConfig& fanned = fan.pipeline.chains.at(0);
  ASSERT_EQ(fanned.segments.size(), 3u);
  EXPECT_EQ(fanned.segments[1].lcore, 2u);
  EXPECT_EQ(fanned.segments[2].lcore, 3u);
  EXPECT_EQ(fanned.segments[2].cpu, 1u);
  EXPECT_EQ(fanned.segments[2].replicas, 2u);
  EXPECT_EQ(fan.ports.at(1).args.size(), 2u);
}

TEST(LoaderTest, ShippedRulesExampleUsesEveryAction) {
  const RuntimeConfig cfg = LoadConfig(std::string(INGESTD_CONFIGS_DIR) + "/demo-rules.yaml", TestOptions({0, 1}));
  ASSERT_EQ(cfg.rules.size(), 5u);
  bool forward = false, mirror = false, drop = false, sample = false, balance = false, count_only = false;
  for (const RuleConfig& r : cfg.rules) {
    forward |= r.action.forward.has_value();
    mirror |= r.action.mirror.has_value();
    drop |= r.action.drop;
    sample |= r.action.sample > 1;
    balance |= !r.action.balance.empty();
    count_only |= !r.action.drop && !r.action.forward && !r.action.mirror && r.action.balance.empty() &&
                  r.action.sample == 1;
  }
  EXPECT_TRUE(forward && mirror && drop && sample && balance && count_only);
}

TEST(LoaderTest, NicExampleNeedsFourCpus) {
  const std::string path = std::string(INGESTD_CONFIGS_DIR) + "/nic-two-port.yaml";
  const RuntimeConfig cfg = LoadConfig(path, TestOptions({0, 1, 2, 3}));
  EXPECT_TRUE(cfg.ports.at(0).is_pci);
  EXPECT_EQ(cfg.eal.hugepages, HugepageMode::kRequire);
  try {
    LoadConfig(path, TestOptions({0, 1}));
    FAIL() << "a 2-CPU host cannot run it";
  } catch (const ConfigErrors& e) {
    ASSERT_EQ(e.errors().size(), 2u) << e.what();
    EXPECT_NE(e.errors()[0].message().find("cpu 2 is not available on this host (available: 0-1)"),
              std::string::npos);
  }
}

TEST(LoaderTest, UnreadableFileIsOneErrorWithoutPosition) {
  try {
    LoadConfig("/nonexistent/ingestd.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/ingestd.yaml: cannot read the config", 0),
              0u)
        << e.what();
  }
}

TEST(LoaderTest, RelativePathsResolveAgainstTheConfigFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ingestd-config-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "sub");
  const std::string text = std::string(kMinimal) + R"(# the capture below is never opened
)";
  std::string with_args = text;
  with_args.replace(with_args.find("    rx_queues: 3"), 0,
                    "    args:\n      rx_pcap: ../in.pcap\n");
  std::ofstream(dir / "sub" / "c.yaml") << with_args;
  const RuntimeConfig cfg = LoadConfig((dir / "sub" / "c.yaml").string(), TestOptions());
  EXPECT_EQ(cfg.ports[0].args.at(0).value, (dir / "in.pcap").string());
  std::filesystem::remove_all(dir);
}

TEST(LoaderTest, ErrorTextIsFileLineColumnMessageAndHint) {
  const ConfigError e("a.yaml", 4, 5, "unknown key 'x' in port 'p'", "did you mean 'y'?");
  EXPECT_STREQ(e.what(), "a.yaml:4:5: unknown key 'x' in port 'p'\n  hint: did you mean 'y'?");
  const ConfigError plain("a.yaml", 1, 2, "bad");
  EXPECT_STREQ(plain.what(), "a.yaml:1:2: bad");
  const ConfigErrors all({e, plain});
  EXPECT_EQ(std::string(all.what()), std::string(e.what()) + "\n" + plain.what());
}

TEST(LoaderTest, HostCpusIsNeverEmptyAndSorted) {
  const std::vector<unsigned> cpus = HostCpus();
  ASSERT_FALSE(cpus.empty());
  EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
}

}  // namespace
}  // namespace ingestd::config
