// Copyright 2026 The overlay Authors.
//
// The executor: runs a Filter over a Table and yields the matching row
// indices in row order (see table.h), truncated to the filter's limit.
//
// A query is planned once (ScanCursor::Create): site conditions (keys,
// prefix, bbox) resolve to a set of sites through the table's index (hash
// lookups and sorted dictionaries, never a compare per key and site), a time
// window to row ranges (binary searches), and the plan takes the narrowest
// access path by estimated cost: the row ranges (every row, or the time
// window's), the row lists of the filter's parameters, or those of the
// matching sites (see AccessPath). The conditions the path does not settle
// run as branchless column loops, contiguous over ranges or gathering over
// candidate lists, which are merged back into row order.
//
// Thread-safety: free functions are safe from any thread on a built Table
// (immutable, shared). A ScanCursor is thread-compatible: one thread at a
// time, and it may move between threads (e.g. a first slice on the reactor,
// the rest on a worker) when the hand-off orders memory (a queue or mutex).
// No I/O, no locks.
//
//   ASSIGN_OR_RETURN(ScanCursor cursor, ScanCursor::Create(table, filter));
//   while (!cursor.Next(/*max_rows_touched=*/65536, &rows)) {
//     if (cancelled) break;  // bounded work between checks
//   }

#ifndef OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_
#define OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/store/filter.h"
#include "core/store/table.h"

namespace overlay {

// How a plan finds its candidate rows.
enum class AccessPath : uint8_t {
  kNone,           // nothing can match (no site, an empty window, limit
                   // already reached...): touches no row
  kRowRanges,      // contiguous ranges: all rows, or a time window's
  kParameterRows,  // the row lists of the filter's parameters
  kSiteRows,       // the row lists of the matching sites
};

// "none", "row_ranges", "parameter_rows", "site_rows".
std::string_view AccessPathName(AccessPath path);

// A planned query and its progress: yields the matches in row order, in
// slices of bounded work. Thread-compatible (see the file comment); it
// points into the Table, which must outlive it and not move. Movable; a
// moved-from cursor may only be assigned to or destroyed.
class ScanCursor final {
 public:
  // Plans `filter` over all rows of `table`. INVALID_ARGUMENT if the filter
  // is invalid (ValidateFilter). Costs about one hash lookup per site key
  // plus a few binary searches per matching site (well under 1 ms for
  // 10,000 keys); touches no row.
  static absl::StatusOr<ScanCursor> Create(const Table& table,
                                           const Filter& filter);
  // Same, over table rows [begin, end) only (clipped to the table; nothing
  // if begin >= end). `matches_before` is the number of matches the caller
  // already holds from rows before `begin`: the cursor stops after
  // filter.limit - matches_before more (the ExecuteFilterRange contract).
  static absl::StatusOr<ScanCursor> Create(const Table& table,
                                           const Filter& filter, size_t begin,
                                           size_t end,
                                           size_t matches_before = 0);

  ScanCursor(ScanCursor&&) noexcept;
  ScanCursor& operator=(ScanCursor&&) noexcept;
  ScanCursor(const ScanCursor&) = delete;
  ScanCursor& operator=(const ScanCursor&) = delete;
  ~ScanCursor();

  AccessPath path() const;
  // Rows the whole scan touches, limit aside: rows of the ranges for
  // kRowRanges, candidates of the lists otherwise. Exact: a cursor run to
  // the end without a limit has rows_touched() == estimated_rows().
  size_t estimated_rows() const;
  size_t rows_touched() const;
  // Matches yielded so far.
  size_t matches() const;
  // True once every candidate is seen or the limit is reached.
  bool done() const;

  // Touches at most `max_rows_touched` more rows (0 counts as 1), appending
  // their matches to `rows` in row order, and returns done(). Merging
  // several lists may look ahead a bounded window (at most 131,072 rows of
  // bookkeeping) beyond that budget.
  bool Next(size_t max_rows_touched, std::vector<uint32_t>* rows);
  // Runs to the end, counting the matches instead of storing them; returns
  // how many (within the limit). done() afterwards.
  size_t CountRest();

 private:
  struct Plan;
  explicit ScanCursor(std::unique_ptr<Plan> plan);

  std::unique_ptr<Plan> plan_;
};

// REQUIRES nothing: validates the filter first (INVALID_ARGUMENT on error).
absl::StatusOr<std::vector<uint32_t>> ExecuteFilter(const Table& table,
                                                    const Filter& filter);

// The matches within table rows [begin, end), in row order, appended to
// `rows` until `rows` holds filter.limit entries (0: no limit). Lets a
// caller scan a first slice inline and hand the rest to a worker; uses the
// same access paths, restricted to the range. REQUIRES begin <= end.
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

// The rows the planned access path for `filter` touches over the whole
// table (ScanCursor::estimated_rows), to size the work before starting it;
// 0 for an invalid filter (which every Execute* rejects). Costs a plan.
size_t EstimateScanRows(const Table& table, const Filter& filter);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_QUERY_EXECUTOR_H_
