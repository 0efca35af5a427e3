// Copyright 2026 The overlay Authors.

#include "test/test_util/generated_data.h"

#include <cstdlib>

#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "glog/logging.h"
#include "test/test_util/node_process.h"

namespace overlay::testing {

GeneratedData& GeneratedData::Get() {
  static GeneratedData* data = [] {
    auto* made = new GeneratedData();
    std::atexit([] { RemoveTree(Get().dir_); });
    return made;
  }();
  return *data;
}

GeneratedData::GeneratedData() {
  dir_ = MakeTempDir("overlay-generated");
  root_ = dir_ + "/data";
  GeneratorOptions options;
  options.root = root_;
  options.seed = 11;
  options.sites = 120;
  options.scale = 0.03;
  options.skip_day_probability = 0.05;
  auto generated = GenerateDataset(options);
  CHECK(generated.ok()) << generated.status();
  LoadOptions load;
  load.root = root_;
  auto loaded = LoadDataRoot(load);
  CHECK(loaded.ok()) << loaded.status();
  table_ = std::move(loaded->table);
}

GeneratedData::~GeneratedData() = default;

std::vector<Record> GeneratedData::DirectScan(const Filter& filter) const {
  auto rows = ExecuteFilter(table_, filter);
  CHECK(rows.ok()) << rows.status();
  std::vector<Record> records;
  records.reserve(rows->size());
  for (uint32_t row : *rows) records.push_back(table_.GetRecord(row));
  return records;
}

}  // namespace overlay::testing
