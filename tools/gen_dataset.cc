// Copyright 2026 The overlay Authors.
//
// gen_dataset --out DIR [--seed N] [--scale X] [--sites N] [--from DAY]
//             [--to DAY] [--hour-step H] [--skip-days P] [--threads T]
//             [--force]
//
// Writes a synthetic AirNow data set in the real format and layout
// (DIR/YYYYMMDD/YYYYMMDD-HH.csv) and prints a one-line summary. Refuses a
// non-empty DIR unless --force, which first removes the YYYYMMDD folders
// in it (and nothing else). Flag names take '-' or '_' ("--hour-step" is
// "--hour_step").

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "core/datagen/dataset_generator.h"

ABSL_FLAG(std::string, out, "",
          "output root; YYYYMMDD folders are written below it (required)");
ABSL_FLAG(uint64_t, seed, 2020,
          "random seed; the same options give the "
          "same bytes");
ABSL_FLAG(double, scale, 1.0,
          "rows relative to the real set (~2,260 rows per file at 1 with "
          "1,400 sites); above 1 it adds sites");
ABSL_FLAG(int, sites, 1400, "number of monitoring sites at scale 1");
ABSL_FLAG(std::string, from, "2020-08-10", "first day, YYYY-MM-DD");
ABSL_FLAG(std::string, to, "2020-09-24", "last day, YYYY-MM-DD (inclusive)");
ABSL_FLAG(int, hour_step, 2,
          "hours between files; an even step starts at 01 (the real set's "
          "odd hours), an odd one at 00 (also --hour-step)");
ABSL_FLAG(double, skip_days, 0.0,
          "probability that a day is left out, like the real set's gaps "
          "(also --skip-days)");
ABSL_FLAG(int, threads, 0, "writer threads (0: one per core)");
ABSL_FLAG(bool, force, false,
          "write into a non-empty --out, replacing its YYYYMMDD folders");

namespace {

namespace fs = std::filesystem;

// absl flag names cannot hold '-': accept "--hour-step" as "--hour_step".
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  return args;
}

bool IsDayFolder(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  if (name.size() != 8 || !entry.is_directory()) return false;
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int Fail(std::string_view message) {
  std::cerr << "gen_dataset: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "writes a synthetic AirNow data set (DIR/YYYYMMDD/YYYYMMDD-HH.csv).\n"
      "usage: gen_dataset --out DIR [--seed N] [--scale X] [--sites N] "
      "[--from YYYY-MM-DD] [--to YYYY-MM-DD] [--hour-step H] [--skip-days P] "
      "[--threads T] [--force]");
  std::vector<std::string> normalized = NormalizeFlagNames(argc, argv);
  std::vector<char*> args;
  for (std::string& arg : normalized) args.push_back(arg.data());
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() > 1) {
    return Fail(absl::StrFormat("unexpected argument '%s' (see --help)",
                                positional[1]));
  }

  overlay::GeneratorOptions options;
  options.root = absl::GetFlag(FLAGS_out);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.scale = absl::GetFlag(FLAGS_scale);
  options.sites = absl::GetFlag(FLAGS_sites);
  options.first_day = absl::GetFlag(FLAGS_from);
  options.last_day = absl::GetFlag(FLAGS_to);
  options.hour_step = absl::GetFlag(FLAGS_hour_step);
  options.skip_day_probability = absl::GetFlag(FLAGS_skip_days);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.root.empty()) return Fail("--out DIR is required (see --help)");
  if (absl::Status valid = overlay::ValidateGeneratorOptions(options);
      !valid.ok()) {
    return Fail(valid.ToString());
  }

  std::error_code error;
  const fs::file_status status = fs::status(options.root, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      return Fail(
          absl::StrFormat("%s exists and is not a directory", options.root));
    }
    const bool empty = fs::is_empty(options.root, error);
    if (error) {
      return Fail(
          absl::StrFormat("cannot read %s: %s", options.root, error.message()));
    }
    if (!empty) {
      if (!absl::GetFlag(FLAGS_force)) {
        return Fail(absl::StrFormat(
            "%s is not empty; pass --force to replace its YYYYMMDD folders",
            options.root));
      }
      std::vector<fs::path> old_days;
      for (const fs::directory_entry& entry :
           fs::directory_iterator(options.root, error)) {
        if (IsDayFolder(entry)) old_days.push_back(entry.path());
      }
      for (const fs::path& path : old_days) {
        fs::remove_all(path, error);
        if (error) {
          return Fail(absl::StrFormat("cannot remove %s: %s", path.string(),
                                      error.message()));
        }
      }
    }
  }

  const auto start = std::chrono::steady_clock::now();
  const absl::StatusOr<overlay::GeneratedDataset> generated =
      overlay::GenerateDataset(options);
  if (!generated.ok()) return Fail(generated.status().ToString());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cout << absl::StrFormat(
      "gen_dataset: %d files, %d rows, %d bytes, %d sites in %.2f s into %s\n",
      generated->files, generated->rows, generated->bytes, generated->sites,
      seconds, options.root);
  return 0;
}
