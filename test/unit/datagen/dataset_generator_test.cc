// Copyright 2026 The overlay Authors.
//
// Tests for core/datagen/dataset_generator.h. The files are read back with
// a small field splitter of the test's own, independent of core/store.

#include "core/datagen/dataset_generator.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int kColumns = 13;

// Splits one line of the real format: every field double-quoted, a quote
// inside a field doubled. Returns false on anything else.
bool SplitQuoted(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  size_t i = 0;
  while (true) {
    if (i >= line.size() || line[i] != '"') return false;
    ++i;
    std::string field;
    while (true) {
      if (i >= line.size()) return false;
      if (line[i] == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      field += line[i++];
    }
    fields->push_back(std::move(field));
    if (i == line.size()) return true;
    if (line[i] != ',') return false;
    ++i;
  }
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Relative path -> contents of every file below `root`.
std::map<std::string, std::string> ReadTree(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path());
    }
  }
  return files;
}

struct Rows {
  std::vector<std::vector<std::string>> rows;
  int bad_lines = 0;
};

Rows ParseTree(const std::map<std::string, std::string>& files) {
  Rows out;
  std::vector<std::string> fields;
  for (const auto& [name, text] : files) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!SplitQuoted(line, &fields) || fields.size() != kColumns) {
        ++out.bad_lines;
        continue;
      }
      out.rows.push_back(fields);
    }
  }
  return out;
}

int ExpectedCategory(int aqi) {
  if (aqi <= 50) return 1;
  if (aqi <= 100) return 2;
  if (aqi <= 150) return 3;
  if (aqi <= 200) return 4;
  if (aqi <= 300) return 5;
  return 6;
}

class DatasetGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/datagen-test-", getpid(), "-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A small set: 2 days, 12 files a day.
  GeneratorOptions Small(const std::string& name) const {
    GeneratorOptions options;
    options.root = absl::StrCat(dir_, "/", name);
    options.seed = 7;
    options.sites = 120;
    options.scale = 0.5;
    options.first_day = "2020-08-31";
    options.last_day = "2020-09-01";
    options.threads = 1;
    return options;
  }

  std::string dir_;
};

TEST_F(DatasetGeneratorTest, SameOptionsGiveSameBytesWhateverTheThreads) {
  GeneratorOptions one = Small("one");
  GeneratorOptions three = Small("three");
  three.threads = 3;
  GeneratorOptions again = Small("again");
  again.threads = 2;
  ASSERT_OK_AND_ASSIGN(GeneratedDataset a, GenerateDataset(one));
  ASSERT_OK_AND_ASSIGN(GeneratedDataset b, GenerateDataset(three));
  ASSERT_OK(GenerateDataset(again).status());
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.bytes, b.bytes);
  const auto first = ReadTree(one.root);
  // EXPECT_TRUE: a failing EXPECT_EQ would print every file.
  EXPECT_TRUE(first == ReadTree(three.root));
  EXPECT_TRUE(first == ReadTree(again.root));

  GeneratorOptions other = Small("other");
  other.seed = 8;
  ASSERT_OK(GenerateDataset(other).status());
  EXPECT_FALSE(first == ReadTree(other.root));
}

TEST_F(DatasetGeneratorTest, LayoutMatchesTheRealSet) {
  GeneratorOptions options = Small("layout");
  ASSERT_OK_AND_ASSIGN(GeneratedDataset result, GenerateDataset(options));
  std::vector<std::string> expected;
  for (const char* day : {"20200831", "20200901"}) {
    for (int hour = 1; hour < 24; hour += 2) {
      char name[32];
      std::snprintf(name, sizeof(name), "%s/%s-%02d.csv", day, day, hour);
      expected.push_back(name);
    }
  }
  const auto files = ReadTree(options.root);
  std::vector<std::string> names;
  int64_t bytes = 0;
  for (const auto& [name, text] : files) {
    names.push_back(name);
    bytes += static_cast<int64_t>(text.size());
    // Every row carries the file's own hour, and the file ends with LF.
    const std::string stamp =
        absl::StrCat(name.substr(9, 4), "-", name.substr(13, 2), "-",
                     name.substr(15, 2), "T", name.substr(18, 2), ":00");
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.back(), '\n') << name;
    EXPECT_EQ(text.find('\r'), std::string::npos) << name;
    for (const auto& row : ParseTree({{name, text}}).rows) {
      ASSERT_EQ(row[2], stamp) << name;
    }
  }
  EXPECT_THAT(names, ElementsAreArray(expected));
  EXPECT_EQ(result.files, 24);
  EXPECT_EQ(result.bytes, bytes);
}

