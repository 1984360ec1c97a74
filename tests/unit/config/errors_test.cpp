// SPDX-License-Identifier: BSD-3-Clause
// Errors found while reading nodes: syntax, keys, types, ranges, names, references.
// Each YAML text starts on line 1 right after R"( ; positions are 1-based.
#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/config.hpp"

namespace ingestd::config {
namespace {

using testing::ErrorsOf;
using testing::HasError;
using testing::OnlyError;

TEST(ErrorsTest, YamlSyntaxErrorCarriesItsPosition) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
      rx_queues: 1
)");
  // yaml-cpp stops at the ':' that cannot start a value inside a plain scalar.
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.column(), 16);
  EXPECT_NE(e.message().find("YAML syntax error"), std::string::npos) << e.what();
}

TEST(ErrorsTest, UnterminatedFlowListIsASyntaxError) {
  // The flow list swallows the next line; yaml-cpp notices at the end of input.
  const ConfigError e = OnlyError("ports: [a,\nroutes: []\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 1);
  EXPECT_NE(e.message().find("YAML syntax error"), std::string::npos) << e.what();
}

TEST(ErrorsTest, EmptyFileAndWrongTopLevel) {
  EXPECT_TRUE(HasError(ErrorsOf(""), 1, 1, "the file is empty"));
  EXPECT_TRUE(HasError(ErrorsOf("# only a comment\n"), 1, 1, "the file is empty"));
  EXPECT_TRUE(HasError(ErrorsOf("- a\n- b\n"), 1, 1,
                       "expected a mapping for the configuration, got a list"));
  EXPECT_TRUE(HasError(ErrorsOf("a: 1\n---\nb: 2\n"), 2, 1, "only one YAML document"));
}

TEST(ErrorsTest, StrayCommaAtDocumentLevelIsASyntaxError) {
  // yaml-cpp 0.7's LoadAll would loop forever on this, and Load would
  // return an empty document.
  const ConfigError e = OnlyError("\n\n  , and more\nports: []\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 3);
  EXPECT_EQ(e.message(), "YAML syntax error: unexpected ','");
  EXPECT_TRUE(HasError(ErrorsOf("a: 1\n---\n,\n"), 2, 1, "only one YAML document"));
}

TEST(ErrorsTest, UnknownKeySuggestsTheClosestAtTheKeysPosition) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    rx_que: 1
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
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.message(), "unknown key 'rx_que' in port 'wire'");
  EXPECT_EQ(e.hint(), "did you mean 'rx_queues'?");
}

TEST(ErrorsTest, DidYouMeanHandlesTyposTranspositionsAndNoMatch) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(eal:
  log_levle: info
  memroy_mb: 64
  colour: blue
ports:
  - name: wire
    device: net_pcap0
    promsicuous: true
pipeline:
  chains:
    - rx: [wire]
      segment:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
route:
  - from: wire
    to: drop
)");
  EXPECT_TRUE(HasError(errors, 2, 3, "unknown key 'log_levle' in eal"));
  EXPECT_TRUE(HasError(errors, 3, 3, "unknown key 'memroy_mb' in eal"));
  EXPECT_TRUE(HasError(errors, 4, 3, "unknown key 'colour' in eal"));
  EXPECT_TRUE(HasError(errors, 8, 5, "unknown key 'promsicuous' in port 'wire'"));
  EXPECT_TRUE(HasError(errors, 12, 7, "unknown key 'segment' in chain 0"));
  EXPECT_TRUE(HasError(errors, 11, 7, "missing required key 'segments' in chain 0"));
  EXPECT_TRUE(HasError(errors, 15, 1, "unknown key 'route' at the top level"));
  EXPECT_TRUE(HasError(errors, 1, 1, "missing required key 'routes' at the top level"));
  using testing::HintFor;
  EXPECT_EQ(HintFor(errors, "'log_levle'"), "did you mean 'log_level'?");
  EXPECT_EQ(HintFor(errors, "'memroy_mb'"), "did you mean 'memory_mb'?");
  EXPECT_EQ(HintFor(errors, "'promsicuous'"), "did you mean 'promiscuous'?");
  EXPECT_EQ(HintFor(errors, "'segment'"), "did you mean 'segments'?");
  EXPECT_EQ(HintFor(errors, "unknown key 'route'"), "did you mean 'routes'?");
  // Nothing close: list what is allowed instead.
  EXPECT_EQ(HintFor(errors, "'colour'").rfind("known keys: main_lcore, main_cpu", 0), 0u)
      << HintFor(errors, "'colour'");
  EXPECT_EQ(errors.size(), 8u) << testing::Dump(errors);
}

