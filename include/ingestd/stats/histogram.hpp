// SPDX-License-Identifier: BSD-3-Clause
// A fixed log-linear histogram: no allocation, single writer, readable from another process.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <span>

namespace ingestd::stats {

/// Bucket geometry, shared by the writer and every reader (the segment
/// carries kSubBucketBits, so a reader never guesses it).
///
/// Values 0..31 have a bucket each; above, every power of two [2^e, 2^(e+1))
/// is split into 32 equal buckets. A bucket's midpoint is within 1/64 (1.6 %)
/// of any value in it. 1024 buckets reach 2^36: 26 s of TSC at 2.6 GHz; larger
/// values land in the last bucket (the exact maximum is kept apart).
struct HistogramGeometry {
  static constexpr unsigned kSubBucketBits = 5;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr unsigned kBuckets = 1024;

  static constexpr unsigned BucketOf(uint64_t v) noexcept {
    if (v < kSubBuckets) return static_cast<unsigned>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned shift = msb - kSubBucketBits;
    const uint64_t index = (uint64_t{shift + 1} << kSubBucketBits) + ((v >> shift) - kSubBuckets);
    return index < kBuckets ? static_cast<unsigned>(index) : kBuckets - 1;
  }
  /// Smallest value that falls in bucket `b`.
  static constexpr uint64_t LowerBound(unsigned b) noexcept {
    if (b < kSubBuckets) return b;
    const unsigned shift = (b >> kSubBucketBits) - 1;
    return (kSubBuckets + (b & (kSubBuckets - 1))) << shift;
  }
  /// One past the largest value of bucket `b`.
  static constexpr uint64_t UpperBound(unsigned b) noexcept {
    return b + 1 < kBuckets ? LowerBound(b + 1) : LowerBound(b) * 2;
  }
};
static_assert(HistogramGeometry::BucketOf(31) == 31);
static_assert(HistogramGeometry::BucketOf(32) == 32);
static_assert(HistogramGeometry::BucketOf(63) == 63);
static_assert(HistogramGeometry::BucketOf(64) == 64);
static_assert(HistogramGeometry::LowerBound(HistogramGeometry::BucketOf(1000)) <= 1000);
static_assert(HistogramGeometry::UpperBound(HistogramGeometry::BucketOf(1000)) > 1000);

/// Single-writer histogram. Record is relaxed loads and stores on the
/// writer's own lines: no locked instruction. Readers see each field whole.
class Histogram {
 public:
  /// Values kept apart from the buckets, in this order, in the segment.
  static constexpr unsigned kSummaryValues = 3;  // count, sum, max

  void Record(uint64_t value, uint64_t weight = 1) noexcept {
    Bump(buckets_[HistogramGeometry::BucketOf(value)], weight);
    Bump(count_, weight);
    Bump(sum_, value * weight);
    if (value > max_.load(std::memory_order_relaxed)) max_.store(value, std::memory_order_relaxed);
  }

  uint64_t Count() const noexcept { return count_.load(std::memory_order_relaxed); }
  uint64_t Sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  uint64_t Max() const noexcept { return max_.load(std::memory_order_relaxed); }
  uint64_t Bucket(unsigned b) const noexcept { return buckets_[b].load(std::memory_order_relaxed); }

  /// Writes count, sum, max, then every bucket into `out` (kSummaryValues + kBuckets).
  void CopyTo(std::span<uint64_t> out) const noexcept {
    out[0] = Count();
    out[1] = Sum();
    out[2] = Max();
    for (unsigned b = 0; b < HistogramGeometry::kBuckets; ++b) out[kSummaryValues + b] = Bucket(b);
  }

 private:
  static void Bump(std::atomic<uint64_t>& a, uint64_t n) noexcept {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
  std::array<std::atomic<uint64_t>, HistogramGeometry::kBuckets> buckets_{};
};

/// The value at quantile `q` (0..1) of a histogram given as count, sum, max,
/// buckets (the segment's order): the midpoint of the bucket holding it,
/// never above the recorded maximum. 0 for an empty histogram.
inline double HistogramQuantile(std::span<const uint64_t> values, double q) noexcept {
  const uint64_t count = values[0];
  const uint64_t max = values[2];
  if (count == 0) return 0;
  if (q >= 1) return static_cast<double>(max);
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(count - 1)) + 1;  // 1-based
  uint64_t seen = 0;
  for (unsigned b = 0; b < HistogramGeometry::kBuckets; ++b) {
    seen += values[Histogram::kSummaryValues + b];
    if (seen >= rank) {
      const double lo = static_cast<double>(HistogramGeometry::LowerBound(b));
      const double hi = static_cast<double>(HistogramGeometry::UpperBound(b));
      const double mid = b < HistogramGeometry::kSubBuckets ? lo : (lo + hi) / 2;  // exact below 32
      return mid < static_cast<double>(max) ? mid : static_cast<double>(max);
    }
  }
  return static_cast<double>(max);
}

}  // namespace ingestd::stats
