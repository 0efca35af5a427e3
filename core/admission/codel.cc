// Copyright 2026 The overlay Authors.

#include "core/admission/codel.h"

#include <algorithm>

#include "glog/logging.h"

namespace overlay {

CoDel::CoDel(int64_t target_ns, int64_t interval_ns)
    : target_ns_(target_ns), interval_ns_(interval_ns) {
  CHECK_GT(target_ns, 0);
  CHECK_LE(target_ns, interval_ns);
}

void CoDel::Decide(bool queue_empty) {
  if (overloaded_ && turned_away_ && !calm_wait_) {
    // Still refusing work: the overload goes on, whatever the waits of
    // what was let in.
  } else if (has_sample_) {
    overloaded_ = min_delay_ns_ > target_ns_;
  } else if (queue_empty) {
    overloaded_ = false;
  }  // else: nothing left the queue, so no new evidence either way
  ClearEvidence();
}

void CoDel::ClearEvidence() {
  min_delay_ns_ = std::numeric_limits<int64_t>::max();
  has_sample_ = false;
  turned_away_ = false;
  calm_wait_ = false;
}

void CoDel::Roll(int64_t now_ns, bool queue_empty) {
  if (interval_end_ns_ == std::numeric_limits<int64_t>::min()) {
    interval_end_ns_ = now_ns + interval_ns_;  // the first interval starts
    return;
  }
  if (now_ns < interval_end_ns_) return;
  Decide(queue_empty);  // the interval that ended, on its evidence
  // Whole intervals without a call since: no evidence but `queue_empty`.
  if (now_ns >= interval_end_ns_ + interval_ns_) Decide(queue_empty);
  interval_end_ns_ = now_ns + interval_ns_;
}

bool CoDel::OnDequeue(int64_t now_ns, int64_t delay_ns) {
  Roll(now_ns, /*queue_empty=*/false);
  min_delay_ns_ = std::min(min_delay_ns_, delay_ns);
  has_sample_ = true;
  const bool silence =
      last_dequeue_ns_ != kNone && now_ns - last_dequeue_ns_ > interval_ns_;
  last_dequeue_ns_ = now_ns;
  if (delay_ns <= target_ns_) {
    above_since_ns_ = kNone;
  } else if (above_since_ns_ == kNone || silence) {
    above_since_ns_ = now_ns;
  } else if (!overloaded_ && now_ns - above_since_ns_ >= interval_ns_) {
    // Every wait for a whole interval was past the target: the verdict a
    // window's end would give, without waiting for the window to end. The
    // new verdict gets a whole window of its own before it is judged.
    overloaded_ = true;
    ClearEvidence();
    min_delay_ns_ = delay_ns;
    has_sample_ = true;
    interval_end_ns_ = now_ns + interval_ns_;
  }
  return overloaded_ && delay_ns > target_ns_;
}

void CoDel::OnTurnedAway(int64_t now_ns) {
  Roll(now_ns, /*queue_empty=*/false);
  turned_away_ = true;
}

void CoDel::OnCalmWait(int64_t now_ns) {
  Roll(now_ns, /*queue_empty=*/false);
  calm_wait_ = true;
}

bool CoDel::Overloaded(int64_t now_ns, bool queue_empty) {
  Roll(now_ns, queue_empty);
  return overloaded_;
}

}  // namespace overlay
