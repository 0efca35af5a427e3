// Copyright 2026 The overlay Authors.
//
// TableIndex: the access paths of one Table, built once with it (by
// TableBuilder::Build, so in the load time) and counted in its
// MemoryBytes(); about 4.3 bytes a row on the real data:
//  - time: the rows as at most kMaxTimeRuns runs of non-decreasing UTC (one
//    run in the loader's file order), so a time window is a binary search a
//    run; with more runs (a hostile file order) time is not indexed and
//    queries test it row by row;
//  - parameter: each parameter code's rows (RowLists);
//  - site: each site's rows (RowLists), AQS id and full AQS id to sites (a
//    hash map), and the sites sorted by AQS id, full AQS id and site name
//    for prefix lookups.
// Owned by its Table. Immutable after Build: every const method is safe
// from any thread concurrently. Methods that read columns take the Table;
// REQUIRES for them: it is the table this index was built from.

#ifndef OVERLAY_CORE_STORE_TABLE_INDEX_H_
#define OVERLAY_CORE_STORE_TABLE_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/store/row_lists.h"

namespace overlay {

class Table;

// Rows [begin, end) of a table.
struct RowRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  size_t size() const { return end - begin; }
  friend bool operator==(const RowRange& a, const RowRange& b) {
    return a.begin == b.begin && a.end == b.end;
  }
};

class TableIndex final {
 public:
  // More runs of non-decreasing UTC than this and time is not indexed: a
  // window would cost a binary search in each.
  static constexpr size_t kMaxTimeRuns = 1024;

  TableIndex();  // the index of an empty table
  TableIndex(TableIndex&&) = default;
  TableIndex& operator=(TableIndex&&) = default;
  TableIndex(const TableIndex&) = delete;
  TableIndex& operator=(const TableIndex&) = delete;

  // Replaces the index by that of `table`'s columns and dictionaries.
  void Build(const Table& table);

  // True if time windows resolve to row ranges (TimeRanges).
  bool time_indexed() const { return time_indexed_; }
  // Runs of non-decreasing UTC; 0 if not indexed or empty.
  size_t num_time_runs() const { return time_runs_.size(); }
  // Appends, in row order, the ranges that hold exactly the rows of
  // [begin, end) whose UTC is in [from_utc, to_utc]. REQUIRES:
  // time_indexed(), begin <= end <= table.num_rows().
  void TimeRanges(const Table& table, int64_t from_utc, int64_t to_utc,
                  size_t begin, size_t end, std::vector<RowRange>* out) const;

  // Rows by parameter code (one list per entry of parameter_names()).
  const RowLists& parameter_rows() const { return parameter_rows_; }
  // Rows by site index (one list per site).
  const RowLists& site_rows() const { return site_rows_; }

  // The sites whose AQS id or full AQS id equals `key`, ascending; empty if
  // none. One hash lookup.
  absl::Span<const uint32_t> SitesWithKey(std::string_view key) const;
  // Appends the sites whose AQS id, full AQS id or site name starts with
  // `prefix` (case-sensitive, as SiteMatches), ascending and each once:
  // binary searches in three sorted dictionaries, then the answer.
  void SitesWithPrefix(const Table& table, std::string_view prefix,
                       std::vector<uint32_t>* out) const;

  // Bytes held (capacity).
  size_t MemoryBytes() const;

 private:
  enum Field { kAqsId = 0, kFullAqsId = 1, kSiteName = 2, kNumFields = 3 };

  bool time_indexed_ = true;
  std::vector<uint32_t> time_runs_;  // first row of each run
  RowLists parameter_rows_;
  RowLists site_rows_;
  // AQS id or full AQS id -> [begin, end) of key_site_ids_.
  absl::flat_hash_map<std::string, std::pair<uint32_t, uint32_t>> key_sites_;
  std::vector<uint32_t> key_site_ids_;
  // Site indices sorted by each Field (then by index).
  std::array<std::vector<uint32_t>, kNumFields> sites_by_field_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_TABLE_INDEX_H_
