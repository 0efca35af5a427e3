// Copyright 2026 The overlay Authors.

#include "core/datagen/dataset_generator.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

namespace fs = std::filesystem;

// An independent quoted-field splitter (not the store's parser).
std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/gen-test-", getpid());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  GeneratorOptions Small(const std::string& name) {
    GeneratorOptions options;
    options.root = absl::StrCat(dir_, "/", name);
    options.sites = 300;
    options.scale = 0.3;
    options.first_day = "2020-08-10";
    options.last_day = "2020-08-13";
    return options;
  }
  std::string dir_;
};

TEST_F(GeneratorTest, LayoutAndFormatMatchTheRealSet) {
  GeneratorOptions options = Small("a");
  ASSERT_OK_AND_ASSIGN(GeneratedDataset made, GenerateDataset(options));
  EXPECT_EQ(made.files, 4 * 12);
  std::set<std::string> folders;
  int64_t rows = 0, missing_concentration = 0, missing_category = 0;
  int commas = 0;
  std::map<std::string, std::string> site_tuple;  // full aqs id -> fields
  std::set<std::string> parameters;
  for (const auto& day : fs::directory_iterator(options.root)) {
    folders.insert(day.path().filename().string());
    for (const auto& file : fs::directory_iterator(day.path())) {
      const std::string name = file.path().filename().string();
      ASSERT_EQ(name.size(), std::string("20200810-01.csv").size()) << name;
      EXPECT_EQ(name.substr(0, 8), day.path().filename().string());
      const int hour = std::stoi(name.substr(9, 2));
      EXPECT_EQ(hour % 2, 1) << "odd UTC hours, as the real set";
      std::istringstream lines(ReadAll(file.path()));
      std::string line;
      while (std::getline(lines, line)) {
        ASSERT_EQ(line.front(), '"');
        ASSERT_EQ(line.back(), '"');
        std::vector<std::string> f = Split(line);
        ASSERT_EQ(f.size(), 13u) << line;
        ++rows;
        EXPECT_EQ(f[2], absl::StrCat(name.substr(0, 4), "-", name.substr(4, 2),
                                     "-", name.substr(6, 2), "T",
                                     name.substr(9, 2), ":00"));
        parameters.insert(f[3] + " " + f[5]);
        missing_concentration += f[4] == "-999";
        missing_category += f[8] == "-999";
        commas += f[9].find(',') != std::string::npos;
        EXPECT_EQ(f[11].size(), 9u);
        EXPECT_EQ(f[12].size(), 12u);
        const std::string tuple = absl::StrCat(f[0], "|", f[1], "|", f[9],
                                               "|", f[10], "|", f[11]);
        auto [it, inserted] = site_tuple.emplace(f[12], tuple);
        EXPECT_EQ(it->second, tuple) << "site tuple must be stable";
      }
    }
  }
  EXPECT_EQ(folders.size(), 4u);
  EXPECT_EQ(rows, made.rows);
  EXPECT_THAT(parameters,
              ::testing::UnorderedElementsAre("OZONE PPB", "PM2.5 UG/M3",
                                              "PM10 UG/M3", "NO2 PPB",
                                              "SO2 PPB", "CO PPM"));
  const double share = static_cast<double>(missing_category) / rows;
  EXPECT_NEAR(share, options.missing_category_share, 0.02);
  EXPECT_GT(missing_concentration, 0);
  EXPECT_GT(commas, 0);
}

TEST_F(GeneratorTest, DeterministicWhateverTheThreads) {
  GeneratorOptions one = Small("one");
  one.threads = 1;
  GeneratorOptions many = Small("many");
  many.threads = 4;
  ASSERT_OK(GenerateDataset(one).status());
  ASSERT_OK(GenerateDataset(many).status());
  for (const auto& day : fs::directory_iterator(one.root)) {
    for (const auto& file : fs::directory_iterator(day.path())) {
      const fs::path other = fs::path(many.root) / day.path().filename() /
                             file.path().filename();
      EXPECT_EQ(ReadAll(file.path()), ReadAll(other)) << file.path();
    }
  }
}

TEST_F(GeneratorTest, ScaleControlsRows) {
  GeneratorOptions small = Small("s");
  small.scale = 0.1;
  GeneratorOptions big = Small("b");
  big.scale = 0.4;
  ASSERT_OK_AND_ASSIGN(GeneratedDataset s, GenerateDataset(small));
  ASSERT_OK_AND_ASSIGN(GeneratedDataset b, GenerateDataset(big));
  EXPECT_NEAR(static_cast<double>(b.rows) / s.rows, 4.0, 0.6);
}

TEST_F(GeneratorTest, RejectsBadOptions) {
  GeneratorOptions options = Small("bad");
  options.last_day = "2020-08-01";
  EXPECT_EQ(GenerateDataset(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Small("bad");
  options.sites = 0;
  EXPECT_EQ(GenerateDataset(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Small("bad");
  options.first_day = "yesterday";
  EXPECT_EQ(GenerateDataset(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace overlay
