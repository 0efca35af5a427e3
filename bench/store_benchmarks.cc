// Copyright 2026 The overlay Authors.
//
// Load rate and scan rate of the store, on the real data set when present
// ($OVERLAY_DATA, else ../shared/data/2020-fire/data from the repo root),
// else on a generated one. OVERLAY_BENCH_SMOKE=1 uses a tiny generated set.
//
//   build/bin/store_benchmark --benchmark_filter=Load
//   build/bin/store_benchmark --benchmark_filter=Scan
//
// BM_LoadDataRoot reports wall time (UseRealTime), rows/s, MB/s and two
// memory figures: rss_bytes_per_row, the growth of /proc/self/statm's
// resident size over the first load of the process, and table_bytes_per_row,
// Table::MemoryBytes().

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "glog/logging.h"

namespace overlay {
namespace {

bool Smoke() {
  const char* smoke = std::getenv("OVERLAY_BENCH_SMOKE");
  return smoke != nullptr && std::string(smoke) == "1";
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// The data root: real when present (and not a smoke run), else generated.
const std::string& DataRoot() {
  static const std::string* root = [] {
    const char* env = std::getenv("OVERLAY_DATA");
    std::string real = env != nullptr && *env
                           ? env
                           : std::string(OVERLAY_SOURCE_DIR) +
                                 "/../shared/data/2020-fire/data";
    struct stat st;
    if (!Smoke() && stat(real.c_str(), &st) == 0) {
      return new std::string(real);
    }
    auto* generated = new std::string(
        absl::StrCat(std::filesystem::temp_directory_path().string(),
                     "/overlay-store-bench-", getpid()));
    GeneratorOptions options;
    options.root = *generated;
    options.scale = Smoke() ? 0.01 : 1.0;
    options.sites = Smoke() ? 100 : 1400;
    CHECK(GenerateDataset(options).ok());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(DataRoot(), ignored);
    });
    return generated;
  }();
  return *root;
}

const Table& LoadedTableOnce() {
  static const Table* table = [] {
    LoadOptions options;
    options.root = DataRoot();
    auto loaded = LoadDataRoot(options);
    CHECK(loaded.ok()) << loaded.status();
    return new Table(std::move(loaded->table));
  }();
  return *table;
}

void BM_LoadDataRoot(benchmark::State& state) {
  LoadOptions options;
  options.root = DataRoot();
  options.threads = static_cast<int>(state.range(0));
  int64_t rows = 0, bytes = 0;
  // Resident growth of the first load in this process: later loads reuse
  // pages the allocator kept, so only the first one measures the table.
  static double rss_per_row = -1;
  for (auto _ : state) {
    const int64_t before = ResidentBytes();
    auto loaded = LoadDataRoot(options);
    CHECK(loaded.ok()) << loaded.status();
    if (rss_per_row < 0) {
      rss_per_row = static_cast<double>(ResidentBytes() - before) /
                    std::max<int64_t>(1, loaded->stats.rows);
    }
    rows += loaded->stats.rows;
    bytes += loaded->stats.bytes;
    state.counters["table_bytes_per_row"] =
        static_cast<double>(loaded->table.MemoryBytes()) /
        std::max<int64_t>(1, loaded->stats.rows);
  }
  state.SetItemsProcessed(rows);
  state.SetBytesProcessed(bytes);
  state.counters["rss_bytes_per_row"] = rss_per_row;
  state.SetLabel(DataRoot());
}
BENCHMARK(BM_LoadDataRoot)
    ->Arg(2)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

void RunScan(benchmark::State& state, const Filter& filter) {
  const Table& table = LoadedTableOnce();
  int64_t matches = 0;
  for (auto _ : state) {
    auto count = CountMatches(table, filter);
    matches = *count;
    benchmark::DoNotOptimize(matches);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(table.num_rows()));
  state.counters["matches"] = static_cast<double>(matches);
}

void BM_ScanParameterConcentration(benchmark::State& state) {
  Filter filter;
  filter.parameters = {Parameter::kPm25};
  filter.min_concentration = 10;
  filter.max_concentration = 50;
  RunScan(state, filter);
}
BENCHMARK(BM_ScanParameterConcentration);

void BM_ScanTimeWindow(benchmark::State& state) {
  Filter filter;
  filter.parameters = {Parameter::kOzone};
  filter.from_utc = DaysFromCivil(2020, 9, 1) * 86400;
  filter.to_utc = DaysFromCivil(2020, 9, 3) * 86400;
  RunScan(state, filter);
}
BENCHMARK(BM_ScanTimeWindow);

void BM_ScanSitePrefix(benchmark::State& state) {
  Filter filter;
  filter.prefix = "Los Angeles";
  RunScan(state, filter);
}
BENCHMARK(BM_ScanSitePrefix);

void BM_ScanSiteKeys(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  // get_by_key on a few sites: an AQS id and a full AQS id of each.
  for (size_t i = 0; i < table.sites().size() && i < 40; i += 10) {
    filter.site_keys.push_back(i % 20 == 0 ? table.sites()[i].aqs_id
                                           : table.sites()[i].full_aqs_id);
  }
  RunScan(state, filter);
}
BENCHMARK(BM_ScanSiteKeys);

void BM_ExecuteWithRows(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  filter.parameters = {Parameter::kPm25};
  filter.min_concentration = 10;
  filter.max_concentration = 50;
  for (auto _ : state) {
    auto rows = ExecuteFilter(table, filter);
    benchmark::DoNotOptimize(rows);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(table.num_rows()));
}
BENCHMARK(BM_ExecuteWithRows);

}  // namespace
}  // namespace overlay

BENCHMARK_MAIN();
