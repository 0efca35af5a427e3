// Copyright 2026 The overlay Authors.
//
// Clock: the injected source of time for TTLs, admission and deadline maths.
// RealClock reads CLOCK_MONOTONIC (shared by every process on a host, so it
// is safe to store in shared memory). Tests use test_util/fake_clock.h.
// Implementations are thread-safe.

#ifndef OVERLAY_CORE_COMMON_CLOCK_H_
#define OVERLAY_CORE_COMMON_CLOCK_H_

#include <cstdint>

namespace overlay {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds; comparable across processes on one host.
  virtual int64_t NowNanos() const = 0;
};

class RealClock final : public Clock {
 public:
  int64_t NowNanos() const override;
  // A process-wide instance; never destroyed.
  static Clock* Get();
};

}  // namespace overlay

#endif  // OVERLAY_CORE_COMMON_CLOCK_H_
