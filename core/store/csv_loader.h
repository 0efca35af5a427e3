// Copyright 2026 The overlay Authors.
//
// Loads an AirNow data root laid out as YYYYMMDD/YYYYMMDD-HH.csv into a
// Table, optionally restricted to a day range or a list of days (a node's
// data share). Files are read and parsed in parallel on a few threads it
// owns for the duration of the call; the result is in row order (table.h).
//
// Every field is quoted; quoted fields may contain commas and doubled quotes;
// lines end in LF or CRLF. A row that is not exactly 13 well-formed fields is
// malformed: it is skipped and counted; the first few in row order (whatever
// the threads) are kept in LoadStats::errors with file and line, and at most
// as many are logged with LOG(WARNING). A missing or unreadable root is an
// error (NOT_FOUND, PERMISSION_DENIED); so is any *.csv in a day folder that
// cannot be read (it would silently lose rows). A row whose UTC time is not
// on its day folder's day is malformed too: a share holds whole days, and
// queries skip a share whose days their time window misses. Names in the root that are
// not YYYYMMDD folders (README, notes/) are ignored.
// Thread-safe (no shared state).

#ifndef OVERLAY_CORE_STORE_CSV_LOADER_H_
#define OVERLAY_CORE_STORE_CSV_LOADER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/store/table.h"

namespace overlay {

struct LoadOptions {
  std::string root;                    // directory holding YYYYMMDD folders
  std::optional<int64_t> first_day;    // days since epoch, inclusive
  std::optional<int64_t> last_day;     // days since epoch, inclusive
  std::vector<int64_t> days;           // if non-empty, only these days
  int threads = 0;                     // 0: hardware concurrency
  int max_reported_errors = 10;        // malformed rows kept in `errors`
};

struct LoadStats {
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t rows = 0;                    // rows stored
  int64_t malformed_rows = 0;          // rows skipped
  int64_t missing_concentrations = 0;
  std::vector<std::string> errors;     // "DIR/F.csv:17: expected 13 fields, got 12"
  // The data generation: a fingerprint (never 0) of the files loaded, their
  // names below the root, sizes and modification times (ns). A file added,
  // removed, rewritten or touched changes it; the same files give the same
  // value in every process. Caches key results by it (nodes/node_cache.h).
  uint64_t generation = 0;
};

struct LoadedTable {
  Table table;
  LoadStats stats;
};

absl::StatusOr<LoadedTable> LoadDataRoot(const LoadOptions& options);

// Parses one file's bytes (for fixtures and tests); appends to `builder` and
// `stats`. `file_name` is used in error messages only.
void ParseCsvBuffer(std::string_view buffer, std::string_view file_name,
                    TableBuilder& builder, LoadStats& stats,
                    int max_reported_errors);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_CSV_LOADER_H_
