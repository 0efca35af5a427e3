// Copyright 2026 The overlay Authors.
//
// Loads the whole real 2020 fire-season data set when it is present
// ($OVERLAY_DATA, else ../shared/data/2020-fire/data beside the repo) and
// checks its known counts, its index, and the benchmark workloads' answers
// against brute force. Skips, saying where it looked, otherwise.

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/store/csv_loader.h"
#include "core/store/filter.h"
#include "core/store/query_executor.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

std::string RealDataRoot() {
  const char* env = std::getenv("OVERLAY_DATA");
  if (env != nullptr && *env != '\0') return env;
  return std::string(OVERLAY_SOURCE_DIR) + "/../shared/data/2020-fire/data";
}

TEST(RealDataTest, LoadsAllRowsWithKnownCounts) {
  const std::string root = RealDataRoot();
  struct stat st;
  if (stat(root.c_str(), &st) != 0) {
    GTEST_SKIP() << "no real data set at " << root
                 << " (set OVERLAY_DATA=DIR to point at one)";
  }
  LoadOptions options;
  options.root = root;
  ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(options));
  EXPECT_EQ(loaded.stats.rows, 1167525);
  EXPECT_EQ(loaded.table.num_rows(), 1167525u);
  EXPECT_EQ(loaded.stats.files, 516);
  EXPECT_EQ(loaded.stats.malformed_rows, 0);
  EXPECT_EQ(loaded.stats.missing_concentrations, 8943);
  Filter pm25;
  pm25.parameters = {Parameter::kPm25};
  ASSERT_OK_AND_ASSIGN(int64_t pm25_rows, CountMatches(loaded.table, pm25));
  EXPECT_EQ(pm25_rows, 334402);
  pm25.min_concentration = 10;
  pm25.max_concentration = 50;
  ASSERT_OK_AND_ASSIGN(int64_t in_range, CountMatches(loaded.table, pm25));
  EXPECT_EQ(in_range, 116218);
  int64_t missing_aqi = 0, missing_category = 0;
  for (size_t i = 0; i < loaded.table.num_rows(); ++i) {
    missing_aqi += loaded.table.aqi()[i] == kMissingAqi;
    missing_category += loaded.table.category()[i] == kMissingCategory;
  }
  EXPECT_EQ(missing_aqi, 69005);
  EXPECT_EQ(missing_category, 69005);
  EXPECT_EQ(loaded.table.sites().size(), 1417u);

  // Every parameter's row count and unit, and categories only 1..6.
  const Table& t = loaded.table;
  ASSERT_EQ(t.parameter_names().size(), 6u) << "an unknown parameter name";
  constexpr struct {
    Parameter parameter;
    const char* unit;
    int64_t rows;
  } kExpected[] = {
      {Parameter::kOzone, "PPB", 478728},  {Parameter::kPm25, "UG/M3", 334402},
      {Parameter::kPm10, "UG/M3", 125784}, {Parameter::kNo2, "PPB", 97613},
      {Parameter::kSo2, "PPB", 71332},     {Parameter::kCo, "PPM", 59666}};
  for (const auto& expected : kExpected) {
    int64_t rows = 0, wrong_unit = 0;
    for (size_t i = 0; i < t.num_rows(); ++i) {
      if (t.parameter()[i] != static_cast<uint8_t>(expected.parameter)) {
        continue;
      }
      ++rows;
      wrong_unit += t.unit_names()[t.unit()[i]] != expected.unit;
    }
    EXPECT_EQ(rows, expected.rows) << ParameterName(expected.parameter);
    EXPECT_EQ(wrong_unit, 0) << ParameterName(expected.parameter);
  }
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const int8_t c = t.category()[i];
    ASSERT_TRUE(c == kMissingCategory || (c >= 1 && c <= 6)) << "row " << i;
  }
  // Rows in file order: the hours never go back.
  for (size_t i = 1; i < t.num_rows(); ++i) {
    ASSERT_LE(t.utc()[i - 1], t.utc()[i]) << "row " << i;
  }
  const double bytes_per_row =
      static_cast<double>(loaded.table.MemoryBytes()) / loaded.table.num_rows();
  EXPECT_LT(bytes_per_row, 40);
  std::printf(
      "real data: %.1f bytes of columns, dictionaries and index per row "
      "(index %.1f)\n",
      bytes_per_row,
      static_cast<double>(t.index().MemoryBytes()) / t.num_rows());
  std::fflush(stdout);

  // The index: time in one run (file order), every row in one site list and
  // one parameter list.
  EXPECT_TRUE(t.index().time_indexed());
  EXPECT_EQ(t.index().num_time_runs(), 1u);
  EXPECT_EQ(t.index().site_rows().num_rows(), t.num_rows());
  EXPECT_EQ(t.index().parameter_rows().num_rows(), t.num_rows());

  // The benchmark workloads' shapes against brute force (RecordMatches on
  // every row), with their access paths.
  const int64_t sept_13 = DaysFromCivil(2020, 9, 13) * 86400;
  struct Case {
    const char* name;
    Filter filter;
    AccessPath path;
  };
  std::vector<Case> cases(6);
  cases[0].name = "get_by_key 060371103";
  cases[0].filter.site_keys = {"060371103"};
  cases[0].path = AccessPath::kSiteRows;
  cases[1].name = "get_by_prefix Los Angeles";
  cases[1].filter.prefix = "Los Angeles";
  cases[1].path = AccessPath::kSiteRows;
  cases[2].name = "PM2.5 10..50 from 2020-09-13";
  cases[2].filter.parameters = {Parameter::kPm25};
  cases[2].filter.min_concentration = 10;
  cases[2].filter.max_concentration = 50;
  cases[2].filter.from_utc = sept_13;
  cases[2].path = AccessPath::kParameterRows;
  cases[3].name = "OZONE on 2020-09-01";
  cases[3].filter.parameters = {Parameter::kOzone};
  cases[3].filter.from_utc = DaysFromCivil(2020, 9, 1) * 86400;
  cases[3].filter.to_utc = *cases[3].filter.from_utc + 23 * 3600;
  cases[3].path = AccessPath::kParameterRows;
  cases[4].name = "PM10,NO2 on 2020-08-20 00..05 limit 2000";
  cases[4].filter.parameters = {Parameter::kPm10, Parameter::kNo2};
  cases[4].filter.from_utc = DaysFromCivil(2020, 8, 20) * 86400;
  cases[4].filter.to_utc = *cases[4].filter.from_utc + 5 * 3600;
  cases[4].filter.limit = 2000;
  cases[4].path = AccessPath::kParameterRows;
  cases[5].name = "get_by_prefix 8400601";
  cases[5].filter.prefix = "8400601";
  cases[5].path = AccessPath::kSiteRows;
  std::vector<std::vector<uint32_t>> expected(cases.size());
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const Record r = t.GetRecord(i);
    for (size_t c = 0; c < cases.size(); ++c) {
      const Filter& f = cases[c].filter;
      if (f.limit > 0 && static_cast<int64_t>(expected[c].size()) >= f.limit) {
        continue;
      }
      if (RecordMatches(f, r)) expected[c].push_back(static_cast<uint32_t>(i));
    }
  }
  EXPECT_EQ(expected[0].size(), 1958u);
  EXPECT_EQ(expected[1].size(), 1958u);
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(cases[c].name);
    EXPECT_FALSE(expected[c].empty());
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows,
                         ExecuteFilter(t, cases[c].filter));
    EXPECT_EQ(rows, expected[c]);
    ASSERT_OK_AND_ASSIGN(ScanCursor cursor,
                         ScanCursor::Create(t, cases[c].filter));
    EXPECT_EQ(cursor.path(), cases[c].path) << AccessPathName(cursor.path());
    EXPECT_LE(cursor.estimated_rows(), t.num_rows() / 10);
    std::printf("real data: %s: %zu rows, %s, %zu rows touched\n",
                cases[c].name, rows.size(),
                AccessPathName(cursor.path()).data(), cursor.estimated_rows());
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace overlay
