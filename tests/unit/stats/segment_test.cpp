// SPDX-License-Identifier: BSD-3-Clause
// The segment reader: seqlock torture across processes, liveness, and hostile segments.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"
#include "segment_fixture.hpp"

namespace ingestd::stats {
namespace {

using segment::Header;
using segment::MetricDesc;
using segment::MetricKind;
using fixture::FakeWriter;
using fixture::MonoNs;
using fixture::PinToNthCpu;
using fixture::RawSegment;
using fixture::ShmGuard;
using fixture::SmallCatalogue;
using fixture::UniqueInstance;

/// A forked child process; killed and reaped at scope exit if still there.
struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  int Wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
};

/// Waits (bounded) for the child to write one byte: "segment created".
bool WaitReady(int fd) {
  char c = 0;
  return read(fd, &c, 1) == 1;
}

// ---------------------------------------------------------------- seqlock

TEST(SeqlockTorture, ForkedWriterNeverShowsATornSnapshot) {
  constexpr unsigned kValues = 64;  // 8 cache lines: a copy a writer can interrupt
  constexpr uint64_t kReads = 2'000'000;
  // A writer publishing back to back starves seqlock readers: reads succeed
  // in the gaps when it is preempted, so distinct snapshots come at the pace
  // of the scheduler. Read on (bounded) until kDistinct, then demand at least
  // kDistinctFloor plus kRetriesFloor reads that caught a publish in progress.
  constexpr uint64_t kDistinct = 1000;
  constexpr uint64_t kDistinctFloor = 100;
  constexpr uint64_t kRetriesFloor = 1000;
  constexpr uint64_t kMaxNs = 30'000'000'000;
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  // The stop flag and the reader's progress live in memory both processes share.
  struct Shared {
    std::atomic<int> stop{0};
    std::atomic<uint64_t> reads{0};  // reads the reader has completed
  };
  void* shared_map = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared_map, MAP_FAILED);
  auto* shared = new (shared_map) Shared;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);

  Child writer;
  writer.pid = fork();
  ASSERT_GE(writer.pid, 0);
  if (writer.pid == 0) {
    PinToNthCpu(0);
    FakeWriter f = SmallCatalogue(kValues);
    SegmentWriter w;
    if (!f.Start(w, instance, 1'000'000, /*publish=*/false).empty()) _exit(2);
    (void)!write(ready[1], "r", 1);
    // As fast as it can: every value of snapshot i is i, so any mix of two
    // snapshots shows unequal values. After every 16 publishes the writer waits
    // for the reader to complete one read, so a reader slowed by a sanitizer (or
    // a loaded machine) gets through at all; most reads still meet a publish in
    // progress (kRetriesFloor checks that).
    uint64_t reads_seen = 0;
    for (uint64_t i = 1; shared->stop.load(std::memory_order_relaxed) == 0; ++i) {
      std::fill(f.values().begin(), f.values().end(), i);
      w.Publish(f.values());
      if ((i & 15) != 0) continue;
      while (shared->reads.load(std::memory_order_acquire) == reads_seen &&
             shared->stop.load(std::memory_order_relaxed) == 0)
        sched_yield();
      reads_seen = shared->reads.load(std::memory_order_relaxed);
    }
    w.MarkStopped();
    _exit(0);
  }
  close(ready[1]);
  ASSERT_TRUE(WaitReady(ready[0]));
  close(ready[0]);

  struct RestoreAffinity {
    cpu_set_t saved;
    RestoreAffinity() { sched_getaffinity(0, sizeof(saved), &saved); }
    ~RestoreAffinity() { sched_setaffinity(0, sizeof(saved), &saved); }
  } restore_affinity;
  PinToNthCpu(1);
  SegmentReader reader;
  ASSERT_FALSE(reader.OpenInstance(instance));
  std::vector<uint64_t> values;
  uint64_t torn = 0, distinct = 0, backwards = 0, retries = 0, last = 0, reads = 0, slowest = 0;
  const uint64_t t0 = MonoNs();
  for (; reads < kReads || (distinct < kDistinct && MonoNs() - t0 < kMaxNs); ++reads) {
    const uint64_t r0 = MonoNs();
    const ReadError e = reader.ReadValues(values, &retries);
    slowest = std::max(slowest, MonoNs() - r0);
    ASSERT_FALSE(e) << e.message;
    shared->reads.store(reads + 1, std::memory_order_release);
    ASSERT_EQ(values.size(), kValues);
    const uint64_t first = values[0];
    for (const uint64_t v : values) torn += v != first;
    if (first != last) {
      ++distinct;
      backwards += first < last;
      last = first;
    }
  }
  shared->stop.store(1);
  const int status = writer.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  RecordProperty("distinct_snapshots", std::to_string(distinct));
  RecordProperty("retries", std::to_string(retries));
  std::printf("seqlock torture: %llu reads, %llu distinct snapshots, %llu retries, last i %llu, "
              "slowest read %.3f ms\n",
              static_cast<unsigned long long>(reads), static_cast<unsigned long long>(distinct),
              static_cast<unsigned long long>(retries), static_cast<unsigned long long>(last),
              static_cast<double>(slowest) / 1e6);
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u) << "a snapshot older than one already seen";
  // Concurrency, not luck: the reader saw the writer move many times.
  EXPECT_GE(distinct, kDistinctFloor);
  EXPECT_GE(retries, kRetriesFloor);
  EXPECT_GE(reads, kReads);

  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStopped);
  munmap(shared_map, sizeof(Shared));
}

