// SPDX-License-Identifier: BSD-3-Clause
// Segment validation (every offset bounds-checked before use), seqlock reads and liveness.
#include "ingestd/stats/segment_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "ingestd/stats/histogram.hpp"

namespace ingestd::stats {
namespace {

using segment::Header;
using segment::MetricDesc;
using segment::MetricKind;
using segment::WriterState;

uint64_t NowMonoNs() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void CpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// A writer creates the object, sizes it, fills it and stores the magic last.
// A reader arriving in between sees an empty file or a zero magic: wait this
// long for it to finish before calling the segment corrupt.
constexpr uint64_t kCreationGraceNs = 200'000'000;
// How often a reader spinning on an odd sequence asks whether the writer died.
constexpr uint64_t kAliveCheckNs = 10'000'000;
// Failed attempts between clock reads (and yields) in the retry loop.
constexpr uint64_t kSlowPathEvery = 64;

ReadError Error(ReadErrorKind kind, std::string message) { return {kind, std::move(message)}; }

std::vector<std::pair<std::string, std::string>> ParseLabels(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(std::string(pair), std::string());
    } else {
      out.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    }
  }
  return out;
}

const char* KindName(MetricKind k) {
  switch (k) {
    case MetricKind::kCounter: return "counter";
    case MetricKind::kGauge: return "gauge";
    case MetricKind::kHistogram: return "histogram";
  }
  return "?";
}

}  // namespace

std::string_view LivenessName(Liveness l) noexcept {
  switch (l) {
    case Liveness::kStarting: return "starting";
    case Liveness::kRunning: return "running";
    case Liveness::kStopped: return "stopped";
    case Liveness::kStale: return "stale";
    case Liveness::kDead: return "dead";
  }
  return "unknown";
}

