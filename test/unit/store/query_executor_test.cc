// Copyright 2026 The overlay Authors.
//
// Every filter against the brute-force reference (RecordMatches over every
// row) on generated data sets (a small one with every quirk, one over
// several 65,536-row segments, and the small one reordered so that time is
// in a few runs or not indexed at all), through every entry point: whole,
// split ranges, cursors in slices of any size, counts and estimates. Random
// filters reach every access path (checked); the edge cases by hand.

#include "core/store/query_executor.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

using Rng = std::mt19937_64;

double Uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
bool Chance(Rng& rng, double p) { return Uniform(rng, 0, 1) < p; }
size_t Pick(Rng& rng, size_t n) {
  return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
}

std::vector<Record> RecordsOf(const Table& table) {
  std::vector<Record> records;
  records.reserve(table.num_rows());
  for (size_t i = 0; i < table.num_rows(); ++i) {
    records.push_back(table.GetRecord(i));
  }
  return records;
}

// The brute-force answer: RecordMatches on every row in row order.
std::vector<uint32_t> ReferenceRows(const std::vector<Record>& records,
                                    const Filter& filter) {
  std::vector<uint32_t> rows;
  for (size_t i = 0; i < records.size(); ++i) {
    if (filter.limit > 0 && static_cast<int64_t>(rows.size()) >= filter.limit) {
      break;
    }
    if (RecordMatches(filter, records[i])) {
      rows.push_back(static_cast<uint32_t>(i));
    }
  }
  return rows;
}

// A filter mixing every condition at random, with bounds from the table:
// time windows of hours to days (or outside the data), a few to all site
// keys, prefixes of any field, limits.
Filter RandomFilter(Rng& rng, const Table& table) {
  const auto& sites = table.sites();
  int64_t first_utc = table.utc()[0], last_utc = table.utc()[0];
  for (int64_t t : table.utc()) {
    first_utc = std::min(first_utc, t);
    last_utc = std::max(last_utc, t);
  }
  Filter f;
  if (Chance(rng, 0.6)) {
    if (Chance(rng, 0.4)) {
      f.parameters.push_back(static_cast<Parameter>(Pick(rng, 6)));
    } else {
      for (int p = 0; p < kNumKnownParameters; ++p) {
        if (Chance(rng, 0.35))
          f.parameters.push_back(static_cast<Parameter>(p));
      }
    }
  }
  if (Chance(rng, 0.5)) f.min_concentration = Uniform(rng, -10, 60);
  if (Chance(rng, 0.5)) {
    f.max_concentration = f.min_concentration.value_or(0) + Uniform(rng, 0, 80);
  }
  if (Chance(rng, 0.25)) f.min_aqi = static_cast<int>(Uniform(rng, -5, 120));
  if (Chance(rng, 0.25)) {
    f.max_aqi = f.min_aqi.value_or(0) + static_cast<int>(Uniform(rng, 0, 150));
  }
  if (Chance(rng, 0.2)) {
    for (int c = 1; c <= 6; ++c) {
      if (Chance(rng, 0.4)) f.categories.push_back(c);
    }
  }
  if (Chance(rng, 0.45)) {
    const int64_t span = last_utc - first_utc + 1;
    const int64_t from =
        first_utc + static_cast<int64_t>(Uniform(rng, 0, span));
    switch (Pick(rng, 6)) {
      case 0:  // hours
        f.from_utc = from;
        f.to_utc = from + 3600 * static_cast<int64_t>(Pick(rng, 6));
        break;
      case 1:  // days
        f.from_utc = from;
        f.to_utc = from + static_cast<int64_t>(Uniform(rng, 0, 3 * 86400));
        break;
      case 2:
        f.from_utc = from;
        break;
      case 3:
        f.to_utc = from;
        break;
      case 4:  // before or after the data
        if (Chance(rng, 0.5)) {
          f.to_utc = first_utc - 1;
        } else {
          f.from_utc = last_utc + 1;
        }
        break;
      default:  // exactly the data's bounds
        f.from_utc = first_utc;
        f.to_utc = last_utc;
    }
  }
  if (Chance(rng, 0.15)) {
    const double lat = Uniform(rng, 25, 45), lon = Uniform(rng, -124, -75);
    f.bbox = BoundingBox{lat, lon, lat + Uniform(rng, 0, 15),
                         lon + Uniform(rng, 0, 30)};
  }
  if (Chance(rng, 0.3)) {
    static constexpr size_t kCounts[] = {1, 1, 1, 2, 3, 10, 50, 0};
    size_t keys = kCounts[Pick(rng, std::size(kCounts))];
    if (keys == 0) keys = 2 * sites.size();  // every site, some twice
    for (size_t k = 0; k < keys; ++k) {
      const Site& s = sites[Pick(rng, sites.size())];
      f.site_keys.push_back(Chance(rng, 0.5) ? s.aqs_id : s.full_aqs_id);
    }
    if (Chance(rng, 0.2)) f.site_keys.push_back("no such site");
  }
  if (Chance(rng, 0.25)) {
    const Site& s = sites[Pick(rng, sites.size())];
    const double which = Uniform(rng, 0, 1);
    const std::string& text = which < 0.4   ? s.site_name
                              : which < 0.7 ? s.aqs_id
                                            : s.full_aqs_id;
    const double kind = Uniform(rng, 0, 1);
    f.prefix = kind < 0.05  ? std::string()
               : kind < 0.1 ? std::string("zz no such prefix")
               : kind < 0.2 ? text
                            : text.substr(0, 1 + Pick(rng, 6));
  }
  if (Chance(rng, 0.3)) {
    f.limit = Chance(rng, 0.5) ? 1 + static_cast<int64_t>(Pick(rng, 50))
                               : 1 + static_cast<int64_t>(Pick(rng, 6000));
  }
  return f;
}