// ---------------------------------------------------------------- liveness

TEST(Liveness, StartingBeforeTheFirstPublish) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = SmallCatalogue(3);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 100'000'000, /*publish=*/false), "");
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStarting);
  EXPECT_EQ(s.publishes, 0u);
  EXPECT_EQ(s.instance, instance);
  EXPECT_EQ(s.writer_pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(s.metrics.size(), 3u);
}

TEST(Liveness, RunningWithFreshHeartbeatAndHeaderFieldsCopied) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  f.Counter("lcore", "rx_pkts", "lcore=1,chain=0,stages=rx..tx");
  f.Set("lcore", "rx_pkts", "lcore=1,chain=0,stages=rx..tx", 1234);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 100'000'000, true, 2'500'000'000), "");
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kRunning);
  EXPECT_EQ(s.tsc_hz, 2'500'000'000u);
  EXPECT_EQ(s.period_ns, 100'000'000u);
  EXPECT_EQ(s.publishes, 1u);
  EXPECT_GT(s.start_unix_ns, 1'600'000'000'000'000'000u);
  EXPECT_LT(s.heartbeat_age_ns, 1'000'000'000u);
  ASSERT_EQ(s.metrics.size(), 1u);
  const Metric& m = s.metrics[0];
  EXPECT_EQ(m.group, "lcore");
  EXPECT_EQ(m.name, "rx_pkts");
  EXPECT_EQ(m.Label("lcore"), "1");
  EXPECT_EQ(m.Label("stages"), "rx..tx");
  EXPECT_EQ(m.Label("nope"), "");
  EXPECT_EQ(s.Value(m), 1234u);
  EXPECT_EQ(s.path, fixture::ShmPath(instance));
}

TEST(Liveness, LabelValuesMayHoldColonsAndEquals) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f;
  f.Counter("drops", "drops", "lcore=1,chain=0,reason=malformed:truncated_vlan,odd=a=b,,bare");
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance), "");
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  const Metric& m = s.metrics.at(0);
  EXPECT_EQ(m.Label("reason"), "malformed:truncated_vlan");
  EXPECT_EQ(m.Label("odd"), "a=b");
  ASSERT_EQ(m.labels.size(), 5u);
  EXPECT_EQ(m.labels[4].first, "bare");
}

TEST(Liveness, OldHeartbeatIsStaleAfterFivePeriodsOrHalfASecond) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = SmallCatalogue(2);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 10'000'000), "");  // 10 ms period: the 500 ms floor applies
  RawSegment raw(instance);
  ASSERT_TRUE(raw.ok());
  Snapshot s;
  raw.header()->heartbeat_ns.store(MonoNs() - 400'000'000);
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kRunning);
  raw.header()->heartbeat_ns.store(MonoNs() - 700'000'000);
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStale);
  EXPECT_GE(s.heartbeat_age_ns, 700'000'000u);
  EXPECT_EQ(s.StaleAfterNs(), 500'000'000u);

  // A 1 s period: five periods (5 s) rule.
  raw.header()->period_ns = 1'000'000'000;
  raw.header()->heartbeat_ns.store(MonoNs() - 2'000'000'000);
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kRunning);
  raw.header()->heartbeat_ns.store(MonoNs() - 6'000'000'000);
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStale);

  // A starting writer is never stale: it has not promised a heartbeat yet.
  raw.header()->state.store(static_cast<uint32_t>(segment::WriterState::kStarting));
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStarting);
}

