// Copyright 2026 The overlay Authors.
//
// Timers on the node's clock. TimerService decides when a grpc::Alarm fires
// for a time read on its Clock: RealTimerService sets the alarm at the
// matching wall-clock instant; a fake service (test_util/fake_timers.h)
// fires alarms when the test advances its FakeClock, so deadlines and TTLs
// are tested without waiting. Timer is the member tag a call object holds
// for one wake-up at a time, like Notifier.
//
// Contract (grpc::Alarm's): after Set(), exactly one Proceed(ok) reaches
// the target on the given queue: ok == true when the time came, ok == false
// when Cancel() won the race. The owner must not be destroyed while a Timer
// is set. TimerService is thread-safe; Timer is reactor-thread only.

#ifndef OVERLAY_CORE_REACTOR_TIMER_H_
#define OVERLAY_CORE_REACTOR_TIMER_H_

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <cstdint>

#include "core/common/clock.h"
#include "core/reactor/completion_tag.h"

namespace overlay {

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual Clock* clock() const = 0;
  // Arms `alarm` to post `tag` on `cq` with ok == true once clock() reads
  // `at_nanos` or later.
  virtual void Arm(grpc::Alarm* alarm, grpc::CompletionQueue* cq,
                   int64_t at_nanos, void* tag) = 0;
  // Cancels an armed alarm: its tag comes back with ok == false unless it
  // fired already.
  virtual void Cancel(grpc::Alarm* alarm) = 0;
  // True when this service's time is wall-clock time, so a gRPC deadline
  // set for the same instant fires together with a timer and an outbound
  // call needs no timer of its own.
  virtual bool follows_real_time() const = 0;
};

class RealTimerService final : public TimerService {
 public:
  // `clock` must read real monotonic time (RealClock).
  explicit RealTimerService(Clock* clock) : clock_(clock) {}
  Clock* clock() const override { return clock_; }
  void Arm(grpc::Alarm* alarm, grpc::CompletionQueue* cq, int64_t at_nanos,
           void* tag) override;
  void Cancel(grpc::Alarm* alarm) override { alarm->Cancel(); }
  bool follows_real_time() const override { return true; }
  // A process-wide instance over RealClock; never destroyed.
  static TimerService* Get();

 private:
  Clock* const clock_;
};

class Timer final : public CompletionTag {
 public:
  Timer(TimerService* service, CompletionTag* target)
      : service_(service), target_(target) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // REQUIRES: not set (the previous wake-up came back).
  void Set(grpc::CompletionQueue* cq, int64_t at_nanos);
  // Harmless when not set or already fired.
  void Cancel();
  bool set() const { return set_; }

  void Proceed(bool ok) override {
    set_ = false;
    target_->Proceed(ok);
  }

 private:
  TimerService* const service_;
  CompletionTag* const target_;
  grpc::Alarm alarm_;
  bool set_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_TIMER_H_
