// Copyright 2026 The overlay Authors.
//
// Loads the whole real 2020 fire-season data set when it is present
// ($OVERLAY_DATA, else ../shared/data/2020-fire/data beside the repo) and
// checks its known counts. Skips, saying where it looked, otherwise.

#include <sys/stat.h>

#include <cstdlib>

#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

std::string RealDataRoot() {
  const char* env = std::getenv("OVERLAY_DATA");
  if (env != nullptr && *env != '\0') return env;
  return "../shared/data/2020-fire/data";  // tests run in the repo root
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
  const double bytes_per_row =
      static_cast<double>(loaded.table.MemoryBytes()) / loaded.table.num_rows();
  EXPECT_LT(bytes_per_row, 40);
  std::printf("real data: %.1f bytes of columns and dictionaries per row\n",
              bytes_per_row);
}

}  // namespace
}  // namespace overlay
