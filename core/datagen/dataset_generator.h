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

#include "absl/status/statusor.h"

namespace overlay {

struct GeneratorOptions {
  std::string root;                  // created if missing
  uint64_t seed = 2020;
  std::string first_day = "2020-08-10";
  std::string last_day = "2020-09-24";
  int hour_step = 2;                 // files at hours 1, 3, ..., 23
  int sites = 1400;
  double scale = 1.0;                // multiplies rows per file (~2,260 at 1)
  double skip_day_probability = 0.0; // days left out entirely, like the real set
  double missing_concentration_share = 0.0077;  // -999 concentrations
  double missing_category_share = 0.059;        // -999 AQI and category
  int threads = 0;                   // 0: hardware concurrency
};

struct GeneratedDataset {
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
};

absl::StatusOr<GeneratedDataset> GenerateDataset(
    const GeneratorOptions& options);

}  // namespace overlay

#endif  // OVERLAY_CORE_DATAGEN_DATASET_GENERATOR_H_
