// Copyright 2026 The overlay Authors.
//
// The loader on small hand-written fixtures, one quirk each.

#include "core/store/csv_loader.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
    root_ = absl::StrCat(
        ::testing::TempDir(), "/csv-loader-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
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
      kGood, ",\"extra\"\n",                                 // long
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"abc\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n",  // bad number
      "\"1\",\"2\",\"2020-13-10T01:00\",\"PM2.5\",\"1\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n",  // bad time
      "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"1\",\"UG/M3\",\"1\","
      "\"1\",\"1\",\"S\",\"A\",\"1\",\"2\n",  // open quote
      "\n",                                   // blank: skipped
      kGood, "\n");
  Table t = ParseOne(text, &stats);
  EXPECT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(stats.rows, 2);
  EXPECT_EQ(stats.malformed_rows, 5);
  ASSERT_EQ(stats.errors.size(), 5u);
  EXPECT_THAT(stats.errors[0], HasSubstr("f.csv:2: expected 13 fields, got 5"));
  EXPECT_THAT(stats.errors[1],
              HasSubstr("f.csv:3: expected 13 fields, got 14"));
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
      "1.5,2.5,2020-08-10T01:00,CO,0.25,PPM,0.3,3,1,Site,Agency,1,2\n", &stats);
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
  Write("20200813", "a file named like a day");
  Write("20201340/20201340-01.csv", Row("2020-08-13T01:00", "bad date"));

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


