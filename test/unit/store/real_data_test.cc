// Copyright 2026 The overlay Authors.
//
// Loads the whole real 2020 fire-season data set when it is present
// ($OVERLAY_DATA, else ../shared/data/2020-fire/data beside the repo) and
// checks its known counts. Skips, saying where it looked, otherwise.

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/store/csv_loader.h"
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
  std::printf("real data: %.1f bytes of columns and dictionaries per row\n",
              bytes_per_row);
  std::fflush(stdout);
}

}  // namespace
}  // namespace overlay