// Runs `f` through every entry point and checks each against `expected`
// (the reference answer); returns the access path the plan took.
AccessPath CheckEveryEntryPoint(const Table& table, const Filter& f,
                                const std::vector<uint32_t>& expected, Rng& rng,
                                const std::string& context) {
  SCOPED_TRACE(context);
  const size_t n = table.num_rows();
  absl::StatusOr<std::vector<uint32_t>> rows = ExecuteFilter(table, f);
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (!rows.ok()) return AccessPath::kNone;
  EXPECT_EQ(*rows, expected);
  absl::StatusOr<int64_t> count = CountMatches(table, f);
  EXPECT_TRUE(count.ok());
  EXPECT_EQ(count.value_or(-1), static_cast<int64_t>(expected.size()));

  // Split scans, one to four cuts, give the same rows.
  std::vector<size_t> cuts = {0, n};
  for (size_t k = Pick(rng, 4); k > 0; --k) cuts.push_back(Pick(rng, n + 1));
  std::sort(cuts.begin(), cuts.end());
  std::vector<uint32_t> split;
  for (size_t k = 0; k + 1 < cuts.size() && !LimitReached(f, split); ++k) {
    EXPECT_TRUE(
        ExecuteFilterRange(table, f, cuts[k], cuts[k + 1], &split).ok());
  }
  EXPECT_EQ(split, expected) << "split";

  // A cursor in slices of one size, moved to a new owner after every slice
  // (a hand-off from reactor to worker), gives the same rows; no slice
  // touches more than its budget; run to the end it touches exactly its
  // estimate.
  static constexpr size_t kSlices[] = {0,    1,    2,    3,    17,   64,
                                       1000, 4095, 4096, 4097, 9000, 100000};
  const size_t slice = Chance(rng, 0.2)
                           ? 1 + Pick(rng, 20000)
                           : kSlices[Pick(rng, std::size(kSlices))];
  absl::StatusOr<ScanCursor> created = ScanCursor::Create(table, f);
  EXPECT_TRUE(created.ok());
  if (!created.ok()) return AccessPath::kNone;
  ScanCursor cursor = std::move(*created);
  const AccessPath path = cursor.path();
  const size_t estimated = cursor.estimated_rows();
  EXPECT_EQ(EstimateScanRows(table, f), estimated);
  EXPECT_LE(estimated, n);
  if (f.limit == 0) {
    EXPECT_GE(estimated, expected.size());
  }
  EXPECT_EQ(path == AccessPath::kNone, estimated == 0);
  std::vector<uint32_t> sliced;
  size_t calls = 0;
  bool done = cursor.done();
  while (!done) {
    const size_t before = cursor.rows_touched();
    done = cursor.Next(slice, &sliced);
    EXPECT_LE(cursor.rows_touched() - before, std::max<size_t>(slice, 1));
    EXPECT_GT(cursor.rows_touched(), before);  // progress, even for 0
    ScanCursor moved = std::move(cursor);
    cursor = std::move(moved);
    if (++calls > n + 1) break;
  }
  EXPECT_TRUE(cursor.done());
  EXPECT_TRUE(cursor.Next(slice, &sliced));  // nothing more
  EXPECT_EQ(sliced, expected) << "slice " << slice;
  EXPECT_EQ(cursor.matches(), expected.size());
  if (f.limit == 0) {
    EXPECT_EQ(cursor.rows_touched(), estimated);
  }
  EXPECT_LE(cursor.rows_touched(), estimated);

  // Two cursors over [0, cut) and [cut, n), the second told how many
  // matches the first found (the limit spans both).
  const size_t cut = Pick(rng, n + 1);
  std::vector<uint32_t> chained;
  absl::StatusOr<ScanCursor> first = ScanCursor::Create(table, f, 0, cut);
  EXPECT_TRUE(first.ok());
  if (!first.ok()) return path;
  first->Next(1 + Pick(rng, 5000), &chained);
  while (!first->Next(1 + Pick(rng, 5000), &chained)) {
  }
  absl::StatusOr<ScanCursor> second =
      ScanCursor::Create(table, f, cut, n + 7, chained.size());
  EXPECT_TRUE(second.ok());
  if (!second.ok()) return path;
  EXPECT_EQ(second->CountRest() + chained.size(), expected.size());
  absl::StatusOr<ScanCursor> third =
      ScanCursor::Create(table, f, cut, n + 7, chained.size());
  while (!third->Next(1 + Pick(rng, 5000), &chained)) {
  }
  EXPECT_EQ(chained, expected) << "cut " << cut;
  return path;
}