// The data generation: the same files give the same value (whatever the
// threads, wherever the root lies); any change to the loaded files gives
// another; files outside the share do not count.
TEST_F(CsvLoaderTest, GenerationFollowsTheLoadedFiles) {
  Write("20200810/20200810-01.csv", Row("2020-08-10T01:00", "a"));
  Write("20200811/20200811-01.csv", Row("2020-08-11T01:00", "b"));
  const auto set_mtime = [&](const std::string& relative, int64_t seconds) {
    std::filesystem::last_write_time(
        absl::StrCat(root_, "/", relative),
        std::filesystem::file_time_type(std::chrono::seconds(seconds)));
  };
  set_mtime("20200810/20200810-01.csv", 1000);
  set_mtime("20200811/20200811-01.csv", 1000);
  LoadOptions options;
  options.root = root_;
  options.threads = 1;
  ASSERT_OK_AND_ASSIGN(LoadedTable first, LoadDataRoot(options));
  EXPECT_NE(first.stats.generation, 0u);
  options.threads = 2;
  ASSERT_OK_AND_ASSIGN(LoadedTable again, LoadDataRoot(options));
  EXPECT_EQ(again.stats.generation, first.stats.generation);

  // The same files below another root (a folder of the root that is no
  // day, so the root's own loads ignore it and TearDown removes it).
  const std::string copy = root_ + "/elsewhere";
  for (const char* f : {"20200810/20200810-01.csv", "20200811/20200811-01.csv"}) {
    const std::filesystem::path to = absl::StrCat(copy, "/", f);
    std::filesystem::create_directories(to.parent_path());
    std::filesystem::copy_file(absl::StrCat(root_, "/", f), to);
    std::filesystem::last_write_time(
        to, std::filesystem::file_time_type(std::chrono::seconds(1000)));
  }
  LoadOptions elsewhere = options;
  elsewhere.root = copy;
  ASSERT_OK_AND_ASSIGN(LoadedTable moved, LoadDataRoot(elsewhere));
  EXPECT_EQ(moved.stats.generation, first.stats.generation);

  // Touched: same bytes, another mtime.
  set_mtime("20200811/20200811-01.csv", 2000);
  ASSERT_OK_AND_ASSIGN(LoadedTable touched, LoadDataRoot(options));
  EXPECT_NE(touched.stats.generation, first.stats.generation);
  // Rewritten with the same mtime but another size.
  Write("20200811/20200811-01.csv",
        Row("2020-08-11T01:00", "b") + Row("2020-08-11T01:00", "c"));
  set_mtime("20200811/20200811-01.csv", 1000);
  ASSERT_OK_AND_ASSIGN(LoadedTable rewritten, LoadDataRoot(options));
  EXPECT_NE(rewritten.stats.generation, first.stats.generation);
  EXPECT_NE(rewritten.stats.generation, touched.stats.generation);
  // Restricted to the first day: the second day's file is not part of it.
  LoadOptions day = options;
  day.first_day = day.last_day = DaysFromCivil(2020, 8, 10);
  ASSERT_OK_AND_ASSIGN(LoadedTable one_day, LoadDataRoot(day));
  Write("20200811/20200811-01.csv", Row("2020-08-11T01:00", "z"));
  ASSERT_OK_AND_ASSIGN(LoadedTable one_day_again, LoadDataRoot(day));
  EXPECT_EQ(one_day.stats.generation, one_day_again.stats.generation);
  // A file added to the share.
  Write("20200810/20200810-03.csv", Row("2020-08-10T03:00", "d"));
  ASSERT_OK_AND_ASSIGN(LoadedTable added, LoadDataRoot(day));
  EXPECT_NE(added.stats.generation, one_day.stats.generation);
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

// A *.csv in a day folder that cannot be read fails the load rather than
// silently losing its rows (a directory here, so the test also runs as root).
TEST_F(CsvLoaderTest, UnreadableCsvInADayFolderIsAnError) {
  Write("20200810/20200810-01.csv", Row("2020-08-10T01:00", "a"));
  std::filesystem::create_directories(root_ + "/20200810/20200810-03.csv");
  LoadOptions options;
  options.root = root_;
  absl::StatusOr<LoadedTable> loaded = LoadDataRoot(options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("20200810-03.csv"));
}

// LoadDataRoot(root) in a child process that, when run as root (root reads
// every file, and CI runs as root), first drops to user nobody. Returns the
// status code and message.
std::pair<absl::StatusCode, std::string> LoadAsUnprivileged(
    const std::string& root) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {absl::StatusCode::kInternal, "pipe"};
  const pid_t child = fork();
  if (child < 0) return {absl::StatusCode::kInternal, "fork"};
  if (child == 0) {
    close(pipe_fds[0]);
    if (geteuid() == 0) {
      const passwd* nobody = getpwnam("nobody");
      const uid_t uid = nobody != nullptr ? nobody->pw_uid : 65534;
      const gid_t gid = nobody != nullptr ? nobody->pw_gid : 65534;
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0 ||
          geteuid() == 0) {
        _exit(100);
      }
    }
    LoadOptions options;
    options.root = root;
    options.threads = 1;  // no threads in the forked child
    const absl::Status status = LoadDataRoot(options).status();
    const std::string message(status.message());
    (void)!write(pipe_fds[1], message.data(), message.size());
    _exit(static_cast<int>(status.code()));
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[256];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) {
    message.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int wait_status = 0;
  if (waitpid(child, &wait_status, 0) != child || !WIFEXITED(wait_status)) {
    return {absl::StatusCode::kInternal, "the child did not exit"};
  }
  if (WEXITSTATUS(wait_status) == 100) {
    return {absl::StatusCode::kInternal, "could not drop to user nobody"};
  }
  return {static_cast<absl::StatusCode>(WEXITSTATUS(wait_status)), message};
}

TEST_F(CsvLoaderTest, UnreadableFileIsAnError) {
  Write("20200810/20200810-01.csv", Row("2020-08-10T01:00", "a"));
  Write("20200810/20200810-03.csv", Row("2020-08-10T03:00", "b"));
  // Control: the same user reads the root while the file is readable, so
  // the error below is the file's and not the way to it.
  const auto [readable, readable_message] = LoadAsUnprivileged(root_);
  ASSERT_EQ(readable, absl::StatusCode::kOk)
      << readable_message << " (the test root " << root_
      << " must be readable by user nobody)";
  std::filesystem::permissions(root_ + "/20200810/20200810-01.csv",
                               std::filesystem::perms::none);
  const auto [code, message] = LoadAsUnprivileged(root_);
  EXPECT_EQ(code, absl::StatusCode::kPermissionDenied) << message;
  EXPECT_THAT(message, HasSubstr("20200810-01.csv"));
}

