// SPDX-License-Identifier: BSD-3-Clause
// Running the real ingestd binary in tests: temp dirs, bounded child processes, scenario configs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config_builder.hpp"
#include "ingestd/framegen/frame_builder.hpp"

namespace ingestd::testing {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  /// Removes `path` too when the directory goes (e.g. an instance's stats segment).
  void Own(const std::string& path) { owned_.push_back(path); }
  /// Owns the stats segment of the instance named `prefix`.
  void OwnSegment(const std::string& prefix) { Own("/dev/shm/ingestd." + prefix); }

 private:
  std::filesystem::path path_;
  std::vector<std::string> owned_;
};

/// A child process with stdout/stderr captured to files. Every wait is
/// bounded; a child still running at its deadline is killed (it is ours).
class Child {
 public:
  enum class Stdin { kNull, kPipe };
  /// kPipe: the child reads what WriteStdin sends (e.g. testpmd's interactive prompt).
  Child(const std::vector<std::string>& argv, const TempDir& dir, const std::string& tag,
        Stdin in = Stdin::kNull);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  /// Waits for exit; returns the exit status, or -1 if it had to be killed.
  int Wait(std::chrono::milliseconds limit);
  void Signal(int sig) const;
  /// Writes `text` to the child's stdin (kPipe only); false if it is gone.
  bool WriteStdin(const std::string& text);
  /// Closes the child's stdin: it reads end of file.
  void CloseStdin();
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;  // our end of the kPipe stdin
  int status_ = -1;
  bool reaped_ = false;
  std::string out_path_;
  std::string err_path_;
};

/// Path of the ingestd binary under test (INGESTD_BIN from the build).
std::string IngestdBinary();

/// A --file-prefix no other run uses: test name plus pid.
std::string UniquePrefix(const std::string& test_name);

/// The running GoogleTest case's name (prefixes and file names are made from it).
std::string CurrentTestName();

/// The frames the parser accepts whole, in order (what a forwarding run must transmit).
std::vector<framegen::Bytes> WellFormed(const std::vector<framegen::LabeledFrame>& frames);

struct RunResult {
  int exit_code = -1;  // -1: killed at the time limit
  std::string out;
  std::string err;
};

/// Runs ingestd with `args` to completion within `limit`.
RunResult RunIngestd(const std::vector<std::string>& args, const TempDir& dir,
                     std::chrono::milliseconds limit = std::chrono::seconds(60));

nlohmann::json ReadJson(const std::string& path);

/// The number after the first "label:" in a tool's summary text (tcpreplay, nfcapd), spaces
/// skipped; nullopt if absent. (std::regex trips GCC 12's -Wmaybe-uninitialized under the
/// sanitizers.)
std::optional<uint64_t> NumberAfter(const std::string& text, const std::string& label);
void WriteText(const std::string& path, const std::string& text);

/// A two-port scenario: `in` (net_pcap0, rx_pcap) routed to `out` (net_pcap1, tx_pcap).
struct Scenario {
  std::string prefix;
  std::string rx_pcap;
  std::string tx_pcap;
  Layout layout = Layout::kRunToCompletion;
  bool infinite_rx = false;
  std::string ring_policy = "drop";
  std::string mempool_handler;      // pipeline.mempool.handler; empty: the default
  YamlFields out_port_fields;       // more keys of the out port (e.g. set_dst_mac)
  bool null_output = false;         // out is net_null (counts and frees) instead of a capture
  std::string extra_yaml;           // top-level YAML appended (e.g. a stats section)

  std::string Yaml() const;
};

struct Outcome {
  RunResult run;
  nlohmann::json stats;                // --final-stats
  std::vector<framegen::Bytes> output; // the out capture (empty with null_output)
  /// Layout::kFanout: each TX queue's capture (queue 0's is also `output`).
  std::vector<std::vector<framegen::Bytes>> output_by_queue;
};

struct RunOptions {
  std::string binary;    // default: IngestdBinary()
  uint64_t packets = 0;  // --packets; default: every input frame once
};

/// Writes `frames` as the input capture, runs `scenario` until the packet
/// limit, and reads its final stats and output. Owns the instance's segment.
/// Where one run of a scenario keeps its config and its --final-stats.
struct ScenarioFiles {
  std::string config;
  std::string stats;
};
/// Writes `s`'s input capture (from `frames`) and config into `dir`, names its output
/// capture and final-stats file there, and has `dir` remove its stats segment.
ScenarioFiles WriteScenario(Scenario& s, const std::vector<framegen::Bytes>& frames, TempDir& dir);

Outcome RunScenario(Scenario scenario, const std::vector<framegen::Bytes>& frames, TempDir& dir,
                    const RunOptions& options = {});

/// rx == tx + Σ drops exactly, and every mbuf back in its pool (but those a
/// device keeps past its close, totals.mbufs_kept_by_devices).
void ExpectConserved(const nlohmann::json& stats);

}  // namespace ingestd::testing
