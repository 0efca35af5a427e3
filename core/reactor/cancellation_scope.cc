// Copyright 2026 The overlay Authors.

#include "core/reactor/cancellation_scope.h"

namespace overlay {

bool CancellationScope::Add(grpc::ClientContext* child) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  children_.insert(child);
  return true;
}

void CancellationScope::Remove(grpc::ClientContext* child) {
  absl::MutexLock lock(&mu_);
  children_.erase(child);
}

void CancellationScope::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  for (grpc::ClientContext* child : children_) child->TryCancel();
}

bool CancellationScope::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

int CancellationScope::children() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(children_.size());
}

}  // namespace overlay
