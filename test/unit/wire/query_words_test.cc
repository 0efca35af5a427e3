// Copyright 2026 The overlay Authors.

#include "core/wire/query_words.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/store/record.h"
#include "core/wire/filter_codec.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Words = std::vector<std::string>;

int64_t Utc(const char* text) {
  absl::StatusOr<UnixSeconds> seconds = ParseUtc(text);
  EXPECT_TRUE(seconds.ok()) << seconds.status();
  return seconds.value_or(0);
}

// The message of the error ParseQueryWords gives for `words`.
std::string ErrorOf(const Words& words) {
  absl::StatusOr<v1::QueryRequest> request = ParseQueryWords(words);
  if (request.ok()) {
    ADD_FAILURE() << "parsed: " << request->ShortDebugString();
    return "";
  }
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument)
      << request.status();
  return std::string(request.status().message());
}

TEST(QueryWordsTest, PositionalQuery) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query", "PM2.5", "5", "35"}));
  const v1::Filter& filter = request.filter();
  EXPECT_THAT(filter.parameters(), ElementsAre(v1::PM25));
  ASSERT_TRUE(filter.has_min_concentration());
  EXPECT_EQ(filter.min_concentration(), 5);
  ASSERT_TRUE(filter.has_max_concentration());
  EXPECT_EQ(filter.max_concentration(), 35);
  EXPECT_FALSE(filter.has_min_aqi());
  EXPECT_FALSE(filter.has_from_utc_seconds());
  EXPECT_FALSE(filter.has_bbox());
  EXPECT_FALSE(filter.has_prefix());
  EXPECT_EQ(filter.site_keys_size(), 0);
  EXPECT_EQ(request.limit(), 0);
  EXPECT_EQ(request.chunk_size(), 0);
  EXPECT_EQ(request.client_id(), "");
  ASSERT_OK_AND_ASSIGN(Filter store_filter,
                       FilterFromProto(filter, request.limit()));
  EXPECT_EQ(store_filter.min_concentration, 5);
}

TEST(QueryWordsTest, PositionalPrefixesAndCase) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest only_param,
                       ParseQueryWords({"query", "ozone"}));
  EXPECT_THAT(only_param.filter().parameters(), ElementsAre(v1::OZONE));
  EXPECT_FALSE(only_param.filter().has_min_concentration());

  ASSERT_OK_AND_ASSIGN(v1::QueryRequest with_min,
                       ParseQueryWords({"query", "PM10", "2.5"}));
  EXPECT_EQ(with_min.filter().min_concentration(), 2.5);
  EXPECT_FALSE(with_min.filter().has_max_concentration());

  ASSERT_OK_AND_ASSIGN(v1::QueryRequest several,
                       ParseQueryWords({"query", "NO2,so2,CO"}));
  EXPECT_THAT(several.filter().parameters(),
              ElementsAre(v1::NO2, v1::SO2, v1::CO));

  // A negative bound is a value, not a flag.
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest negative,
                       ParseQueryWords({"query", "PM2.5", "-5", "35"}));
  EXPECT_EQ(negative.filter().min_concentration(), -5);
}

TEST(QueryWordsTest, BareQueryMatchesEverything) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request, ParseQueryWords({"query"}));
  EXPECT_EQ(request.filter().ByteSizeLong(), 0u);
}

TEST(QueryWordsTest, EveryFlag) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query",
                                        "--param",
                                        "PM2.5,NO2",
                                        "--min",
                                        "1.5",
                                        "--max",
                                        "40",
                                        "--aqi-min",
                                        "10",
                                        "--aqi-max",
                                        "100",
                                        "--category",
                                        "1,2,3",
                                        "--from",
                                        "2020-08-18T00:00",
                                        "--to",
                                        "2020-08-20T12:00",
                                        "--bbox",
                                        "42,-120,37.5,-125",
                                        "--limit",
                                        "100",
                                        "--chunk-size",
                                        "500",
                                        "--client-id",
                                        "alice"}));
  const v1::Filter& f = request.filter();
  EXPECT_THAT(f.parameters(), ElementsAre(v1::PM25, v1::NO2));
  EXPECT_EQ(f.min_concentration(), 1.5);
  EXPECT_EQ(f.max_concentration(), 40);
  EXPECT_EQ(f.min_aqi(), 10);
  EXPECT_EQ(f.max_aqi(), 100);
  EXPECT_THAT(f.categories(), ElementsAre(1, 2, 3));
  EXPECT_EQ(f.from_utc_seconds(), Utc("2020-08-18T00:00"));
  EXPECT_EQ(f.to_utc_seconds(), Utc("2020-08-20T12:00"));
  // Corners in any order become a min/max box.
  ASSERT_TRUE(f.has_bbox());
  EXPECT_EQ(f.bbox().min_latitude(), 37.5);
  EXPECT_EQ(f.bbox().max_latitude(), 42);
  EXPECT_EQ(f.bbox().min_longitude(), -125);
  EXPECT_EQ(f.bbox().max_longitude(), -120);
  EXPECT_EQ(request.limit(), 100);
  EXPECT_EQ(request.chunk_size(), 500);
  EXPECT_EQ(request.client_id(), "alice");
  EXPECT_OK(FilterFromProto(f, request.limit()));
}

