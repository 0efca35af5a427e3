// Copyright 2026 The overlay Authors.
//
// TableIndex: time runs (sorted, a few runs, too many runs), key and prefix
// lookups against brute force, and the index of an empty table.

#include "core/store/table_index.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/store/table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace overlay {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Record MakeRecord(int64_t utc, int site) {
  Record r;
  r.latitude = 30 + site;
  r.longitude = -120;
  r.utc = utc;
  r.parameter = site % 2 == 0 ? "OZONE" : "PM2.5";
  r.unit = "PPB";
  r.concentration = site;
  r.site_name = absl::StrCat("Site ", site % 5);
  r.agency = "A";
  r.aqs_id = absl::StrCat("06", site % 7);
  r.full_aqs_id = absl::StrCat("84006", site);
  return r;
}

Table BuildTable(const std::vector<int64_t>& times) {
  TableBuilder builder;
  for (size_t i = 0; i < times.size(); ++i) {
    builder.AddRecord(MakeRecord(times[i], static_cast<int>(i % 11)));
  }
  return builder.Build();
}

std::vector<RowRange> ExpectedRanges(const Table& t, int64_t from, int64_t to,
                                     size_t begin, size_t end) {
  // Row by row; ranges as maximal runs of matching rows (TimeRanges may
  // split a run at a run boundary, so compare the rows, not the ranges).
  std::vector<RowRange> ranges;
  for (size_t i = begin; i < end; ++i) {
    if (t.utc()[i] < from || t.utc()[i] > to) continue;
    ranges.push_back(
        RowRange{static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
  }
  return ranges;
}

std::vector<RowRange> AsRows(const std::vector<RowRange>& ranges) {
  std::vector<RowRange> rows;
  for (const RowRange& r : ranges) {
    EXPECT_LT(r.begin, r.end);
    if (!rows.empty()) {
      EXPECT_GE(r.begin, rows.back().end);  // row order
    }
    for (uint32_t i = r.begin; i < r.end; ++i) rows.push_back({i, i + 1});
  }
  return rows;
}

void CheckTimeRanges(const Table& t, std::mt19937& rng) {
  ASSERT_TRUE(t.index().time_indexed());
  const size_t n = t.num_rows();
  for (int q = 0; q < 200; ++q) {
    int64_t from = static_cast<int64_t>(rng() % 60) - 5;
    int64_t to = from + static_cast<int64_t>(rng() % 20);
    size_t begin = rng() % (n + 1), end = rng() % (n + 1);
    if (begin > end) std::swap(begin, end);
    if (q % 4 == 0) {
      begin = 0;
      end = n;
    }
    std::vector<RowRange> got;
    t.index().TimeRanges(t, from, to, begin, end, &got);
    ASSERT_EQ(AsRows(got), ExpectedRanges(t, from, to, begin, end))
        << from << ".." << to << " in [" << begin << ", " << end << ")";
  }
}

TEST(TableIndexTest, SortedTimeIsOneRunAndAWindowIsOneRange) {
  std::vector<int64_t> times;
  for (int64_t h = 0; h < 50; ++h) {
    for (int k = 0; k < 1 + h % 4; ++k) times.push_back(h);
  }
  const Table t = BuildTable(times);
  EXPECT_TRUE(t.index().time_indexed());
  EXPECT_EQ(t.index().num_time_runs(), 1u);
  std::vector<RowRange> ranges;
  t.index().TimeRanges(t, 10, 12, 0, t.num_rows(), &ranges);
  ASSERT_EQ(ranges.size(), 1u);
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const bool in = t.utc()[i] >= 10 && t.utc()[i] <= 12;
    EXPECT_EQ(in, i >= ranges[0].begin && i < ranges[0].end) << i;
  }
  std::mt19937 rng(1);
  CheckTimeRanges(t, rng);
}

TEST(TableIndexTest, AFewOutOfOrderFilesAreRunsAndStayExact) {
  // Hours 0..49 in blocks, the blocks shuffled: each block is one run.
  std::vector<std::vector<int64_t>> blocks;
  for (int64_t h = 0; h < 50; h += 5) {
    std::vector<int64_t> block;
    for (int64_t k = h; k < h + 5; ++k) {
      for (int j = 0; j < 3; ++j) block.push_back(k);
    }
    blocks.push_back(block);
  }
  std::mt19937 rng(3);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<int64_t> times;
  for (const auto& block : blocks) {
    times.insert(times.end(), block.begin(), block.end());
  }
  times.push_back(times.back());  // equal times do not start a run
  const Table t = BuildTable(times);
  EXPECT_TRUE(t.index().time_indexed());
  EXPECT_GT(t.index().num_time_runs(), 1u);
  EXPECT_LE(t.index().num_time_runs(), blocks.size());
  CheckTimeRanges(t, rng);
}

TEST(TableIndexTest, TooManyRunsAreNotIndexed) {
  std::vector<int64_t> times;
  for (size_t i = 0; i < 2 * TableIndex::kMaxTimeRuns + 10; ++i) {
    times.push_back(i % 2 == 0 ? 100 : 50);
  }
  const Table t = BuildTable(times);
  EXPECT_FALSE(t.index().time_indexed());
  EXPECT_EQ(t.index().num_time_runs(), 0u);
}

TEST(TableIndexTest, EmptyTableHasAValidIndex) {
  const Table t;
  EXPECT_TRUE(t.index().time_indexed());
  EXPECT_EQ(t.index().num_time_runs(), 0u);
  std::vector<RowRange> ranges;
  t.index().TimeRanges(t, 0, 100, 0, 0, &ranges);
  EXPECT_THAT(ranges, IsEmpty());
  EXPECT_EQ(t.index().parameter_rows().num_codes(),
            static_cast<size_t>(kNumKnownParameters));
  EXPECT_EQ(t.index().site_rows().num_codes(), 0u);
  EXPECT_THAT(t.index().SitesWithKey("060"), IsEmpty());
  std::vector<uint32_t> sites;
  t.index().SitesWithPrefix(t, "0", &sites);
  EXPECT_THAT(sites, IsEmpty());
  const Table built = TableBuilder().Build();
  EXPECT_EQ(built.num_rows(), 0u);
  EXPECT_EQ(built.index().site_rows().num_codes(), 0u);
}

class SiteLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TableBuilder builder;
    // Sites sharing AQS ids, a site whose two ids are equal, names that
    // prefix each other, an empty AQS id, names with non-ASCII bytes.
    const char* const kSites[][3] = {
        {"Los Angeles-N. Main", "060371103", "840060371103"},
        {"Los Angeles-N. Main", "060371103", "840060371103X"},  // moved
        {"Los Alamos", "350280002", "840350280002"},
        {"Los", "MMCA81008", "MMCA81008"},
        {"Reno", "", "840320310016"},
        {"Zürich", "CH0001", "756CH0001"},
        {"reno", "320310016", "840320310016"},
    };
    for (size_t i = 0; i < std::size(kSites); ++i) {
      Record r = MakeRecord(static_cast<int64_t>(i), static_cast<int>(i));
      r.latitude = 30 + 0.5 * static_cast<double>(i);
      r.site_name = kSites[i][0];
      r.aqs_id = kSites[i][1];
      r.full_aqs_id = kSites[i][2];
      builder.AddRecord(r);
      builder.AddRecord(r);
    }
    table_ = builder.Build();
  }

  std::vector<uint32_t> Keyed(const std::string& key) const {
    std::vector<uint32_t> out;
    for (uint32_t s = 0; s < table_.sites().size(); ++s) {
      const Site& site = table_.sites()[s];
      if (site.aqs_id == key || site.full_aqs_id == key) out.push_back(s);
    }
    return out;
  }
  std::vector<uint32_t> Prefixed(const std::string& prefix) const {
    std::vector<uint32_t> out;
    for (uint32_t s = 0; s < table_.sites().size(); ++s) {
      const Site& site = table_.sites()[s];
      if (absl::StartsWith(site.aqs_id, prefix) ||
          absl::StartsWith(site.full_aqs_id, prefix) ||
          absl::StartsWith(site.site_name, prefix)) {
        out.push_back(s);
      }
    }
    return out;
  }

  Table table_;
};