TEST_F(DatasetGeneratorTest, EveryLineHasThirteenQuotedConsistentFields) {
  GeneratorOptions options = Small("fields");
  ASSERT_OK_AND_ASSIGN(GeneratedDataset result, GenerateDataset(options));
  const Rows parsed = ParseTree(ReadTree(options.root));
  EXPECT_EQ(parsed.bad_lines, 0);
  ASSERT_EQ(static_cast<int64_t>(parsed.rows.size()), result.rows);
  const std::map<std::string, std::string> units = {
      {"OZONE", "PPB"}, {"PM2.5", "UG/M3"}, {"PM10", "UG/M3"},
      {"NO2", "PPB"},   {"SO2", "PPB"},     {"CO", "PPM"}};
  std::set<std::string> parameters;
  for (const auto& row : parsed.rows) {
    parameters.insert(row[3]);
    ASSERT_EQ(units.count(row[3]), 1u) << row[3];
    EXPECT_EQ(row[5], units.at(row[3]));
    const double lat = std::stod(row[0]);
    const double lon = std::stod(row[1]);
    EXPECT_TRUE(lat > 24 && lat < 50 && lon > -125 && lon < -66)
        << row[0] << "," << row[1];
    // Values have one decimal, like "17.3" and "-999.0".
    for (int column : {4, 6}) {
      const std::string& v = row[column];
      ASSERT_GE(v.size(), 3u);
      EXPECT_EQ(v[v.size() - 2], '.') << v;
    }
    EXPECT_EQ(row[7] == "-999", row[8] == "-999");
    if (row[4] == "-999.0") {
      EXPECT_EQ(row[6], "-999.0");
      EXPECT_EQ(row[7], "-999");
    }
    if (row[7] != "-999") {
      EXPECT_EQ(std::stoi(row[8]), ExpectedCategory(std::stoi(row[7])));
    }
    EXPECT_TRUE(row[11].size() == 9 || row[11] == row[12]) << row[11];
    EXPECT_EQ(row[12].size(), 12u);
    EXPECT_EQ(row[12].substr(0, 3), "840");
    EXPECT_EQ(row[12].substr(12 - row[11].size()), row[11]);
  }
  EXPECT_EQ(parameters.size(), 6u);
}