TEST(ErrorsTest, WrongTypes) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: abc
    promiscuous: yes
  - name: tool
    device: net_pcap1
    rx_queues: 0
    mtu: [1500]
pipeline:
  burst: 1.5
  chains:
    - rx: wire
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: tool
)");
  EXPECT_TRUE(HasError(errors, 4, 16, "rx_queues: expected an integer, got 'abc'"));
  EXPECT_TRUE(HasError(errors, 5, 18, "promiscuous: expected true or false, got 'yes'"));
  EXPECT_TRUE(HasError(errors, 9, 10, "mtu: expected an integer, got a list"));
  EXPECT_TRUE(HasError(errors, 11, 10, "burst: expected an integer, got '1.5'"));
  EXPECT_TRUE(HasError(errors, 13, 11, "rx: expected a list, got 'wire'"));
  EXPECT_EQ(errors.size(), 5u) << testing::Dump(errors);
}

TEST(ErrorsTest, OutOfRangeSaysTheRange) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(eal:
  main_lcore: 128
  memory_mb: 8
ports:
  - name: wire
    device: net_pcap0
    rx_queues: 65
    tx_queues: 0
    mtu: 9700
pipeline:
  burst: 0
  tx_retries: -1
  mempool:
    mbufs: 99999999999999999999999
  chains:
    - rx: [wire]
      segments:
        - lcore: 0
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_TRUE(HasError(errors, 2, 15, "main_lcore 128 is out of range 0..127"));
  EXPECT_TRUE(HasError(errors, 3, 14, "memory_mb 8 is out of range 16..1048576"));
  EXPECT_TRUE(HasError(errors, 7, 16, "rx_queues 65 is out of range 0..64"));
  EXPECT_TRUE(HasError(errors, 8, 16, "tx_queues 0 is out of range 1..64"));
  EXPECT_TRUE(HasError(errors, 9, 10, "mtu 9700 is out of range 68..9600"));
  EXPECT_TRUE(HasError(errors, 11, 10, "burst 0 is out of range 1..64"));
  EXPECT_TRUE(HasError(errors, 12, 15, "tx_retries -1 is out of range 0..1000"));
  EXPECT_TRUE(HasError(errors, 14, 12,
                       "mbufs 99999999999999999999999 is out of range 512..16777215"));
  EXPECT_TRUE(HasError(errors, 18, 18, "lcore 0 is out of range 1..127"));
  EXPECT_EQ(errors.size(), 9u) << testing::Dump(errors);
}

