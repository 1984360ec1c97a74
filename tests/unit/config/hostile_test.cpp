// SPDX-License-Identifier: BSD-3-Clause
// Strings that could smuggle extra EAL or device arguments are rejected, or
// reach argv as exactly one item.
#include <algorithm>

#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/config.hpp"
#include "ingestd/config/eal_args.hpp"

namespace ingestd::config {
namespace {

using testing::ErrorsOf;
using testing::HasError;
using testing::Load;
using testing::OnlyError;
using testing::TestOptions;

// A valid single-port config whose port gets `args` (indented under "args:")
// and whose eal section gets `eal` lines.
std::string WithArgs(const std::string& args, const std::string& eal = "") {
  return "eal:\n  memory_mb: 256\n" + eal + R"(ports:
  - name: wire
    device: net_pcap0
    args:
)" + args + R"(pipeline:
  chains:
    - rx: [wire]
      segments:
        - lcore: 1
          stages: [rx, parse, process, encode, tx]
routes:
  - from: wire
    to: drop
)";
}

TEST(HostileTest, DeviceArgValuesThatWouldSplitAreRejectedWithTheReason) {
  // Lines 1-6 are the header; args start on line 7.
  const std::vector<ConfigError> errors = ErrorsOf(WithArgs(R"(      rx_pcap: "a.pcap,iface=eth0"
      tx_pcap: "x=y"
      iface: "-huh"
      socket: "a\0b"
      extra: "a\tb"
      path: "eth0;reboot"
      queue: "[1"
)"));
  ASSERT_EQ(errors.size(), 7u) << testing::Dump(errors);
  EXPECT_TRUE(HasError(errors, 7, 16, "a ',' would add a device argument"));
  EXPECT_TRUE(HasError(errors, 8, 16, "a '=' would end the value early"));
  EXPECT_TRUE(HasError(errors, 9, 14, "a leading '-' would be read as an option"));
  EXPECT_TRUE(HasError(errors, 10, 15, "a NUL byte would cut the argument short"));
  EXPECT_TRUE(HasError(errors, 10, 15, "'a\\x00b'"));  // shown escaped, on one line
  EXPECT_TRUE(HasError(errors, 11, 14, "control characters"));
  EXPECT_TRUE(HasError(errors, 12, 13, "a ';' separates sections"));
  EXPECT_TRUE(HasError(errors, 13, 14, "a leading '[' starts a DPDK list value"));
  EXPECT_EQ(errors[0].message(),
            "device argument rx_pcap 'a.pcap,iface=eth0' is rejected: a ',' would add a device "
            "argument");
}

TEST(HostileTest, DeviceArgKeysAndShapesAreChecked) {
  const std::vector<ConfigError> errors = ErrorsOf(WithArgs(R"(      Rx-Pcap: a.pcap
      rx_pcap: [a, {x: 1}, "b,c"]
      tx_pcap:
      rx_pcap: b.pcap
      iface: {name: eth0}
)"));
  EXPECT_TRUE(HasError(errors, 7, 7, "device argument key 'Rx-Pcap' is not valid"));
  EXPECT_TRUE(HasError(errors, 8, 20, "device argument 'rx_pcap': list items must be single values, got a mapping"));
  EXPECT_TRUE(HasError(errors, 8, 28, "a ',' would add a device argument"));  // each item checked
  EXPECT_TRUE(HasError(errors, 9, 7, "device argument 'tx_pcap' needs a value or a list of values, got nothing"));
  EXPECT_TRUE(HasError(errors, 10, 7, "duplicate key 'rx_pcap'"));
  EXPECT_TRUE(HasError(errors, 11, 14, "device argument 'iface' needs a value or a list of values, got a mapping"));
  EXPECT_EQ(errors.size(), 6u) << testing::Dump(errors);
}

TEST(HostileTest, DeviceArgListRepeatsTheKeyInOrder) {
  // net_pcap takes one tx_pcap per TX queue: a list gives the key once per item.
  const RuntimeConfig cfg = LoadConfigFromString(WithArgs(R"(      tx_pcap: [q0.pcap, /abs/q1.pcap]
      infinite_rx: 1
)"),
                                                 "t.yaml", "/cfg", TestOptions());
  ASSERT_EQ(cfg.ports[0].args.size(), 3u);
  EXPECT_EQ(cfg.ports[0].args[0].key, "tx_pcap");
  EXPECT_EQ(cfg.ports[0].args[0].value, "/cfg/q0.pcap");  // each item resolved as a path
  EXPECT_EQ(cfg.ports[0].args[1].key, "tx_pcap");
  EXPECT_EQ(cfg.ports[0].args[1].value, "/abs/q1.pcap");
  EXPECT_EQ(cfg.ports[0].args[2].key, "infinite_rx");
  const std::vector<std::string> argv = BuildEalArgs(cfg, "ingestd", true);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--vdev=net_pcap0,tx_pcap=/cfg/q0.pcap,tx_pcap=/abs/q1.pcap,infinite_rx=1"),
            argv.end());
}

TEST(HostileTest, DeviceArgKeysMayHoldDashesButNotAtTheEnds) {
  const std::vector<ConfigError> errors = ErrorsOf(WithArgs(R"(      socket-abstract: "no"
      -x: 1
      y-: 1
)"));
  EXPECT_TRUE(HasError(errors, 8, 7, "device argument key '-x' is not valid"));
  EXPECT_TRUE(HasError(errors, 9, 7, "device argument key 'y-' is not valid"));
  EXPECT_EQ(errors.size(), 2u) << testing::Dump(errors);
}

TEST(HostileTest, DeviceStringWithArgumentsIsRejected) {
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: "net_pcap0,iface=eth0"
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
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 13);
  EXPECT_EQ(e.message(),
            "device 'net_pcap0,iface=eth0' is not a PCI address or a virtual device name");
  EXPECT_EQ(e.hint(),
            "give device arguments under 'args:', one key each (e.g. args: {rx_pcap: in.pcap})");
}

TEST(HostileTest, PciDeviceArgsAreCheckedLikeVirtualDeviceArgs) {
  // A PCI port's devargs (mlx5's, say) reach EAL as "-a BDF,k=v": the same values are refused.
  const ConfigError e = OnlyError(R"(ports:
  - name: wire
    device: 0000:01:00.0
    args:
      rxq_cqe_comp_en: "0,representor=[0-3]"
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
  EXPECT_NE(e.message().find("a ',' would add a device argument"), std::string::npos) << e.what();
}

TEST(HostileTest, FilePrefixThatLooksLikeAnOptionIsRejected) {
  // memory_mb is line 2, file_prefix line 3.
  const ConfigError opt = OnlyError(WithArgs("      iface: eth0\n", "  file_prefix: \"--no-pci\"\n"));
  EXPECT_EQ(opt.line(), 3);
  EXPECT_EQ(opt.column(), 16);
  EXPECT_EQ(opt.message(),
            "file_prefix '--no-pci' is rejected: a leading '-' would be read as an option");

  const ConfigError comma = OnlyError(WithArgs("      iface: eth0\n", "  file_prefix: a,b\n"));
  EXPECT_NE(comma.message().find("a ',' would add a device argument"), std::string::npos);

  const ConfigError slash = OnlyError(WithArgs("      iface: eth0\n", "  file_prefix: ../x\n"));
  EXPECT_NE(slash.message().find("only letters, digits, '_' and '-' are allowed"), std::string::npos)
      << slash.what();

  const ConfigError nul = OnlyError(WithArgs("      iface: eth0\n", "  file_prefix: \"a\\0b\"\n"));
  EXPECT_NE(nul.message().find("NUL"), std::string::npos) << nul.what();

  const ConfigError len =
      OnlyError(WithArgs("      iface: eth0\n", "  file_prefix: " + std::string(65, 'x') + "\n"));
  EXPECT_EQ(len.line(), 3);
}

// Count of argv items containing `needle`.
size_t ItemsContaining(const std::vector<std::string>& argv, const std::string& needle) {
  return static_cast<size_t>(std::count_if(argv.begin(), argv.end(), [&](const std::string& a) {
    return a.find(needle) != std::string::npos;
  }));
}

TEST(HostileTest, TraversalAndShellCharactersStayOneArgvItem) {
  const RuntimeConfig cfg = LoadConfigFromString(WithArgs(R"(      rx_pcap: ../../etc/passwd
      tx_pcap: "my capture.pcap"
      iface: "$(reboot)`id`"
)"),
                                                 "t.yaml", "/cfg/sub", TestOptions());
  ASSERT_EQ(cfg.ports[0].args.size(), 3u);
  // Paths are made absolute and lexically normalised; nothing is opened.
  EXPECT_EQ(cfg.ports[0].args[0].value, "/etc/passwd");
  EXPECT_EQ(cfg.ports[0].args[1].value, "/cfg/sub/my capture.pcap");
  EXPECT_EQ(cfg.ports[0].args[2].value, "$(reboot)`id`");

  const std::vector<std::string> argv = BuildEalArgs(cfg, "ingestd", true);
  EXPECT_EQ(ItemsContaining(argv, "passwd"), 1u);
  EXPECT_EQ(ItemsContaining(argv, "reboot"), 1u);
  EXPECT_EQ(ItemsContaining(argv, "--vdev="), 1u);
  EXPECT_NE(std::find(argv.begin(), argv.end(),
                      "--vdev=net_pcap0,rx_pcap=/etc/passwd,tx_pcap=/cfg/sub/my capture.pcap,"
                      "iface=$(reboot)`id`"),
            argv.end());
}

TEST(HostileTest, ConfigDirectoryThatWouldSplitAPathIsRejected) {
  const std::vector<ConfigError> errors =
      [] {
        try {
          LoadConfigFromString(WithArgs("      rx_pcap: in.pcap\n      tx_pcap: /abs/out.pcap\n"),
                               "t.yaml", "/tmp/a,b", TestOptions());
        } catch (const ConfigErrors& e) {
          return e.errors();
        }
        return std::vector<ConfigError>{};
      }();
  ASSERT_EQ(errors.size(), 1u) << testing::Dump(errors);
  EXPECT_EQ(errors[0].line(), 7);
  EXPECT_EQ(errors[0].message(),
            "device argument rx_pcap resolves to '/tmp/a,b/in.pcap', which is rejected: a ',' "
            "would add a device argument");
}

}  // namespace
}  // namespace ingestd::config
