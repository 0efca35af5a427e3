// Copyright 2026 The overlay Authors.
//
// FakeClock: a manually advanced Clock for tests, so no test sleeps.
// Thread-safe (the time is an atomic).

#ifndef OVERLAY_TEST_TEST_UTIL_FAKE_CLOCK_H_
#define OVERLAY_TEST_TEST_UTIL_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "core/common/clock.h"

namespace overlay::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_nanos = 1'000'000'000) : now_(start_nanos) {}
  int64_t NowNanos() const override {
    return now_.load(std::memory_order_relaxed);
  }
  void AdvanceNanos(int64_t nanos) {
    now_.fetch_add(nanos, std::memory_order_relaxed);
  }
  void AdvanceMillis(int64_t millis) { AdvanceNanos(millis * 1'000'000); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_FAKE_CLOCK_H_