TEST(Liveness, StoppedWriterGivesFinalFiguresEvenAfterItExits) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  Child child;
  child.pid = fork();
  ASSERT_GE(child.pid, 0);
  if (child.pid == 0) {
    FakeWriter f = SmallCatalogue(4);
    std::fill(f.values().begin(), f.values().end(), 42);
    SegmentWriter w;
    if (!f.Start(w, instance).empty()) _exit(2);
    w.MarkStopped();
    _exit(0);
  }
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kStopped);
  EXPECT_EQ(s.state, segment::WriterState::kStopped);
  EXPECT_TRUE(s.values_valid);
  EXPECT_EQ(s.values, std::vector<uint64_t>(4, 42));
}

TEST(Liveness, WriterKilledWithSigkillIsDeadWithinOneSecond) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  Child child;
  child.pid = fork();
  ASSERT_GE(child.pid, 0);
  if (child.pid == 0) {
    // One publish with a 10 s period: running (not stale) for as long as the test
    // takes, then idle until the SIGKILL; death is the pid's, not the heartbeat's.
    FakeWriter f = SmallCatalogue(8);
    std::fill(f.values().begin(), f.values().end(), 7);
    SegmentWriter w;
    if (!f.Start(w, instance, 10'000'000'000).empty()) _exit(2);
    (void)!write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  ASSERT_TRUE(WaitReady(ready[0]));
  close(ready[0]);
  Snapshot s;
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kRunning);

  // Killed and not yet reaped (a zombie still answers kill(pid, 0)): dead all the same.
  const uint64_t t0 = MonoNs();
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  do {
    ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  } while (s.liveness != Liveness::kDead && MonoNs() - t0 < 2'000'000'000);
  EXPECT_EQ(s.liveness, Liveness::kDead);
  EXPECT_LT(MonoNs() - t0, 1'000'000'000u);
  EXPECT_EQ(s.writer_pid, static_cast<uint32_t>(child.pid));

  child.Wait();
  ASSERT_FALSE(ReadSnapshotOfInstance(instance, s));
  EXPECT_EQ(s.liveness, Liveness::kDead);
  EXPECT_TRUE(s.values_valid) << "died between publishes: the last snapshot stands";
  EXPECT_EQ(s.values, std::vector<uint64_t>(8, 7));
}

/// A pid that existed and is gone.
pid_t ReapedPid() {
  const pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  return p;
}

TEST(Liveness, WriterDeadMidPublishNeverHangsTheReader) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = SmallCatalogue(4);
  std::fill(f.values().begin(), f.values().end(), 7);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance), "");
  RawSegment raw(instance);
  ASSERT_TRUE(raw.ok());
  raw.header()->writer_pid = static_cast<uint32_t>(ReapedPid());
  raw.header()->seq.fetch_add(1);  // odd forever: the writer died inside Publish
  const uint64_t t0 = MonoNs();
  Snapshot s;
  const ReadError e = ReadSnapshotOfInstance(instance, s);
  const uint64_t took = MonoNs() - t0;
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(s.liveness, Liveness::kDead);
  EXPECT_FALSE(s.values_valid);
  EXPECT_EQ(s.values, std::vector<uint64_t>(4, 0)) << "never a torn copy";
  EXPECT_LT(took, 500'000'000u);
}

TEST(Liveness, WriterStuckOddWhileAliveIsAnErrorAfterAboutOneSecond) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  FakeWriter f = SmallCatalogue(4);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance), "");  // the writer is this (live) process
  RawSegment raw(instance);
  ASSERT_TRUE(raw.ok());
  raw.header()->seq.fetch_add(1);
  const uint64_t t0 = MonoNs();
  Snapshot s;
  const ReadError e = ReadSnapshotOfInstance(instance, s);
  const uint64_t took = MonoNs() - t0;
  EXPECT_EQ(e.kind, ReadErrorKind::kWriterStuck);
  EXPECT_NE(e.message.find("stuck"), std::string::npos) << e.message;
  EXPECT_GE(took, 900'000'000u);
  EXPECT_LT(took, 3'000'000'000u);
  raw.header()->seq.fetch_add(1);  // finishes the "publish": readable again
  EXPECT_FALSE(ReadSnapshotOfInstance(instance, s));
}