// More files than work units, with uneven rows per file: the table is in
// file order, whatever the threads, and the per-unit site dictionaries merge.
TEST_F(CsvLoaderTest, RowOrderAndSitesDoNotDependOnThreads) {
  std::vector<double> expected;
  int file = 0;
  for (int day = 10; day <= 14; ++day) {
    for (int hour = 1; hour <= 23; hour += 3, ++file) {
      const std::string utc =
          absl::StrFormat("2020-08-%02dT%02d:00", day, hour);
      std::string text;
      for (int r = 0; r < (file * 7) % 5; ++r) {
        const double value = file * 10 + r;
        expected.push_back(value);
        text += absl::StrCat("\"", 40 + (file + r) % 5, ".5\",\"-120\",\"", utc,
                             "\",\"OZONE\",\"", value,
                             "\",\"PPB\",\"1\",\"1\",\"1\",\"Site ",
                             (file + r) % 5, "\",\"A\",\"", (file + r) % 5,
                             "\",\"84", (file + r) % 5, "\"\n");
      }
      // One malformed row in every third file.
      if (file % 3 == 0) text += "\"short\"\n";
      Write(absl::StrFormat("202008%02d/202008%02d-%02d.csv", day, day, hour),
            text);
    }
  }
  ASSERT_EQ(file, 40);
  for (int threads : {1, 2, 3, 8}) {
    LoadOptions options;
    options.root = root_;
    options.threads = threads;
    options.max_reported_errors = 4;
    ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(options));
    std::vector<double> values(loaded.table.concentration().begin(),
                               loaded.table.concentration().end());
    EXPECT_EQ(values, expected) << threads << " threads";
    EXPECT_EQ(loaded.table.sites().size(), 5u) << threads << " threads";
    EXPECT_EQ(loaded.stats.files, 40);
    EXPECT_EQ(loaded.stats.malformed_rows, 14);
    // The first errors in row order, not in the order threads met them.
    EXPECT_THAT(loaded.stats.errors,
                ::testing::ElementsAre(
                    "20200810/20200810-01.csv:1: expected 13 fields, got 1",
                    "20200810/20200810-10.csv:2: expected 13 fields, got 1",
                    "20200810/20200810-19.csv:3: expected 13 fields, got 1",
                    "20200811/20200811-04.csv:4: expected 13 fields, got 1"))
        << threads << " threads";
    for (size_t i = 0; i < loaded.table.num_rows(); ++i) {
      const Record r = loaded.table.GetRecord(i);
      const int site = static_cast<int>(r.latitude) - 40;
      ASSERT_EQ(r.site_name, absl::StrCat("Site ", site));
      ASSERT_EQ(r.full_aqs_id, absl::StrCat("84", site));
    }
  }
}

// Sites that differ only in a late decimal of a coordinate stay apart, in a
// parser's cache, in a builder, and across merged builders.
TEST_F(CsvLoaderTest, SitesDifferingInALateDecimalStayApart) {
  const std::string a =
      "\"41.75613\",\"-124.20347\",\"2020-08-10T01:00\",\"PM2.5\",\"1\","
      "\"UG/M3\",\"1\",\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n";
  std::string b = a;
  b.replace(b.find("41.75613"), 8, "41.75614");
  std::string c = a;
  c.replace(c.find("-124.20347"), 10, "-124.203470001");
  LoadStats stats;
  Table t = ParseOne(a + b + c + a, &stats);
  ASSERT_EQ(t.num_rows(), 4u);
  EXPECT_EQ(t.sites().size(), 3u);
  EXPECT_EQ(t.GetRecord(0).latitude, 41.75613);
  EXPECT_EQ(t.GetRecord(1).latitude, 41.75614);
  EXPECT_EQ(t.GetRecord(2).longitude, -124.203470001);
  EXPECT_EQ(t.site_index()[3], t.site_index()[0]);

  Write("20200810/20200810-01.csv", a + b);
  Write("20200810/20200810-03.csv", c + a);
  LoadOptions options;
  options.root = root_;
  options.threads = 2;
  ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(options));
  EXPECT_EQ(loaded.table.sites().size(), 3u);
  EXPECT_EQ(loaded.table.GetRecord(1).latitude, 41.75614);
  EXPECT_EQ(loaded.table.GetRecord(2).longitude, -124.203470001);

  TableBuilder builder;
  Record r = t.GetRecord(0);
  builder.AddRecord(r);
  r.latitude = 41.756130000001;
  builder.AddRecord(r);
  EXPECT_EQ(builder.Build().sites().size(), 2u);
}

