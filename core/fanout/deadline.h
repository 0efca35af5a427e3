// Copyright 2026 The overlay Authors.
//
// Deadline maths for the overlay, on the node's Clock (nanoseconds;
// kNoDeadline for none). The client's deadline bounds a query at every hop:
// each hop gives its children at most its own remaining time minus a margin,
// capped by the hop cap (the config's neighbor_timeout_ms), so a child that
// runs out of time answers its parent while the parent still has time to
// answer its own caller. Conversions to and from gRPC's wall-clock deadlines
// live here too. Pure functions; thread-safe.

#ifndef OVERLAY_CORE_FANOUT_DEADLINE_H_
#define OVERLAY_CORE_FANOUT_DEADLINE_H_

#include <chrono>
#include <cstdint>
#include <limits>

#include "core/common/clock.h"

namespace overlay {

inline constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

// Metadata carrying a call's deadline as a reading of a fake clock shared
// by every node of one test process (TimerService::follows_real_time() is
// false there); real deployments use gRPC's own deadline only.
inline constexpr char kFakeDeadlineKey[] = "overlay-fake-deadline";

struct HopBudget {
  int64_t cap_nanos = 5'000'000'000;      // neighbor_timeout_ms
  int64_t min_margin_nanos = 2'000'000;   // kept back at every hop
  int64_t max_margin_nanos = 100'000'000;
  int margin_percent = 5;                 // of the time remaining
};

// The margin a hop keeps for itself out of `remaining` nanoseconds.
inline int64_t HopMargin(int64_t remaining, const HopBudget& budget) {
  int64_t margin = remaining / 100 * budget.margin_percent;
  if (margin < budget.min_margin_nanos) margin = budget.min_margin_nanos;
  if (margin > budget.max_margin_nanos) margin = budget.max_margin_nanos;
  return margin;
}

// The deadline of a call made now on behalf of work due at `parent`:
// min(parent - margin, now + cap). Never earlier than `now` (a call already
// out of time fails at once with DEADLINE_EXCEEDED).
inline int64_t ChildDeadline(int64_t now, int64_t parent,
                             const HopBudget& budget) {
  int64_t capped = now > kNoDeadline - budget.cap_nanos
                       ? kNoDeadline
                       : now + budget.cap_nanos;
  if (parent == kNoDeadline) return capped;
  int64_t remaining = parent - now;
  if (remaining <= 0) return now;
  int64_t child = parent - HopMargin(remaining, budget);
  if (child < now) child = now;
  return child < capped ? child : capped;
}

// How much later than its caller's a server's copy of a deadline may pass.
// gRPC sends a deadline as a timeout rounded up to a unit that keeps it to
// a few digits (10 ms units under 10 s, 100 ms under 100 s, 1 s under
// 1000 s, ...): up to 1% of the call's time. So when the caller's own
// deadline ends a call, the server sees a cancel up to that much before its
// copy of the deadline. `call_nanos`: the call's whole time as the server
// sees it (its deadline less its arrival).
inline int64_t DeadlineRoundingNanos(int64_t call_nanos) {
  return call_nanos / 100 + 1'000'000;
}

// gRPC deadlines are wall-clock time points; ours are Clock readings.
inline std::chrono::system_clock::time_point ToSystemDeadline(
    const Clock& clock, int64_t at_nanos) {
  if (at_nanos == kNoDeadline) return std::chrono::system_clock::time_point::max();
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::nanoseconds(at_nanos - clock.NowNanos()));
}

inline int64_t FromSystemDeadline(const Clock& clock,
                                  std::chrono::system_clock::time_point at) {
  // gRPC reports "no deadline" as a time point far in the future.
  const auto remaining = at - std::chrono::system_clock::now();
  if (remaining > std::chrono::hours(24 * 365)) return kNoDeadline;
  return clock.NowNanos() +
         std::chrono::duration_cast<std::chrono::nanoseconds>(remaining)
             .count();
}

}  // namespace overlay

#endif  // OVERLAY_CORE_FANOUT_DEADLINE_H_
