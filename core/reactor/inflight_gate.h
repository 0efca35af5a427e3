// Copyright 2026 The overlay Authors.
//
// InflightGate: counts live calls so shutdown can refuse new work and wait
// for the old (Seastar's gate). Enter() fails once Close() was called;
// WaitDrained() blocks until every Enter() has been matched by Leave().
// Thread-safe.

#ifndef OVERLAY_CORE_REACTOR_INFLIGHT_GATE_H_
#define OVERLAY_CORE_REACTOR_INFLIGHT_GATE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace overlay {

class InflightGate final {
 public:
  InflightGate() = default;
  InflightGate(const InflightGate&) = delete;
  InflightGate& operator=(const InflightGate&) = delete;

  // True if the caller may start work (and must Leave() later).
  [[nodiscard]] bool Enter();
  void Leave();
  void Close();
  bool closed() const;
  int64_t in_flight() const;
  // True if drained before the timeout.
  bool WaitDrained(absl::Duration timeout);

 private:
  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_INFLIGHT_GATE_H_