TEST(QueryWordsTest, FlagEqualsValueForm) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query", "--param=OZONE", "--min=0.5",
                                        "--limit=7", "--client-id=bob"}));
  EXPECT_THAT(request.filter().parameters(), ElementsAre(v1::OZONE));
  EXPECT_EQ(request.filter().min_concentration(), 0.5);
  EXPECT_EQ(request.limit(), 7);
  EXPECT_EQ(request.client_id(), "bob");
}

TEST(QueryWordsTest, PositionalAndFlagsMix) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query", "--limit", "3", "PM2.5",
                                        "--category", "4", "10"}));
  EXPECT_THAT(request.filter().parameters(), ElementsAre(v1::PM25));
  EXPECT_EQ(request.filter().min_concentration(), 10);
  EXPECT_THAT(request.filter().categories(), ElementsAre(4));
  EXPECT_EQ(request.limit(), 3);
}

TEST(QueryWordsTest, BareDaysAreWholeDays) {
  ASSERT_OK_AND_ASSIGN(
      v1::QueryRequest request,
      ParseQueryWords({"query", "--from", "2020-08-18", "--to", "2020-08-19"}));
  EXPECT_EQ(request.filter().from_utc_seconds(), Utc("2020-08-18T00:00"));
  // --to a bare day includes all of it: its last second.
  EXPECT_EQ(request.filter().to_utc_seconds(), Utc("2020-08-19T23:59:59"));
  EXPECT_EQ(request.filter().to_utc_seconds(), Utc("2020-08-20T00:00") - 1);

  ASSERT_OK_AND_ASSIGN(
      v1::QueryRequest same_day,
      ParseQueryWords({"query", "--from", "2020-08-18", "--to", "2020-08-18"}));
  EXPECT_EQ(
      same_day.filter().to_utc_seconds() - same_day.filter().from_utc_seconds(),
      86399);
  EXPECT_OK(FilterFromProto(same_day.filter(), 0));
}

TEST(QueryWordsTest, GetAll) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request, ParseQueryWords({"get_all"}));
  EXPECT_EQ(request.filter().ByteSizeLong(), 0u);
  EXPECT_EQ(request.limit(), 0);
}

TEST(QueryWordsTest, GetByKey) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"get_by_key", "a", "b"}));
  EXPECT_THAT(request.filter().site_keys(), ElementsAre("a", "b"));
  EXPECT_EQ(request.filter().parameters_size(), 0);
  EXPECT_FALSE(request.filter().has_prefix());
}

TEST(QueryWordsTest, GetByPrefix) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"get_by_prefix", "p"}));
  ASSERT_TRUE(request.filter().has_prefix());
  EXPECT_EQ(request.filter().prefix(), "p");
  EXPECT_EQ(request.filter().site_keys_size(), 0);
}

TEST(QueryWordsTest, CommonFlagsOnEveryCommand) {
  for (const Words& words : {Words{"get_all", "--limit", "5", "--chunk-size",
                                   "64", "--client-id", "c1"},
                             Words{"get_by_key", "840060150007", "--limit", "5",
                                   "--chunk-size", "64", "--client-id", "c1"},
                             Words{"get_by_prefix", "--limit", "5", "8400",
                                   "--chunk-size", "64", "--client-id", "c1"},
                             Words{"query", "--limit", "5", "--chunk-size",
                                   "64", "--client-id", "c1"}}) {
    SCOPED_TRACE(words[0]);
    ASSERT_OK_AND_ASSIGN(v1::QueryRequest request, ParseQueryWords(words));
    EXPECT_EQ(request.limit(), 5);
    EXPECT_EQ(request.chunk_size(), 64);
    EXPECT_EQ(request.client_id(), "c1");
  }
}

TEST(QueryWordsTest, SwitchesAreOffByDefault) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query", "PM2.5"}));
  EXPECT_FALSE(request.allow_partial());
  EXPECT_FALSE(request.fresh());
}

