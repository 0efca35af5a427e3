// Copyright 2026 The overlay Authors.
//
// CanonicalFilterKey: equal for filters that mean the same (lists in any
// order and with repeats, an empty prefix, -0.0), different for filters
// that may select different rows (every field, and the look-alikes the
// store tells apart), and, on generated data, equal keys always select
// the same rows in the same order.

#include "core/store/canonical_filter.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

Filter Pm25Range() {
  Filter f;
  f.parameters = {Parameter::kPm25};
  f.min_concentration = 10;
  f.max_concentration = 50;
  return f;
}

TEST(CanonicalFilterKeyTest, ListsAreSetsInAnyOrderWithRepeats) {
  Filter a;
  a.parameters = {Parameter::kPm25, Parameter::kOzone, Parameter::kCo};
  a.categories = {3, 1, 2};
  a.site_keys = {"060371103", "840060371103", "060371103"};
  Filter b;
  b.parameters = {Parameter::kCo, Parameter::kPm25, Parameter::kOzone,
                  Parameter::kPm25};
  b.categories = {1, 2, 2, 3};
  b.site_keys = {"840060371103", "060371103"};
  EXPECT_EQ(CanonicalFilterKey(a), CanonicalFilterKey(b));
}

TEST(CanonicalFilterKeyTest, EmptyPrefixIsNoPrefixAndNegativeZeroIsZero) {
  Filter a = Pm25Range();
  a.min_concentration = 0.0;
  Filter b = Pm25Range();
  b.min_concentration = -0.0;
  b.prefix = "";
  EXPECT_EQ(CanonicalFilterKey(a), CanonicalFilterKey(b));
  Filter boxed = a;
  boxed.bbox = BoundingBox{0.0, -120, 40, -0.0};
  Filter boxed_too = a;
  boxed_too.bbox = BoundingBox{-0.0, -120, 40, 0.0};
  EXPECT_EQ(CanonicalFilterKey(boxed), CanonicalFilterKey(boxed_too));
}

TEST(CanonicalFilterKeyTest, EveryFieldAndTheLimitMatter) {
  std::vector<Filter> filters;
  filters.push_back(Filter());
  filters.push_back(Pm25Range());
  auto with = [&](auto change) {
    Filter f = Pm25Range();
    change(f);
    filters.push_back(f);
  };
  with([](Filter& f) { f.parameters = {Parameter::kPm10}; });
  with([](Filter& f) { f.parameters = {Parameter::kPm25, Parameter::kPm10}; });
  // The whole list of known parameters is not "every parameter": empty
  // also keeps the names the store does not know.
  with([](Filter& f) {
    f.parameters.clear();
    for (int p = 0; p < kNumKnownParameters; ++p) {
      f.parameters.push_back(static_cast<Parameter>(p));
    }
  });
  with([](Filter& f) { f.parameters.clear(); });
  with([](Filter& f) { f.min_concentration = 10.000000000000002; });
  with([](Filter& f) { f.min_concentration.reset(); });
  with([](Filter& f) { f.max_concentration = 51; });
  // An infinite bound drops missing values; no bound keeps them.
  with([](Filter& f) {
    f.max_concentration = std::numeric_limits<double>::infinity();
  });
  with([](Filter& f) { f.max_concentration.reset(); });
  // Bounds are not interchangeable between columns.
  with([](Filter& f) {
    f.min_concentration.reset();
    f.max_concentration.reset();
    f.min_aqi = 10;
    f.max_aqi = 50;
  });
  with([](Filter& f) { f.min_aqi = 10; });
  with([](Filter& f) { f.max_aqi = 10; });
  with([](Filter& f) { f.categories = {1}; });
  with([](Filter& f) { f.categories = {1, 2, 3, 4, 5, 6}; });
  with([](Filter& f) { f.categories = {1, 2}; });
  with([](Filter& f) { f.from_utc = 1597017600; });
  with([](Filter& f) { f.to_utc = 1597017600; });
  with([](Filter& f) {
    f.from_utc = 1597017600;
    f.to_utc = 1597017600;
  });
  with([](Filter& f) { f.bbox = BoundingBox(); });  // the whole world
  with([](Filter& f) { f.bbox = BoundingBox{30, -120, 40, -110}; });
  with([](Filter& f) { f.bbox = BoundingBox{30, -110, 40, -120 + 20}; });
  with([](Filter& f) { f.site_keys = {"060371103"}; });
  with([](Filter& f) { f.site_keys = {"06037", "1103"}; });
  with([](Filter& f) { f.site_keys = {"060371103", ""}; });
  with([](Filter& f) { f.site_keys = {"1,2"}; });
  with([](Filter& f) { f.site_keys = {"1", "2"}; });
  with([](Filter& f) { f.prefix = "06"; });
  with([](Filter& f) { f.prefix = "1:a"; });
  with([](Filter& f) { f.prefix = "a"; });
  with([](Filter& f) {
    f.site_keys = {"a"};
    f.prefix = "a";
  });
  with([](Filter& f) { f.limit = 1; });
  with([](Filter& f) { f.limit = 500; });
  std::set<std::string> keys;
  for (const Filter& f : filters) {
    ASSERT_OK(ValidateFilter(f));
    const std::string key = CanonicalFilterKey(f);
    EXPECT_TRUE(keys.insert(key).second) << "duplicate key " << key;
  }
}

