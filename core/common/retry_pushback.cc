// Copyright 2026 The overlay Authors.

#include "core/common/retry_pushback.h"

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace overlay {

std::optional<int64_t> RetryPushbackMs(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto it = trailers.find(kRetryPushbackKey);
  int64_t ms = 0;
  if (it == trailers.end() ||
      !absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()),
                        &ms) ||
      ms < 0) {
    return std::nullopt;
  }
  return ms;
}

}  // namespace overlay
