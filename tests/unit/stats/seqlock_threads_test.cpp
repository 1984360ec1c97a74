// SPDX-License-Identifier: BSD-3-Clause
// The seqlock with writer and reader as two threads of one process, reading through
// the writer's own mapping: the variant ThreadSanitizer can check (it tells memory
// apart by address, so it sees nothing shared between two processes or two mappings).
#include <sched.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "ingestd/stats/segment_reader.hpp"
#include "segment_fixture.hpp"

namespace ingestd::stats {
namespace {

using fixture::MonoNs;
using fixture::PinToNthCpu;
using fixture::ShmGuard;
using fixture::SmallCatalogue;
using fixture::UniqueInstance;

TEST(SeqlockThreads, AttachedReaderSeesWhatTheWriterPublished) {
  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  fixture::FakeWriter f = SmallCatalogue(4);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 1'000'000, /*publish=*/false), "");
  std::fill(f.values().begin(), f.values().end(), 7);
  w.Publish(f.values());

  SegmentReader attached;
  ASSERT_FALSE(attached.Attach(w.mapping(), w.path()));
  SegmentReader opened;
  ASSERT_FALSE(opened.OpenInstance(instance));
  Snapshot a, b;
  ASSERT_FALSE(attached.Read(a));
  ASSERT_FALSE(opened.Read(b));
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.values, std::vector<uint64_t>(4, 7));
  EXPECT_EQ(a.metrics.size(), b.metrics.size());

  // Too short, or not a segment: refused, and nothing is unmapped that it does not own.
  EXPECT_TRUE(attached.Attach(w.mapping().first(16), "short"));
  std::vector<std::byte> zeros(w.mapping().size());
  EXPECT_TRUE(attached.Attach(zeros, "zeros"));
}

TEST(SeqlockThreads, WriterThreadNeverShowsAReaderThreadATornSnapshot) {
  constexpr unsigned kValues = 64;  // 8 cache lines: a copy a writer can interrupt
  // Bounded by reads and by time: under ThreadSanitizer every access costs 5-15x.
  constexpr uint64_t kReads = 50'000;
  constexpr uint64_t kDistinct = 300;
  constexpr uint64_t kMaxNs = 20'000'000'000;
  // Concurrency, not luck: the reader must have seen the writer move and caught it mid-publish.
  constexpr uint64_t kDistinctFloor = 100;
  constexpr uint64_t kRetriesFloor = 100;

  const std::string instance = UniqueInstance();
  ShmGuard guard{instance};
  fixture::FakeWriter f = SmallCatalogue(kValues);
  SegmentWriter w;
  ASSERT_EQ(f.Start(w, instance, 1'000'000, /*publish=*/false), "");
  SegmentReader reader;
  ASSERT_FALSE(reader.Attach(w.mapping(), w.path()));

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    PinToNthCpu(0);
    std::vector<uint64_t> values(kValues);
    // Every value of snapshot i is i: any mix of two snapshots shows unequal values.
    for (uint64_t i = 1; !stop.load(std::memory_order_relaxed); ++i) {
      std::fill(values.begin(), values.end(), i);
      w.Publish(values);
    }
  });
  cpu_set_t saved;
  sched_getaffinity(0, sizeof(saved), &saved);
  PinToNthCpu(1);

  std::vector<uint64_t> values;
  uint64_t torn = 0, distinct = 0, backwards = 0, retries = 0, last = 0, reads = 0;
  ReadError failed;  // asserted after the writer is joined: an early return would abandon it
  const uint64_t t0 = MonoNs();
  Snapshot snapshot;
  for (; (reads < kReads || distinct < kDistinct) && MonoNs() - t0 < kMaxNs; ++reads) {
    // Mostly the polling path; now and then all of Read, header fields included, as
    // ingest-stats reads: either way only what the writer publishes atomically is shared.
    const bool full = reads % 64 == 0;
    const ReadError e = full ? reader.Read(snapshot) : reader.ReadValues(values, &retries);
    if (e) {
      failed = e;
      break;
    }
    if (full) values = snapshot.values;
    const uint64_t first = values[0];
    for (const uint64_t v : values) torn += v != first;
    if (first != last) {
      ++distinct;
      backwards += first < last;
      last = first;
    }
  }
  stop.store(true);
  writer.join();
  sched_setaffinity(0, sizeof(saved), &saved);
  w.MarkStopped();

  std::printf("seqlock threads: %llu reads, %llu distinct snapshots, %llu retries, %.1f s\n",
              static_cast<unsigned long long>(reads), static_cast<unsigned long long>(distinct),
              static_cast<unsigned long long>(retries), static_cast<double>(MonoNs() - t0) / 1e9);
  ASSERT_FALSE(failed) << failed.message;
  ASSERT_EQ(values.size(), kValues);
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u) << "a snapshot older than one already seen";
  EXPECT_GE(distinct, kDistinctFloor);
  EXPECT_GE(retries, kRetriesFloor);

  Snapshot s;
  ASSERT_FALSE(reader.Read(s));
  EXPECT_EQ(s.liveness, Liveness::kStopped);
}

}  // namespace
}  // namespace ingestd::stats