// Random filters over `table`, each checked at every entry point; returns
// how many took each access path.
std::array<int, 4> CheckRandomFilters(const Table& table,
                                      const std::vector<Record>& records,
                                      uint64_t seed, int queries,
                                      int* nonempty) {
  Rng rng(seed);
  std::array<int, 4> paths{};
  *nonempty = 0;
  for (int q = 0; q < queries; ++q) {
    const Filter f = RandomFilter(rng, table);
    const std::vector<uint32_t> expected = ReferenceRows(records, f);
    const AccessPath path = CheckEveryEntryPoint(
        table, f, expected, rng, absl::StrCat("seed ", seed, " query ", q));
    if (::testing::Test::HasFailure()) break;
    ++paths[static_cast<size_t>(path)];
    *nonempty += !expected.empty();
  }
  return paths;
}

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
    records_ = new std::vector<Record>(RecordsOf(*table_));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*root_);
    delete table_;
    delete records_;
    delete root_;
  }

  static std::vector<uint32_t> Reference(const Filter& filter) {
    return ReferenceRows(*records_, filter);
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
  int nonempty = 0;
  const std::array<int, 4> paths =
      CheckRandomFilters(*table_, *records_, 42, 600, &nonempty);
  EXPECT_GT(nonempty, 200);
  for (size_t p = 0; p < paths.size(); ++p) {
    EXPECT_GT(paths[p], 10) << AccessPathName(static_cast<AccessPath>(p));
  }
}