TEST(ErrorsTest, BaseVirtaddrMustBeAHugepageAlignedUserAddress) {
  const auto error_for = [](const std::string& value) {
    return ErrorsOf("eal:\n  base_virtaddr: " + value + R"(
ports:
  - name: wire
    device: net_null0
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
  };
  EXPECT_TRUE(HasError(error_for("0x1000"), 2, 18, "base_virtaddr 0x1000 is outside 0x100000000..0x7f0000000000"));
  EXPECT_EQ(testing::HintFor(error_for("0x1000"), "base_virtaddr"),
            "pick an address free in this process and its secondaries, e.g. 0x200000000000");
  EXPECT_TRUE(HasError(error_for("0x200000001000"), 2, 18, "base_virtaddr 0x200000001000 is not a multiple of 2 MiB"));
  EXPECT_EQ(testing::HintFor(error_for("0x200000001000"), "base_virtaddr"), "use 0x200000000000");
  EXPECT_TRUE(HasError(error_for("0xg0"), 2, 18, "base_virtaddr: expected an integer, got '0xg0'"));
  EXPECT_TRUE(HasError(error_for("0x"), 2, 18, "base_virtaddr: expected an integer, got '0x'"));
}

TEST(ErrorsTest, MissingRequiredKeys) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
  - device: net_pcap1
pipeline:
  burst: 32
)");
  EXPECT_TRUE(HasError(errors, 1, 1, "missing required key 'routes' at the top level"));
  EXPECT_TRUE(HasError(errors, 2, 5, "missing required key 'device' in port 'wire'"));
  EXPECT_TRUE(HasError(errors, 3, 5, "missing required key 'name' in a port"));
  EXPECT_TRUE(HasError(errors, 5, 3, "missing required key 'chains' in pipeline"));
  EXPECT_EQ(errors.size(), 4u) << testing::Dump(errors);

  const std::vector<ConfigError> seg = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
pipeline:
  chains:
    - segments:
        - stages: [rx, parse, process, encode, tx]
        - lcore: 2
routes:
  - from: wire
    to: drop
)");
  EXPECT_TRUE(HasError(seg, 6, 7, "missing required key 'rx' in chain 0"));
  EXPECT_TRUE(HasError(seg, 7, 11, "missing required key 'lcore' in segment 0 of chain 0"));
  EXPECT_TRUE(HasError(seg, 8, 11, "missing required key 'stages' in segment 1 of chain 0"));
  EXPECT_EQ(seg.size(), 3u) << testing::Dump(seg);

  EXPECT_TRUE(HasError(ErrorsOf("eal: {}\n"), 1, 1, "missing required key 'ports'"));
  EXPECT_TRUE(HasError(ErrorsOf("eal: {}\n"), 1, 1, "missing required key 'pipeline'"));
}

TEST(ErrorsTest, EnumValuesAreCheckedWithSuggestions) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(eal:
  hugepages: maybe
  log_level: warn
ports:
  - name: wire
    device: net_pcap0
pipeline:
  mempool: {handler: stak}
  chains:
    - rx: [wire]
      ring_policy: dorp
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  EXPECT_TRUE(HasError(errors, 2, 14, "hugepages must be one of auto, require, off, got 'maybe'"));
  EXPECT_TRUE(HasError(errors, 3, 14, "log_level must be one of emerg, alert, crit, error"));
  EXPECT_TRUE(HasError(errors, 8, 22, "handler must be one of default, stack, got 'stak'"));
  EXPECT_TRUE(HasError(errors, 11, 20, "ring_policy must be one of drop, backpressure, got 'dorp'"));
  EXPECT_EQ(testing::HintFor(errors, "log_level"), "did you mean 'warning'?");
  EXPECT_EQ(testing::HintFor(errors, "handler"), "did you mean 'stack'?");
  EXPECT_EQ(testing::HintFor(errors, "ring_policy"), "did you mean 'drop'?");
  EXPECT_EQ(errors.size(), 4u) << testing::Dump(errors);
}

TEST(ErrorsTest, DuplicateKeyInOneMapping) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
    mtu: 1500
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
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.message(), "duplicate key 'mtu'");
  EXPECT_EQ(e.hint(), "it is first given at line 4");
}

TEST(ErrorsTest, DuplicatePortName) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: net_pcap0
  - name: wire
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
    to: drop
)");
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.column(), 11);
  EXPECT_EQ(e.message(), "duplicate port name 'wire'");
  EXPECT_EQ(e.hint(), "it is first defined at line 2");
}

TEST(ErrorsTest, BadAndReservedPortNames) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: 9lives
    device: net_pcap0
  - name: drop
    device: net_pcap1
pipeline:
  chains:
    - rx: [9lives, drop]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes: []
)");
  EXPECT_TRUE(HasError(errors, 2, 11, "port name '9lives' is not valid"));
  EXPECT_TRUE(HasError(errors, 4, 11, "port name 'drop' is reserved"));
  // References to a rejected name are not reported a second time.
  EXPECT_EQ(errors.size(), 2u) << testing::Dump(errors);
}

