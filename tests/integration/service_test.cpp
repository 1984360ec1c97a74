// SPDX-License-Identifier: BSD-3-Clause
// ingestd as a service: --version of every tool, log lines for a terminal and for journald, host checks.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {
namespace {

using namespace std::chrono_literals;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') throw std::runtime_error(std::string(name) + " is not set (run through meson test)");
  return v;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool Digits(const std::string& s, size_t at, size_t n) {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/// "2026-01-31T12:34:56.789Z <level> ingestd[<pid>]: " at the start of `line`.
bool IsTextLogLine(const std::string& line) {
  if (line.size() < 25 || !Digits(line, 0, 4) || line[4] != '-' || !Digits(line, 5, 2) || line[7] != '-' ||
      !Digits(line, 8, 2) || line[10] != 'T' || !Digits(line, 11, 2) || line[13] != ':' || !Digits(line, 14, 2) ||
      line[16] != ':' || !Digits(line, 17, 2) || line[19] != '.' || !Digits(line, 20, 3) || line.substr(23, 2) != "Z ")
    return false;
  const size_t space = line.find(' ', 25);
  if (space == std::string::npos) return false;
  const std::string level = line.substr(25, space - 25);
  static const char* kLevels[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
  bool known = false;
  for (const char* l : kLevels) known |= level == l;
  return known && line.compare(space + 1, 8, "ingestd[") == 0 && line.find("]: ", space) != std::string::npos;
}

/// A short run: 64 frames from a capture to net_null, DPDK logging at info level.
std::string RunConfig(TempDir& dir, const std::string& prefix) {
  const std::string pcap = dir.File("in.pcap");
  framegen::WritePcap(pcap, framegen::UdpTraffic(7, 64, 64));
  dir.OwnSegment(prefix);
  const std::string config = dir.File(prefix + ".yaml");
  ConfigBuilder yaml(prefix);
  yaml.WithoutEal("main_lcore").WithoutEal("hugepages").Eal("log_level", "info");
  yaml.Port("in", "net_pcap0").Arg("rx_pcap", pcap);
  yaml.Port("out", "net_null0").RxQueues(0);
  yaml.Mempool(8191).Chain({"in"});
  WriteText(config, yaml.Route("in", "out").Yaml());
  return config;
}

/// A --check-config config naming one PCI device, with `args`; `prefix` empty: no file_prefix.
std::string PciConfigYaml(const std::string& prefix, const std::string& bdf, const std::string& name,
                          const YamlFields& args = {}) {
  ConfigBuilder yaml(prefix);
  yaml.WithoutEal("main_lcore").WithoutEal("log_level").Eal("hugepages", "off");
  PortYaml& port = yaml.Port(name, bdf);
  for (const auto& [key, value] : args) port.Arg(key, value);
  yaml.Chain({name}).Segment(1, 1);
  return yaml.Route(name, "drop").Yaml();
}

TEST(Service, EveryToolAnswersVersionWithTheProjectVersion) {
  TempDir dir;
  const std::string version = INGESTD_PROJECT_VERSION;
  const RunResult ingestd = RunIngestd({"--version"}, dir, 10s);
  EXPECT_EQ(ingestd.exit_code, 0) << ingestd.err;
  EXPECT_EQ(ingestd.out.rfind("ingestd " + version + " (DPDK 22.11.", 0), 0u) << ingestd.out;
  EXPECT_EQ(ingestd.out.find("EAL"), std::string::npos) << "--version starts nothing: " << ingestd.out;
  const std::pair<const char*, const char*> tools[] = {
      {"ingest-stats", "INGEST_STATS_BIN"}, {"ingest-inspect", "INGEST_INSPECT_BIN"}, {"ingest-gen", "INGEST_GEN_BIN"}};
  for (const auto& [tool, env] : tools) {
    const std::string bin = Env(env);
    Child child({bin, "--version"}, dir, tool);
    EXPECT_EQ(child.Wait(10s), 0) << tool << ": " << child.Stderr();
    EXPECT_EQ(child.Stdout(), std::string(tool) + " " + version + "\n");
  }
}

TEST(Service, LogLinesOnAFileCarryUtcTimeLevelAndPid) {
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  const std::string config = RunConfig(dir, prefix);
  // JOURNAL_STREAM naming another file: stderr is not the journal.
  Child child({"/usr/bin/env", "JOURNAL_STREAM=1:1", IngestdBinary(), "-c", config, "--packets", "64"}, dir, "text");
  ASSERT_EQ(child.Wait(60s), 0) << child.Stderr();
  const std::vector<std::string> lines = Lines(child.Stderr());
  ASSERT_FALSE(lines.empty());
  const std::string tag = fmt::format("ingestd[{}]: ", child.pid());
  bool link_up = false, dpdk = false;
  for (const std::string& l : lines) {
    EXPECT_TRUE(IsTextLogLine(l)) << l;
    EXPECT_NE(l.find(tag), std::string::npos) << l;
    link_up |= l.find(" info " + tag + "port in: link up ") != std::string::npos;
    dpdk |= l.find(tag + "EAL: ") != std::string::npos;
  }
  EXPECT_TRUE(link_up) << "the port's first link state is logged at info\n" << child.Stderr();
  EXPECT_TRUE(dpdk) << "DPDK's own lines go through the log\n" << child.Stderr();
  EXPECT_EQ(child.Stdout().find("EAL: "), std::string::npos) << "DPDK no longer writes stdout:\n" << child.Stdout();
}

TEST(Service, LogLinesForJournaldCarryPriorityPrefixesAndNoTime) {
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  const std::string config = RunConfig(dir, prefix);
  // What systemd does: JOURNAL_STREAM is stderr's device and inode. The harness opens
  // <tag>.stderr with O_TRUNC, so the file made here keeps its inode.
  const std::string err = dir.File("journal.stderr");
  WriteText(err, "");
  struct stat st {};
  ASSERT_EQ(stat(err.c_str(), &st), 0);
  const std::string stream = fmt::format("JOURNAL_STREAM={}:{}", st.st_dev, st.st_ino);
  Child child({"/usr/bin/env", stream, IngestdBinary(), "-c", config, "--packets", "64"}, dir, "journal");
  ASSERT_EQ(child.Wait(60s), 0) << child.Stderr();
  const std::vector<std::string> lines = Lines(child.Stderr());
  ASSERT_FALSE(lines.empty());
  bool link_up = false, dpdk_info = false;
  for (const std::string& l : lines) {
    ASSERT_GE(l.size(), 3u) << l;
    EXPECT_TRUE(l[0] == '<' && l[1] >= '0' && l[1] <= '7' && l[2] == '>') << l;
    EXPECT_FALSE(IsTextLogLine(l.substr(3))) << "journald stamps the time itself: " << l;
    link_up |= l.rfind("<6>port in: link up ", 0) == 0;
    dpdk_info |= l.rfind("<6>EAL: ", 0) == 0;  // RTE_LOG_INFO is syslog's info
  }
  EXPECT_TRUE(link_up) << child.Stderr();
  EXPECT_TRUE(dpdk_info) << child.Stderr();

  // A warning: a NUMA mismatch on a fake host, found by --check-config.
  const std::string sys = dir.File("sys");
  const std::string dev = sys + "/bus/pci/devices/0000:81:00.0";
  std::filesystem::create_directories(dev + "/iommu_group");
  std::filesystem::create_directories(sys + "/bus/pci/drivers/vfio-pci");
  std::filesystem::create_symlink(sys + "/bus/pci/drivers/vfio-pci", dev + "/driver");
  WriteText(dev + "/numa_node", "1\n");
  std::filesystem::create_directories(sys + "/devices/system/node/node0");
  std::filesystem::create_directories(sys + "/devices/system/node/node1");
  WriteText(sys + "/devices/system/node/node0/cpulist", "0-1\n");
  WriteText(sys + "/devices/system/node/node1/cpulist", "2-3\n");
  const std::string nic = dir.File("nic.yaml");
  WriteText(nic, PciConfigYaml("", "0000:81:00.0", "east"));
  const std::string err2 = dir.File("check.stderr");
  WriteText(err2, "");
  ASSERT_EQ(stat(err2.c_str(), &st), 0);
  Child check({"/usr/bin/env", fmt::format("JOURNAL_STREAM={}:{}", st.st_dev, st.st_ino), "INGESTD_SYSFS_ROOT=" + sys,
               IngestdBinary(), "--check-config", "-c", nic},
              dir, "check");
  EXPECT_EQ(check.Wait(10s), 0) << check.Stderr();
  EXPECT_EQ(check.Stderr(),
            "<4>lcore 1 (CPU 1, NUMA node 0) polls port 'east' (0000:81:00.0) on node 1: every packet crosses the "
            "interconnect; pin it to a CPU of node 1 (2-3)\n");
  EXPECT_EQ(check.Stdout(), nic + ": ok (1 ports, 1 chains, 1 routes)\n");
}

std::string PciConfig(TempDir& dir, const std::string& prefix, const std::string& bdf, const YamlFields& args = {}) {
  const std::string path = dir.File(prefix + ".yaml");
  WriteText(path, PciConfigYaml(prefix, bdf, "wire", args));
  return path;
}

/// A fake sysfs with one PCI device bound to `driver`.
std::string FakePci(TempDir& dir, const std::string& bdf, const std::string& driver) {
  const std::string sys = dir.File("sys-" + driver);
  const std::string dev = sys + "/bus/pci/devices/" + bdf;
  std::filesystem::create_directories(dev);
  std::filesystem::create_directories(sys + "/bus/pci/drivers/" + driver);
  std::filesystem::create_symlink(sys + "/bus/pci/drivers/" + driver, dev + "/driver");
  WriteText(dev + "/numa_node", "-1\n");
  return sys;
}

TEST(CheckConfig, DeviceOnAKernelDriverIsRefusedWithTheBindCommand) {
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  const std::string sys = FakePci(dir, "0000:05:00.0", "ixgbe");
  const std::string config = PciConfig(dir, prefix, "0000:05:00.0");
  Child check({"/usr/bin/env", "INGESTD_SYSFS_ROOT=" + sys, IngestdBinary(), "--check-config", config}, dir, "check");
  EXPECT_EQ(check.Wait(10s), 1) << "a host problem is exit 1 (a bad file is 2)\n" << check.Stderr();
  EXPECT_NE(check.Stderr().find("error ingestd[" + std::to_string(check.pid()) +
                                "]: port 'wire': 0000:05:00.0 is bound to ixgbe, not a DPDK driver: bind it with "
                                "dpdk-devbind.py --bind=vfio-pci 0000:05:00.0 (or list a bifurcated device)\n"),
            std::string::npos)
      << check.Stderr();
  EXPECT_NE(check.Stderr().find("1 problem(s) on this host; nothing was started"), std::string::npos);
  EXPECT_EQ(check.Stdout(), "");
}

TEST(CheckConfig, BifurcatedDeviceWithDevargsIsAcceptedAndAllowListedWithThem) {
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  const std::string sys = FakePci(dir, "0000:03:00.0", "mlx5_core");
  const std::string config = PciConfig(dir, prefix, "03:00.0", {{"rxq_cqe_comp_en", "0"}, {"mprq_en", "1"}});
  Child check({"/usr/bin/env", "INGESTD_SYSFS_ROOT=" + sys, IngestdBinary(), "--check-config", config}, dir, "check");
  EXPECT_EQ(check.Wait(10s), 0) << check.Stderr();
  EXPECT_NE(check.Stderr().find("notice ingestd[" + std::to_string(check.pid()) +
                                "]: port 'wire': 0000:03:00.0 is driven by mlx5_core, a bifurcated driver"),
            std::string::npos)
      << check.Stderr();
  EXPECT_EQ(check.Stdout(), config + ": ok (1 ports, 1 chains, 1 routes)\n");

  const RunResult args = RunIngestd({"--print-eal-args", "-c", config}, dir, 10s);
  ASSERT_EQ(args.exit_code, 0) << args.err;
  EXPECT_NE(args.out.find(R"("-a","0000:03:00.0,rxq_cqe_comp_en=0,mprq_en=1")"), std::string::npos) << args.out;
  EXPECT_EQ(args.out.find("--no-pci"), std::string::npos) << args.out;
}

// The one check against this machine's own sysfs: its NIC (virtio, 0000:00:03.0) is
// not DPDK's. Safe because --check-config never starts DPDK, so nothing probes it.
TEST(CheckConfig, ThisHostsVirtioNicIsRefusedWithoutStartingDpdk) {
  const std::string bdf = "0000:00:03.0";
  std::error_code ec;
  const std::string driver = std::filesystem::read_symlink("/sys/bus/pci/devices/" + bdf + "/driver", ec).filename();
  ASSERT_EQ(driver, "virtio-pci") << "this test expects the host's virtio NIC at " << bdf;
  TempDir dir;
  const std::string prefix = UniquePrefix(CurrentTestName());
  const std::string config = PciConfig(dir, prefix, bdf);
  const RunResult r = RunIngestd({"--check-config", config}, dir, 10s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("port 'wire': 0000:00:03.0 is bound to virtio-pci, not a DPDK driver: bind it with "
                       "dpdk-devbind.py --bind=vfio-pci 0000:00:03.0 (or list a bifurcated device)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("EAL"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("/var/run/dpdk/" + prefix)) << "nothing of DPDK ran";
}

}  // namespace
}  // namespace ingestd::testing
