// Copyright 2026 The overlay Authors.

#include "core/admission/admission_metrics.h"

#include <algorithm>
#include <cmath>

namespace overlay {

void QueueWaitHistogram::Record(int64_t wait_nanos) {
  const int64_t wait_us = wait_nanos <= 0 ? 0 : (wait_nanos + 999) / 1000;
  const auto it = std::lower_bound(kBoundsUs.begin(), kBoundsUs.end(), wait_us);
  ++counts[static_cast<size_t>(it - kBoundsUs.begin())];
}

void QueueWaitHistogram::Add(const QueueWaitHistogram& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
}

int64_t QueueWaitHistogram::total() const {
  int64_t sum = 0;
  for (int64_t count : counts) sum += count;
  return sum;
}

double QueueWaitHistogram::PercentileMs(double q) const {
  const int64_t n = total();
  if (n == 0) return 0;
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * n)));
  int64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) {
      const size_t bound = std::min(i, kBoundsUs.size() - 1);
      return static_cast<double>(kBoundsUs[bound]) / 1000.0;
    }
  }
  return static_cast<double>(kBoundsUs.back()) / 1000.0;
}

int64_t ClassAdmissionMetrics::rejected_total() const {
  int64_t sum = 0;
  for (int64_t count : rejected) sum += count;
  return sum;
}

}  // namespace overlay
