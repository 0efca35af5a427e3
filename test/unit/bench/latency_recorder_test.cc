// Copyright 2026 The overlay Authors.

#include "tools/bench/latency_recorder.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace overlay::bench {
namespace {

TEST(LatencyRecorderTest, BucketsAreContiguousAndAtMostThreePercentWide) {
  EXPECT_EQ(LatencyRecorder::BucketLowerNanos(0), 0);
  for (int i = 0; i + 1 < LatencyRecorder::kBuckets; ++i) {
    const int64_t lo = LatencyRecorder::BucketLowerNanos(i);
    const int64_t hi = LatencyRecorder::BucketUpperNanos(i);
    ASSERT_EQ(hi, LatencyRecorder::BucketLowerNanos(i + 1)) << i;
    ASSERT_EQ(LatencyRecorder::BucketOf(lo), i);
    ASSERT_EQ(LatencyRecorder::BucketOf(hi - 1), i);
    if (lo >= 64) {
      ASSERT_LE(static_cast<double>(hi - lo) / lo, 1.0 / 32 + 1e-12) << i;
    }
  }
}

TEST(LatencyRecorderTest, EmptyRecorderReportsZeros) {
  LatencyRecorder r;
  EXPECT_EQ(r.count(), 0);
  EXPECT_EQ(r.min_nanos(), 0);
  EXPECT_EQ(r.max_nanos(), 0);
  EXPECT_EQ(r.QuantileNanos(0.5), 0);
  EXPECT_TRUE(r.Bins(10).empty());
}

TEST(LatencyRecorderTest, QuantilesWithinBucketWidthOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(2e6), 0.8);  // ~2 ms
  std::vector<int64_t> values;
  LatencyRecorder r;
  for (int i = 0; i < 20000; ++i) {
    const int64_t v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    r.Record(v);
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(r.count(), 20000);
  EXPECT_EQ(r.min_nanos(), values.front());
  EXPECT_EQ(r.max_nanos(), values.back());
  EXPECT_EQ(r.QuantileNanos(1.0), values.back());
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const int64_t exact = values[static_cast<size_t>(q * values.size()) - 1];
    const int64_t got = r.QuantileNanos(q);
    EXPECT_GE(got, exact) << q;  // the bucket's upper edge: never under
    EXPECT_LE(got, exact * (1 + 1.0 / 32) + 1) << q;
  }
  double sum = 0;
  for (const int64_t v : values) sum += static_cast<double>(v);
  EXPECT_NEAR(r.mean_nanos(), sum / values.size(), 1e-6 * sum);
}

TEST(LatencyRecorderTest, MergeEqualsRecordingEverything) {
  LatencyRecorder a, b, all;
  for (int64_t v = 1000; v < 2'000'000; v += 997) {
    (v % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min_nanos(), all.min_nanos());
  EXPECT_EQ(a.max_nanos(), all.max_nanos());
  for (const double q : {0.1, 0.5, 0.99}) {
    EXPECT_EQ(a.QuantileNanos(q), all.QuantileNanos(q));
  }
}

TEST(LatencyRecorderTest, ClampsOutOfRangeValues) {
  LatencyRecorder r;
  r.Record(-5);
  r.Record(int64_t{1} << 50);
  EXPECT_EQ(r.count(), 2);
  EXPECT_EQ(r.min_nanos(), 0);
  EXPECT_EQ(r.max_nanos(), (int64_t{1} << LatencyRecorder::kMaxExponent) - 1);
}

TEST(LatencyRecorderTest, BinsCoverTheDataAndSumToCount) {
  LatencyRecorder r;
  for (int i = 0; i < 1000; ++i) r.Record(150'000 + i * 2'000);  // .15-2.15ms
  for (const int per_decade : {3, 5, 10}) {
    const std::vector<LatencyBin> bins = r.Bins(per_decade);
    ASSERT_FALSE(bins.empty());
    int64_t total = 0;
    for (size_t i = 0; i < bins.size(); ++i) {
      EXPECT_LT(bins[i].lo_ns, bins[i].hi_ns);
      if (i > 0) {
        EXPECT_DOUBLE_EQ(bins[i].lo_ns, bins[i - 1].hi_ns);
      }
      total += bins[i].count;
    }
    EXPECT_EQ(total, r.count()) << per_decade;
    EXPECT_LE(bins.front().lo_ns, r.min_nanos());
    EXPECT_GT(bins.back().hi_ns, r.max_nanos());
  }
  // R10 edges are the preferred numbers: 0.125, 0.16, 0.2, ... ms.
  const std::vector<LatencyBin> r10 = r.Bins(10);
  EXPECT_DOUBLE_EQ(r10.front().lo_ns, 125'000);
  EXPECT_DOUBLE_EQ(r10.front().hi_ns, 160'000);
}

}  // namespace
}  // namespace overlay::bench
