// Copyright 2026 The overlay Authors.
//
// Notifier: re-enters a CompletionTag on its completion queue's thread from
// any thread, with a grpc::Alarm set to "now". This is the only way another
// thread (a scan worker, a fetch finishing on another queue) wakes a call:
// nobody calls Proceed() across threads. Owns the alarm.
// Notify() is thread-safe; at most one notification may be outstanding, and
// the owner must not be destroyed while one is (the tag is still queued).

#ifndef OVERLAY_CORE_REACTOR_NOTIFIER_H_
#define OVERLAY_CORE_REACTOR_NOTIFIER_H_

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include "core/reactor/completion_tag.h"

namespace overlay {

class Notifier final : public CompletionTag {
 public:
  explicit Notifier(CompletionTag* target) : target_(target) {}
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues target->Proceed(true) on `cq`. REQUIRES: `cq` is not shut down.
  void Notify(grpc::CompletionQueue* cq) {
    alarm_.Set(cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), this);
  }
  // Queues target->Proceed(ok) after `deadline` (a gpr_timespec or
  // std::chrono time point); Cancel() makes it fire early with ok == false.
  template <typename Deadline>
  void NotifyAt(grpc::CompletionQueue* cq, const Deadline& deadline) {
    alarm_.Set(cq, deadline, this);
  }
  void Cancel() { alarm_.Cancel(); }

  void Proceed(bool ok) override { target_->Proceed(ok); }

 private:
  CompletionTag* target_;
  grpc::Alarm alarm_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_NOTIFIER_H_
