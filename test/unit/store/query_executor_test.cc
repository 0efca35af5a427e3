// Copyright 2026 The overlay Authors.
//
// Every filter against the brute-force reference (RecordMatches over every
// row) on a generated data set, plus the edge cases by hand.

#include "core/store/query_executor.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

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
    // Rows the generator never writes: unknown parameters, categories and
    // AQIs out of the usual range, an empty unit, missing values.
    std::ofstream extra(*root_ + "/20200830/20200830-00.csv");
    ASSERT_TRUE(extra.good());
    for (int i = 0; i < 40; ++i) {
      extra << "\"" << 30 + i % 7 << ".25\",\"" << -100 - i % 5
            << ".5\",\"2020-08-30T00:00\",\""
            << (i % 3 == 0   ? "BC"
                : i % 3 == 1 ? "pm2.5"
                             : "NH3")
            << "\",\"" << (i % 4 == 0 ? "-999" : std::to_string(i - 5))
            << "\",\"" << (i % 5 == 0 ? "" : "UG/M3") << "\",\"" << i << "\",\""
            << (i % 6 == 0 ? "" : std::to_string(i * 9 - 40)) << "\",\""
            << (i % 8) << "\",\"Extra, site " << i % 7 << "\",\"Agency\",\"X"
            << i % 7 << "\",\"840X" << i % 7 << "\"\n";
    }
    extra.close();
    ASSERT_TRUE(extra.good());
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
      if (filter.limit > 0 &&
          static_cast<int64_t>(rows.size()) >= filter.limit) {
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
    if (chance(0.25))
      f.max_aqi = f.min_aqi.value_or(0) + static_cast<int>(uniform(0, 150));
    if (chance(0.2)) {
      for (int c = 1; c <= 6; ++c) {
        if (chance(0.4)) f.categories.push_back(c);
      }
    }
    if (chance(0.3)) {
      const int64_t first = DaysFromCivil(2020, 8, 28) * 86400;
      const int64_t from = first + static_cast<int64_t>(uniform(0, 10 * 86400));
      if (chance(0.8)) f.from_utc = from;
      if (chance(0.7))
        f.to_utc = from + static_cast<int64_t>(uniform(0, 3 * 86400));
    }
    if (chance(0.2)) {
      const double lat = uniform(25, 45), lon = uniform(-124, -75);
      f.bbox =
          BoundingBox{lat, lon, lat + uniform(0, 15), lon + uniform(0, 30)};
    }
    if (chance(0.2)) {
      for (int k = 0; k < 3; ++k) {
        const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
        f.site_keys.push_back(chance(0.5) ? s.aqs_id : s.full_aqs_id);
      }
      if (chance(0.2)) f.site_keys.push_back("no such site");
    }
    if (chance(0.2)) {
      const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
      const double which = uniform(0, 1);
      const std::string& text = which < 0.4   ? s.site_name
                                : which < 0.7 ? s.aqs_id
                                              : s.full_aqs_id;
      f.prefix = chance(0.1)
                     ? std::string()
                     : text.substr(0, static_cast<size_t>(uniform(1, 7)));
    }
    if (chance(0.3)) f.limit = 1 + static_cast<int64_t>(uniform(0, 6000));
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
      ASSERT_OK(
          ExecuteFilterRange(*table_, f, cut, table_->num_rows(), &split));
    }
    ASSERT_EQ(split, expected) << "query " << q << " cut " << cut;
    nonempty += !expected.empty();
  }
  EXPECT_GT(nonempty, 150);
}

TEST_F(GeneratedTable, UnknownParametersAreKeptButNeverSelected) {
  int64_t unknown = 0;
  for (const Record& r : *records_) {
    unknown += !ParseParameter(r.parameter).has_value();
  }
  ASSERT_GT(unknown, 0);
  ASSERT_OK_AND_ASSIGN(int64_t all, CountMatches(*table_, Filter()));
  EXPECT_EQ(all, static_cast<int64_t>(table_->num_rows()));
  Filter known;
  for (int p = 0; p < kNumKnownParameters; ++p) {
    known.parameters.push_back(static_cast<Parameter>(p));
  }
  ASSERT_OK_AND_ASSIGN(int64_t selected, CountMatches(*table_, known));
  EXPECT_EQ(selected, all - unknown);
}

// Every single condition on its own, at bounds taken from the data, so each
// specialised scan loop meets the reference once at least.
TEST_F(GeneratedTable, EachConditionAloneMatchesBruteForce) {
  const Record& some = (*records_)[records_->size() / 2];
  std::vector<Filter> filters(10);
  filters[0].parameters = {Parameter::kPm25, Parameter::kCo};
  filters[1].min_concentration = some.concentration.value_or(5);
  filters[2].max_concentration = some.concentration.value_or(5);
  filters[3].min_aqi = some.aqi.value_or(50);
  filters[3].max_aqi = some.aqi.value_or(50);
  filters[4].categories = {1, 6};
  filters[5].from_utc = some.utc;
  filters[5].to_utc = some.utc;
  filters[6].bbox =
      BoundingBox{some.latitude, some.longitude, some.latitude, some.longitude};
  filters[7].site_keys = {some.full_aqs_id};
  filters[8].prefix = some.site_name;
  filters[9].limit = 1;
  for (size_t i = 0; i < filters.size(); ++i) {
    std::vector<uint32_t> expected = Reference(filters[i]);
    EXPECT_FALSE(expected.empty()) << "filter " << i;
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows,
                         ExecuteFilter(*table_, filters[i]));
    EXPECT_EQ(rows, expected) << "filter " << i;
  }
}

// Limits and split scans across the executor's blocks of rows.
TEST(ExecutorLimitTest, StopsAtTheLimitAcrossBlocks) {
  TableBuilder builder;
  Record r;
  r.latitude = 40;
  r.longitude = -120;
  r.site_name = "S";
  r.agency = "A";
  r.aqs_id = "1";
  r.full_aqs_id = "841";
  r.parameter = "OZONE";
  r.unit = "PPB";
  constexpr int kRows = 20000;
  for (int i = 0; i < kRows; ++i) {
    r.utc = i;
    r.concentration = i % 3 == 0 ? std::optional<double>(i) : std::nullopt;
    builder.AddRecord(r);
  }
  const Table table = builder.Build();
  Filter f;
  f.min_concentration = 0;
  for (int64_t limit : {1, 4095, 4096, 4097, 5000, 6667, 6668, 100000}) {
    f.limit = limit;
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows, ExecuteFilter(table, f));
    const size_t expected = std::min<int64_t>(limit, 6667);
    ASSERT_EQ(rows.size(), expected) << limit;
    for (size_t k = 0; k < rows.size(); ++k) ASSERT_EQ(rows[k], 3 * k);
    ASSERT_OK_AND_ASSIGN(int64_t count, CountMatches(table, f));
    EXPECT_EQ(count, static_cast<int64_t>(expected));
    // A first slice, then the rest, as a caller handing off to a worker.
    std::vector<uint32_t> split;
    ASSERT_OK(ExecuteFilterRange(table, f, 0, 5001, &split));
    ASSERT_OK(ExecuteFilterRange(table, f, 5001, kRows + 10, &split));
    EXPECT_EQ(split, rows) << limit;
  }
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
