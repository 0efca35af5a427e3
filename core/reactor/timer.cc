// Copyright 2026 The overlay Authors.

#include "core/reactor/timer.h"

#include <chrono>

namespace overlay {

void RealTimerService::Arm(grpc::Alarm* alarm, grpc::CompletionQueue* cq,
                           int64_t at_nanos, void* tag) {
  const int64_t wait = at_nanos - clock_->NowNanos();
  if (wait <= 0) {
    alarm->Set(cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), tag);
    return;
  }
  const auto now = std::chrono::system_clock::now();
  if (std::chrono::nanoseconds(wait) >=
      std::chrono::system_clock::time_point::max() - now) {
    // Beyond any wall-clock instant (kNoDeadline): it never comes, and the
    // sum below would overflow.
    alarm->Set(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), tag);
    return;
  }
  alarm->Set(cq, now + std::chrono::nanoseconds(wait), tag);
}

TimerService* RealTimerService::Get() {
  static TimerService* const service = new RealTimerService(RealClock::Get());
  return service;
}

void Timer::Set(grpc::CompletionQueue* cq, int64_t at_nanos) {
  set_ = true;
  service_->Arm(&alarm_, cq, at_nanos, this);
}

void Timer::Cancel() {
  if (set_) service_->Cancel(&alarm_);
}

}  // namespace overlay