TEST(QueryWordsTest, AllowPartialAndNoCacheOnEveryCommand) {
  for (const Words& words :
       {Words{"get_all", "--allow-partial", "--no-cache"},
        Words{"get_by_key", "--no-cache", "840060150007", "--allow-partial"},
        Words{"get_by_prefix", "--allow-partial", "Cres", "--no-cache"},
        Words{"query", "--no-cache", "--allow-partial", "--limit", "5"}}) {
    SCOPED_TRACE(words[0]);
    ASSERT_OK_AND_ASSIGN(v1::QueryRequest request, ParseQueryWords(words));
    EXPECT_TRUE(request.allow_partial());
    EXPECT_TRUE(request.fresh());
  }
}

// A switch takes no value: the word after it is a word of its own, so
// "--allow-partial PM2.5" keeps PM2.5 as the positional parameter.
TEST(QueryWordsTest, SwitchesDoNotSwallowTheNextWord) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest request,
                       ParseQueryWords({"query", "--allow-partial", "PM2.5",
                                        "5", "--no-cache", "35"}));
  EXPECT_TRUE(request.allow_partial());
  EXPECT_TRUE(request.fresh());
  EXPECT_THAT(request.filter().parameters(), ElementsAre(v1::PM25));
  EXPECT_EQ(request.filter().min_concentration(), 5);
  EXPECT_EQ(request.filter().max_concentration(), 35);

  ASSERT_OK_AND_ASSIGN(v1::QueryRequest key,
                       ParseQueryWords({"get_by_key", "--no-cache", "k1"}));
  EXPECT_THAT(key.filter().site_keys(), ElementsAre("k1"));
  EXPECT_TRUE(key.fresh());
  EXPECT_FALSE(key.allow_partial());

  // Last word: nothing to need.
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest last,
                       ParseQueryWords({"get_all", "--allow-partial"}));
  EXPECT_TRUE(last.allow_partial());
  EXPECT_FALSE(last.fresh());
}

TEST(QueryWordsTest, SwitchesRejectAValue) {
  EXPECT_THAT(ErrorOf({"get_all", "--allow-partial=true"}),
              HasSubstr("--allow-partial takes no value"));
  EXPECT_THAT(ErrorOf({"query", "--no-cache=1"}),
              HasSubstr("--no-cache takes no value"));
  // Near misses are unknown options, not switches.
  EXPECT_THAT(ErrorOf({"get_all", "--allow-partials", "x"}),
              HasSubstr("unknown option for get_all: --allow-partials"));
  EXPECT_THAT(ErrorOf({"get_all", "--no-cache-please", "x"}),
              HasSubstr("unknown option for get_all: --no-cache-please"));
}

TEST(QueryWordsTest, IsQueryCommand) {
  for (const char* word : {"query", "get_all", "get_by_key", "get_by_prefix"}) {
    EXPECT_TRUE(IsQueryCommand(word)) << word;
  }
  for (const char* word : {"", "Query", "get", "metrics", "--limit"}) {
    EXPECT_FALSE(IsQueryCommand(word)) << word;
  }
  EXPECT_NE(std::string(QueryWordsUsage()).find("get_by_prefix"),
            std::string::npos);
  EXPECT_NE(std::string(QueryWordsUsage()).find("--allow-partial"),
            std::string::npos);
  EXPECT_NE(std::string(QueryWordsUsage()).find("--no-cache"),
            std::string::npos);
}

TEST(QueryWordsTest, NotACommand) {
  EXPECT_THAT(ErrorOf({}), HasSubstr("expected query, get_all"));
  EXPECT_THAT(ErrorOf({"select", "*"}), HasSubstr("got 'select'"));
}

TEST(QueryWordsTest, UnknownFlag) {
  EXPECT_THAT(ErrorOf({"query", "--bogus", "1"}),
              HasSubstr("unknown option for query: --bogus"));
  // Filter flags belong to `query` only.
  EXPECT_THAT(ErrorOf({"get_all", "--param", "PM2.5"}),
              HasSubstr("unknown option for get_all: --param"));
  EXPECT_THAT(ErrorOf({"get_by_key", "k", "--min", "3"}),
              HasSubstr("unknown option for get_by_key: --min"));
}

TEST(QueryWordsTest, UnknownParameter) {
  EXPECT_THAT(ErrorOf({"query", "PM3"}), HasSubstr("unknown parameter 'PM3'"));
  EXPECT_THAT(ErrorOf({"query", "--param", "PM2.5,LEAD"}),
              HasSubstr("unknown parameter 'LEAD'"));
}

TEST(QueryWordsTest, MissingValue) {
  EXPECT_THAT(ErrorOf({"query", "--min"}), HasSubstr("--min needs a value"));
  EXPECT_THAT(ErrorOf({"get_all", "--limit"}),
              HasSubstr("--limit needs a value"));
}

