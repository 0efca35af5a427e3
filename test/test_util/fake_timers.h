// Copyright 2026 The overlay Authors.
//
// FakeTimers: a TimerService on a FakeClock. Timers fire when the test
// advances the clock (Advance*), in time order, on the queues they were set
// for; nothing waits for real time. Outbound calls also enforce their
// deadlines through it (follows_real_time() is false). Thread-safe.
//
//   FakeClock clock;
//   FakeTimers timers(&clock);
//   ... node options.timers = &timers ...
//   timers.AdvanceMillis(1000);  // every timer due within the second fires

#ifndef OVERLAY_TEST_TEST_UTIL_FAKE_TIMERS_H_
#define OVERLAY_TEST_TEST_UTIL_FAKE_TIMERS_H_

#include <grpcpp/alarm.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/timer.h"
#include "test/test_util/fake_clock.h"

namespace overlay::testing {

class FakeTimers final : public TimerService {
 public:
  explicit FakeTimers(FakeClock* clock) : clock_(clock) {}
  FakeTimers(const FakeTimers&) = delete;
  FakeTimers& operator=(const FakeTimers&) = delete;

  Clock* clock() const override { return clock_; }
  void Arm(grpc::Alarm* alarm, grpc::CompletionQueue* cq, int64_t at_nanos,
           void* tag) override {
    absl::MutexLock lock(&mu_);
    if (at_nanos <= clock_->NowNanos()) {
      alarm->Set(cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), Deliver(tag));
      return;
    }
    pending_[alarm] = Pending{at_nanos, cq, tag};
  }
  void Cancel(grpc::Alarm* alarm) override {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(alarm);
    if (it == pending_.end()) {
      alarm->Cancel();  // handed to gRPC already (fired, or about to)
      return;
    }
    // Never handed to gRPC: deliver the cancellation as gRPC would.
    alarm->Set(it->second.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC),
               it->second.tag);
    alarm->Cancel();
    pending_.erase(it);
  }
  bool follows_real_time() const override { return false; }

  void AdvanceNanos(int64_t nanos) {
    absl::MutexLock lock(&mu_);
    clock_->AdvanceNanos(nanos);
    const int64_t now = clock_->NowNanos();
    std::multimap<int64_t, grpc::Alarm*> due;
    for (const auto& [alarm, pending] : pending_) {
      if (pending.at <= now) due.emplace(pending.at, alarm);
    }
    for (const auto& [at, alarm] : due) {
      const Pending pending = pending_[alarm];
      pending_.erase(alarm);
      alarm->Set(pending.cq, gpr_inf_past(GPR_CLOCK_MONOTONIC),
                 Deliver(pending.tag));
    }
  }
  // Timers fired by the clock whose owners have not yet run (their tags
  // are on the way through the queues): 0 once every wake-up due so far
  // has been handled. Counted only after CountDeliveries(), which needs
  // every tag to be a CompletionTag (a reactor's queues; not CqVerifier's).
  int delivering() const { return delivering_->load(); }
  void CountDeliveries() {
    absl::MutexLock lock(&mu_);
    count_deliveries_ = true;
  }
  void AdvanceMillis(int64_t millis) { AdvanceNanos(millis * 1'000'000); }
  int pending() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(pending_.size());
  }

 private:
  struct Pending {
    int64_t at = 0;
    grpc::CompletionQueue* cq = nullptr;
    void* tag = nullptr;
  };
  // Counts a fired timer until its owner's Proceed has returned. Shared:
  // a wake-up may be handled after this service is gone.
  class Delivery final : public CompletionTag {
   public:
    Delivery(std::shared_ptr<std::atomic<int>> count, void* tag)
        : count_(std::move(count)), tag_(static_cast<CompletionTag*>(tag)) {
      count_->fetch_add(1);
    }
    void Proceed(bool ok) override {
      tag_->Proceed(ok);
      count_->fetch_sub(1);
      delete this;
    }

   private:
    std::shared_ptr<std::atomic<int>> count_;
    CompletionTag* tag_;
  };
  void* Deliver(void* tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return count_deliveries_ ? new Delivery(delivering_, tag) : tag;
  }
  bool count_deliveries_ ABSL_GUARDED_BY(mu_) = false;

  FakeClock* const clock_;
  const std::shared_ptr<std::atomic<int>> delivering_ =
      std::make_shared<std::atomic<int>>(0);
  mutable absl::Mutex mu_;
  std::map<grpc::Alarm*, Pending> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_FAKE_TIMERS_H_
