// Copyright 2026 The overlay Authors.
//
// Filter: what a query asks of the store, as plain typed values. Every range
// is inclusive at both ends; an unset bound is open. A missing value never
// satisfies a range or set condition on its column. All conditions AND.
// Value type; thread-compatible.

#ifndef OVERLAY_CORE_STORE_FILTER_H_
#define OVERLAY_CORE_STORE_FILTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/store/record.h"

namespace overlay {

struct BoundingBox {
  double min_latitude = -90;
  double min_longitude = -180;
  double max_latitude = 90;
  double max_longitude = 180;
};

struct Filter {
  // Known parameters to keep; empty keeps every parameter (also unknown ones).
  std::vector<Parameter> parameters;
  std::optional<double> min_concentration;
  std::optional<double> max_concentration;
  std::optional<int> min_aqi;
  std::optional<int> max_aqi;
  // AirNow categories (1..6) to keep; empty keeps all (also missing).
  std::vector<int> categories;
  std::optional<UnixSeconds> from_utc;  // inclusive
  std::optional<UnixSeconds> to_utc;    // inclusive
  std::optional<BoundingBox> bbox;
  // get_by_key: rows whose AQS id or full AQS id equals one of these.
  std::vector<std::string> site_keys;
  // get_by_prefix: rows whose AQS id, full AQS id or site name starts with
  // this (case-sensitive). Empty matches every row.
  std::optional<std::string> prefix;
  // Keep at most this many rows (the first in row order); 0 means no limit.
  int64_t limit = 0;
};

// INVALID_ARGUMENT with a clear message for: min > max on any range, a
// negative limit, a category outside 1..6, NaN bounds, an inverted or
// out-of-range bounding box, from > to.
[[nodiscard]] absl::Status ValidateFilter(const Filter& filter);

// The brute-force reference: does `record` pass `filter` (limit ignored)?
// Used by tests to check the columnar executor; slow by design.
bool RecordMatches(const Filter& filter, const Record& record);

// The site-level part of a filter (bbox, keys, prefix): the executor
// evaluates it once per site.
bool SiteMatches(const Filter& filter, double latitude, double longitude,
                 const std::string& site_name, const std::string& aqs_id,
                 const std::string& full_aqs_id);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_FILTER_H_