TEST(Liveness, JudgeLivenessOrder) {
  const auto me = static_cast<uint32_t>(getpid());
  const auto gone = static_cast<uint32_t>(ReapedPid());
  using WS = segment::WriterState;
  EXPECT_EQ(JudgeLiveness(WS::kStopped, gone, 1'000'000'000'000, 1), Liveness::kStopped);
  EXPECT_EQ(JudgeLiveness(WS::kRunning, gone, 0, 100'000'000), Liveness::kDead);
  EXPECT_EQ(JudgeLiveness(WS::kStarting, gone, 0, 100'000'000), Liveness::kDead);
  EXPECT_EQ(JudgeLiveness(WS::kStarting, me, 10'000'000'000, 100'000'000), Liveness::kStarting);
  EXPECT_EQ(JudgeLiveness(WS::kRunning, me, 499'000'000, 100'000'000), Liveness::kRunning);
  EXPECT_EQ(JudgeLiveness(WS::kRunning, me, 501'000'000, 100'000'000), Liveness::kStale);
  EXPECT_FALSE(ProcessAlive(0)) << "kill(0, 0) would address our own process group";
  EXPECT_FALSE(ProcessAlive(0x80000001u)) << "a negative pid_t would address a process group";
  EXPECT_TRUE(ProcessAlive(me));
}

TEST(Instances, ListAndOpenByName) {
  const std::string a = UniqueInstance();
  const std::string b = UniqueInstance();
  ShmGuard ga{a};
  ShmGuard gb{b};
  FakeWriter f = SmallCatalogue(1);
  SegmentWriter wa;
  SegmentWriter wb;
  ASSERT_EQ(f.Start(wa, a), "");
  ASSERT_EQ(f.Start(wb, b), "");
  const std::vector<std::string> names = ListInstances();
  EXPECT_NE(std::find(names.begin(), names.end(), a), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), b), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));

  SegmentReader r;
  EXPECT_EQ(r.OpenInstance("no-such-instance-" + a).kind, ReadErrorKind::kNotFound);
  EXPECT_EQ(r.OpenInstance("../etc/passwd").kind, ReadErrorKind::kNotFound);
  EXPECT_EQ(r.OpenPath("/nonexistent/segment").kind, ReadErrorKind::kNotFound);
  ASSERT_FALSE(r.OpenInstance(a));
  EXPECT_TRUE(r.open());
  EXPECT_EQ(r.path(), fixture::ShmPath(a));
  SegmentReader moved = std::move(r);
  EXPECT_FALSE(r.open());
  Snapshot s;
  ASSERT_FALSE(moved.Read(s));
  EXPECT_EQ(s.instance, a);
}

// ---------------------------------------------------------------- hostile segments

/// A copy of a real segment in a private file, to damage at will.
class CorruptSegment : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_ = UniqueInstance();
    FakeWriter f;
    f.Counter("lcore", "rx_pkts", "lcore=1,chain=0");
    f.Gauge("mempool", "mbufs_in_use", "mempool=p,socket=0", "mbufs");
    f.Hist("latency", "e2e", "chain=0,lcore=1");
    f.Counter("drops", "drops", "lcore=1,chain=0,reason=route_drop");
    SegmentWriter w;
    ASSERT_EQ(f.Start(w, instance_), "");
    good_ = fixture::ReadFileBytes(fixture::ShmPath(instance_));
    shm_unlink(segment::ObjectName(instance_).c_str());
    ASSERT_GE(good_.size(), sizeof(Header));
    path_ = fmt::format("/dev/shm/ingestd-segment-test-{}", instance_);  // not "ingestd.": never listed
  }
  void TearDown() override { unlink(path_.c_str()); }

  Header& H(std::vector<uint8_t>& bytes) { return *reinterpret_cast<Header*>(bytes.data()); }
  MetricDesc& M(std::vector<uint8_t>& bytes, unsigned i) {
    return *reinterpret_cast<MetricDesc*>(bytes.data() + H(bytes).metrics_offset + i * sizeof(MetricDesc));
  }

  /// Writes `bytes` and opens and reads them; returns the first error.
  ReadError Try(const std::vector<uint8_t>& bytes) {
    fixture::WriteFileBytes(path_, bytes);
    SegmentReader r;
    if (ReadError e = r.OpenPath(path_)) return e;
    Snapshot s;
    return r.Read(s);
  }
  void ExpectCorrupt(const std::vector<uint8_t>& bytes, const std::string& says) {
    const ReadError e = Try(bytes);
    EXPECT_EQ(e.kind, ReadErrorKind::kCorrupt) << e.message;
    EXPECT_NE(e.message.find(says), std::string::npos) << e.message;
  }

  std::string instance_;
  std::string path_;
  std::vector<uint8_t> good_;
};

