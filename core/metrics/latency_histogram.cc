// Copyright 2026 The overlay Authors.

#include "core/metrics/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace overlay {
namespace {
constexpr double kBase = 1.09;       // bucket growth
constexpr double kFirstNanos = 1000;  // upper bound of bucket 0
}  // namespace

LatencyHistogram::LatencyHistogram() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
}

int LatencyHistogram::BucketOf(int64_t nanos) {
  if (nanos <= kFirstNanos) return 0;
  int bucket = 1 + static_cast<int>(std::log(nanos / kFirstNanos) /
                                    std::log(kBase));
  return std::min(bucket, kBuckets - 1);
}

double LatencyHistogram::BucketUpperNanos(int bucket) {
  return kFirstNanos * std::pow(kBase, bucket);
}

void LatencyHistogram::Record(int64_t nanos) {
  buckets_[BucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  int64_t max = max_nanos_.load(std::memory_order_relaxed);
  while (nanos > max && !max_nanos_.compare_exchange_weak(
                            max, nanos, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::count() const {
  return count_.load(std::memory_order_relaxed);
}

double LatencyHistogram::PercentileMs(double q) const {
  int64_t total = 0;
  std::array<int64_t, kBuckets> snapshot;
  for (int i = 0; i < kBuckets; ++i) {
    snapshot[i] = buckets_[i].load(std::memory_order_relaxed);
    total += snapshot[i];
  }
  if (total == 0) return 0;
  const int64_t rank = std::max<int64_t>(1, std::llround(q * total));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += snapshot[i];
    if (seen >= rank) {
      if (i == kBuckets - 1) return MaxMs();  // the open-ended top bucket
      return std::min(BucketUpperNanos(i),
                      static_cast<double>(max_nanos_.load(
                          std::memory_order_relaxed))) /
             1e6;
    }
  }
  return MaxMs();
}

double LatencyHistogram::MaxMs() const {
  return max_nanos_.load(std::memory_order_relaxed) / 1e6;
}

}  // namespace overlay
