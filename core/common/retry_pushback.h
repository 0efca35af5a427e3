// Copyright 2026 The overlay Authors.
//
// The retry hint a server sends with a refusal (gRFC A6's trailing
// metadata, in milliseconds): nodes send it with admission rejections; the
// peer client, the clients and the bench read it back through here.
// Stateless; thread-safe.

#ifndef OVERLAY_CORE_COMMON_RETRY_PUSHBACK_H_
#define OVERLAY_CORE_COMMON_RETRY_PUSHBACK_H_

#include <grpcpp/client_context.h>

#include <cstdint>
#include <optional>

namespace overlay {

inline constexpr char kRetryPushbackKey[] = "grpc-retry-pushback-ms";

// The hint (ms >= 0) in the trailing metadata of a finished call; nullopt
// when there is none, or it is not a non-negative integer.
std::optional<int64_t> RetryPushbackMs(const grpc::ClientContext& context);

}  // namespace overlay

#endif  // OVERLAY_CORE_COMMON_RETRY_PUSHBACK_H_
