// Copyright 2026 The overlay Authors.
//
// Table: the column-oriented, immutable store of AirNow rows held by a node.
// Owns one vector per column plus three dictionaries (sites, parameter names,
// units). A "site" is the distinct tuple (latitude, longitude, site name,
// agency, AQS id, full AQS id); rows hold a 32-bit site index, so the six
// per-site columns cost 4 bytes a row. Missing doubles are NaN, missing AQI
// is kMissingAqi and missing category is kMissingCategory: no filter range
// can match them.
//
// Row order: rows appear in the order of their files sorted by day then hour
// (the YYYYMMDD-HH name), and within a file in line order. This order is the
// order of every query result.
//
// Also owns its TableIndex (table_index.h): the time, parameter and site
// access paths, built with the table and counted in MemoryBytes().
//
// Built once by TableBuilder (thread-compatible), then read-only: every const
// method is safe from any thread concurrently.

#ifndef OVERLAY_CORE_STORE_TABLE_H_
#define OVERLAY_CORE_STORE_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/store/record.h"
#include "core/store/table_index.h"

namespace overlay {

inline constexpr int16_t kMissingAqi = std::numeric_limits<int16_t>::min();
inline constexpr int8_t kMissingCategory = std::numeric_limits<int8_t>::min();

struct Site {
  double latitude = 0;
  double longitude = 0;
  std::string site_name;
  std::string agency;
  std::string aqs_id;
  std::string full_aqs_id;
};

class Table {
 public:
  Table();  // empty table
  Table(Table&&) = default;
  Table& operator=(Table&&) = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  size_t num_rows() const { return utc_.size(); }

  absl::Span<const uint32_t> site_index() const { return site_index_; }
  absl::Span<const int64_t> utc() const { return utc_; }
  absl::Span<const uint8_t> parameter() const { return parameter_; }
  absl::Span<const double> concentration() const { return concentration_; }
  absl::Span<const double> raw_concentration() const {
    return raw_concentration_;
  }
  absl::Span<const int16_t> aqi() const { return aqi_; }
  absl::Span<const int8_t> category() const { return category_; }
  absl::Span<const uint8_t> unit() const { return unit_; }

  const std::vector<Site>& sites() const { return sites_; }
  // Index = parameter code; the first kNumKnownParameters are the known ones.
  const std::vector<std::string>& parameter_names() const {
    return parameter_names_;
  }
  const std::vector<std::string>& unit_names() const { return unit_names_; }

  // The row as a typed record. REQUIRES: row < num_rows().
  Record GetRecord(size_t row) const;

  // The access paths over these rows (the executor's business).
  const TableIndex& index() const { return index_; }

  // Bytes held by columns, dictionaries and the index (capacity, not size).
  size_t MemoryBytes() const;

 private:
  friend class TableBuilder;

  std::vector<uint32_t> site_index_;
  std::vector<int64_t> utc_;
  std::vector<uint8_t> parameter_;
  std::vector<double> concentration_;
  std::vector<double> raw_concentration_;
  std::vector<int16_t> aqi_;
  std::vector<int8_t> category_;
  std::vector<uint8_t> unit_;
  std::vector<Site> sites_;
  std::vector<std::string> parameter_names_;
  std::vector<std::string> unit_names_;
  TableIndex index_;  // built last, from everything above
};

// Appends rows and dictionary entries, then Build()s an immutable Table.
// Thread-compatible: one builder per thread; Append(TableBuilder&&) merges
// per-thread builders in order, remapping dictionary codes.
class TableBuilder {
 public:
  TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  TableBuilder(TableBuilder&&) = default;
  TableBuilder& operator=(TableBuilder&&) = default;

  void Reserve(size_t rows);
  // Adds one row; missing optionals are stored as the column's missing value.
  void AddRecord(const Record& record);
  // Dictionary-coded fast path used by the loader.
  uint32_t InternSite(const Site& site);
  uint8_t InternParameter(std::string_view name);
  uint8_t InternUnit(std::string_view name);
  void AddRow(uint32_t site, int64_t utc, uint8_t parameter,
              double concentration, uint8_t unit, double raw_concentration,
              int16_t aqi, int8_t category);
  // Moves every row of `other` to the end of this builder.
  void Append(TableBuilder&& other);

  size_t num_rows() const { return table_.num_rows(); }
  // Shrinks every column to fit, builds the table's index and returns the
  // table. The builder is empty afterwards.
  Table Build();

 private:
  struct SiteKeyHash;
  Table table_;
  absl::flat_hash_map<std::string, uint32_t> site_lookup_;  // encoded tuple
  absl::flat_hash_map<std::string, uint8_t> parameter_lookup_;
  absl::flat_hash_map<std::string, uint8_t> unit_lookup_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_TABLE_H_
