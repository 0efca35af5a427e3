// Copyright 2026 The overlay Authors.
//
// Every filter against the brute-force reference (RecordMatches over every
// row) on a generated data set, plus the edge cases by hand.

#include "core/store/query_executor.h"

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

class GeneratedTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(
        absl::StrCat(::testing::TempDir(), "/executor-test-", getpid()));
    GeneratorOptions options;
    options.root = *root_;
    options.seed = 5;
    options.sites = 150;
    options.scale = 0.2;
    options.first_day = "2020-08-28";
    options.last_day = "2020-09-06";
    ASSERT_OK(GenerateDataset(options).status());
    LoadOptions load;
    load.root = *root_;
    ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(load));
    table_ = new Table(std::move(loaded.table));
    records_ = new std::vector<Record>();
    for (size_t i = 0; i < table_->num_rows(); ++i) {
      records_->push_back(table_->GetRecord(i));
    }
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*root_);
    delete table_;
    delete records_;
    delete root_;
  }

  static std::vector<uint32_t> Reference(const Filter& filter) {
    std::vector<uint32_t> rows;
    for (size_t i = 0; i < records_->size(); ++i) {
      if (filter.limit > 0 && static_cast<int64_t>(rows.size()) >= filter.limit) {
        break;
      }
      if (RecordMatches(filter, (*records_)[i])) {
        rows.push_back(static_cast<uint32_t>(i));
      }
    }
    return rows;
  }

  static std::string* root_;
  static Table* table_;
  static std::vector<Record>* records_;
};

std::string* GeneratedTable::root_ = nullptr;
Table* GeneratedTable::table_ = nullptr;
std::vector<Record>* GeneratedTable::records_ = nullptr;

TEST_F(GeneratedTable, GeneratedDataHasEveryQuirk) {
  ASSERT_GT(table_->num_rows(), 3000u);
  int missing = 0, commas = 0;
  for (const Record& r : *records_) {
    missing += !r.concentration.has_value();
    commas += r.site_name.find(',') != std::string::npos;
  }
  EXPECT_GT(missing, 0);
  EXPECT_GT(commas, 0);
}

TEST_F(GeneratedTable, RandomFiltersMatchBruteForce) {
  std::mt19937_64 rng(42);
  auto uniform = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };
  const auto& sites = table_->sites();
  int nonempty = 0;
  for (int q = 0; q < 400; ++q) {
    Filter f;
    if (chance(0.6)) {
      for (int p = 0; p < kNumKnownParameters; ++p) {
        if (chance(0.35)) f.parameters.push_back(static_cast<Parameter>(p));
      }
    }
    if (chance(0.5)) f.min_concentration = uniform(-10, 60);
    if (chance(0.5)) {
      f.max_concentration = f.min_concentration.value_or(0) + uniform(0, 80);
    }
    if (chance(0.25)) f.min_aqi = static_cast<int>(uniform(-5, 120));
    if (chance(0.25)) f.max_aqi = f.min_aqi.value_or(0) + static_cast<int>(uniform(0, 150));
    if (chance(0.2)) {
      for (int c = 1; c <= 6; ++c) {
        if (chance(0.4)) f.categories.push_back(c);
      }
    }
    if (chance(0.3)) {
      const int64_t first = DaysFromCivil(2020, 8, 28) * 86400;
      f.from_utc = first + static_cast<int64_t>(uniform(0, 10 * 86400));
      if (chance(0.7)) f.to_utc = *f.from_utc + static_cast<int64_t>(uniform(0, 3 * 86400));
    }
    if (chance(0.2)) {
      const double lat = uniform(25, 45), lon = uniform(-124, -75);
      f.bbox = BoundingBox{lat, lon, lat + uniform(0, 15), lon + uniform(0, 30)};
    }
    if (chance(0.2)) {
      for (int k = 0; k < 3; ++k) {
        const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
        f.site_keys.push_back(chance(0.5) ? s.aqs_id : s.full_aqs_id);
      }
    }
    if (chance(0.2)) {
      const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
      const std::string& text = chance(0.5) ? s.site_name : s.aqs_id;
      f.prefix = text.substr(0, 1 + static_cast<size_t>(uniform(0, 5)));
    }
    if (chance(0.3)) f.limit = 1 + static_cast<int64_t>(uniform(0, 2000));
    std::vector<uint32_t> expected = Reference(f);
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows, ExecuteFilter(*table_, f));
    ASSERT_EQ(rows, expected) << "query " << q;
    ASSERT_OK_AND_ASSIGN(int64_t count, CountMatches(*table_, f));
    ASSERT_EQ(count, static_cast<int64_t>(expected.size()));
    // Split scans give the same rows.
    const size_t cut = static_cast<size_t>(uniform(0, table_->num_rows()));
    std::vector<uint32_t> split;
    ASSERT_OK(ExecuteFilterRange(*table_, f, 0, cut, &split));
    if (!LimitReached(f, split)) {
      ASSERT_OK(ExecuteFilterRange(*table_, f, cut, table_->num_rows(), &split));
    }
    ASSERT_EQ(split, expected) << "query " << q << " cut " << cut;
    nonempty += !expected.empty();
  }
  EXPECT_GT(nonempty, 150);
}

TEST_F(GeneratedTable, MissingValuesNeverSatisfyRanges) {
  Filter f;
  f.min_concentration = -1e300;
  ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows, ExecuteFilter(*table_, f));
  for (uint32_t row : rows) {
    EXPECT_FALSE(std::isnan(table_->concentration()[row]));
  }
  Filter aqi;
  aqi.max_aqi = 1000000;
  ASSERT_OK_AND_ASSIGN(rows, ExecuteFilter(*table_, aqi));
  for (uint32_t row : rows) EXPECT_NE(table_->aqi()[row], kMissingAqi);
  Filter everything;
  ASSERT_OK_AND_ASSIGN(rows, ExecuteFilter(*table_, everything));
  EXPECT_EQ(rows.size(), table_->num_rows());  // get_all keeps missing ones
}

TEST(ValidateFilterTest, RejectsNonsenseClearly) {
  Filter f;
  f.min_concentration = 35;
  f.max_concentration = 5;
  EXPECT_THAT(ValidateFilter(f).message(), HasSubstr("greater than max"));
  f = Filter();
  f.limit = -1;
  EXPECT_THAT(ValidateFilter(f).message(), HasSubstr("limit"));
  f = Filter();
  f.categories = {7};
  EXPECT_THAT(ValidateFilter(f).message(), HasSubstr("category"));
  f = Filter();
  f.min_concentration = std::nan("");
  EXPECT_FALSE(ValidateFilter(f).ok());
  f = Filter();
  f.bbox = BoundingBox{40, -120, 30, -110};
  EXPECT_THAT(ValidateFilter(f).message(), HasSubstr("inverted"));
  f = Filter();
  f.from_utc = 100;
  f.to_utc = 50;
  EXPECT_THAT(ValidateFilter(f).message(), HasSubstr("time range"));
  Table empty;
  f = Filter();
  f.min_aqi = 10;
  f.max_aqi = 5;
  EXPECT_EQ(ExecuteFilter(empty, f).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace overlay
