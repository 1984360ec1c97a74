// SPDX-License-Identifier: BSD-3-Clause
// Creates an instance's stats segment and publishes snapshots into it under the seqlock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ingestd/stats/segment_layout.hpp"
#include "ingestd/status.hpp"

namespace ingestd::stats {

/// The metric table of a segment, collected before the segment exists.
/// Control path only.
class MetricTable {
 public:
  /// Adds a metric; returns the index of its first value.
  uint32_t Add(segment::MetricKind kind, const std::string& group, const std::string& name,
               const std::string& labels, const std::string& unit, const std::string& help);
  uint32_t value_count() const noexcept { return value_count_; }
  const std::vector<segment::MetricDesc>& metrics() const noexcept { return metrics_; }
  const std::string& strings() const noexcept { return strings_; }

 private:
  uint32_t Intern(const std::string& s);
  std::vector<segment::MetricDesc> metrics_;
  std::string strings_;
  uint32_t value_count_ = 0;
};

/// Owns the writing side of one segment. Threading: one publishing thread.
class SegmentWriter {
 public:
  SegmentWriter() = default;
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;
  /// Unmaps; the object stays, so the final figures remain readable until
  /// the instance starts again.
  ~SegmentWriter();

  /// Creates "/dev/shm/ingestd.<instance>" with mode 0640 (group `gid`, or
  /// the process's when gid < 0). A segment left by a dead or stopped writer
  /// is replaced; one whose writer is alive is an error.
  Status Create(const std::string& instance, const MetricTable& table, uint64_t tsc_hz, uint64_t period_ns,
                int gid = -1);

  /// Publishes `values` (table.value_count() of them) as one snapshot:
  /// sequence odd, values, sequence even (release), heartbeat.
  void Publish(std::span<const uint64_t> values) noexcept;

  /// Marks the values final: readers report a clean stop, not a dead writer.
  void MarkStopped() noexcept;

  const std::string& path() const noexcept { return path_; }
  bool open() const noexcept { return header_ != nullptr; }
  /// This writer's own mapping of the segment, for a reader in the same process
  /// (SegmentReader::Attach): the same addresses, so a race detector sees both sides.
  std::span<const std::byte> mapping() const noexcept {
    return {reinterpret_cast<const std::byte*>(header_), header_ != nullptr ? size_ : 0};
  }

 private:
  segment::Header* header_ = nullptr;
  std::atomic<uint64_t>* values_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace ingestd::stats