TEST(ErrorsTest, DuplicateDeviceComparesNormalisedPciAddresses) {
  const ConfigError e = OnlyError(R"(ports:
  - name: a
    device: 0000:01:00.0
  - name: b
    device: 01:00.0
    rx_queues: 0
pipeline:
  chains:
    - rx: [a]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: a
    to: drop
)");
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.column(), 13);
  EXPECT_EQ(e.message(), "device '0000:01:00.0' is already used by another port");
  EXPECT_EQ(e.hint(), "it is first used at line 3");

  const std::vector<ConfigError> vdev = ErrorsOf(R"(ports:
  - name: a
    device: net_ring0
  - name: b
    device: net_ring0
    rx_queues: 0
pipeline:
  chains:
    - rx: [a]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: a
    to: drop
)");
  EXPECT_TRUE(HasError(vdev, 5, 13, "device 'net_ring0' is already used by another port"));
}

TEST(ErrorsTest, DeviceMustBePciOrVdevName) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: a
    device: eth0
  - name: b
    device: 0000:01:00.8
  - name: c
    device: NET_PCAP0
routes: []
pipeline:
  chains: []
)");
  EXPECT_TRUE(HasError(errors, 3, 13, "device 'eth0' is not a PCI address or a virtual device name"));
  EXPECT_TRUE(HasError(errors, 5, 13, "device '0000:01:00.8' is not a PCI address"));
  EXPECT_TRUE(HasError(errors, 7, 13, "device 'NET_PCAP0' is not a PCI address"));
  EXPECT_TRUE(HasError(errors, 10, 11, "chains: at least one chain is needed"));
}

TEST(ErrorsTest, DanglingReferencesListTheKnownPorts) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
  - name: tool
    device: net_pcap1
    rx_queues: 0
pipeline:
  chains:
    - rx: [wier, "wire:3"]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: tol
  - from: nope
    to: tool
  - from: "wire:x"
    to: drop
)");
  ASSERT_EQ(errors.size(), 5u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 9, 12, "chain 0 polls unknown port 'wier'"));
  EXPECT_EQ(errors[0].hint(), "did you mean 'wire'? known ports: wire, tool");
  EXPECT_TRUE(HasError(errors, 9, 18, "chain 0 polls 'wire:3': port 'wire' has no RX queue 3 (rx_queues: 1)"));
  EXPECT_EQ(errors[1].hint(), "its queues are 0..0");
  EXPECT_TRUE(HasError(errors, 15, 9, "route to unknown port 'tol'"));
  EXPECT_EQ(errors[2].hint(), "did you mean 'tool'? known ports: wire, tool");
  EXPECT_TRUE(HasError(errors, 16, 11, "route from unknown port 'nope'"));
  EXPECT_EQ(errors[3].hint(), "known ports: wire, tool");
  EXPECT_TRUE(HasError(errors, 18, 11, "route from 'wire:x': expected a queue number after ':'"));
}

TEST(ErrorsTest, PollingOrRoutingAnOutputOnlyPort) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
  - name: tool
    device: net_pcap1
    rx_queues: 0
pipeline:
  chains:
    - rx: [wire, tool]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: tool
    to: wire
)");
  EXPECT_TRUE(HasError(errors, 9, 18, "chain 0 polls port 'tool', which has no RX queues"));
  EXPECT_TRUE(HasError(errors, 14, 11, "route from port 'tool', which receives nothing"));
  EXPECT_TRUE(HasError(errors, 2, 5, "port 'wire' has no route"));
  EXPECT_EQ(errors.size(), 3u) << testing::Dump(errors);
}

TEST(ErrorsTest, SizesMustBePowersOfTwo) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_desc: 1000
    tx_desc: 3000
