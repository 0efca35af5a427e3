// Copyright 2026 The overlay Authors.
//
// LatencyHistogram: a lock-free log-bucketed histogram of durations for the
// metrics RPC (about 9% bucket width from 1 us to ~100 s). Record() is
// wait-free; Percentile() reads a racy but consistent-enough snapshot.
// Thread-safe.

#ifndef OVERLAY_CORE_METRICS_LATENCY_HISTOGRAM_H_
#define OVERLAY_CORE_METRICS_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace overlay {

class LatencyHistogram final {
 public:
  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(int64_t nanos);
  int64_t count() const;
  // Milliseconds at quantile q in [0, 1]; 0 when empty.
  double PercentileMs(double q) const;
  double MaxMs() const;

 private:
  static constexpr int kBuckets = 220;
  static int BucketOf(int64_t nanos);
  static double BucketUpperNanos(int bucket);

  // Relaxed: counters are statistics; no other memory depends on them.
  std::array<std::atomic<int64_t>, kBuckets> buckets_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> max_nanos_{0};
};

}  // namespace overlay

#endif  // OVERLAY_CORE_METRICS_LATENCY_HISTOGRAM_H_
