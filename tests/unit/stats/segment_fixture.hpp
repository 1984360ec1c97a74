// SPDX-License-Identifier: BSD-3-Clause
// Test helpers: real segments made with SegmentWriter, unique instance names, raw header access.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingestd/stats/histogram.hpp"
#include "ingestd/stats/segment_layout.hpp"
#include "ingestd/stats/segment_writer.hpp"

namespace ingestd::stats::fixture {

/// "test-<pid>-<n>": unique per process and call, so parallel tests never collide.
inline std::string UniqueInstance() {
  static std::atomic<unsigned> n{0};
  return fmt::format("test-{}-{}", getpid(), n++);
}

inline std::string ShmPath(const std::string& instance) {
  return std::string(segment::kShmDir) + segment::ObjectName(instance);
}

/// Unlinks the instance's segment at scope exit.
struct ShmGuard {
  std::string instance;
  ~ShmGuard() { shm_unlink(segment::ObjectName(instance).c_str()); }
};

/// A writable mapping of a segment, to play a misbehaving writer.
class RawSegment {
 public:
  explicit RawSegment(const std::string& instance) {
    const int fd = shm_open(segment::ObjectName(instance).c_str(), O_RDWR, 0);
    if (fd < 0) return;
    struct stat st {};
    fstat(fd, &st);
    size_ = static_cast<size_t>(st.st_size);
    void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED) base_ = static_cast<uint8_t*>(m);
  }
  ~RawSegment() {
    if (base_ != nullptr) munmap(base_, size_);
  }
  RawSegment(const RawSegment&) = delete;
  RawSegment& operator=(const RawSegment&) = delete;
  segment::Header* header() { return reinterpret_cast<segment::Header*>(base_); }
  bool ok() const { return base_ != nullptr; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

inline uint64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A metric table plus a values vector addressed by (group, name, labels):
/// builds whatever catalogue a test needs, then publishes it for real.
class FakeWriter {
 public:
  uint32_t Add(segment::MetricKind kind, const std::string& group, const std::string& name,
               const std::string& labels, const std::string& unit = "packets",
               const std::string& help = "test metric") {
    const uint32_t at = table_.Add(kind, group, name, labels, unit, help);
    index_[Key(group, name, labels)] = at;
    values_.resize(table_.value_count(), 0);
    return at;
  }
  uint32_t Counter(const std::string& group, const std::string& name, const std::string& labels,
                   const std::string& unit = "packets") {
    return Add(segment::MetricKind::kCounter, group, name, labels, unit);
  }
  uint32_t Gauge(const std::string& group, const std::string& name, const std::string& labels,
                 const std::string& unit = "packets") {
    return Add(segment::MetricKind::kGauge, group, name, labels, unit);
  }
  uint32_t Hist(const std::string& group, const std::string& name, const std::string& labels,
                const std::string& unit = "tsc") {
    return Add(segment::MetricKind::kHistogram, group, name, labels, unit);
  }
  void Set(const std::string& group, const std::string& name, const std::string& labels, uint64_t v) {
    values_.at(index_.at(Key(group, name, labels))) = v;
  }
  void SetHist(const std::string& group, const std::string& name, const std::string& labels,
               const Histogram& h) {
    const uint32_t at = index_.at(Key(group, name, labels));
    h.CopyTo(std::span<uint64_t>(values_).subspan(at, Histogram::kSummaryValues + HistogramGeometry::kBuckets));
  }
  std::vector<uint64_t>& values() { return values_; }
  const MetricTable& table() const { return table_; }

  /// Creates the segment (tsc_hz 1 GHz: one tick is one ns) and publishes once unless told not to.
  std::string Start(SegmentWriter& w, const std::string& instance, uint64_t period_ns = 100'000'000,
                    bool publish = true, uint64_t tsc_hz = 1'000'000'000) {
    const Status s = w.Create(instance, table_, tsc_hz, period_ns);
    if (s.ok() && publish) w.Publish(values_);
    return s.message();
  }

 private:
  static std::string Key(const std::string& g, const std::string& n, const std::string& l) {
    return g + '\x1f' + n + '\x1f' + l;
  }
  MetricTable table_;
  std::map<std::string, uint32_t> index_;
  std::vector<uint64_t> values_;
};

/// Pins the calling process (or thread) to the `n`-th CPU it may run on (if
/// there are that many): writer and reader on different CPUs overlap far more
/// often than two time-sliced on one, even on a loaded machine.
inline void PinToNthCpu(int n) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) < 2) return;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed) && n-- == 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      sched_setaffinity(0, sizeof(one), &one);
      return;
    }
  }
}

/// `counters` counters of one lcore: the catalogue of the seqlock torture tests.
inline FakeWriter SmallCatalogue(unsigned counters) {
  FakeWriter f;
  for (unsigned i = 0; i < counters; ++i) f.Counter("lcore", fmt::format("c{}", i), "lcore=1,chain=0");
  return f;
}

}  // namespace ingestd::stats::fixture