TEST_F(SiteLookupTest, KeysFindEverySiteWithThatId) {
  ASSERT_EQ(table_.sites().size(), 7u);
  EXPECT_THAT(table_.index().SitesWithKey("060371103"), ElementsAre(0, 1));
  EXPECT_THAT(table_.index().SitesWithKey("840060371103X"), ElementsAre(1));
  EXPECT_THAT(table_.index().SitesWithKey("MMCA81008"), ElementsAre(3));
  EXPECT_THAT(table_.index().SitesWithKey("840320310016"), ElementsAre(4, 6));
  EXPECT_THAT(table_.index().SitesWithKey(""), ElementsAre(4));
  EXPECT_THAT(table_.index().SitesWithKey("06037110"), IsEmpty());
  for (const Site& site : table_.sites()) {
    for (const std::string& key : {site.aqs_id, site.full_aqs_id}) {
      const auto got = table_.index().SitesWithKey(key);
      EXPECT_EQ(std::vector<uint32_t>(got.begin(), got.end()), Keyed(key))
          << key;
    }
  }
}

TEST_F(SiteLookupTest, PrefixesMatchBruteForce) {
  std::vector<std::string> prefixes = {"",
                                       "L",
                                       "Lo",
                                       "Los",
                                       "Los ",
                                       "Los A",
                                       "Los Angeles-N. Main",
                                       "Los Angeles-N. "
                                       "Main!",
                                       "0",
                                       "06",
                                       "8400",
                                       "840060371103X",
                                       "Z",
                                       "Zü",
                                       "\xC3",
                                       "r",
                                       "R",
                                       "zz",
                                       "~"};
  for (const Site& site : table_.sites()) {
    for (const std::string& text :
         {site.site_name, site.aqs_id, site.full_aqs_id}) {
      for (size_t k = 0; k <= text.size(); ++k) {
        prefixes.push_back(text.substr(0, k));
      }
    }
  }
  for (const std::string& prefix : prefixes) {
    std::vector<uint32_t> got = {99};  // appends after what is there
    table_.index().SitesWithPrefix(table_, prefix, &got);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front(), 99u);
    got.erase(got.begin());
    EXPECT_EQ(got, Prefixed(prefix)) << "'" << prefix << "'";
  }
}

TEST_F(SiteLookupTest, RowListsAndMemoryAreCounted) {
  const TableIndex& index = table_.index();
  ASSERT_EQ(index.site_rows().num_codes(), table_.sites().size());
  for (uint32_t s = 0; s < table_.sites().size(); ++s) {
    EXPECT_EQ(index.site_rows().size(s), 2u);
  }
  EXPECT_EQ(index.parameter_rows().num_rows(), table_.num_rows());
  EXPECT_GT(index.MemoryBytes(), 0u);
  EXPECT_GE(table_.MemoryBytes(), index.MemoryBytes());
}

}  // namespace
}  // namespace overlay