TEST(QueryWordsTest, BadNumbers) {
  EXPECT_THAT(ErrorOf({"query", "PM2.5", "abc"}),
              HasSubstr("MIN: not a number: 'abc'"));
  EXPECT_THAT(ErrorOf({"query", "PM2.5", "1", "x9"}),
              HasSubstr("MAX: not a number"));
  EXPECT_THAT(ErrorOf({"query", "--max", "nan"}),
              HasSubstr("--max: not a number"));
  EXPECT_THAT(ErrorOf({"query", "--aqi-min", "1.5"}),
              HasSubstr("--aqi-min: not an integer"));
  EXPECT_THAT(ErrorOf({"query", "--category", "1,two"}),
              HasSubstr("--category: not an integer: 'two'"));
  EXPECT_THAT(ErrorOf({"get_all", "--limit", "ten"}),
              HasSubstr("--limit: not an integer: 'ten'"));
}

// AQI and category go into int32 fields: a value that does not fit must be
// an error, not silently wrapped (4294967306 would become AQI 10).
TEST(QueryWordsTest, IntegersBeyondInt32AreRejected) {
  EXPECT_THAT(ErrorOf({"query", "--aqi-min", "4294967306"}),
              HasSubstr("--aqi-min"));
  EXPECT_THAT(ErrorOf({"query", "--aqi-max", "-4294967295"}),
              HasSubstr("--aqi-max"));
  EXPECT_THAT(ErrorOf({"query", "--category", "4294967297"}),
              HasSubstr("--category"));
}

TEST(QueryWordsTest, ChunkSizeRange) {
  EXPECT_THAT(ErrorOf({"get_all", "--chunk-size", "-1"}),
              HasSubstr("--chunk-size out of range"));
  EXPECT_THAT(ErrorOf({"get_all", "--chunk-size", "1000001"}),
              HasSubstr("--chunk-size out of range"));
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest biggest,
                       ParseQueryWords({"get_all", "--chunk-size", "1000000"}));
  EXPECT_EQ(biggest.chunk_size(), 1'000'000);
}

TEST(QueryWordsTest, BadTimesAndBoxes) {
  EXPECT_THAT(ErrorOf({"query", "--from", "2020-13-01"}),
              HasSubstr("--from: expected"));
  EXPECT_THAT(ErrorOf({"query", "--to", "yesterday"}),
              HasSubstr("--to: expected"));
  EXPECT_THAT(ErrorOf({"query", "--from", "2020-08-18T25:00"}),
              HasSubstr("--from: expected"));
  EXPECT_THAT(ErrorOf({"query", "--bbox", "1,2,3"}),
              HasSubstr("--bbox needs LAT1,LON1,LAT2,LON2"));
  EXPECT_THAT(ErrorOf({"query", "--bbox", "1,2,3,east"}),
              HasSubstr("--bbox: not a number: 'east'"));
}

TEST(QueryWordsTest, WrongNumberOfWords) {
  EXPECT_THAT(ErrorOf({"get_by_key"}),
              HasSubstr("get_by_key needs at least one key"));
  EXPECT_THAT(ErrorOf({"get_by_key", "--limit", "3"}),
              HasSubstr("get_by_key needs at least one key"));
  EXPECT_THAT(ErrorOf({"get_by_prefix"}),
              HasSubstr("get_by_prefix needs one prefix"));
  EXPECT_THAT(ErrorOf({"get_by_prefix", "a", "b"}),
              HasSubstr("get_by_prefix needs one prefix"));
  EXPECT_THAT(ErrorOf({"get_all", "extra"}), HasSubstr("get_all takes no"));
  EXPECT_THAT(ErrorOf({"query", "PM2.5", "1", "2", "3"}),
              HasSubstr("at most PARAM MIN MAX"));
}

// Words that parse but describe an impossible filter are caught when the
// request is checked (FilterFromProto), with the store's message.
TEST(QueryWordsTest, ParsedButInvalidFiltersFailValidation) {
  ASSERT_OK_AND_ASSIGN(v1::QueryRequest inverted,
                       ParseQueryWords({"query", "PM2.5", "35", "5"}));
  absl::StatusOr<Filter> filter =
      FilterFromProto(inverted.filter(), inverted.limit());
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);

  ASSERT_OK_AND_ASSIGN(v1::QueryRequest negative_limit,
                       ParseQueryWords({"get_all", "--limit", "-3"}));
  filter = FilterFromProto(negative_limit.filter(), negative_limit.limit());
  ASSERT_FALSE(filter.ok());
  EXPECT_THAT(filter.status().message(), HasSubstr("limit must be >= 0"));
}

}  // namespace
}  // namespace overlay
