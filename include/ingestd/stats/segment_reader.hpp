// SPDX-License-Identifier: BSD-3-Clause
// The reading side of the stats segment: validation, seqlock snapshots, writer liveness. No DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingestd/stats/segment_layout.hpp"

namespace ingestd::stats {

/// Why a segment could not be read. The CLI maps these to exit statuses.
enum class ReadErrorKind {
  kNone = 0,
  kNotFound,        // no such segment
  kUnknownVersion,  // a layout (or histogram geometry) this reader does not know
  kCorrupt,         // bad magic, truncated, an offset or count out of bounds, ...
  kWriterStuck,     // sequence held odd (or never stable) for longer than the read deadline
  kSystem,          // open/mmap/stat failed for another reason
};

struct ReadError {
  ReadErrorKind kind = ReadErrorKind::kNone;
  std::string message;
  explicit operator bool() const noexcept { return kind != ReadErrorKind::kNone; }
};

/// What a reader concludes about the writer, from the header and the pid.
enum class Liveness {
  kStarting,  // tables written, nothing published yet
  kRunning,   // publishing, heartbeat fresh
  kStopped,   // exited cleanly: the values are the final figures
  kStale,     // running, but the heartbeat is older than StaleAfterNs()
  kDead,      // not stopped and the writer pid no longer exists (or is a zombie)
};
std::string_view LivenessName(Liveness l) noexcept;

/// One metric with its strings resolved and its labels parsed, in the
/// writer's order ("lcore=1,chain=0" → {{"lcore","1"},{"chain","0"}}).
struct Metric {
  segment::MetricKind kind = segment::MetricKind::kCounter;
  std::string group;
  std::string name;
  std::string labels_text;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string unit;
  std::string help;
  uint32_t value_index = 0;
  uint32_t value_count = 0;

  /// The value of label `key`, or "" when the metric has no such label.
  std::string_view Label(std::string_view key) const noexcept;
};

/// A consistent copy of a segment at one instant. Plain data: keep, copy and
/// compare freely (the --watch rates are computed from two of them).
struct Snapshot {
  std::string path;
  std::string instance;
  uint32_t writer_pid = 0;
  segment::WriterState state = segment::WriterState::kStarting;
  Liveness liveness = Liveness::kStarting;
  uint64_t tsc_hz = 0;
  uint64_t period_ns = 0;
  uint64_t start_unix_ns = 0;
  uint64_t heartbeat_ns = 0;      // CLOCK_MONOTONIC of the writer's last publish
  uint64_t heartbeat_age_ns = 0;  // CLOCK_MONOTONIC now minus heartbeat_ns, at read time
  uint64_t read_mono_ns = 0;      // CLOCK_MONOTONIC when the values were copied
  uint64_t publishes = 0;
  uint64_t seq = 0;  // the (even) sequence the values belong to
  /// False only when the writer died while publishing (sequence left odd):
  /// the values are then zeros, never a torn copy.
  bool values_valid = true;
  std::vector<Metric> metrics;
  std::vector<uint64_t> values;

  /// The values of `m` (one for a counter or gauge; count, sum, max and the
  /// buckets for a histogram).
  std::span<const uint64_t> ValuesOf(const Metric& m) const noexcept {
    return std::span<const uint64_t>(values).subspan(m.value_index, m.value_count);
  }
  uint64_t Value(const Metric& m) const noexcept { return values[m.value_index]; }
  /// Heartbeat age past which a running writer counts as stale: max(5 periods, 500 ms).
  uint64_t StaleAfterNs() const noexcept;
};

/// Opens, validates and reads one segment. Threading: one thread per reader
/// object; any number of readers (threads or processes) per segment. Never
/// blocks the writer and never waits for it longer than the read deadline.
/// Ownership: holds a read-only mapping until destroyed. A restarted writer
/// replaces the object (unlink, create), so an open reader keeps seeing the
/// old one: reopen to follow an instance (ingest-stats --watch does).
class SegmentReader {
 public:
  /// Longest a read waits for the writer to finish a publish (sequence odd).
  static constexpr uint64_t kReadDeadlineNs = 1'000'000'000;

  SegmentReader() = default;
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;
  SegmentReader(SegmentReader&& other) noexcept;
  SegmentReader& operator=(SegmentReader&& other) noexcept;
  ~SegmentReader();

  /// Opens "/dev/shm/ingestd.<instance>" (shm_open, read-only) and validates it.
  ReadError OpenInstance(const std::string& instance);
  /// Opens a segment file by path (a copy, or /dev/shm/ingestd.<name>).
  ReadError OpenPath(const std::string& path);
  /// Reads a segment this process already maps (SegmentWriter::mapping()), through
  /// that mapping: validated like a file, never unmapped by the reader. For readers
  /// living beside the writer, and for ThreadSanitizer, which tells memory apart by
  /// address and so sees nothing shared between two mappings of one segment.
  ReadError Attach(std::span<const std::byte> mapping, const std::string& name);

  /// Copies every value under the seqlock and the header's live fields.
  /// @return an error only for a writer stuck mid-publish while alive
  ///         (kWriterStuck) or a header field gone out of range (kCorrupt).
  ReadError Read(Snapshot& out) const;

  /// The hot part of Read, for callers that poll: values only, into a
  /// reused buffer (resized to the segment's value count).
  /// @param retries if non-null, incremented once per discarded attempt.
  /// @return kWriterStuck when no consistent copy could be had: the writer is
  ///         stuck mid-publish, or died there (Read tells the two apart).
  ReadError ReadValues(std::vector<uint64_t>& values, uint64_t* retries = nullptr) const;

  bool open() const noexcept { return base_ != nullptr; }
  const std::string& path() const noexcept { return path_; }
  const std::vector<Metric>& metrics() const noexcept { return metrics_; }

 private:
  enum class CopyResult { kOk, kStuck, kWriterDied };
  ReadError OpenFd(int fd);
  ReadError Validate(size_t file_size);
  CopyResult CopyValues(uint64_t* out, uint64_t* seq_out, uint64_t* retries) const;
  void Close() noexcept;
  const segment::Header* header() const noexcept {
    return reinterpret_cast<const segment::Header*>(base_);
  }

  const uint8_t* base_ = nullptr;
  size_t map_size_ = 0;
  bool owns_map_ = true;  // false when attached to someone else's mapping
  std::string path_;
  std::string instance_;
  uint32_t value_count_ = 0;
  uint32_t values_offset_ = 0;
  std::vector<Metric> metrics_;
};

/// Opens and reads in one step.
ReadError ReadSnapshotFromPath(const std::string& path, Snapshot& out);
ReadError ReadSnapshotOfInstance(const std::string& instance, Snapshot& out);

/// Instance names with a segment in /dev/shm ("ingestd.<name>"), sorted.
std::vector<std::string> ListInstances();

/// Heartbeat age past which a running writer is stale: max(5 periods, 500 ms).
uint64_t StaleThresholdNs(uint64_t period_ns) noexcept;

/// Liveness of a writer from a header's fields and whether its pid still runs.
Liveness JudgeLiveness(segment::WriterState state, uint32_t writer_pid, uint64_t heartbeat_age_ns,
                       uint64_t period_ns) noexcept;

/// True when `pid` names a process that exists and is not a zombie.
bool ProcessAlive(uint32_t pid) noexcept;

}  // namespace ingestd::stats
