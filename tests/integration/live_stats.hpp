// SPDX-License-Identifier: BSD-3-Clause
// Reading a running instance's stats segment from a test, in-process, with bounded polls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::testing {

/// CLOCK_MONOTONIC in ns: the clock of the segment's heartbeat and of ingestd-fault's events.
uint64_t MonoNs();

/// One read of a live segment: the --final-stats schema, and when the writer published it.
struct LiveReport {
  nlohmann::json json;
  uint64_t published_mono_ns = 0;  // the writer's heartbeat: when these values were sampled
  std::string state;               // starting, running, stopped, stale, dead
};

/// Reads `instance` once. False while the segment does not exist or cannot be read yet.
bool ReadLive(const std::string& instance, LiveReport& out);

/// A segment kept open across polls, for sampling every publish of a run.
class LiveSegment {
 public:
  explicit LiveSegment(std::string instance) : instance_(std::move(instance)) {}
  /// The latest publish if it is one not returned before; false otherwise
  /// (also while the segment does not exist yet).
  bool Next(LiveReport& out);

 private:
  std::string instance_;
  stats::SegmentReader reader_;
  uint64_t last_publishes_ = 0;
};

/// True once process `pid` has exited (gone, or a zombie waiting to be reaped).
bool Exited(int pid);

/// Reads `instance` every `every` until `done(report)` holds; false at `limit`.
/// `last` gets the last report read.
bool PollLive(const std::string& instance, const std::function<bool(const LiveReport&)>& done,
              std::chrono::milliseconds limit, LiveReport* last = nullptr,
              std::chrono::microseconds every = std::chrono::milliseconds(2));

/// Counters summed over lcores ("tx_retries", "idle_sleeps", ...).
uint64_t SumLcoreCounter(const nlohmann::json& report, const std::string& counter);
/// A port's ethdev counter by port name ("rx_nombuf", "tx_packets", ...).
uint64_t PortCounter(const nlohmann::json& report, const std::string& port, const std::string& field);
/// A drop reason's total (0 when the reason never occurred).
uint64_t Drops(const nlohmann::json& report, const std::string& reason);

/// Sets an environment variable for the lifetime of the guard (children inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

/// Entries in /proc/<pid>/fd, and lines in /proc/<pid>/maps containing `path_part`
/// (all with ""), "self" for this process.
size_t CountFds(const std::string& pid);
size_t CountMaps(const std::string& pid, const std::string& path_part = "");

/// One command ("/ingestd/drops", "/ingestd/drop_capture,stop") on instance `prefix`'s DPDK
/// telemetry socket: its JSON reply, null on failure. Each wait is bounded (5 s).
nlohmann::json TelemetryCommand(const std::string& prefix, const std::string& command);

}  // namespace ingestd::testing