std::string_view Metric::Label(std::string_view key) const noexcept {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

uint64_t StaleThresholdNs(uint64_t period_ns) noexcept {
  // Five missed publishes, but never under 500 ms: a short period must not
  // turn a scheduling hiccup of the stats lcore into "stale".
  constexpr uint64_t kFloorNs = 500'000'000;
  const uint64_t five = period_ns > UINT64_MAX / 5 ? UINT64_MAX : period_ns * 5;
  return std::max(five, kFloorNs);
}

uint64_t Snapshot::StaleAfterNs() const noexcept { return StaleThresholdNs(period_ns); }

bool ProcessAlive(uint32_t pid) noexcept {
  // 0 and "negative" pids would make kill() address a process group.
  if (pid == 0 || pid > static_cast<uint32_t>(INT_MAX)) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // A killed writer whose parent has not reaped it yet still answers kill(0).
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%u/stat", pid);
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return true;  // no /proc: trust kill()
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* paren = std::strrchr(buf, ')');  // the command name may itself hold ')'
  if (paren == nullptr || paren[1] != ' ') return true;
  return paren[2] != 'Z' && paren[2] != 'X';
}

Liveness JudgeLiveness(WriterState state, uint32_t writer_pid, uint64_t heartbeat_age_ns,
                       uint64_t period_ns) noexcept {
  if (state == WriterState::kStopped) return Liveness::kStopped;
  if (!ProcessAlive(writer_pid)) return Liveness::kDead;
  if (state == WriterState::kStarting) return Liveness::kStarting;
  return heartbeat_age_ns > StaleThresholdNs(period_ns) ? Liveness::kStale : Liveness::kRunning;
}

SegmentReader::SegmentReader(SegmentReader&& other) noexcept { *this = std::move(other); }

SegmentReader& SegmentReader::operator=(SegmentReader&& other) noexcept {
  if (this != &other) {
    Close();
    base_ = std::exchange(other.base_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    owns_map_ = other.owns_map_;
    path_ = std::move(other.path_);
    instance_ = std::move(other.instance_);
    value_count_ = other.value_count_;
    values_offset_ = other.values_offset_;
    metrics_ = std::move(other.metrics_);
  }
  return *this;
}

SegmentReader::~SegmentReader() { Close(); }

void SegmentReader::Close() noexcept {
  if (base_ != nullptr && owns_map_) munmap(const_cast<uint8_t*>(base_), map_size_);
  base_ = nullptr;
  map_size_ = 0;
  owns_map_ = true;
  metrics_.clear();
}

ReadError SegmentReader::Attach(std::span<const std::byte> mapping, const std::string& name) {
  Close();
  path_ = name;
  if (mapping.size() < sizeof(Header)) {
    return Error(ReadErrorKind::kCorrupt, fmt::format("{}: {} bytes, smaller than the {}-byte header", path_,
                                                      mapping.size(), sizeof(Header)));
  }
  base_ = reinterpret_cast<const uint8_t*>(mapping.data());
  map_size_ = mapping.size();
  owns_map_ = false;
  // The writer stores the magic last, with release: acquire pairs with it.
  const uint64_t magic = __atomic_load_n(&header()->magic, __ATOMIC_ACQUIRE);
  if (magic != segment::kMagic) {
    Close();
    return Error(ReadErrorKind::kCorrupt, fmt::format("{}: bad magic {:#018x}", path_, magic));
  }
  return Validate(map_size_);
}

ReadError SegmentReader::OpenInstance(const std::string& instance) {
  Close();
  if (instance.empty() || instance.find('/') != std::string::npos) {
    return Error(ReadErrorKind::kNotFound, fmt::format("invalid instance name '{}'", instance));
  }
  const std::string name = segment::ObjectName(instance);
  path_ = std::string(segment::kShmDir) + name;
  const int fd = shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    const int err = errno;
    return Error(err == ENOENT ? ReadErrorKind::kNotFound : ReadErrorKind::kSystem,
                 fmt::format("no ingestd instance '{}': cannot open {}: {}", instance, path_,
                             strerror(err)));
  }
  ReadError e = OpenFd(fd);
  close(fd);
  return e;
}

ReadError SegmentReader::OpenPath(const std::string& path) {
  Close();
  path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error(err == ENOENT ? ReadErrorKind::kNotFound : ReadErrorKind::kSystem,
                 fmt::format("cannot open {}: {}", path_, strerror(err)));
  }
  ReadError e = OpenFd(fd);
  close(fd);
  return e;
}