TEST_F(CsvLoaderTest, NumbersParseExactly) {
  // The loader's fast decimal path must give the same doubles as strtod.
  std::string text;
  const std::vector<std::string> numbers = {"0.1",
                                            "17.3",
                                            "-124.20347",
                                            "0.025",
                                            "123456789012345",
                                            "1e3",
                                            "+2.5",
                                            "0.000001",
                                            ".5",
                                            "5.",
                                            "-0",
                                            "1.0000000000000002",
                                            "99999.99999"};
  for (const std::string& number : numbers) {
    text += absl::StrCat("\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"",
                         number, "\",\"UG/M3\",\"", number,
                         "\",\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n");
  }
  LoadStats stats;
  Table t = ParseOne(text, &stats);
  ASSERT_EQ(t.num_rows(), numbers.size())
      << ::testing::PrintToString(stats.errors);
  for (size_t i = 0; i < numbers.size(); ++i) {
    const double expected = std::strtod(numbers[i].c_str(), nullptr);
    EXPECT_EQ(t.concentration()[i], expected) << numbers[i];
    EXPECT_EQ(std::signbit(t.raw_concentration()[i]), std::signbit(expected))
        << numbers[i];
  }
  for (const char* bad : {"1.2.3", "-", ".", "1,5", "nan", "inf", "0x10", "--1",
                          "+-1", "+", "1 2"}) {
    LoadStats bad_stats;
    const std::string row = absl::StrCat(
        "\"1\",\"2\",\"2020-08-10T01:00\",\"PM2.5\",\"", bad,
        "\",\"UG/M3\",\"1\",\"1\",\"1\",\"S\",\"A\",\"1\",\"2\"\n");
    EXPECT_EQ(ParseOne(row, &bad_stats).num_rows(), 0u) << bad;
    EXPECT_EQ(bad_stats.malformed_rows, 1) << bad;
  }
}

// The checked-in fixture root (test/data/store_root, see its README.md).
std::string FixtureRoot() {
  return absl::StrCat(OVERLAY_TEST_DATA_DIR, "/store_root");
}

