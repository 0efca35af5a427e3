// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_slice.h"

#include "absl/strings/str_cat.h"
#include "protos/overlay.pb.h"

namespace overlay {
namespace {

// Keeps [offset, offset + count) of a column of `size` entries.
template <typename Field>
bool Keep(Field* field, int64_t size, int offset, int count) {
  if (field->size() != size) return false;
  field->erase(field->begin() + offset + count, field->end());
  field->erase(field->begin(), field->begin() + offset);
  return true;
}

}  // namespace

absl::StatusOr<std::string> SliceChunk(const std::string& records,
                                       int64_t offset, int64_t count) {
  v1::RecordChunk chunk;
  if (!chunk.ParseFromString(records)) {
    return absl::InvalidArgumentError("not a serialized RecordChunk");
  }
  const int64_t size = chunk.utc_seconds_size();
  if (offset < 0 || count < 0 || offset > size || count > size - offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "records [", offset, ", +", count, ") are not in a chunk of ", size));
  }
  const int o = static_cast<int>(offset);
  const int n = static_cast<int>(count);
  const bool ok = Keep(chunk.mutable_site(), size, o, n) &&
                  Keep(chunk.mutable_utc_seconds(), size, o, n) &&
                  Keep(chunk.mutable_parameter(), size, o, n) &&
                  Keep(chunk.mutable_concentration(), size, o, n) &&
                  Keep(chunk.mutable_unit(), size, o, n) &&
                  Keep(chunk.mutable_raw_concentration(), size, o, n) &&
                  Keep(chunk.mutable_aqi(), size, o, n) &&
                  Keep(chunk.mutable_category(), size, o, n) &&
                  Keep(chunk.mutable_missing(), size, o, n);
  if (!ok) {
    return absl::InvalidArgumentError("chunk columns differ in length");
  }
  return chunk.SerializeAsString();
}

}  // namespace overlay
