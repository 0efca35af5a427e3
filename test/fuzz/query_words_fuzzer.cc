// Copyright 2026 The overlay Authors.
//
// The query-words parser of overlay_client and overlay_bench
// (core/wire/query_words.h) over arbitrary words: the input is split into
// words at '\n'. Whatever it builds must go through the node's validation
// (request_limits.h, FilterFromProto) without crashing.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/wire/filter_codec.h"
#include "core/wire/query_words.h"
#include "core/wire/request_limits.h"
#include "glog/logging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> words = absl::StrSplit(text, '\n');
  absl::StatusOr<overlay::v1::QueryRequest> request =
      overlay::ParseQueryWords(words);
  if (!request.ok()) {
    CHECK(request.status().code() == absl::StatusCode::kInvalidArgument)
        << request.status();
    return 0;
  }
  if (overlay::wire::ValidateRequest(*request).ok()) {
    (void)overlay::FilterFromProto(request->filter(), request->limit());
  }
  return 0;
}