// The same table with its rows reordered: time in a few runs (whole files
// out of order), then in so many runs that it is not indexed (every row
// out of place). Answers follow the new row order exactly.
TEST_F(GeneratedTable, UnsortedTimeFallsBackExactly) {
  Rng rng(9);
  std::vector<size_t> order(records_->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Blocks of rows of one file each, shuffled: a few runs.
  std::vector<std::pair<size_t, size_t>> blocks;
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && (*records_)[j].utc == (*records_)[i].utc) ++j;
    blocks.push_back({i, j});
    i = j;
  }
  ASSERT_GT(blocks.size(), 20u);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<size_t> by_blocks;
  for (const auto& [b, e] : blocks) {
    for (size_t i = b; i < e; ++i) by_blocks.push_back(i);
  }
  std::vector<size_t> shuffled = order;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);

  for (const std::vector<size_t>* permutation : {&by_blocks, &shuffled}) {
    const bool runs = permutation == &by_blocks;
    SCOPED_TRACE(runs ? "file blocks shuffled" : "rows shuffled");
    TableBuilder builder;
    std::vector<Record> records;
    for (size_t i : *permutation) {
      builder.AddRecord((*records_)[i]);
      records.push_back((*records_)[i]);
    }
    const Table table = builder.Build();
    ASSERT_EQ(table.num_rows(), records.size());
    ASSERT_EQ(RecordsOf(table), records);
    EXPECT_EQ(table.index().time_indexed(), runs);
    if (runs) {
      EXPECT_GT(table.index().num_time_runs(), 5u);
      EXPECT_LE(table.index().num_time_runs(), blocks.size());
    }
    int nonempty = 0;
    const std::array<int, 4> paths =
        CheckRandomFilters(table, records, runs ? 43 : 44, 300, &nonempty);
    EXPECT_GT(nonempty, 100);
    for (size_t p = 0; p < paths.size(); ++p) {
      EXPECT_GT(paths[p], 0) << AccessPathName(static_cast<AccessPath>(p));
    }
    // Time-only windows are exact either way.
    for (int q = 0; q < 50; ++q) {
      Filter f;
      f.from_utc = (*records_)[Pick(rng, records.size())].utc;
      f.to_utc = *f.from_utc + 3600 * static_cast<int64_t>(Pick(rng, 30));
      CheckEveryEntryPoint(table, f, ReferenceRows(records, f), rng,
                           absl::StrCat("window ", q));
    }
  }
}

// get_by_key with 10,000 keys (every site's AQS id, then junk) resolves by
// hash lookups and gives the brute-force answer; alone, with a prefix and
// with a time window.
TEST_F(GeneratedTable, TenThousandKeys) {
  Filter f;
  for (const Site& s : table_->sites()) f.site_keys.push_back(s.aqs_id);
  for (int k = 0; f.site_keys.size() < 10000; ++k) {
    f.site_keys.push_back(absl::StrCat("junk-", k));
  }
  Rng rng(5);
  EXPECT_EQ(CheckEveryEntryPoint(*table_, f, Reference(f), rng, "keys"),
            AccessPath::kRowRanges);  // every site: cheaper to scan
  f.site_keys.resize(table_->sites().size() / 20);  // a few sites
  f.site_keys.insert(f.site_keys.begin(), 9000, "junk");
  EXPECT_EQ(CheckEveryEntryPoint(*table_, f, Reference(f), rng, "few keys"),
            AccessPath::kSiteRows);
  f.prefix = table_->sites()[0].aqs_id.substr(0, 2);
  CheckEveryEntryPoint(*table_, f, Reference(f), rng, "keys and prefix");
  f.prefix.reset();
  f.from_utc = table_->utc()[table_->num_rows() / 2];
  f.to_utc = *f.from_utc + 7200;
  CheckEveryEntryPoint(*table_, f, Reference(f), rng, "keys and window");
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

// A generated share over two 65,536-row segments of the row lists.
class LargeGeneratedTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(
        absl::StrCat(::testing::TempDir(), "/executor-large-test-", getpid()));
    GeneratorOptions options;
    options.root = *root_;
    options.seed = 11;
    options.sites = 400;
    options.first_day = "2020-08-28";
    options.last_day = "2020-09-08";
    ASSERT_OK(GenerateDataset(options).status());
    LoadOptions load;
    load.root = *root_;
    ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(load));
    table_ = new Table(std::move(loaded.table));
    records_ = new std::vector<Record>(RecordsOf(*table_));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*root_);
    delete table_;
    delete records_;
    delete root_;
  }

  // The plan's path and estimate for `f`, after checking its answer.
  static std::pair<AccessPath, size_t> Plan(const Filter& f) {
    Rng rng(1);
    const std::vector<uint32_t> expected = ReferenceRows(*records_, f);
    CheckEveryEntryPoint(*table_, f, expected, rng, "plan");
    absl::StatusOr<ScanCursor> cursor = ScanCursor::Create(*table_, f);
    EXPECT_TRUE(cursor.ok());
    return {cursor->path(), cursor->estimated_rows()};
  }
  static size_t Matches(const Filter& f) {
    return ReferenceRows(*records_, f).size();
  }

  static std::string* root_;
  static Table* table_;
  static std::vector<Record>* records_;
};

