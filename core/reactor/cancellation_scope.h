// Copyright 2026 The overlay Authors.
//
// CancellationScope: the outbound calls made on behalf of one piece of work
// (a server call, or a result's prefetches). The work owns the scope; each
// call registers its ClientContext while it is in flight, so cancelling the
// work cancels every child (ClientContext::TryCancel) and refuses new ones.
// Thread-safe: a result's prefetches may complete on several queues.
//
//   CancellationScope scope;            // member of the server call
//   peers->Call(..., &scope, done);     // registers while in flight
//   scope.Cancel();                     // client gone: children cancelled

#ifndef OVERLAY_CORE_REACTOR_CANCELLATION_SCOPE_H_
#define OVERLAY_CORE_REACTOR_CANCELLATION_SCOPE_H_

#include <grpcpp/client_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace overlay {

class CancellationScope final {
 public:
  CancellationScope() = default;
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;

  // Registers a child about to start; false if the scope was cancelled
  // (the child must not start).
  [[nodiscard]] bool Add(grpc::ClientContext* child);
  // REQUIRES: `child` was added and its call has ended.
  void Remove(grpc::ClientContext* child);
  // Cancels every registered child and refuses new ones. Idempotent.
  void Cancel();
  bool cancelled() const;
  int children() const;

 private:
  mutable absl::Mutex mu_;
  // TryCancel runs under the lock, so a child cannot end (and free its
  // context) while it is being cancelled; TryCancel never blocks.
  absl::flat_hash_set<grpc::ClientContext*> children_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_CANCELLATION_SCOPE_H_
