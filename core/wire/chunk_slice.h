// Copyright 2026 The overlay Authors.
//
// Cutting and joining serialized RecordChunks without going through
// Records: SliceChunk keeps records [offset, offset + count) (used when a
// share's inline records are cut by a query's limit); ConcatChunks joins
// chunks of several owners into one (a small result travels as one chunk).
// Stateless; thread-safe.

#ifndef OVERLAY_CORE_WIRE_CHUNK_SLICE_H_
#define OVERLAY_CORE_WIRE_CHUNK_SLICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace overlay {

// INVALID_ARGUMENT if the bytes are no RecordChunk or the range is not in it.
// The dictionaries are kept whole, so every index stays valid.
absl::StatusOr<std::string> SliceChunk(const std::string& records,
                                       int64_t offset, int64_t count);

// The records of `parts` in order, as one chunk: site lists are appended
// and the parameter and unit dictionaries merged (each part's indexes
// remapped). INVALID_ARGUMENT if a part is no RecordChunk or is corrupt.
absl::StatusOr<std::string> ConcatChunks(const std::vector<std::string>& parts);

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_CHUNK_SLICE_H_