pipeline:
  chains:
    - rx: [wire]
      ring_size: 1000
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)");
  ASSERT_EQ(errors.size(), 3u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 4, 14, "rx_desc 1000 is not a power of two"));
  EXPECT_EQ(errors[0].hint(), "use 1024");
  EXPECT_TRUE(HasError(errors, 5, 14, "tx_desc 3000 is not a power of two"));
  EXPECT_EQ(errors[1].hint(), "use 2048");
  EXPECT_TRUE(HasError(errors, 9, 18, "ring_size 1000 is not a power of two"));
  EXPECT_EQ(errors[2].hint(), "use 1024");
}

TEST(ErrorsTest, StagesWithinASegment) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    rx_queues: 4
pipeline:
  chains:
    - rx: ["wire:0"]
      segments:
        - lcore: 1
          stages: [rx, prase, process]
        - lcore: 2
          stages: [encode, tx, tx]
    - rx: ["wire:1"]
      segments:
        - lcore: 3
          stages: [rx, process, encode, tx]
    - rx: ["wire:2"]
      segments:
        - lcore: 4
          stages: [parse, rx]
    - rx: ["wire:3"]
      segments:
        - lcore: 5
          stages: []
routes:
  - from: wire
    to: drop
)");
  EXPECT_TRUE(HasError(errors, 10, 24, "unknown stage 'prase'"));
  EXPECT_TRUE(HasError(errors, 12, 32, "stage 'tx' is listed twice"));
  EXPECT_TRUE(HasError(errors, 16, 24, "stage 'process' cannot follow 'rx': 'parse' is skipped"));
  EXPECT_TRUE(HasError(errors, 20, 27, "stage 'rx' cannot follow 'parse'"));
  EXPECT_TRUE(HasError(errors, 24, 19, "stages: a segment needs at least one stage"));
  EXPECT_EQ(errors.size(), 5u) << testing::Dump(errors);
  EXPECT_EQ(errors[0].hint(), "did you mean 'parse'?");
}

TEST(ErrorsTest, MacAddressesAreSixHexBytes) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(ports:
  - name: wire
    device: net_pcap0
    set_src_mac: 02:00:00:00:00
    set_dst_mac: 02-00-00-00-00-01
  - name: tool
    device: net_pcap1
    rx_queues: 0
    set_src_mac: 0g:00:00:00:00:01
pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: tool
)");
  EXPECT_TRUE(HasError(errors, 4, 18, "set_src_mac: '02:00:00:00:00' is not a MAC address"));
  EXPECT_TRUE(HasError(errors, 5, 18, "set_dst_mac: '02-00-00-00-00-01' is not a MAC address"));
  EXPECT_TRUE(HasError(errors, 9, 18, "set_src_mac: '0g:00:00:00:00:01' is not a MAC address"));
  // A bad MAC does not hide the port from the port-map checks: nothing else fails.
  EXPECT_EQ(errors.size(), 3u) << testing::Dump(errors);
}

TEST(ErrorsTest, EveryErrorOfAFileIsCollectedInFileOrder) {
  const std::vector<ConfigError> errors = ErrorsOf(R"(eal:
  hugepages: sometimes
ports:
  - name: wire
    device: net_pcap0
    rx_desc: 100
    colour: red
pipeline:
  burst: 65
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: nowhere
)");
  ASSERT_EQ(errors.size(), 5u) << testing::Dump(errors);
  EXPECT_EQ(errors[0].line(), 2);
  EXPECT_EQ(errors[1].line(), 6);
  EXPECT_EQ(errors[2].line(), 7);
  EXPECT_EQ(errors[3].line(), 9);
  EXPECT_EQ(errors[4].line(), 17);
  // what() of the whole set lists them all, one per error (plus hints).
  try {
    testing::Load(R"(ports: 5
pipeline: 6
routes: 7
)");
    FAIL();
  } catch (const ConfigErrors& e) {
    EXPECT_EQ(e.errors().size(), 3u);
    EXPECT_NE(std::string(e.what()).find("test.yaml:1:8: ports: expected a list, got '5'"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("test.yaml:3:9: routes: expected a list, got '7'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ingestd::config
