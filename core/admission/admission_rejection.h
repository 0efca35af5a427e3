// Copyright 2026 The overlay Authors.
//
// AdmissionRejection: why admission refused a request, as the caller must
// report it: a canonical code, a message and a retry hint. RESOURCE_EXHAUSTED
// means this client or team is over its own share or bound (others are
// served); UNAVAILABLE means the node as a whole is overloaded or going
// away; DEADLINE_EXCEEDED means the request could not finish in time. A
// value type; thread-compatible.
//
//   grpc::Status status = ToGrpcStatus(rejection.ToStatus());
//   if (rejection.retry_after_ms > 0) {
//     context.AddTrailingMetadata("grpc-retry-pushback-ms",
//                                 std::to_string(rejection.retry_after_ms));
//   }

#ifndef OVERLAY_CORE_ADMISSION_ADMISSION_REJECTION_H_
#define OVERLAY_CORE_ADMISSION_ADMISSION_REJECTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace overlay {

enum class RejectReason {
  // RESOURCE_EXHAUSTED: the client already has max_queue_per_client waiting.
  kClientQueueFull,
  // RESOURCE_EXHAUSTED: the queue is full and this client (or its team) is
  // the most over its share of it.
  kOverShare,
  // RESOURCE_EXHAUSTED: it was queued, then pushed out of the full queue by
  // a request of a class under its share.
  kDisplaced,
  // UNAVAILABLE: the queue is full with this class's work alone.
  kQueueFull,
  // UNAVAILABLE: CoDel: the node has a standing queue and this request
  // waited (or would wait) past the target.
  kOverloaded,
  // RESOURCE_EXHAUSTED: CoDel, per class: this client has a standing queue
  // of its own (others' requests do not wait) and this request waited (or
  // would wait) past the target.
  kClientOverloaded,
  // DEADLINE_EXCEEDED: its remaining deadline is shorter than the expected
  // service time.
  kDeadlineTooShort,
  // UNAVAILABLE: the controller is shut down.
  kShutdown,
};
inline constexpr int kNumRejectReasons = 8;

// "client_queue_full", "over_share", "displaced", "queue_full",
// "overloaded", "client_overloaded", "deadline_too_short", "shutdown".
std::string_view RejectReasonName(RejectReason reason);
absl::StatusCode RejectReasonCode(RejectReason reason);

struct AdmissionRejection {
  RejectReason reason = RejectReason::kOverloaded;
  std::string message;  // "admission: ..." with the numbers that decided it
  // When to try again at this node; 0: no hint (do not retry here).
  int64_t retry_after_ms = 0;

  absl::StatusCode code() const { return RejectReasonCode(reason); }
  absl::Status ToStatus() const { return absl::Status(code(), message); }
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_ADMISSION_REJECTION_H_
