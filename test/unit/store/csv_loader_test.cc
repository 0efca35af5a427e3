// Copyright 2026 The overlay Authors.
//
// The loader on small hand-written fixtures, one quirk each.

#include "core/store/csv_loader.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] =
    "\"41.75613\",\"-124.20347\",\"2020-08-10T01:00\",\"PM2.5\",\"17.3\","
    "\"UG/M3\",\"18.0\",\"62\",\"2\",\"Crescent City\",\"North Coast "
    "Unified Air Quality Management District\",\"840060150007\","
    "\"840060150007\"";

class CsvLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(::testing::TempDir(), "/csv-loader-",
                         ::testing::UnitTest::GetInstance()
                             ->current_test_info()
                             ->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    const std::string path = absl::StrCat(root_, "/", relative);
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  // Parses one buffer directly.
  Table ParseOne(const std::string& text, LoadStats* stats) {
    TableBuilder builder;
    ParseCsvBuffer(text, "f.csv", builder, *stats, 10);
    return builder.Build();
  }

  std::string root_;
};

TEST_F(CsvLoaderTest, ParsesTypedColumns) {
  LoadStats stats;
  Table t = ParseOne(std::string(kGood) + "\n", &stats);
  ASSERT_EQ(t.num_rows(), 1u);
  EXPECT_EQ(stats.malformed_rows, 0);
  Record r = t.GetRecord(0);
  EXPECT_DOUBLE_EQ(r.latitude, 41.75613);
  EXPECT_DOUBLE_EQ(r.longitude, -124.20347);
  EXPECT_EQ(FormatUtc(r.utc), "2020-08-10T01:00");
  EXPECT_EQ(r.utc, DaysFromCivil(2020, 8, 10) * 86400 + 3600);
  EXPECT_EQ(r.parameter, "PM2.5");
  EXPECT_EQ(t.parameter()[0], static_cast<uint8_t>(Parameter::kPm25));
  EXPECT_EQ(r.concentration, 17.3);
  EXPECT_EQ(r.unit, "UG/M3");
  EXPECT_EQ(r.raw_concentration, 18.0);
  EXPECT_EQ(r.aqi, 62);
  EXPECT_EQ(r.category, 2);
  EXPECT_EQ(r.site_name, "Crescent City");
  EXPECT_EQ(r.agency, "North Coast Unified Air Quality Management District");
  EXPECT_EQ(r.aqs_id, "840060150007");
  EXPECT_EQ(r.full_aqs_id, "840060150007");
}

TEST_F(CsvLoaderTest, QuotedCommasAndDoubledQuotes) {
  LoadStats stats;
  Table t = ParseOne(
      "\"1.5\",\"2.5\",\"2020-08-10T03:00\",\"OZONE\",\"30\",\"PPB\",\"31\","
      "\"28\",\"1\",\"Portland, SE Lafayette \"\"Main\"\"\",\"Agency, Inc\","
      "\"410510080\",\"840410510080\"\r\n",
      &stats);
  ASSERT_EQ(t.num_rows(), 1u) << (stats.errors.empty() ? "" : stats.errors[0]);
  Record r = t.GetRecord(0);
  EXPECT_EQ(r.site_name, "Portland, SE Lafayette \"Main\"");
  EXPECT_EQ(r.agency, "Agency, Inc");
  EXPECT_EQ(r.full_aqs_id, "840410510080");  // CRLF stripped
}

TEST_F(CsvLoaderTest, MissingValuesAreNeverNumbers) {
  LoadStats stats;
  Table t = ParseOne(
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM10\",\"-999\",\"UG/M3\",\"\","
      "\"-999\",\"-999\",\"S\",\"A\",\"1\",\"2\"\n",
      &stats);
  ASSERT_EQ(t.num_rows(), 1u);
  Record r = t.GetRecord(0);
  EXPECT_FALSE(r.concentration.has_value());
  EXPECT_FALSE(r.raw_concentration.has_value());
  EXPECT_FALSE(r.aqi.has_value());
  EXPECT_FALSE(r.category.has_value());
  EXPECT_EQ(stats.missing_concentrations, 1);
  EXPECT_TRUE(std::isnan(t.concentration()[0]));
  EXPECT_EQ(t.aqi()[0], kMissingAqi);
  EXPECT_EQ(t.category()[0], kMissingCategory);
}

TEST_F(CsvLoaderTest, UnknownParameterIsKept) {
  LoadStats stats;
  Table t = ParseOne(
      "\"1\",\"2\",\"2020-08-10T01:00\",\"BC\",\"0.4\",\"UG/M3\",\"0.4\","
      "\"-999\",\"-999\",\"S\",\"A\",\"1\",\"2\"\n" +
          std::string(kGood) + "\n",
      &stats);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.GetRecord(0).parameter, "BC");
  EXPECT_GE(t.parameter()[0], kNumKnownParameters);
  EXPECT_EQ(t.GetRecord(1).parameter, "PM2.5");
}

TEST_F(CsvLoaderTest, MalformedRowsAreCountedWithFileAndLine) {
  LoadStats stats;
  const std::string text = absl::StrCat(
      kGood, "\n",
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"5\"\n",  // short
      kGood, ",\"extra\"\n",                                   // long
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"abc\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n",                 // bad number
      "\"1\",\"2\",\"2020-13-10T01:00\",\"PM2.5\",\"1\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n",                 // bad time
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"1\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\n",                   // open quote
      "\n",                                                    // blank: skipped
      kGood, "\n");
  Table t = ParseOne(text, &stats);
  EXPECT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(stats.rows, 2);
  EXPECT_EQ(stats.malformed_rows, 5);
  ASSERT_EQ(stats.errors.size(), 5u);
  EXPECT_THAT(stats.errors[0], HasSubstr("f.csv:2: expected 13 fields, got 5"));
  EXPECT_THAT(stats.errors[1], HasSubstr("f.csv:3: expected 13 fields, got 14"));
  EXPECT_THAT(stats.errors[2], HasSubstr("f.csv:4: column 5"));
  EXPECT_THAT(stats.errors[3], HasSubstr("f.csv:5: column 3"));
  EXPECT_THAT(stats.errors[4], HasSubstr("f.csv:6: bad quoting"));
}