std::string* LargeGeneratedTable::root_ = nullptr;
Table* LargeGeneratedTable::table_ = nullptr;
std::vector<Record>* LargeGeneratedTable::records_ = nullptr;

TEST_F(LargeGeneratedTable, RandomFiltersMatchBruteForce) {
  ASSERT_GT(table_->num_rows(), 65536u + 10000u);
  ASSERT_TRUE(table_->index().time_indexed());
  EXPECT_EQ(table_->index().num_time_runs(), 1u);
  int nonempty = 0;
  const std::array<int, 4> paths =
      CheckRandomFilters(*table_, *records_, 7, 150, &nonempty);
  EXPECT_GT(nonempty, 50);
  for (size_t p = 0; p < paths.size(); ++p) {
    EXPECT_GT(paths[p], 3) << AccessPathName(static_cast<AccessPath>(p));
  }
}

TEST_F(LargeGeneratedTable, PlansTakeTheNarrowestPath) {
  const size_t n = table_->num_rows();
  const Site& site = table_->sites()[table_->site_index()[n / 2]];
  const int64_t hour = table_->utc()[n / 2];

  Filter all;
  EXPECT_EQ(Plan(all), std::make_pair(AccessPath::kRowRanges, n));

  // get_by_key costs the size of its answer.
  Filter key;
  key.site_keys = {site.full_aqs_id};
  EXPECT_EQ(Plan(key), std::make_pair(AccessPath::kSiteRows, Matches(key)));
  key.site_keys.push_back(site.aqs_id);
  EXPECT_EQ(Plan(key), std::make_pair(AccessPath::kSiteRows, Matches(key)));

  // A parameter alone reads its rows only.
  Filter pm25;
  pm25.parameters = {Parameter::kPm25};
  EXPECT_EQ(Plan(pm25),
            std::make_pair(AccessPath::kParameterRows, Matches(pm25)));

  // A time window alone is its row range.
  Filter window;
  window.from_utc = hour;
  window.to_utc = hour + 3 * 3600;
  EXPECT_EQ(Plan(window),
            std::make_pair(AccessPath::kRowRanges, Matches(window)));
  EXPECT_LT(Matches(window), n / 20);

  // Window and parameter: no more than the window's rows.
  Filter both = window;
  both.parameters = {Parameter::kPm25};
  both.min_concentration = 10;
  both.max_concentration = 50;
  EXPECT_LE(Plan(both).second, Matches(window));

  // Window and key: the site's rows in the window.
  Filter key_window = window;
  key_window.site_keys = {site.aqs_id};
  EXPECT_EQ(Plan(key_window),
            std::make_pair(AccessPath::kSiteRows, Matches(key_window)));

  // A prefix of a name: the matching sites' rows.
  Filter prefix;
  prefix.prefix = site.site_name;
  const auto [prefix_path, prefix_rows] = Plan(prefix);
  EXPECT_EQ(prefix_path, AccessPath::kSiteRows);
  EXPECT_EQ(prefix_rows, Matches(prefix));

  // Nothing can match: no row is touched.
  Filter none = key;
  none.site_keys = {"no such site"};
  EXPECT_EQ(Plan(none), std::make_pair(AccessPath::kNone, size_t{0}));
  none = window;
  none.from_utc = table_->utc()[n - 1] + 1;
  none.to_utc.reset();
  EXPECT_EQ(Plan(none), std::make_pair(AccessPath::kNone, size_t{0}));
  none = all;
  none.prefix = "zz no such prefix";
  EXPECT_EQ(Plan(none), std::make_pair(AccessPath::kNone, size_t{0}));

  // An invalid filter has no estimate, and no cursor.
  Filter invalid;
  invalid.limit = -1;
  EXPECT_EQ(EstimateScanRows(*table_, invalid), 0u);
  EXPECT_EQ(ScanCursor::Create(*table_, invalid).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Limits over list paths: the first `limit` matches in row order, also when
// a range ends inside them and a second range continues.
TEST_F(LargeGeneratedTable, LimitsOverRowLists) {
  const size_t n = table_->num_rows();
  std::vector<Filter> filters(3);
  filters[0].parameters = {Parameter::kPm25};
  filters[1].parameters = {Parameter::kPm25, Parameter::kOzone};
  filters[1].min_concentration = 5;
  for (size_t s = 0; s < 5; ++s) {
    filters[2].site_keys.push_back(table_->sites()[s * 37].aqs_id);
  }
  Rng rng(3);
  for (Filter f : filters) {
    const size_t all = Matches(f);
    ASSERT_GT(all, 20u);
    for (int64_t limit :
         {int64_t{1}, int64_t{2}, static_cast<int64_t>(all / 3),
          static_cast<int64_t>(all - 1), static_cast<int64_t>(all),
          static_cast<int64_t>(all + 1)}) {
      f.limit = limit;
      CheckEveryEntryPoint(*table_, f, ReferenceRows(*records_, f), rng,
                           absl::StrCat("limit ", limit));
    }
    // A caller already holding the limit gets nothing more.
    f.limit = 3;
    std::vector<uint32_t> rows = {1, 2, 3};
    ASSERT_OK(ExecuteFilterRange(*table_, f, 0, n, &rows));
    EXPECT_EQ(rows.size(), 3u);
    ASSERT_OK_AND_ASSIGN(ScanCursor done,
                         ScanCursor::Create(*table_, f, 0, n, 3));
    EXPECT_TRUE(done.done());
    EXPECT_EQ(done.path(), AccessPath::kNone);
  }
}

// Bounded slices over a full scan: a slice of k rows touches k rows.
TEST_F(LargeGeneratedTable, SlicesTouchTheirBudget) {
  Filter f;
  f.min_concentration = 1;
  ASSERT_OK_AND_ASSIGN(ScanCursor cursor, ScanCursor::Create(*table_, f));
  ASSERT_EQ(cursor.path(), AccessPath::kRowRanges);
  std::vector<uint32_t> rows;
  EXPECT_FALSE(cursor.Next(10000, &rows));
  EXPECT_EQ(cursor.rows_touched(), 10000u);
  EXPECT_FALSE(cursor.Next(0, &rows));  // 0 counts as 1
  EXPECT_EQ(cursor.rows_touched(), 10001u);
  for (uint32_t row : rows) EXPECT_LT(row, 10001u);
  while (!cursor.Next(65536, &rows)) {
  }
  EXPECT_EQ(cursor.rows_touched(), table_->num_rows());
  EXPECT_EQ(rows, ReferenceRows(*records_, f));
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
