// Copyright 2026 The overlay Authors.

#include "core/reactor/inflight_gate.h"

namespace overlay {

bool InflightGate::Enter() {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  ++count_;
  return true;
}

void InflightGate::Leave() {
  absl::MutexLock lock(&mu_);
  --count_;
}

void InflightGate::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool InflightGate::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

int64_t InflightGate::in_flight() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

bool InflightGate::WaitDrained(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return count_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&drained), timeout);
}

}  // namespace overlay
