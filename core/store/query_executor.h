// Copyright 2026 The overlay Authors.
//
// ExecuteFilter: runs a Filter over a Table and returns the matching row
// indices in row order (see table.h), truncated to the filter's limit.
// Site-level conditions (bbox, keys, prefix) are evaluated once per site into
// a mask; row conditions run as branchless column loops. No I/O, no locks:
// safe from any thread on a built Table.

#ifndef OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_
#define OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/store/filter.h"
#include "core/store/table.h"

namespace overlay {

// REQUIRES nothing: validates the filter first (INVALID_ARGUMENT on error).
absl::StatusOr<std::vector<uint32_t>> ExecuteFilter(const Table& table,
                                                    const Filter& filter);

// Scans rows [begin, end) only and appends their matches to `rows`, until
// `rows` holds filter.limit entries (0: no limit). Lets a caller scan a
// first slice inline and hand the rest to a worker. REQUIRES begin <= end.
[[nodiscard]] absl::Status ExecuteFilterRange(const Table& table,
                                              const Filter& filter,
                                              size_t begin, size_t end,
                                              std::vector<uint32_t>* rows);

// True if `rows` is complete for `filter` (its limit is reached).
inline bool LimitReached(const Filter& filter,
                         const std::vector<uint32_t>& rows) {
  return filter.limit > 0 && static_cast<int64_t>(rows.size()) >= filter.limit;
}

// Only counts the matches (limit applied); no result vector.
absl::StatusOr<int64_t> CountMatches(const Table& table, const Filter& filter);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_
