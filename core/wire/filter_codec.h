// Copyright 2026 The overlay Authors.
//
// Converts between the store's Filter and the wire's overlay.v1.Filter.
// Stateless; thread-safe.

#ifndef OVERLAY_CORE_WIRE_FILTER_CODEC_H_
#define OVERLAY_CORE_WIRE_FILTER_CODEC_H_

#include "absl/status/statusor.h"
#include "core/store/filter.h"
#include "protos/overlay.pb.h"

namespace overlay {

// INVALID_ARGUMENT for a negative limit, anything over the limits of
// wire::ValidateFilterLimits (request_limits.h: site keys, prefix, unknown
// parameter enum values, times outside years 0000..9999) or any problem
// ValidateFilter finds. `limit` goes into Filter::limit.
absl::StatusOr<Filter> FilterFromProto(const v1::Filter& proto, int64_t limit);
v1::Filter FilterToProto(const Filter& filter);

v1::Parameter ParameterToProto(Parameter parameter);

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_FILTER_CODEC_H_
