// Copyright 2026 The overlay Authors.
//
// LatencyRecorder: a mergeable log-linear histogram of durations in
// nanoseconds, in the manner of HdrHistogram: exact below 64 ns, then 32
// sub-buckets per power of two (every bucket is at most 1/32 ~ 3% wide), up
// to 2^41 ns (~37 min; larger values are clamped). Count, sum, min and max
// are exact; a quantile is the upper edge of the bucket holding it, clamped
// to [min, max], so it overstates by at most ~3%. Owns a fixed array of
// ~1,200 counters (9.5 KiB).
// Thread-compatible: one recorder per thread, merged after the threads stop.
//
//   LatencyRecorder r;  r.Record(1'500'000);  r.QuantileNanos(0.99);

#ifndef OVERLAY_TOOLS_BENCH_LATENCY_RECORDER_H_
#define OVERLAY_TOOLS_BENCH_LATENCY_RECORDER_H_

#include <cstdint>
#include <vector>

namespace overlay::bench {

// A display bin: [lo_ns, hi_ns) and the samples in it.
struct LatencyBin {
  double lo_ns = 0;
  double hi_ns = 0;
  int64_t count = 0;
};

class LatencyRecorder final {
 public:
  LatencyRecorder();

  void Record(int64_t nanos);  // negative values count as 0
  void Merge(const LatencyRecorder& other);

  int64_t count() const { return count_; }
  int64_t min_nanos() const { return count_ == 0 ? 0 : min_; }
  int64_t max_nanos() const { return max_; }
  double mean_nanos() const;
  // q in [0, 1]; 0 when empty. QuantileNanos(1) == max_nanos().
  int64_t QuantileNanos(double q) const;

  // Samples re-binned onto log-spaced "preferred number" edges: `per_decade`
  // (3, 5 or 10: the 1-2-5, R5 and R10 series, e.g. 1 1.25 1.6 2 2.5 3.15
  // 4 5 6.3 8) from the bin holding the minimum to the bin holding the
  // maximum. A recording bucket goes to the bin holding its midpoint, so the
  // counts always sum to count(). Empty when count() == 0.
  std::vector<LatencyBin> Bins(int per_decade) const;

  // The recording buckets (for tests and exact re-binning).
  static int BucketOf(int64_t nanos);
  static int64_t BucketLowerNanos(int bucket);
  static int64_t BucketUpperNanos(int bucket);  // exclusive
  static constexpr int kSubBits = 5;            // 32 sub-buckets
  static constexpr int kMaxExponent = 41;       // values < 2^41 ns
  static constexpr int kBuckets = (kMaxExponent - kSubBits + 1)
                                  << kSubBits;  // 1184

 private:
  std::vector<int64_t> counts_;  // kBuckets
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_LATENCY_RECORDER_H_
