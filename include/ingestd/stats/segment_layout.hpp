// SPDX-License-Identifier: BSD-3-Clause
// The stats segment: one POSIX shared-memory object per instance, self-describing,
// published under a sequence count. Shared by the writer (ingestd) and readers
// (ingest-stats, telemetry); no DPDK here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ingestd::stats::segment {

/// "INGSTATS" read as a little-endian u64.
inline constexpr uint64_t kMagic = 0x5354415453474e49ull;
/// Bumped on any change a reader must understand; additive metrics need no bump.
inline constexpr uint32_t kLayoutVersion = 1;
/// Shared-memory object name for an instance: "/ingestd.<instance>" (a file
/// under /dev/shm). Instances default to the EAL file prefix.
inline std::string ObjectName(const std::string& instance) { return "/ingestd." + instance; }
inline constexpr const char* kShmDir = "/dev/shm";
inline constexpr const char* kObjectPrefix = "ingestd.";

enum class WriterState : uint32_t {
  kStarting = 0,  // tables written, no snapshot yet
  kRunning = 1,   // publishing every period
  kStopped = 2,   // exited cleanly; the values are the final figures
};

enum class MetricKind : uint8_t { kCounter = 1, kGauge = 2, kHistogram = 3 };

/// The segment, in order. Offsets are from the start of the segment; every
/// one is bounds-checked by readers against total_size.
///
/// | region   | at                | size                          |
/// |----------|-------------------|-------------------------------|
/// | Header   | 0                 | 192                           |
/// | metrics  | metrics_offset    | metric_count * 32 (MetricDesc)|
/// | strings  | strings_offset    | strings_size (NUL-terminated) |
/// | values   | values_offset     | value_count * 8, 64-aligned   |
struct Header {
  uint64_t magic;                         //   0 written last at creation (release)
  uint32_t layout_version;                //   8
  uint32_t header_size;                   //  12 sizeof(Header)
  uint64_t total_size;                    //  16 bytes in the segment
  uint32_t writer_pid;                    //  24
  std::atomic<uint32_t> state;            //  28 WriterState
  uint64_t tsc_hz;                        //  32 to turn "tsc" units into time
  uint64_t period_ns;                     //  40 publish period
  uint64_t start_unix_ns;                 //  48 CLOCK_REALTIME at start
  std::atomic<uint64_t> heartbeat_ns;     //  56 CLOCK_MONOTONIC at the last publish
  std::atomic<uint64_t> seq;              //  64 odd while values are being written
  std::atomic<uint64_t> publishes;        //  72 snapshots published so far
  uint32_t metric_count;                  //  80
  uint32_t metrics_offset;                //  84
  uint32_t strings_offset;                //  88
  uint32_t strings_size;                  //  92
  uint32_t value_count;                   //  96
  uint32_t values_offset;                 // 100
  uint32_t histogram_sub_bucket_bits;     // 104 HistogramGeometry::kSubBucketBits
  uint32_t histogram_buckets;             // 108 HistogramGeometry::kBuckets
  char instance[64];                      // 112 NUL-terminated
  uint8_t reserved[16];                   // 176
};
static_assert(sizeof(Header) == 192);
static_assert(offsetof(Header, seq) == 64);
static_assert(offsetof(Header, instance) == 112);
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared across processes");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared across processes");

/// One metric. Strings are offsets into the strings region.
/// A counter or gauge has one value; a histogram has count, sum, max, then
/// histogram_buckets bucket counts (see HistogramGeometry).
struct MetricDesc {
  uint32_t name;         //  0 e.g. "rx_pkts", "latency_e2e"
  uint32_t group;        //  4 table it belongs to: lcore, port, ring, mempool, drops, latency, allocation
  uint32_t labels;       //  8 "key=value,key=value", e.g. "lcore=1,chain=0,stage=parse"
  uint32_t unit;         // 12 packets, bytes, cycles, tsc (time in TSC ticks), mbufs, events, ...
  uint32_t help;         // 16 one line
  uint32_t value_index;  // 20 first value in the values region
  uint32_t value_count;  // 24
  MetricKind kind;       // 28
  uint8_t reserved[3];
};
static_assert(sizeof(MetricDesc) == 32);

}  // namespace ingestd::stats::segment
