// Copyright 2026 The overlay Authors.

#include "tools/bench/workload.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitWordsTest, SplitsOnWhitespaceAndHonoursQuotes) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> words,
      SplitWords("  get_by_prefix \"Crescent City\"  'a b' c\\ d --limit 5 "));
  EXPECT_THAT(words, ElementsAre("get_by_prefix", "Crescent City", "a b", "c d",
                                 "--limit", "5"));
  EXPECT_FALSE(SplitWords("query \"open").ok());
}

TEST(WorkloadTest, FromWordsMakesOneEntry) {
  ASSERT_OK_AND_ASSIGN(Workload w,
                       Workload::FromWords("query --param PM2.5 --limit 500"));
  ASSERT_EQ(w.entries().size(), 1u);
  EXPECT_EQ(w.entries()[0].request.limit(), 500);
  EXPECT_EQ(w.Describe(), "query --param PM2.5 --limit 500");
  EXPECT_EQ(&w.Entry(0, 1), &w.Entry(12345, 7));
}

TEST(WorkloadTest, FromWordsRejectsNonQueries) {
  absl::StatusOr<Workload> w = Workload::FromWords("frobnicate --limit 5");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("frobnicate"));
}

TEST(WorkloadTest, MixFileWeightsCommentsAndDeterministicPicks) {
  ASSERT_OK_AND_ASSIGN(Workload w, Workload::FromText(R"(
# a mix
3 query --param PM2.5 --limit 100   # small
1 get_all --limit 2000
)",
                                                      "mix.txt"));
  ASSERT_EQ(w.entries().size(), 2u);
  EXPECT_EQ(w.entries()[0].weight, 3);
  EXPECT_EQ(w.entries()[1].words, "get_all --limit 2000");
  int small = 0;
  for (int i = 0; i < 20000; ++i) {
    if (w.Entry(i, 9).request.limit() == 100) ++small;
    EXPECT_EQ(&w.Entry(i, 9), &w.Entry(i, 9));  // same index, same pick
  }
  EXPECT_NEAR(small / 20000.0, 0.75, 0.02);
}

TEST(WorkloadTest, MixErrorsNameTheLine) {
  absl::StatusOr<Workload> w =
      Workload::FromText("1 get_all\n\nx query --limit 5\n", "mix.txt");
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("mix.txt:3:"));
  w = Workload::FromText("2 frobnicate\n", "mix.txt");
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("mix.txt:1:"));
  w = Workload::FromText("# nothing\n", "mix.txt");
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("no entries"));
}

TEST(WorkloadTest, FromFileReadsAndReportsMissingFiles) {
  const std::string path = ::testing::TempDir() + "/overlay_bench_mix_" +
                           std::to_string(::getpid()) + ".txt";
  {
    std::ofstream out(path);
    out << "1 get_all --limit 7\n";
  }
  ASSERT_OK_AND_ASSIGN(Workload w, Workload::FromFile(path));
  EXPECT_EQ(w.entries()[0].request.limit(), 7);
  std::remove(path.c_str());
  EXPECT_EQ(Workload::FromFile(path).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace overlay::bench
