// Copyright 2026 The overlay Authors.
//
// gen_dataset --out DIR [--seed N] [--scale X] [--sites N] [--from DAY]
//             [--to DAY] [--hour-step H] [--skip-days P] [--threads T]
//             [--force]
// Writes a synthetic AirNow data set in the real format and layout.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/datagen/dataset_generator.h"

ABSL_FLAG(std::string, out, "", "output root (YYYYMMDD folders go here)");
ABSL_FLAG(uint64_t, seed, 2020, "random seed; same seed, same bytes");
ABSL_FLAG(double, scale, 1.0, "rows per file relative to the real set");
ABSL_FLAG(int, sites, 1400, "number of monitoring sites");
ABSL_FLAG(std::string, from, "2020-08-10", "first day");
ABSL_FLAG(std::string, to, "2020-09-24", "last day");
ABSL_FLAG(int, hour_step, 2, "hours between files (2: odd hours as the real set)");
ABSL_FLAG(double, skip_days, 0.0, "probability that a day is left out");
ABSL_FLAG(int, threads, 0, "writer threads (0: all cores)");
ABSL_FLAG(bool, force, false, "replace an existing data set in --out");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gen_dataset --out DIR [--scale 1.0] [--seed 2020] [--force]");
  absl::ParseCommandLine(argc, argv);
  overlay::GeneratorOptions options;
  options.root = absl::GetFlag(FLAGS_out);
  if (options.root.empty()) {
    std::cerr << "gen_dataset: --out is required\n";
    return 2;
  }
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(options.root, error) && !fs::is_empty(options.root, error)) {
    if (!absl::GetFlag(FLAGS_force)) {
      std::cerr << "gen_dataset: " << options.root
                << " is not empty; use --force to replace its data set\n";
      return 2;
    }
    const std::regex day_folder("[0-9]{8}");
    for (const auto& entry : fs::directory_iterator(options.root, error)) {
      if (entry.is_directory() &&
          std::regex_match(entry.path().filename().string(), day_folder)) {
        fs::remove_all(entry.path(), error);
      }
    }
  }
  options.seed = absl::GetFlag(FLAGS_seed);
  options.scale = absl::GetFlag(FLAGS_scale);
  options.sites = absl::GetFlag(FLAGS_sites);
  options.first_day = absl::GetFlag(FLAGS_from);
  options.last_day = absl::GetFlag(FLAGS_to);
  options.hour_step = absl::GetFlag(FLAGS_hour_step);
  options.skip_day_probability = absl::GetFlag(FLAGS_skip_days);
  options.threads = absl::GetFlag(FLAGS_threads);
  const auto start = std::chrono::steady_clock::now();
  auto generated = overlay::GenerateDataset(options);
  if (!generated.ok()) {
    std::cerr << "gen_dataset: " << generated.status().message() << "\n";
    return 1;
  }
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  std::cout << "gen_dataset: " << generated->files << " files, "
            << generated->rows << " rows, " << generated->bytes
            << " bytes in " << seconds << " s into " << options.root << "\n";
  return 0;
}
