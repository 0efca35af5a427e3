// Copyright 2026 The overlay Authors.
//
// ResultMemory: the bytes a node holds for results (owners' matched rows,
// the portal's prefetched chunks), against the config's max_result_mb. The
// bound is enforced by refusing new work, never by evicting a result
// someone may still pull: TryCharge refuses past the limit; Charge always
// succeeds for bytes that must be kept (a chunk a client waits for).
// Thread-safe (one atomic).

#ifndef OVERLAY_CORE_RESULTS_RESULT_MEMORY_H_
#define OVERLAY_CORE_RESULTS_RESULT_MEMORY_H_

#include <atomic>
#include <cstdint>

namespace overlay {

class ResultMemory final {
 public:
  explicit ResultMemory(int64_t limit_bytes) : limit_(limit_bytes) {}
  ResultMemory(const ResultMemory&) = delete;
  ResultMemory& operator=(const ResultMemory&) = delete;

  // Charges `bytes` if that stays within the limit.
  [[nodiscard]] bool TryCharge(int64_t bytes) {
    int64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used + bytes > limit_) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes,
                                          std::memory_order_relaxed));
    return true;
  }
  void Charge(int64_t bytes) {
    used_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void Refund(int64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }
  int64_t limit() const { return limit_; }
  bool full() const { return used() >= limit_; }

 private:
  const int64_t limit_;
  // Relaxed: a statistic and a bound; it orders no other memory.
  std::atomic<int64_t> used_{0};
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_RESULT_MEMORY_H_
