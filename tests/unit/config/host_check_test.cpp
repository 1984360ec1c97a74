// SPDX-License-Identifier: BSD-3-Clause
// CheckHost on fake sysfs trees: PCI drivers, CPUs, NUMA placement, per-node hugepages.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config_test_util.hpp"
#include "ingestd/config/host_check.hpp"

namespace ingestd::config {
namespace {

namespace fs = std::filesystem;
using testing::Load;
using Severity = HostFinding::Severity;

/// A sysfs tree in a fresh temp dir, removed with it.
class FakeSysfs {
 public:
  FakeSysfs() {
    char tmpl[] = "/tmp/ingestd-sysfs-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeSysfs() { fs::remove_all(root_); }
  FakeSysfs(const FakeSysfs&) = delete;
  FakeSysfs& operator=(const FakeSysfs&) = delete;

  HostPaths paths() const { return HostPaths{root_.string()}; }

  void Write(const std::string& rel, const std::string& text) const {
    const fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text << "\n";
  }
  /// A PCI device on `node`, bound to `driver` ("" = unbound).
  void Pci(const std::string& bdf, const std::string& driver, int node = -1) const {
    const fs::path dev = root_ / "bus/pci/devices" / bdf;
    fs::create_directories(dev);
    Write("bus/pci/devices/" + bdf + "/numa_node", std::to_string(node));
    if (!driver.empty()) {
      fs::create_directories(root_ / "bus/pci/drivers" / driver);
      fs::create_symlink(root_ / "bus/pci/drivers" / driver, dev / "driver");
      if (driver == "vfio-pci") fs::create_directories(dev / "iommu_group");
    }
  }
  /// CPUs 0..n-1, all online (CPU 0 without an "online" file, as on real hosts).
  void Cpus(unsigned n) const {
    Write("devices/system/cpu/present", fmt::format("0-{}", n - 1));
    for (unsigned c = 0; c < n; ++c) {
      fs::create_directories(root_ / fmt::format("devices/system/cpu/cpu{}", c));
      if (c != 0) Write(fmt::format("devices/system/cpu/cpu{}/online", c), "1");
    }
  }
  /// NUMA node `node` with `cpus` (a cpulist) and `free` free 2 MB pages.
  void Node(int node, const std::string& cpus, long free_2m = 0) const {
    const std::string dir = fmt::format("devices/system/node/node{}", node);
    Write(dir + "/cpulist", cpus);
    Write(dir + "/hugepages/hugepages-2048kB/free_hugepages", std::to_string(free_2m));
    Write(dir + "/hugepages/hugepages-2048kB/nr_hugepages", std::to_string(free_2m));
  }

 private:
  fs::path root_;
};

std::string Config(const std::string& device, const std::string& extra_port = "", unsigned cpu = 1,
                   const std::string& eal = "") {
  return fmt::format(R"(eal:
  memory_mb: 1024
{}ports:
  - name: east
    device: {}
{}pipeline:
  chains:
    - rx: [east]
      segments:
        - {{lcore: 1, cpu: {}, stages: [rx, parse, process, encode, tx]}}
routes:
  - {{from: east, to: drop}}
)",
                     eal, device, extra_port, cpu);
}

std::string Dump(const std::vector<HostFinding>& findings) {
  std::string out;
  for (const HostFinding& f : findings) out += fmt::format("  [{}] {}\n", static_cast<int>(f.severity), f.message);
  return out;
}

size_t Count(const std::vector<HostFinding>& findings, Severity s) {
  size_t n = 0;
  for (const HostFinding& f : findings) n += f.severity == s;
  return n;
}

TEST(HostCheckTest, PciDeviceBoundToAKernelNetDriverIsRefusedWithTheBindCommand) {
  FakeSysfs sys;
  sys.Pci("0000:00:03.0", "virtio-pci");
  const auto findings = CheckHost(Load(Config("0000:00:03.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message,
            "port 'east': 0000:00:03.0 is bound to virtio-pci, not a DPDK driver: bind it with "
            "dpdk-devbind.py --bind=vfio-pci 0000:00:03.0 (or list a bifurcated device)");
}

TEST(HostCheckTest, UnboundAndMissingPciDevicesAreRefused) {
  FakeSysfs sys;
  sys.Pci("0000:01:00.0", "");
  auto findings = CheckHost(Load(Config("01:00.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message,
            "port 'east': 0000:01:00.0 is bound to no driver: bind it with dpdk-devbind.py --bind=vfio-pci "
            "0000:01:00.0");

  findings = CheckHost(Load(Config("0000:02:00.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_NE(findings[0].message.find("PCI device 0000:02:00.0 does not exist on this host"), std::string::npos)
      << findings[0].message;
  EXPECT_NE(findings[0].message.find("dpdk-devbind.py --status"), std::string::npos);
}

TEST(HostCheckTest, DpdkDriversPass) {
  for (const char* driver : {"vfio-pci", "uio_pci_generic", "igb_uio"}) {
    FakeSysfs sys;
    sys.Pci("0000:01:00.0", driver);
    const auto findings = CheckHost(Load(Config("0000:01:00.0")), sys.paths());
    EXPECT_TRUE(findings.empty()) << driver << "\n" << Dump(findings);
  }
}

TEST(HostCheckTest, VfioWithoutAnIommuGroupIsAWarning) {
  FakeSysfs sys;
  sys.Pci("0000:01:00.0", "vfio-pci");
  fs::remove_all(fs::path(sys.paths().sys) / "bus/pci/devices/0000:01:00.0/iommu_group");
  const auto findings = CheckHost(Load(Config("0000:01:00.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_NE(findings[0].message.find("intel_iommu=on"), std::string::npos);
}

TEST(HostCheckTest, BifurcatedDeviceWithDevargsIsAcceptedWithANote) {
  FakeSysfs sys;
  sys.Pci("0000:03:00.0", "mlx5_core");
  const auto findings =
      CheckHost(Load(Config("0000:03:00.0", "    args: {rxq_cqe_comp_en: 0}\n")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kNote);
  EXPECT_NE(findings[0].message.find("driven by mlx5_core, a bifurcated driver"), std::string::npos)
      << findings[0].message;
  EXPECT_NE(findings[0].message.find("no bind needed"), std::string::npos);
}

TEST(HostCheckTest, LcoreOnAMissingOrOfflineCpuIsRefused) {
  FakeSysfs sys;
  sys.Pci("0000:01:00.0", "vfio-pci");
  sys.Cpus(2);
  EXPECT_TRUE(CheckHost(Load(Config("0000:01:00.0")), sys.paths()).empty());

  auto findings = CheckHost(Load(Config("0000:01:00.0", "", 5)), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].message, "lcore 1: CPU 5 does not exist on this host (present: 0-1): pin it to a CPU that does");

  sys.Write("devices/system/cpu/cpu1/online", "0");
  findings = CheckHost(Load(Config("0000:01:00.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message, fmt::format("lcore 1: CPU 1 is offline: bring it online with echo 1 > "
                                             "{}/devices/system/cpu/cpu1/online",
                                             sys.paths().sys));
}

TEST(HostCheckTest, LcorePollingAPortOnAnotherNumaNodeIsAWarning) {
  FakeSysfs sys;
  sys.Cpus(4);
  sys.Node(0, "0-1");
  sys.Node(1, "2-3");
  sys.Pci("0000:81:00.0", "vfio-pci", 1);
  // lcore 1 on CPU 1 (node 0) polls a port on node 1.
  auto findings = CheckHost(Load(Config("0000:81:00.0")), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].message,
            "lcore 1 (CPU 1, NUMA node 0) polls port 'east' (0000:81:00.0) on node 1: every packet crosses the "
            "interconnect; pin it to a CPU of node 1 (2-3)");
  // On CPU 2 (node 1) all is local.
  EXPECT_TRUE(CheckHost(Load(Config("0000:81:00.0", "", 2)), sys.paths()).empty())
      << Dump(CheckHost(Load(Config("0000:81:00.0", "", 2)), sys.paths()));
}

TEST(HostCheckTest, LaterSegmentOnAnotherNodeThanThePortsPoolIsAWarning) {
  FakeSysfs sys;
  sys.Cpus(4);
  sys.Node(0, "0-1");
  sys.Node(1, "2-3");
  sys.Pci("0000:81:00.0", "vfio-pci", 1);
  const auto findings = CheckHost(Load(R"(ports:
  - {name: east, device: 0000:81:00.0}
pipeline:
  chains:
    - rx: [east]
      segments:
        - {lcore: 1, cpu: 2, stages: [rx, parse]}
        - {lcore: 2, cpu: 1, stages: [process, encode, tx]}
routes:
  - {from: east, to: drop}
)"),
                                  sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].message,
            "lcore 2 (CPU 1, NUMA node 0) handles mbufs from the pool of port 'east' on node 1: pin it to a CPU of "
            "node 1 (2-3)");
}

TEST(HostCheckTest, RequiredHugepagesAreCheckedPerNumaNode) {
  FakeSysfs sys;
  sys.Cpus(4);
  sys.Node(0, "0-1", 512);  // 1 GiB free
  sys.Node(1, "2-3", 0);
  sys.Pci("0000:81:00.0", "vfio-pci", 1);
  // Main lcore on CPU 0 (node 0), lcore 1 on CPU 2 (node 1): 512 MiB needed on each.
  const std::string yaml = Config("0000:81:00.0", "", 2, "  hugepages: require\n");
  auto findings = CheckHost(Load(yaml), sys.paths());
  ASSERT_EQ(findings.size(), 1u) << Dump(findings);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message,
            fmt::format("hugepages: NUMA node 1 has 0 MiB free, 512 MiB needed there (1 of 2 lcores on it, "
                        "eal.memory_mb 1024): reserve 256 more 2048 kB pages on it (raise "
                        "{}/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages by 256)",
                        sys.paths().sys));
  sys.Node(1, "2-3", 256);
  findings = CheckHost(Load(yaml), sys.paths());
  EXPECT_TRUE(findings.empty()) << Dump(findings);
  // `auto` falls back to --no-huge: no error.
  sys.Node(1, "2-3", 0);
  EXPECT_EQ(Count(CheckHost(Load(Config("0000:81:00.0", "", 2)), sys.paths()), Severity::kError), 0u);
}

TEST(HostCheckTest, VirtualDevicesOnAnEmptyTreeFindNothing) {
  FakeSysfs sys;
  EXPECT_TRUE(CheckHost(Load(Config("net_null0")), sys.paths()).empty());
}

TEST(HostCheckTest, SysfsRootComesFromTheEnvironment) {
  unsetenv(kSysfsRootEnv);
  EXPECT_EQ(HostPathsFromEnv().sys, "/sys");
  setenv(kSysfsRootEnv, "/tmp/fake-sys", 1);
  EXPECT_EQ(HostPathsFromEnv().sys, "/tmp/fake-sys");
  unsetenv(kSysfsRootEnv);
}

}  // namespace
}  // namespace ingestd::config