ReadError SegmentReader::OpenFd(int fd) {
  uint64_t first_try = 0;
  for (;;) {
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      return Error(ReadErrorKind::kSystem, fmt::format("cannot stat {}: {}", path_, strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) {
      return Error(ReadErrorKind::kCorrupt, fmt::format("{} is not a regular file", path_));
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size != 0 && size < sizeof(Header)) {
      return Error(ReadErrorKind::kCorrupt,
                   fmt::format("{}: truncated segment: {} bytes, smaller than the {}-byte header",
                               path_, size, sizeof(Header)));
    }
    if (size != 0) {
      void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (map == MAP_FAILED) {
        return Error(ReadErrorKind::kSystem, fmt::format("cannot map {}: {}", path_, strerror(errno)));
      }
      base_ = static_cast<const uint8_t*>(map);
      map_size_ = size;
      // The writer stores the magic last, with release: acquire pairs with it.
      const uint64_t magic = __atomic_load_n(&header()->magic, __ATOMIC_ACQUIRE);
      if (magic == segment::kMagic) return Validate(size);
      if (magic != 0) {
        Close();
        return Error(ReadErrorKind::kCorrupt,
                     fmt::format("{}: bad magic {:#018x} (expected {:#018x}): not an ingestd stats "
                                 "segment", path_, magic, segment::kMagic));
      }
      Close();  // zero magic: a writer may still be filling it in
    }
    const uint64_t now = NowMonoNs();
    if (first_try == 0) first_try = now;
    if (now - first_try > kCreationGraceNs) {
      return Error(ReadErrorKind::kCorrupt,
                   size == 0 ? fmt::format("{}: empty (zero-length) segment", path_)
                             : fmt::format("{}: bad magic 0 (a writer that died while creating "
                                           "it, or not a stats segment)", path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ReadError SegmentReader::Validate(size_t file_size) {
  auto corrupt = [&](std::string what) {
    Close();
    return Error(ReadErrorKind::kCorrupt, fmt::format("{}: corrupted segment: {}", path_, what));
  };
  const Header& h = *header();
  if (h.layout_version != segment::kLayoutVersion) {
    const uint32_t v = h.layout_version;
    Close();
    return Error(ReadErrorKind::kUnknownVersion,
                 fmt::format("{}: segment layout version {}, but this ingest-stats reads version {} "
                             "(use the ingest-stats built with that ingestd)",
                             path_, v, segment::kLayoutVersion));
  }
  if (h.histogram_sub_bucket_bits != HistogramGeometry::kSubBucketBits ||
      h.histogram_buckets != HistogramGeometry::kBuckets) {
    const uint32_t bits = h.histogram_sub_bucket_bits;
    const uint32_t buckets = h.histogram_buckets;
    Close();
    return Error(ReadErrorKind::kUnknownVersion,
                 fmt::format("{}: histogram geometry {} sub-bucket bits / {} buckets, but this "
                             "ingest-stats knows {} / {}", path_, bits, buckets,
                             HistogramGeometry::kSubBucketBits, HistogramGeometry::kBuckets));
  }
  if (h.header_size != sizeof(Header)) {
    return corrupt(fmt::format("header_size {} (expected {})", h.header_size, sizeof(Header)));
  }
  const uint64_t total = h.total_size;
  if (total > file_size) {
    return corrupt(fmt::format("truncated: the header says {} bytes, the file has {}", total, file_size));
  }
  if (total < sizeof(Header)) return corrupt(fmt::format("total_size {} is below the header size", total));
  // Every region lies between the header and total_size; 64-bit sums cannot wrap here.
  auto region = [&](const char* what, uint64_t offset, uint64_t bytes, uint64_t align) -> std::string {
    if (offset < sizeof(Header) || offset + bytes > total) {
      return fmt::format("{} region [{}, {}) lies outside [{}, {})", what, offset, offset + bytes,
                         sizeof(Header), total);
    }
    if (offset % align != 0) return fmt::format("{} offset {} is not {}-aligned", what, offset, align);
    return {};
  };
  if (auto e = region("metrics", h.metrics_offset, uint64_t{h.metric_count} * sizeof(MetricDesc),
                      alignof(MetricDesc)); !e.empty()) {
    return corrupt(e);
  }
  if (auto e = region("strings", h.strings_offset, h.strings_size, 1); !e.empty()) return corrupt(e);
  if (auto e = region("values", h.values_offset, uint64_t{h.value_count} * sizeof(uint64_t),
                      alignof(std::atomic<uint64_t>)); !e.empty()) {
    return corrupt(e);
  }
  if (strnlen(h.instance, sizeof(h.instance)) == sizeof(h.instance)) {
    return corrupt("instance name is not NUL-terminated");
  }
  if (h.writer_pid == 0 || h.writer_pid > static_cast<uint32_t>(INT_MAX)) {
    return corrupt(fmt::format("writer pid {} is not a process id", h.writer_pid));
  }

  const char* strings = reinterpret_cast<const char*>(base_ + h.strings_offset);
  const uint32_t strings_size = h.strings_size;
  std::vector<Metric> metrics;
  metrics.reserve(h.metric_count);
  for (uint32_t i = 0; i < h.metric_count; ++i) {
    MetricDesc d;
    std::memcpy(&d, base_ + h.metrics_offset + size_t{i} * sizeof(MetricDesc), sizeof(d));
    std::string err;
    auto str = [&](const char* field, uint32_t offset) -> std::string {
      if (!err.empty()) return {};
      if (offset >= strings_size) {
        err = fmt::format("metric #{}: {} string at offset {} lies past the strings region ({} bytes)",
                          i, field, offset, strings_size);
        return {};
      }
      const void* nul = std::memchr(strings + offset, '\0', strings_size - offset);
      if (nul == nullptr) {
        err = fmt::format("metric #{}: {} string at offset {} has no NUL inside the strings region",
                          i, field, offset);
        return {};
      }
      return std::string(strings + offset, static_cast<const char*>(nul));
    };
    Metric m;
    m.name = str("name", d.name);
    m.group = str("group", d.group);
    m.labels_text = str("labels", d.labels);
    m.unit = str("unit", d.unit);
    m.help = str("help", d.help);
    if (!err.empty()) return corrupt(err);
    m.kind = d.kind;
    if (d.kind != MetricKind::kCounter && d.kind != MetricKind::kGauge &&
        d.kind != MetricKind::kHistogram) {
      return corrupt(fmt::format("metric #{} '{}': unknown kind {}", i, m.name,
                                 static_cast<unsigned>(d.kind)));
    }
    const uint32_t expected = d.kind == MetricKind::kHistogram
                                  ? Histogram::kSummaryValues + HistogramGeometry::kBuckets
                                  : 1;
    if (d.value_count != expected) {
      return corrupt(fmt::format("metric #{} '{}': a {} with {} values (expected {})", i, m.name,
                                 KindName(d.kind), d.value_count, expected));
    }
    if (uint64_t{d.value_index} + d.value_count > h.value_count) {
      return corrupt(fmt::format("metric #{} '{}': values [{}, {}) overflow the {} values", i, m.name,
                                 d.value_index, uint64_t{d.value_index} + d.value_count,
                                 h.value_count));
    }
    m.value_index = d.value_index;
    m.value_count = d.value_count;
    m.labels = ParseLabels(m.labels_text);
    metrics.push_back(std::move(m));
  }
  metrics_ = std::move(metrics);
  value_count_ = h.value_count;
  values_offset_ = h.values_offset;
  instance_ = std::string(h.instance, strnlen(h.instance, sizeof(h.instance)));
  return {};
}

SegmentReader::CopyResult SegmentReader::CopyValues(uint64_t* out, uint64_t* seq_out,
                                                   uint64_t* retries) const {
  const Header& h = *header();
  const auto* values = reinterpret_cast<const std::atomic<uint64_t>*>(base_ + values_offset_);
  uint64_t first_failure = 0;
  uint64_t last_alive_check = 0;
  for (uint64_t attempt = 0;; ++attempt) {
    // Seqlock read: even sequence, copy, acquire fence, same sequence again.
    const uint64_t s1 = h.seq.load(std::memory_order_acquire);
    if ((s1 & 1) == 0) {
      for (uint32_t i = 0; i < value_count_; ++i) out[i] = values[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (h.seq.load(std::memory_order_relaxed) == s1) {
        *seq_out = s1;
        return CopyResult::kOk;
      }
    }
    if (retries != nullptr) ++*retries;
    if (attempt % kSlowPathEvery != 0) {
      CpuRelax();
      continue;
    }
    const uint64_t now = NowMonoNs();
    if (first_failure == 0) {
      first_failure = now;
      last_alive_check = now;
    }
    // A writer killed mid-publish leaves the sequence odd forever: notice it
    // long before the deadline.
    if ((s1 & 1) != 0 && now - last_alive_check >= kAliveCheckNs) {
      last_alive_check = now;
      if (!ProcessAlive(h.writer_pid)) return CopyResult::kWriterDied;
    }
    if (now - first_failure > kReadDeadlineNs) {
      return ProcessAlive(h.writer_pid) ? CopyResult::kStuck : CopyResult::kWriterDied;
    }
    std::this_thread::yield();  // lets a preempted writer on this CPU finish
  }
}

ReadError SegmentReader::ReadValues(std::vector<uint64_t>& values, uint64_t* retries) const {
  if (base_ == nullptr) return Error(ReadErrorKind::kSystem, "segment not open");
  values.resize(value_count_);
  uint64_t seq = 0;
  switch (CopyValues(values.data(), &seq, retries)) {
    case CopyResult::kOk: return {};
    case CopyResult::kWriterDied:
      return Error(ReadErrorKind::kWriterStuck,
                   fmt::format("{}: writer pid {} died while publishing; no consistent snapshot",
                               path_, header()->writer_pid));
    case CopyResult::kStuck: break;
  }
  return Error(ReadErrorKind::kWriterStuck,
               fmt::format("{}: writer pid {} gave no stable snapshot for {} ms (stuck mid-publish)",
                           path_, header()->writer_pid, kReadDeadlineNs / 1'000'000));
}

ReadError SegmentReader::Read(Snapshot& out) const {
  if (base_ == nullptr) return Error(ReadErrorKind::kSystem, "segment not open");
  const Header& h = *header();
  out.path = path_;
  out.instance = instance_;
  out.writer_pid = h.writer_pid;
  out.tsc_hz = h.tsc_hz;
  out.period_ns = h.period_ns;
  out.start_unix_ns = h.start_unix_ns;
  out.metrics = metrics_;
  out.values.assign(value_count_, 0);

  const CopyResult copied = CopyValues(out.values.data(), &out.seq, nullptr);
  if (copied == CopyResult::kStuck) {
    return Error(ReadErrorKind::kWriterStuck,
                 fmt::format("{}: writer pid {} has held the sequence odd (or never stable) for over "
                             "{} ms: stuck mid-publish", path_, h.writer_pid,
                             kReadDeadlineNs / 1'000'000));
  }
  out.read_mono_ns = NowMonoNs();
  const uint32_t state = h.state.load(std::memory_order_acquire);
  out.heartbeat_ns = h.heartbeat_ns.load(std::memory_order_acquire);
  out.publishes = h.publishes.load(std::memory_order_relaxed);
  out.heartbeat_age_ns = out.read_mono_ns > out.heartbeat_ns ? out.read_mono_ns - out.heartbeat_ns : 0;
  if (state > static_cast<uint32_t>(WriterState::kStopped)) {
    return Error(ReadErrorKind::kCorrupt,
                 fmt::format("{}: corrupted segment: writer state {} unknown", path_, state));
  }
  out.state = static_cast<WriterState>(state);
  out.values_valid = copied == CopyResult::kOk;
  if (!out.values_valid) {
    std::fill(out.values.begin(), out.values.end(), 0);
    out.liveness = Liveness::kDead;
  } else {
    out.liveness = JudgeLiveness(out.state, out.writer_pid, out.heartbeat_age_ns, out.period_ns);
  }
  return {};
}

ReadError ReadSnapshotFromPath(const std::string& path, Snapshot& out) {
  SegmentReader r;
  if (ReadError e = r.OpenPath(path)) return e;
  return r.Read(out);
}

ReadError ReadSnapshotOfInstance(const std::string& instance, Snapshot& out) {
  SegmentReader r;
  if (ReadError e = r.OpenInstance(instance)) return e;
  return r.Read(out);
}

std::vector<std::string> ListInstances() {
  std::vector<std::string> names;
  DIR* dir = opendir(segment::kShmDir);
  if (dir == nullptr) return names;
  const std::string_view prefix = segment::kObjectPrefix;
  while (const dirent* e = readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
        (e->d_type == DT_REG || e->d_type == DT_UNKNOWN)) {
      names.emplace_back(name.substr(prefix.size()));
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ingestd::stats
