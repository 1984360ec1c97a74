// SPDX-License-Identifier: BSD-3-Clause
// BuildEalArgs: exactly the argv the config implies, nothing else.
#include <algorithm>

#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/config/eal_args.hpp"

namespace ingestd::config {
namespace {

using testing::Load;

using Argv = std::vector<std::string>;

constexpr const char* kVdevOnly = R"(ports:
  - name: wire
    device: net_pcap0
    args:
      rx_pcap: in.pcap
      infinite_rx: 1
  - name: tool
    device: net_null0
    rx_queues: 0
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse]
        - lcore: 2
          cpu: 0
          stages: [process, encode, tx]
routes:
  - from: wire
    to: tool
)";

TEST(EalArgsTest, VirtualDevicesOnlyMeansNoPciScan) {
  const RuntimeConfig cfg = Load(kVdevOnly);
  EXPECT_EQ(BuildEalArgs(cfg, "ingestd", true),
            (Argv{"ingestd", "--lcores=0@0,1@1,2@0", "--main-lcore=0", "--file-prefix=ingestd",
                  "-m", "256", "--no-pci", "--vdev=net_pcap0,rx_pcap=/cfg/in.pcap,infinite_rx=1",
                  "--vdev=net_null0", "--log-level=notice"}));
}

TEST(EalArgsTest, NoHugeFollowsTheCallersDecision) {
  const RuntimeConfig cfg = Load(kVdevOnly);
  EXPECT_EQ(BuildEalArgs(cfg, "x", false),
            (Argv{"x", "--lcores=0@0,1@1,2@0", "--main-lcore=0", "--file-prefix=ingestd", "-m",
                  "256", "--no-huge", "--no-pci",
                  "--vdev=net_pcap0,rx_pcap=/cfg/in.pcap,infinite_rx=1", "--vdev=net_null0",
                  "--log-level=notice"}));
  const Argv huge = BuildEalArgs(cfg, "x", true);
  EXPECT_EQ(std::count(huge.begin(), huge.end(), "--no-huge"), 0);
}

TEST(EalArgsTest, PciPortsBecomeAnExactAllowList) {
  const RuntimeConfig cfg = Load(R"(eal:
  main_lcore: 3
  main_cpu: 1
  memory_mb: 1024
  file_prefix: nic
  log_level: warning
ports:
  - name: east
    device: 0000:01:00.0
    tx_queues: 2
  - name: mirror
    device: net_ring0
    rx_queues: 0
    tx_queues: 2
  - name: west
    device: 02:00.1
    tx_queues: 2
pipeline:
  mempool:
    mbufs: 16383
  chains:
    - rx: [east]
      segments:
        - lcore: 1
          cpu: 2
          stages: [rx, parse, process, encode, tx]
    - rx: [west]
      segments:
        - lcore: 4
          cpu: 3
          stages: [rx, parse, process, encode, tx]
routes:
  - from: east
    to: west
  - from: west
    to: east
)");
  EXPECT_EQ(BuildEalArgs(cfg, "ingestd", true),
            (Argv{"ingestd", "--lcores=3@1,1@2,4@3", "--main-lcore=3", "--file-prefix=nic", "-m",
                  "1024", "-a", "0000:01:00.0", "-a", "0000:02:00.1", "--vdev=net_ring0",
                  "--log-level=warning"}));
}

TEST(EalArgsTest, PciDevargsFollowTheAddressInTheAllowList) {
  // A bifurcated NIC (mlx5) is not bound to vfio-pci; its options are devargs.
  const RuntimeConfig cfg = Load(R"(ports:
  - name: wire
    device: 0000:03:00.0
    args:
      mprq_en: 1
      rxq_cqe_comp_en: 0
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
  EXPECT_EQ(BuildEalArgs(cfg, "ingestd", true),
            (Argv{"ingestd", "--lcores=0@0,1@1", "--main-lcore=0", "--file-prefix=ingestd", "-m", "256", "-a",
                  "0000:03:00.0,mprq_en=1,rxq_cqe_comp_en=0", "--log-level=notice"}));
}

TEST(EalArgsTest, MemifKeysWithDashesReachTheDeviceString) {
  // net_memif spells two of its keys with a dash; the socket is a path, resolved
  // against the config's directory like rx_pcap.
  const RuntimeConfig cfg = Load(R"(ports:
  - name: feed
    device: net_memif0
    args: {role: server, id: 0, socket: memif.sock, socket-abstract: "no", zero-copy: "no"}
  - name: tool
    device: net_null0
    rx_queues: 0
pipeline:
  chains:
    - rx: [feed]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: feed
    to: tool
)");
  const Argv argv = BuildEalArgs(cfg, "x", false);
  EXPECT_NE(std::find(argv.begin(), argv.end(),
                      "--vdev=net_memif0,role=server,id=0,socket=/cfg/memif.sock,socket-abstract=no,"
                      "zero-copy=no"),
            argv.end())
      << ::testing::PrintToString(argv);
}

// A secondary process maps the primary's memory at the primary's addresses: the
// operator can choose them (hex, as DPDK prints them).
TEST(EalArgsTest, BaseVirtaddrIsPassedOnlyWhenGiven) {
  const std::string routes = kVdevOnly;
  const Argv plain = BuildEalArgs(Load(routes), "x", true);
  EXPECT_EQ(std::count_if(plain.begin(), plain.end(), [](const std::string& a) { return a.starts_with("--base"); }),
            0);
  const Argv given = BuildEalArgs(Load("eal:\n  base_virtaddr: 0x200000000000\n" + routes), "x", true);
  EXPECT_NE(std::find(given.begin(), given.end(), "--base-virtaddr=0x200000000000"), given.end())
      << ::testing::PrintToString(given);
  const Argv decimal = BuildEalArgs(Load("eal:\n  base_virtaddr: 8589934592\n" + routes), "x", true);
  EXPECT_NE(std::find(decimal.begin(), decimal.end(), "--base-virtaddr=0x200000000"), decimal.end());
}

}  // namespace
}  // namespace ingestd::config