TEST_F(CsvLoaderTest, EmptyFileAndNoTrailingNewline) {
  LoadStats stats;
  EXPECT_EQ(ParseOne("", &stats).num_rows(), 0u);
  EXPECT_EQ(ParseOne(kGood, &stats).num_rows(), 1u);
  EXPECT_EQ(stats.malformed_rows, 0);
}

TEST_F(CsvLoaderTest, UnquotedFieldsAreAccepted) {
  LoadStats stats;
  Table t = ParseOne(
      "1.5,2.5,2020-08-10T01:00,CO,0.25,PPM,0.3,3,1,Site,Agency,1,2\n",
      &stats);
  ASSERT_EQ(t.num_rows(), 1u);
  EXPECT_EQ(t.GetRecord(0).concentration, 0.25);
  EXPECT_EQ(t.GetRecord(0).parameter, "CO");
}

std::string Row(const std::string& utc, const std::string& site) {
  return absl::StrCat("\"1\",\"2\",\"", utc,
                      "\",\"OZONE\",\"1\",\"PPB\",\"1\",\"1\",\"1\",\"", site,
                      "\",\"A\",\"1\",\"2\"\n");
}

TEST_F(CsvLoaderTest, LoadsRootInDayHourOrderAndRestrictsDays) {
  Write("20200811/20200811-03.csv", Row("2020-08-11T03:00", "d"));
  Write("20200810/20200810-05.csv", Row("2020-08-10T05:00", "b"));
  Write("20200810/20200810-01.csv",
        Row("2020-08-10T01:00", "a1") + Row("2020-08-10T01:00", "a2"));
  Write("20200812/20200812-01.csv", Row("2020-08-12T01:00", "e"));
  Write("20200812/empty.csv", "");
  Write("README.txt", "not data");
  Write("notaday/20200813-01.csv", Row("2020-08-13T01:00", "x"));

  LoadOptions options;
  options.root = root_;
  options.threads = 3;
  ASSERT_OK_AND_ASSIGN(LoadedTable all, LoadDataRoot(options));
  std::vector<std::string> names;
  for (size_t i = 0; i < all.table.num_rows(); ++i) {
    names.push_back(all.table.GetRecord(i).site_name);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("a1", "a2", "b", "d", "e"));
  EXPECT_EQ(all.stats.files, 5);

  options.first_day = DaysFromCivil(2020, 8, 11);
  options.last_day = DaysFromCivil(2020, 8, 12);
  ASSERT_OK_AND_ASSIGN(LoadedTable range, LoadDataRoot(options));
  EXPECT_EQ(range.table.num_rows(), 2u);

  options.first_day.reset();
  options.last_day.reset();
  options.days = {DaysFromCivil(2020, 8, 10), DaysFromCivil(2020, 8, 12)};
  ASSERT_OK_AND_ASSIGN(LoadedTable list, LoadDataRoot(options));
  EXPECT_EQ(list.table.num_rows(), 4u);
}

TEST_F(CsvLoaderTest, MissingRootIsAClearError) {
  LoadOptions options;
  options.root = root_ + "/does-not-exist";
  absl::StatusOr<LoadedTable> loaded = LoadDataRoot(options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(loaded.status().message(), HasSubstr("does-not-exist"));
  Write("file", "x");
  options.root = root_ + "/file";
  EXPECT_EQ(LoadDataRoot(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CsvLoaderTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every file";
  Write("20200810/20200810-01.csv", Row("2020-08-10T01:00", "a"));
  std::filesystem::permissions(root_ + "/20200810/20200810-01.csv",
                               std::filesystem::perms::none);
  LoadOptions options;
  options.root = root_;
  EXPECT_EQ(LoadDataRoot(options).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RecordTest, TimeAndDayParsing) {
  ASSERT_OK_AND_ASSIGN(UnixSeconds t, ParseUtc("2020-08-10T01:00"));
  EXPECT_EQ(t, 1597021200);
  EXPECT_EQ(FormatUtc(t), "2020-08-10T01:00");
  EXPECT_TRUE(ParseUtc("2020-08-10T01:00:30Z").ok());
  EXPECT_FALSE(ParseUtc("2020-02-30T01:00").ok());
  EXPECT_FALSE(ParseUtc("2020-08-10T24:00").ok());
  EXPECT_FALSE(ParseUtc("2020-08-10 01:00x").ok());
  ASSERT_OK_AND_ASSIGN(int64_t day, ParseDay("20200810"));
  EXPECT_EQ(day, DaysFromCivil(2020, 8, 10));
  EXPECT_EQ(FormatDayCompact(day), "20200810");
  ASSERT_OK_AND_ASSIGN(int64_t same, ParseDay("2020-08-10"));
  EXPECT_EQ(same, day);
  EXPECT_FALSE(ParseDay("2020-8-10").ok());
  EXPECT_EQ(ParseParameter("pm2.5"), Parameter::kPm25);
  EXPECT_EQ(ParseParameter("BC"), std::nullopt);
}

}  // namespace
}  // namespace overlay
