// SPDX-License-Identifier: BSD-3-Clause
// Stats segment creation and the writer side of the seqlock.
#include "ingestd/stats/segment_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "ingestd/stats/histogram.hpp"

namespace ingestd::stats {
namespace {

uint64_t NowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

/// The pid of a segment's writer if that process is still running and the
/// segment is not marked stopped; 0 otherwise.
pid_t LiveWriter(const std::string& name) {
  const int fd = shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) return 0;
  struct stat st {};
  pid_t pid = 0;
  if (fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) >= sizeof(segment::Header)) {
    void* map = mmap(nullptr, sizeof(segment::Header), PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      const auto* h = static_cast<const segment::Header*>(map);
      const bool stopped = h->state.load(std::memory_order_acquire) ==
                           static_cast<uint32_t>(segment::WriterState::kStopped);
      // Our own pid is a killed predecessor's that was handed out again (a container's
      // pid 1 restarted, say): we have not made a segment yet.
      const bool ours = h->writer_pid == static_cast<uint32_t>(getpid());
      if (h->magic == segment::kMagic && !stopped && h->writer_pid != 0 && !ours &&
          (kill(static_cast<pid_t>(h->writer_pid), 0) == 0 || errno == EPERM)) {
        pid = static_cast<pid_t>(h->writer_pid);
      }
      munmap(map, sizeof(segment::Header));
    }
  }
  close(fd);
  return pid;
}

}  // namespace

uint32_t MetricTable::Intern(const std::string& s) {
  const auto at = static_cast<uint32_t>(strings_.size());
  strings_ += s;
  strings_.push_back('\0');
  return at;
}

uint32_t MetricTable::Add(segment::MetricKind kind, const std::string& group, const std::string& name,
                          const std::string& labels, const std::string& unit, const std::string& help) {
  segment::MetricDesc d{};
  d.kind = kind;
  d.group = Intern(group);
  d.name = Intern(name);
  d.labels = Intern(labels);
  d.unit = Intern(unit);
  d.help = Intern(help);
  d.value_index = value_count_;
  d.value_count = kind == segment::MetricKind::kHistogram
                      ? Histogram::kSummaryValues + HistogramGeometry::kBuckets
                      : 1;
  value_count_ += d.value_count;
  metrics_.push_back(d);
  return d.value_index;
}

SegmentWriter::~SegmentWriter() {
  if (header_ != nullptr) munmap(header_, size_);
}

Status SegmentWriter::Create(const std::string& instance, const MetricTable& table, uint64_t tsc_hz,
                             uint64_t period_ns, int gid) {
  const std::string name = segment::ObjectName(instance);
  path_ = std::string(segment::kShmDir) + name;
  if (const pid_t pid = LiveWriter(name)) {
    return Status::Error(EEXIST, fmt::format("instance '{}' is already running (pid {}); give this one "
                                             "another eal.file_prefix (or --file-prefix)", instance, pid));
  }
  shm_unlink(name.c_str());  // a stopped or dead writer's segment: replaced

  const size_t metrics_offset = sizeof(segment::Header);
  const size_t strings_offset = metrics_offset + table.metrics().size() * sizeof(segment::MetricDesc);
  const size_t values_offset = AlignUp(strings_offset + table.strings().size(), 64);
  size_ = values_offset + size_t{table.value_count()} * sizeof(uint64_t);

  // Created 0600 then opened up, so no reader sees it half-made with the wrong owner.
  const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Status::Error(errno, fmt::format("cannot create stats segment {}: {}", path_, strerror(errno)));
  auto fail = [&](const char* what) {
    const int code = errno;
    close(fd);
    shm_unlink(name.c_str());
    return Status::Error(code, fmt::format("stats segment {}: {}: {}", path_, what, strerror(code)));
  };
  if (gid >= 0 && fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) return fail("chown");
  if (fchmod(fd, 0640) != 0) return fail("chmod");
  if (ftruncate(fd, static_cast<off_t>(size_)) != 0) return fail("cannot size it (is /dev/shm full?)");
  void* map = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("mmap");
  close(fd);

  auto* base = static_cast<uint8_t*>(map);
  header_ = new (base) segment::Header{};  // zero-filled by ftruncate; placement for the atomics
  std::memcpy(base + metrics_offset, table.metrics().data(), table.metrics().size() * sizeof(segment::MetricDesc));
  std::memcpy(base + strings_offset, table.strings().data(), table.strings().size());
  values_ = reinterpret_cast<std::atomic<uint64_t>*>(base + values_offset);

  header_->layout_version = segment::kLayoutVersion;
  header_->header_size = sizeof(segment::Header);
  header_->total_size = size_;
  header_->writer_pid = static_cast<uint32_t>(getpid());
  header_->tsc_hz = tsc_hz;
  header_->period_ns = period_ns;
  header_->start_unix_ns = NowNs(CLOCK_REALTIME);
  header_->metric_count = static_cast<uint32_t>(table.metrics().size());
  header_->metrics_offset = static_cast<uint32_t>(metrics_offset);
  header_->strings_offset = static_cast<uint32_t>(strings_offset);
  header_->strings_size = static_cast<uint32_t>(table.strings().size());
  header_->value_count = table.value_count();
  header_->values_offset = static_cast<uint32_t>(values_offset);
  header_->histogram_sub_bucket_bits = HistogramGeometry::kSubBucketBits;
  header_->histogram_buckets = HistogramGeometry::kBuckets;
  std::snprintf(header_->instance, sizeof(header_->instance), "%s", instance.c_str());
  header_->heartbeat_ns.store(NowNs(CLOCK_MONOTONIC), std::memory_order_relaxed);
  // Readers check the magic first: it goes in last, after everything it vouches for.
  std::atomic_thread_fence(std::memory_order_release);
  std::atomic_ref<uint64_t>(header_->magic).store(segment::kMagic, std::memory_order_release);
  return Status::Ok();
}

void SegmentWriter::Publish(std::span<const uint64_t> values) noexcept {
  if (header_ == nullptr) return;
  const uint64_t seq = header_->seq.load(std::memory_order_relaxed);
  header_->seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // odd before any value changes
  const size_t n = std::min<size_t>(values.size(), header_->value_count);
  for (size_t i = 0; i < n; ++i) values_[i].store(values[i], std::memory_order_relaxed);
  header_->seq.store(seq + 2, std::memory_order_release);  // values before even
  header_->publishes.fetch_add(1, std::memory_order_relaxed);
  header_->heartbeat_ns.store(NowNs(CLOCK_MONOTONIC), std::memory_order_release);
  header_->state.store(static_cast<uint32_t>(segment::WriterState::kRunning), std::memory_order_release);
}

void SegmentWriter::MarkStopped() noexcept {
  if (header_ == nullptr) return;
  header_->heartbeat_ns.store(NowNs(CLOCK_MONOTONIC), std::memory_order_release);
  header_->state.store(static_cast<uint32_t>(segment::WriterState::kStopped), std::memory_order_release);
}

}  // namespace ingestd::stats
