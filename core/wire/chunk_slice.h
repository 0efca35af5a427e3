// Copyright 2026 The overlay Authors.
//
// SliceChunk: records [offset, offset + count) of a serialized RecordChunk,
// as a serialized RecordChunk (the dictionaries are kept whole, so every
// index stays valid). Used when a share's inline records are cut by a
// query's limit. Stateless; thread-safe.

#ifndef OVERLAY_CORE_WIRE_CHUNK_SLICE_H_
#define OVERLAY_CORE_WIRE_CHUNK_SLICE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace overlay {

// INVALID_ARGUMENT if the bytes are no RecordChunk or the range is not in it.
absl::StatusOr<std::string> SliceChunk(const std::string& records,
                                       int64_t offset, int64_t count);

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_CHUNK_SLICE_H_
