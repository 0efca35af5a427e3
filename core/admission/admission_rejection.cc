// Copyright 2026 The overlay Authors.

#include "core/admission/admission_rejection.h"

namespace overlay {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kClientQueueFull:
      return "client_queue_full";
    case RejectReason::kOverShare:
      return "over_share";
    case RejectReason::kDisplaced:
      return "displaced";
    case RejectReason::kQueueFull:
      return "queue_full";
    case RejectReason::kOverloaded:
      return "overloaded";
    case RejectReason::kClientOverloaded:
      return "client_overloaded";
    case RejectReason::kDeadlineTooShort:
      return "deadline_too_short";
    case RejectReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

absl::StatusCode RejectReasonCode(RejectReason reason) {
  switch (reason) {
    case RejectReason::kClientQueueFull:
    case RejectReason::kOverShare:
    case RejectReason::kDisplaced:
    case RejectReason::kClientOverloaded:
      return absl::StatusCode::kResourceExhausted;
    case RejectReason::kQueueFull:
    case RejectReason::kOverloaded:
    case RejectReason::kShutdown:
      return absl::StatusCode::kUnavailable;
    case RejectReason::kDeadlineTooShort:
      return absl::StatusCode::kDeadlineExceeded;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace overlay