TEST_F(CorruptSegment, TheUndamagedCopyReads) {
  std::vector<uint8_t> b = good_;
  EXPECT_FALSE(Try(b));
}

TEST_F(CorruptSegment, BadMagic) {
  std::vector<uint8_t> b = good_;
  b[3] ^= 0x20;
  ExpectCorrupt(b, "bad magic");
}

TEST_F(CorruptSegment, ZeroMagicAfterTheCreationGrace) {
  std::vector<uint8_t> b = good_;
  H(b).magic = 0;
  ExpectCorrupt(b, "bad magic 0");
}

TEST_F(CorruptSegment, UnknownVersionNamesBothVersions) {
  std::vector<uint8_t> b = good_;
  H(b).layout_version = 7;
  const ReadError e = Try(b);
  EXPECT_EQ(e.kind, ReadErrorKind::kUnknownVersion);
  EXPECT_NE(e.message.find("version 7"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(fmt::format("version {}", segment::kLayoutVersion)), std::string::npos) << e.message;
}

TEST_F(CorruptSegment, OtherHistogramGeometryIsAnUnknownLayout) {
  std::vector<uint8_t> b = good_;
  H(b).histogram_buckets = 2048;
  EXPECT_EQ(Try(b).kind, ReadErrorKind::kUnknownVersion);
}

TEST_F(CorruptSegment, ZeroLengthFile) {
  ExpectCorrupt({}, "empty (zero-length)");
}

TEST_F(CorruptSegment, ShorterThanTheHeader) {
  std::vector<uint8_t> b(good_.begin(), good_.begin() + 100);
  ExpectCorrupt(b, "truncated");
}

TEST_F(CorruptSegment, TruncatedFile) {
  std::vector<uint8_t> b(good_.begin(), good_.end() - 100);
  ExpectCorrupt(b, "truncated");
}

TEST_F(CorruptSegment, WrongHeaderSize) {
  std::vector<uint8_t> b = good_;
  H(b).header_size = 128;
  ExpectCorrupt(b, "header_size");
}

TEST_F(CorruptSegment, TotalSizeBelowTheHeader) {
  std::vector<uint8_t> b = good_;
  H(b).total_size = 10;
  ExpectCorrupt(b, "below the header");
}

TEST_F(CorruptSegment, MetricsPastTheEnd) {
  std::vector<uint8_t> b = good_;
  H(b).metric_count = 1'000'000;
  ExpectCorrupt(b, "metrics region");
  b = good_;
  H(b).metrics_offset = static_cast<uint32_t>(H(b).total_size - 16);
  ExpectCorrupt(b, "metrics region");
  b = good_;
  H(b).metrics_offset = 0xFFFFFFF0u;
  ExpectCorrupt(b, "metrics region");
}

TEST_F(CorruptSegment, MetricsInsideTheHeader) {
  std::vector<uint8_t> b = good_;
  H(b).metrics_offset = 0;
  ExpectCorrupt(b, "metrics region");
}

TEST_F(CorruptSegment, StringsPastTheEnd) {
  std::vector<uint8_t> b = good_;
  H(b).strings_size = 0xFFFFFFFFu;
  ExpectCorrupt(b, "strings region");
}

TEST_F(CorruptSegment, ValuesPastTheEndOrMisaligned) {
  std::vector<uint8_t> b = good_;
  H(b).value_count += 1;
  ExpectCorrupt(b, "values region");
  b = good_;
  H(b).values_offset = 0xFFFFFFF8u;
  ExpectCorrupt(b, "values region");
  b = good_;
  H(b).values_offset -= 4;
  ExpectCorrupt(b, "aligned");
}

TEST_F(CorruptSegment, StringOffsetPastTheStringsRegion) {
  std::vector<uint8_t> b = good_;
  M(b, 1).help = H(b).strings_size + 3;
  ExpectCorrupt(b, "past the strings region");
}

TEST_F(CorruptSegment, StringWithoutNul) {
  std::vector<uint8_t> b = good_;
  const Header& h = H(b);
  // The last string's terminator becomes a letter: it runs off the region.
  b[h.strings_offset + h.strings_size - 1] = 'x';
  ExpectCorrupt(b, "no NUL");
}

TEST_F(CorruptSegment, ValueRangeOverflow) {
  std::vector<uint8_t> b = good_;
  M(b, 0).value_index = H(b).value_count;  // one past the end
  ExpectCorrupt(b, "overflow");
  b = good_;
  M(b, 2).value_index = 0xFFFFFFFFu;  // would wrap in 32 bits
  ExpectCorrupt(b, "overflow");
}

TEST_F(CorruptSegment, WrongValueCountForTheKind) {
  std::vector<uint8_t> b = good_;
  M(b, 2).value_count = 5;  // a histogram needs 3 + 1024
  ExpectCorrupt(b, "values (expected");
  b = good_;
  M(b, 0).value_count = 0;
  ExpectCorrupt(b, "values (expected");
}

TEST_F(CorruptSegment, UnknownKind) {
  std::vector<uint8_t> b = good_;
  M(b, 0).kind = static_cast<MetricKind>(9);
  ExpectCorrupt(b, "unknown kind");
}

TEST_F(CorruptSegment, InstanceNameWithoutNul) {
  std::vector<uint8_t> b = good_;
  std::memset(H(b).instance, 'a', sizeof(H(b).instance));
  ExpectCorrupt(b, "instance name");
}

TEST_F(CorruptSegment, PidThatWouldAddressAProcessGroup) {
  std::vector<uint8_t> b = good_;
  H(b).writer_pid = 0;
  ExpectCorrupt(b, "writer pid");
  H(b).writer_pid = 0xFFFFFFFFu;
  ExpectCorrupt(b, "writer pid");
}

TEST_F(CorruptSegment, UnknownWriterState) {
  std::vector<uint8_t> b = good_;
  H(b).state.store(77);
  ExpectCorrupt(b, "writer state");
}

TEST_F(CorruptSegment, NotARegularFile) {
  SegmentReader r;
  EXPECT_EQ(r.OpenPath("/tmp").kind, ReadErrorKind::kCorrupt);
}

// Random damage anywhere in the header, metric table, strings and values: an
// error, or a snapshot every report can render; never a crash (run under
// ASan/UBSan too).
TEST_F(CorruptSegment, RandomDamageNeverCrashes) {
  std::mt19937_64 rng(20240611);
  const Header& h = H(good_);
  const size_t tables_end = h.strings_offset + h.strings_size;
  unsigned errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> b = good_;
    const int hits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < hits; ++k) {
      // Most damage goes to the tables; some to the values (huge bucket counts, sums).
      size_t at = rng() % 4 == 0 ? rng() % b.size() : rng() % tables_end;
      // An odd sequence makes a live writer look stuck (1 s per read): covered above.
      if (at >= offsetof(Header, seq) && at < offsetof(Header, seq) + 8) continue;
      // The magic bytes: zero magic waits out the creation grace; covered above.
      if (at < 8) at += 8;
      b[at] = static_cast<uint8_t>(rng());
    }
    fixture::WriteFileBytes(path_, b);
    Snapshot s;
    if (ReadSnapshotFromPath(path_, s)) {
      ++errors;
      continue;
    }
    EXPECT_NO_THROW({
      (void)ReportJson(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      (void)ReportTable(s);
      (void)ReportPrometheus(s);
      (void)ReportRates(s, s);
    });
  }
  RecordProperty("rejected", std::to_string(errors));
  EXPECT_GT(errors, 0u);
  EXPECT_LT(errors, 3000u);
}

}  // namespace
}  // namespace ingestd::stats