TEST(CsvFixtureTest, LoadsEveryQuirkFromTheFixtureRoot) {
  // Guard against a checkout that rewrote the CRLF fixture.
  std::ifstream crlf(FixtureRoot() + "/20200810/20200810-03.csv",
                     std::ios::binary);
  const std::string crlf_text((std::istreambuf_iterator<char>(crlf)),
                              std::istreambuf_iterator<char>());
  ASSERT_NE(crlf_text.find("\r\n"), std::string::npos)
      << "the CRLF fixture lost its CRs";

  LoadOptions options;
  options.root = FixtureRoot();
  options.threads = 2;
  ASSERT_OK_AND_ASSIGN(LoadedTable loaded, LoadDataRoot(options));
  const Table& t = loaded.table;
  EXPECT_EQ(loaded.stats.files, 4);  // README.md and notes/ ignored
  EXPECT_EQ(loaded.stats.rows, 10);
  EXPECT_EQ(loaded.stats.malformed_rows, 4);
  EXPECT_EQ(loaded.stats.missing_concentrations, 2);
  EXPECT_THAT(
      loaded.stats.errors,
      ::testing::ElementsAre(
          "20200810/20200810-03.csv:3: column 5 (concentration): not a number",
          "20200810/20200810-03.csv:4: expected 13 fields, got 12",
          "20200810/20200810-03.csv:5: expected 13 fields, got 14",
          "20200810/20200810-03.csv:6: bad quoting"));
  ASSERT_EQ(t.num_rows(), 10u);
  EXPECT_EQ(t.sites().size(), 4u);

  std::vector<std::string> order;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const Record r = t.GetRecord(i);
    order.push_back(absl::StrCat(FormatUtc(r.utc).substr(8), " ", r.parameter,
                                 " ", r.site_name));
  }
  EXPECT_THAT(order,
              ::testing::ElementsAre(
                  "10T01:00 PM2.5 Crescent City",
                  "10T01:00 OZONE Portland, SE Lafayette",
                  "10T01:00 PM2.5 Portland, SE Lafayette",
                  "10T01:00 NO2 Los Angeles \"Main St\"",
                  "10T01:00 CO San Francisco",  // unquoted fields
                  "10T01:00 BC Crescent City",  // unknown parameter kept
                  "10T03:00 PM2.5 Crescent City",
                  "10T03:00 OZONE Portland, SE Lafayette",
                  "10T03:00 NO2 Los Angeles \"Main St\"",  // no final newline
                  "12T23:00 PM2.5 Crescent City"));

  const Record portland = t.GetRecord(1);
  EXPECT_EQ(portland.agency, "Oregon DEQ, Portland");
  EXPECT_EQ(portland.aqs_id, "410510080");
  EXPECT_EQ(portland.full_aqs_id, "840410510080");
  EXPECT_EQ(portland.concentration, 21);
  EXPECT_EQ(portland.unit, "PPB");
  const Record minus_999 = t.GetRecord(2);
  EXPECT_EQ(minus_999.concentration, std::nullopt);
  EXPECT_EQ(minus_999.raw_concentration, std::nullopt);
  EXPECT_EQ(minus_999.aqi, std::nullopt);
  EXPECT_EQ(minus_999.category, std::nullopt);
  const Record empty = t.GetRecord(3);
  EXPECT_EQ(empty.concentration, std::nullopt);
  EXPECT_EQ(empty.raw_concentration, std::nullopt);
  EXPECT_EQ(empty.aqi, std::nullopt);
  EXPECT_EQ(empty.category, std::nullopt);
  const Record co = t.GetRecord(4);
  EXPECT_EQ(co.concentration, 0.25);
  EXPECT_EQ(co.raw_concentration, 0.3);
  EXPECT_EQ(co.aqi, std::nullopt);
  EXPECT_DOUBLE_EQ(co.latitude, 37.7658);
  EXPECT_GE(t.parameter()[5], kNumKnownParameters);
  EXPECT_EQ(t.parameter_names()[t.parameter()[5]], "BC");
  const Record last = t.GetRecord(9);
  EXPECT_EQ(last.utc, DaysFromCivil(2020, 8, 12) * 86400 + 23 * 3600);
  EXPECT_EQ(last.aqi, 89);
  EXPECT_EQ(last.category, 2);
  EXPECT_EQ(last.raw_concentration, 31);
}

TEST(CsvFixtureTest, RestrictsToADayRangeOrADayList) {
  LoadOptions options;
  options.root = FixtureRoot();
  options.first_day = DaysFromCivil(2020, 8, 11);
  ASSERT_OK_AND_ASSIGN(LoadedTable range, LoadDataRoot(options));
  EXPECT_EQ(range.stats.files, 2);
  ASSERT_EQ(range.table.num_rows(), 1u);
  EXPECT_EQ(FormatUtc(range.table.GetRecord(0).utc), "2020-08-12T23:00");

  options.first_day.reset();
  options.last_day = DaysFromCivil(2020, 8, 10);
  ASSERT_OK_AND_ASSIGN(LoadedTable first, LoadDataRoot(options));
  EXPECT_EQ(first.stats.files, 2);
  EXPECT_EQ(first.table.num_rows(), 9u);

  options.last_day.reset();
  options.days = {DaysFromCivil(2020, 8, 12), DaysFromCivil(2020, 8, 11)};
  ASSERT_OK_AND_ASSIGN(LoadedTable list, LoadDataRoot(options));
  EXPECT_EQ(list.stats.files, 2);
  EXPECT_EQ(list.table.num_rows(), 1u);

  options.days = {DaysFromCivil(2020, 9, 1)};
  ASSERT_OK_AND_ASSIGN(LoadedTable none, LoadDataRoot(options));
  EXPECT_EQ(none.stats.files, 0);
  EXPECT_EQ(none.table.num_rows(), 0u);
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
