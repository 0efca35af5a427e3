// Copyright 2026 The overlay Authors.
//
// WorkerPool: a few threads that run scans and other CPU work off the
// reactor threads. Owns its threads. Work items report back to their call
// through a Notifier, never by calling into the call directly.
// Submit() is thread-safe; Stop() runs what is queued, then joins.

#ifndef OVERLAY_CORE_REACTOR_WORKER_POOL_H_
#define OVERLAY_CORE_REACTOR_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace overlay {

class WorkerPool final {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Stop()s
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and `work` is dropped) after Stop().
  bool Submit(std::function<void()> work);
  void Stop();
  int queued() const;

 private:
  void Run();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_WORKER_POOL_H_