TEST_F(DatasetGeneratorTest, SiteTuplesAreStableAndSomeNamesAreAwkward) {
  GeneratorOptions options = Small("sites");
  ASSERT_OK_AND_ASSIGN(GeneratedDataset result, GenerateDataset(options));
  EXPECT_EQ(result.sites, 120);
  std::map<std::string, std::vector<std::string>> tuples;
  int mismatches = 0;
  for (const auto& row : ParseTree(ReadTree(options.root)).rows) {
    const std::vector<std::string> tuple = {row[0],  row[1],  row[9],
                                            row[10], row[11], row[12]};
    auto [it, inserted] = tuples.emplace(row[12], tuple);
    if (!inserted && it->second != tuple) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(tuples.size(), 100u);
  EXPECT_LE(tuples.size(), 120u);
  int commas = 0, quotes = 0;
  for (const auto& [id, tuple] : tuples) {
    commas += tuple[2].find(',') != std::string::npos;
    quotes += tuple[2].find('"') != std::string::npos;
  }
  EXPECT_GE(commas, 1);
  EXPECT_GE(quotes, 1);
  // The quote reaches the file doubled.
  bool doubled = false;
  for (const auto& [name, text] : ReadTree(options.root)) {
    doubled = doubled || text.find(" \"\"") != std::string::npos;
  }
  EXPECT_TRUE(doubled);
}

TEST_F(DatasetGeneratorTest, MissingValuesFollowTheRequestedShares) {
  GeneratorOptions options = Small("missing");
  options.sites = 400;
  options.scale = 1;
  options.missing_concentration_share = 0.03;
  options.missing_category_share = 0.12;
  ASSERT_OK(GenerateDataset(options).status());
  const Rows parsed = ParseTree(ReadTree(options.root));
  ASSERT_GT(parsed.rows.size(), 10000u);
  double concentrations = 0, categories = 0;
  for (const auto& row : parsed.rows) {
    concentrations += row[4] == "-999.0";
    categories += row[8] == "-999";
  }
  const double n = static_cast<double>(parsed.rows.size());
  EXPECT_NEAR(concentrations / n, 0.03, 0.006);
  EXPECT_NEAR(categories / n, 0.12, 0.012);
}

TEST_F(DatasetGeneratorTest, DefaultSharesAreCloseToTheRealSet) {
  GeneratorOptions options = Small("real-shares");
  options.sites = 400;
  options.scale = 1;
  ASSERT_OK(GenerateDataset(options).status());
  const Rows parsed = ParseTree(ReadTree(options.root));
  std::map<std::string, double> mix;
  double concentrations = 0, categories = 0;
  for (const auto& row : parsed.rows) {
    mix[row[3]] += 1;
    concentrations += row[4] == "-999.0";
    categories += row[8] == "-999";
  }
  const double n = static_cast<double>(parsed.rows.size());
  EXPECT_NEAR(concentrations / n, 0.0077, 0.004);
  EXPECT_NEAR(categories / n, 0.059, 0.01);
  EXPECT_NEAR(mix["OZONE"] / n, 0.41, 0.03);
  EXPECT_NEAR(mix["PM2.5"] / n, 0.29, 0.03);
  EXPECT_NEAR(mix["PM10"] / n, 0.11, 0.02);
  EXPECT_NEAR(mix["NO2"] / n, 0.08, 0.02);
  EXPECT_NEAR(mix["SO2"] / n, 0.06, 0.02);
  EXPECT_NEAR(mix["CO"] / n, 0.05, 0.02);
}

TEST_F(DatasetGeneratorTest, ScaleControlsTheRowCount) {
  GeneratorOptions full = Small("full");
  full.scale = 1;
  GeneratorOptions half = Small("half");
  half.scale = 0.5;
  GeneratorOptions twice = Small("twice");
  twice.scale = 2;
  ASSERT_OK_AND_ASSIGN(GeneratedDataset a, GenerateDataset(full));
  ASSERT_OK_AND_ASSIGN(GeneratedDataset b, GenerateDataset(half));
  ASSERT_OK_AND_ASSIGN(GeneratedDataset c, GenerateDataset(twice));
  // ~1.6 rows per site and file at scale 1.
  EXPECT_NEAR(static_cast<double>(a.rows) / (120 * 24), 1.615, 0.15);
  EXPECT_NEAR(static_cast<double>(b.rows) / a.rows, 0.5, 0.06);
  EXPECT_NEAR(static_cast<double>(c.rows) / a.rows, 2.0, 0.2);
  EXPECT_EQ(c.sites, 240);
}

TEST_F(DatasetGeneratorTest, SkippedDaysAndHourStep) {
  GeneratorOptions options = Small("skip");
  options.first_day = "2020-08-01";
  options.last_day = "2020-08-31";
  options.skip_day_probability = 0.3;
  options.hour_step = 6;
  options.scale = 0.05;
  ASSERT_OK_AND_ASSIGN(GeneratedDataset result, GenerateDataset(options));
  std::set<std::string> days;
  std::set<std::string> hours;
  for (const auto& [name, text] : ReadTree(options.root)) {
    days.insert(name.substr(0, 8));
    hours.insert(name.substr(18, 2));
  }
  EXPECT_LT(days.size(), 31u);
  EXPECT_GT(days.size(), 10u);
  EXPECT_EQ(result.files, static_cast<int64_t>(days.size() * 4));
  EXPECT_EQ(hours, (std::set<std::string>{"01", "07", "13", "19"}));
}

TEST_F(DatasetGeneratorTest, BadOptionsAreInvalidArguments) {
  auto expect_invalid = [&](GeneratorOptions options, const char* text) {
    const absl::Status status = GenerateDataset(options).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(text));
    EXPECT_EQ(ValidateGeneratorOptions(options).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(fs::exists(options.root)) << "wrote despite " << status;
  };
  GeneratorOptions o = Small("bad");
  o.first_day = "2020-09-02";
  o.last_day = "2020-09-01";
  expect_invalid(o, "before first day");
  o = Small("bad");
  o.sites = 0;
  expect_invalid(o, "sites");
  o.sites = -3;
  expect_invalid(o, "sites");
  o = Small("bad");
  o.first_day = "2020-02-30";
  expect_invalid(o, "2020-02-30");
  o = Small("bad");
  o.last_day = "yesterday";
  expect_invalid(o, "yesterday");
  o = Small("bad");
  o.scale = 0;
  expect_invalid(o, "scale");
  o = Small("bad");
  o.hour_step = 0;
  expect_invalid(o, "hour_step");
  o = Small("bad");
  o.missing_category_share = 0.001;
  expect_invalid(o, "missing");
  o = Small("bad");
  o.skip_day_probability = 1;
  expect_invalid(o, "skip_day");
  o = Small("bad");
  o.root = "";
  expect_invalid(o, "root");
  EXPECT_OK(ValidateGeneratorOptions(Small("good")));
}

TEST_F(DatasetGeneratorTest, UnwritableRootIsAnError) {
  fs::create_directories(dir_);
  const std::string file = absl::StrCat(dir_, "/plain-file");
  std::ofstream(file) << "x";
  GeneratorOptions options = Small("unused");
  options.root = file;
  const absl::Status status = GenerateDataset(options).status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace overlay
