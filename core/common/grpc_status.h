// Copyright 2026 The overlay Authors.
//
// The only conversion point between absl::Status and grpc::Status. The codes
// are numerically identical (both follow google.rpc.Code), so each direction
// is a cast plus the message. Stateless; thread-safe.

#ifndef OVERLAY_CORE_COMMON_GRPC_STATUS_H_
#define OVERLAY_CORE_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace overlay {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace overlay

#endif  // OVERLAY_CORE_COMMON_GRPC_STATUS_H_
