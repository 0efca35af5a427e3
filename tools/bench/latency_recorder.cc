// Copyright 2026 The overlay Authors.

#include "tools/bench/latency_recorder.h"

#include <algorithm>
#include <cmath>

namespace overlay::bench {
namespace {

constexpr int64_t kLinearLimit = int64_t{1} << (LatencyRecorder::kSubBits + 1);
constexpr int64_t kMaxValue = (int64_t{1} << LatencyRecorder::kMaxExponent) - 1;

int FloorLog2(uint64_t v) { return 63 - __builtin_clzll(v); }

// The preferred-number multipliers of one decade.
const std::vector<double>& Multipliers(int per_decade) {
  static const std::vector<double> k3 = {1, 2, 5};
  static const std::vector<double> k5 = {1, 1.6, 2.5, 4, 6.3};
  static const std::vector<double> k10 = {1,    1.25, 1.6, 2,   2.5,
                                          3.15, 4,    5,   6.3, 8};
  if (per_decade <= 3) return k3;
  if (per_decade <= 5) return k5;
  return k10;
}

// Edge k of the series: Multipliers[k mod n] * 10^(k div n) nanoseconds.
double Edge(const std::vector<double>& m, int k) {
  const int n = static_cast<int>(m.size());
  const int decade = k >= 0 ? k / n : -((-k + n - 1) / n);
  return m[k - decade * n] * std::pow(10.0, decade);
}

// The largest k with Edge(k) <= x (x >= 1).
int BinOf(const std::vector<double>& m, double x) {
  const int n = static_cast<int>(m.size());
  int k = static_cast<int>(std::floor(std::log10(x))) * n;
  while (Edge(m, k + 1) <= x) ++k;
  while (k > 0 && Edge(m, k) > x) --k;
  return k;
}

}  // namespace

LatencyRecorder::LatencyRecorder() : counts_(kBuckets, 0) {}

int LatencyRecorder::BucketOf(int64_t nanos) {
  if (nanos < kLinearLimit)
    return static_cast<int>(std::max<int64_t>(0, nanos));
  const uint64_t v = static_cast<uint64_t>(std::min(nanos, kMaxValue));
  const int e = FloorLog2(v);
  const int sub =
      static_cast<int>((v >> (e - kSubBits)) & ((uint64_t{1} << kSubBits) - 1));
  return ((e - kSubBits + 1) << kSubBits) + sub;
}

int64_t LatencyRecorder::BucketLowerNanos(int bucket) {
  if (bucket < kLinearLimit) return bucket;
  const int e = (bucket >> kSubBits) + kSubBits - 1;
  const int sub = bucket & ((1 << kSubBits) - 1);
  return (int64_t{(1 << kSubBits) + sub}) << (e - kSubBits);
}

int64_t LatencyRecorder::BucketUpperNanos(int bucket) {
  if (bucket < kLinearLimit) return bucket + 1;
  const int e = (bucket >> kSubBits) + kSubBits - 1;
  return BucketLowerNanos(bucket) + (int64_t{1} << (e - kSubBits));
}

void LatencyRecorder::Record(int64_t nanos) {
  nanos = std::clamp<int64_t>(nanos, 0, kMaxValue);
  ++counts_[BucketOf(nanos)];
  if (count_ == 0 || nanos < min_) min_ = nanos;
  if (nanos > max_) max_ = nanos;
  ++count_;
  sum_ += nanos;
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyRecorder::mean_nanos() const {
  return count_ == 0 ? 0 : static_cast<double>(sum_) / count_;
}

int64_t LatencyRecorder::QuantileNanos(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const int64_t rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(q * static_cast<double>(count_))), 1,
      count_);
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(BucketUpperNanos(i) - 1, min_, max_);
    }
  }
  return max_;
}

std::vector<LatencyBin> LatencyRecorder::Bins(int per_decade) const {
  std::vector<LatencyBin> bins;
  if (count_ == 0) return bins;
  const std::vector<double>& m = Multipliers(per_decade);
  const int first = BinOf(m, std::max<double>(1, min_));
  const int last = std::max(first, BinOf(m, std::max<double>(1, max_)));
  for (int k = first; k <= last; ++k) {
    bins.push_back(LatencyBin{Edge(m, k), Edge(m, k + 1), 0});
  }
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    const double mid =
        0.5 * static_cast<double>(BucketLowerNanos(i) + BucketUpperNanos(i));
    const int k = std::clamp(BinOf(m, std::max(1.0, mid)), first, last);
    bins[k - first].count += counts_[i];
  }
  return bins;
}

}  // namespace overlay::bench