TEST(CanonicalFilterKeyTest, IsStableText) {
  // The key is stored in shared memory by processes of different builds of
  // one layout: it must not depend on anything but the filter.
  EXPECT_EQ(CanonicalFilterKey(Pm25Range()),
            "f1;p=1;c=10,50;a=*,*;k=;t=*,*;b=*;s=0;x=*;l=0");
  Filter f;
  f.site_keys = {"b", "a"};
  f.prefix = "x";
  f.limit = 7;
  EXPECT_EQ(CanonicalFilterKey(f),
            "f1;p=;c=*,*;a=*,*;k=;t=*,*;b=*;s=2,1:a,1:b;x=1:x;l=7");
}

// On generated data: a random filter and a shuffled, repeated spelling of
// it get one key, and select the same rows.
TEST(CanonicalFilterKeyTest, EqualKeysSelectTheSameRows) {
  const std::string root =
      (std::filesystem::temp_directory_path() /
       ("canonical-filter-" + std::to_string(::getpid())))
          .string();
  struct RemoveOnExit {
    const std::string& path;
    ~RemoveOnExit() { std::filesystem::remove_all(path); }
  } remove_on_exit{root};
  GeneratorOptions options;
  options.root = root;
  options.sites = 60;
  options.scale = 0.02;
  options.first_day = "2020-08-10";
  options.last_day = "2020-08-14";
  ASSERT_OK(GenerateDataset(options).status());
  LoadOptions load;
  load.root = root;
  ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(load));
  const Table& table = loaded.table;

  std::mt19937_64 rng(7);
  auto chance = [&rng](double p) {
    return std::uniform_real_distribution<double>(0, 1)(rng) < p;
  };
  for (int round = 0; round < 200; ++round) {
    Filter f;
    for (int p = 0; p < kNumKnownParameters; ++p) {
      if (chance(0.3)) f.parameters.push_back(static_cast<Parameter>(p));
    }
    if (chance(0.5)) f.min_concentration = chance(0.2) ? -0.0 : 5;
    if (chance(0.5)) f.max_concentration = 40;
    for (int c = 1; c <= 6; ++c) {
      if (chance(0.3)) f.categories.push_back(c);
    }
    for (int i = 0; i < 3; ++i) {
      if (chance(0.3)) {
        f.site_keys.push_back(
            table.sites()[rng() % table.sites().size()].aqs_id);
      }
    }
    if (chance(0.2)) f.prefix = chance(0.5) ? "" : "0";
    if (chance(0.3)) f.limit = 1 + static_cast<int64_t>(rng() % 50);

    Filter g = f;
    std::shuffle(g.parameters.begin(), g.parameters.end(), rng);
    std::shuffle(g.categories.begin(), g.categories.end(), rng);
    std::shuffle(g.site_keys.begin(), g.site_keys.end(), rng);
    if (!g.parameters.empty()) g.parameters.push_back(g.parameters[0]);
    if (!g.categories.empty()) g.categories.push_back(g.categories[0]);
    if (!g.site_keys.empty()) g.site_keys.push_back(g.site_keys[0]);
    if (g.prefix && g.prefix->empty()) g.prefix.reset();
    if (g.min_concentration && *g.min_concentration == 0) {
      g.min_concentration = 0.0;
    }
    ASSERT_EQ(CanonicalFilterKey(f), CanonicalFilterKey(g));
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows_f,
                         ExecuteFilter(table, f));
    ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows_g,
                         ExecuteFilter(table, g));
    ASSERT_EQ(rows_f, rows_g) << CanonicalFilterKey(f);
  }
}

}  // namespace
}  // namespace overlay
