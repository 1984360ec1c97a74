// SPDX-License-Identifier: BSD-3-Clause
// Kernel interfaces for tests: a network namespace of the test's own, veth pairs in it,
// link state and counters, and captures with their timestamps.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness.hpp"
#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {

/// Absolute path of `name` on PATH or in the sbin directories; "" when absent.
std::string FindProgram(const std::string& name);

/// Kernel counters of one interface (ip -s link).
struct LinkCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_dropped = 0;
};

/// A network namespace named after the test and this process, so parallel
/// runs never meet. Traffic in it reaches no other interface. Destroying it
/// deletes the namespace and so every interface in it (veth pairs, taps);
/// processes started in it must have ended first (declare it before them).
/// IPv6 is disabled namespace-wide before any interface exists, so the kernel
/// sends nothing of its own (no router or neighbour solicitations, no MLD):
/// every frame on a link is the test's.
/// Threading: one test thread.
class NetNamespace {
 public:
  /// Creates it; throws std::runtime_error with ip's message if it cannot.
  explicit NetNamespace(const std::string& tag);
  ~NetNamespace();
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;

  const std::string& name() const { return name_; }

  /// `argv` to start a program inside the namespace (ip netns exec execs it,
  /// so the child's pid is the program's).
  std::vector<std::string> Exec(const std::vector<std::string>& argv) const;

  /// Runs `argv` inside and waits (10 s at most). Throws with its output if it fails.
  std::string Run(const std::vector<std::string>& argv) const;

  /// Creates the veth pair `a`<->`b`, both up.
  void AddVethPair(const std::string& a, const std::string& b) const;
  /// Sets `dev` administratively up or down; returns once the kernel has done so.
  void SetLink(const std::string& dev, bool up) const;
  LinkCounters Counters(const std::string& dev) const;

 private:
  std::string ip_;
  std::string name_;
  bool created_ = false;
  mutable TempDir dir_;  // output of the commands run inside
};

/// A frame from a capture, with the time the kernel stamped it (CLOCK_REALTIME).
struct TimedFrame {
  std::chrono::system_clock::time_point at;
  framegen::Bytes bytes;
};

/// Reads an Ethernet pcap (micro- or nanosecond timestamps). A capture still
/// being written may end in a partial record: it is left out.
std::vector<TimedFrame> ReadTimedPcap(const std::string& path);

}  // namespace ingestd::testing
