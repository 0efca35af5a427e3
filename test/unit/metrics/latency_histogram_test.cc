// Copyright 2026 The overlay Authors.

#include "core/metrics/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace overlay {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;
// The histogram's buckets grow by 9%: an estimate is the upper bound of the
// true value's bucket, so it is at most 9% above the truth (and never below
// by more than floating-point noise).
constexpr double kBucketWidth = 0.09;

void ExpectWithinABucket(double estimate_ms, double truth_ms) {
  EXPECT_GE(estimate_ms, truth_ms * (1 - 1e-9)) << "truth " << truth_ms;
  EXPECT_LE(estimate_ms, truth_ms * (1 + kBucketWidth) + 1e-12)
      << "truth " << truth_ms;
}

TEST(LatencyHistogramTest, EmptyIsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0);
  EXPECT_EQ(histogram.PercentileMs(0.5), 0);
  EXPECT_EQ(histogram.PercentileMs(0.99), 0);
  EXPECT_EQ(histogram.MaxMs(), 0);
}

TEST(LatencyHistogramTest, OneValueIsExact) {
  LatencyHistogram histogram;
  histogram.Record(3 * kMs);
  EXPECT_EQ(histogram.count(), 1);
  // The estimate is capped by the maximum, which is exact.
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(0), 3.0);
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(0.5), 3.0);
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(1), 3.0);
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), 3.0);
}

TEST(LatencyHistogramTest, UniformDistributionPercentiles) {
  // 1 us, 2 us, ..., 10 ms: the value at quantile q is q * 10 ms.
  LatencyHistogram histogram;
  constexpr int kValues = 10'000;
  for (int i = 1; i <= kValues; ++i) histogram.Record(i * kUs);
  EXPECT_EQ(histogram.count(), kValues);
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999}) {
    SCOPED_TRACE(q);
    ExpectWithinABucket(histogram.PercentileMs(q), q * kValues * kUs / 1e6);
  }
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), 10.0);
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(1), 10.0);
}

TEST(LatencyHistogramTest, BimodalDistribution) {
  // 90% fast calls at 1.5 ms, 10% slow ones at 120 ms.
  LatencyHistogram histogram;
  for (int i = 0; i < 900; ++i) histogram.Record(1500 * kUs);
  for (int i = 0; i < 100; ++i) histogram.Record(120 * kMs);
  ExpectWithinABucket(histogram.PercentileMs(0.5), 1.5);
  ExpectWithinABucket(histogram.PercentileMs(0.9), 1.5);
  ExpectWithinABucket(histogram.PercentileMs(0.91), 120);
  ExpectWithinABucket(histogram.PercentileMs(0.99), 120);
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), 120);
}

TEST(LatencyHistogramTest, OrderOfRecordingDoesNotMatter) {
  LatencyHistogram forward;
  LatencyHistogram backward;
  for (int i = 1; i <= 1000; ++i) forward.Record(i * 37 * kUs);
  for (int i = 1000; i >= 1; --i) backward.Record(i * 37 * kUs);
  for (double q : {0.1, 0.5, 0.9, 0.99}) {
    EXPECT_DOUBLE_EQ(forward.PercentileMs(q), backward.PercentileMs(q));
  }
  EXPECT_DOUBLE_EQ(forward.MaxMs(), backward.MaxMs());
}

TEST(LatencyHistogramTest, SubMicrosecondAndZeroValues) {
  LatencyHistogram histogram;
  histogram.Record(0);
  histogram.Record(400);
  histogram.Record(900);
  EXPECT_EQ(histogram.count(), 3);
  EXPECT_LE(histogram.PercentileMs(0.5), 0.001);
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), 0.0009);
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(1), 0.0009);
}

TEST(LatencyHistogramTest, WideRangeEveryDecade) {
  // One value per decade from 10 us to 10 s, each a known quantile.
  LatencyHistogram histogram;
  const std::vector<int64_t> values = {10 * kUs,  100 * kUs, kMs,    10 * kMs,
                                       100 * kMs, kS,        10 * kS};
  for (int64_t v : values) histogram.Record(v);
  for (size_t i = 0; i < values.size(); ++i) {
    const double q = static_cast<double>(i + 1) / values.size();
    SCOPED_TRACE(q);
    ExpectWithinABucket(histogram.PercentileMs(q), values[i] / 1e6);
  }
}

// The header promises ~9% buckets "from 1 us to ~100 s".
TEST(LatencyHistogramTest, LongLatenciesWithinTheDocumentedRange) {
  LatencyHistogram histogram;
  for (int i = 0; i < 10; ++i) histogram.Record(60 * kS);
  for (int i = 0; i < 10; ++i) histogram.Record(90 * kS);
  ExpectWithinABucket(histogram.PercentileMs(0.5), 60'000);
  ExpectWithinABucket(histogram.PercentileMs(0.99), 90'000);
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), 90'000);
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kPerThread; ++i) {
        histogram.Record((t * kPerThread + i + 1) * kUs);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(histogram.count(), kThreads * kPerThread);
  EXPECT_DOUBLE_EQ(histogram.MaxMs(), kThreads * kPerThread * kUs / 1e6);
  ExpectWithinABucket(histogram.PercentileMs(0.5),
                      kThreads * kPerThread * kUs / 2 / 1e6);
}

}  // namespace
}  // namespace overlay
