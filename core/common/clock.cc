// Copyright 2026 The overlay Authors.

#include "core/common/clock.h"

#include <time.h>

namespace overlay {

int64_t RealClock::NowNanos() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Clock* RealClock::Get() {
  static Clock* const clock = new RealClock();
  return clock;
}

}  // namespace overlay
