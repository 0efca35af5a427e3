// Copyright 2026 The overlay Authors.
//
// GenerateDataset: writes a synthetic AirNow data set in exactly the real
// format and layout (ROOT/YYYYMMDD/YYYYMMDD-HH.csv, 13 quoted fields, LF
// line ends) from a seed, at a chosen scale. The default options come close
// to the real 2020 fire season: about 1.2 M rows from 2020-08-10 to
// 2020-09-24 every two hours (odd hours), ~1,400 sites with stable
// coordinates, names (some with commas) and agencies, the six parameters
// with their units and plausible ranges, and a realistic share of -999.
// The same options always produce byte-identical files.
// Thread-safe (no shared state); writes only below `root`.

#ifndef OVERLAY_CORE_DATAGEN_DATASET_GENERATOR_H_
#define OVERLAY_CORE_DATAGEN_DATASET_GENERATOR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace overlay {

struct GeneratorOptions {
  std::string root;  // created if missing
  uint64_t seed = 2020;
  std::string first_day = "2020-08-10";  // YYYY-MM-DD
  std::string last_day = "2020-09-24";   // YYYY-MM-DD, inclusive
  // Hours between files, 1..24. An even step starts at 01 (2: the real
  // set's 01, 03, ..., 23), an odd one at 00.
  int hour_step = 2;
  int sites = 1400;  // sites at scale 1 (1..1,000,000)
  // Multiplies rows per file (~2,260 at 1 with 1,400 sites, ~1.6 rows per
  // site and file). Up to 1 it thins the hourly reports of the same sites;
  // above 1 it adds sites (ceil(sites * scale)), because the real set has
  // at most one row per site, parameter and hour. In (0, 1000], with
  // sites * max(1, scale) <= 1,000,000.
  double scale = 1.0;
  // Share of days left out entirely, like the real set's gaps; [0, 1).
  double skip_day_probability = 0.0;
  // -999 concentration (and raw concentration, AQI and category).
  double missing_concentration_share = 0.0077;
  // -999 AQI and category, all causes: rows with a missing concentration,
  // then CO rows (the real set has no CO AQI), then any row. Must be >=
  // missing_concentration_share.
  double missing_category_share = 0.059;
  // Writer threads (0: hardware concurrency); does not change the bytes.
  int threads = 0;
};

struct GeneratedDataset {
  int64_t sites = 0;  // distinct sites (sites * max(1, scale))
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
};

// INVALID_ARGUMENT, with the reason, when GenerateDataset would refuse
// `options` (checked before anything is written).
[[nodiscard]] absl::Status ValidateGeneratorOptions(
    const GeneratorOptions& options);

// Writes the files below options.root (existing files of the same names are
// overwritten; nothing else is touched). INVALID_ARGUMENT for bad options
// (no file written), a PosixError status when writing fails.
[[nodiscard]] absl::StatusOr<GeneratedDataset> GenerateDataset(
    const GeneratorOptions& options);

}  // namespace overlay

#endif  // OVERLAY_CORE_DATAGEN_DATASET_GENERATOR_H_
