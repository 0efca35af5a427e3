// Copyright 2026 The overlay Authors.
//
// Load rate, scan rate and each access path of the store, on the real data
// set when present ($OVERLAY_DATA, else ../shared/data/2020-fire/data from
// the repo root), else on a generated one. OVERLAY_BENCH_SMOKE=1 uses a tiny
// generated set.
//
//   build/bin/store_benchmark --benchmark_filter=Load
//   build/bin/store_benchmark --benchmark_filter=Scan
//   build/bin/store_benchmark --benchmark_filter='Path|Plan|Index'
//
// BM_LoadDataRoot reports wall time (UseRealTime), rows/s, MB/s and three
// memory figures: rss_bytes_per_row, the growth of /proc/self/statm's
// resident size over the first load of the process, table_bytes_per_row,
// Table::MemoryBytes() (index included), and index_bytes_per_row, the
// index's share of it.
//
// BM_Scan* count matches (CountMatches) and report table rows/s, as they
// always have; a plan whose path settles every condition counts without
// reading rows, so these rates can exceed any scan. BM_Path* materialise
// the rows (ExecuteFilter) and report the time a query, its access path
// (label), matches, rows touched, and touched_per_s; BM_Plan* time the plan
// alone.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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
    state.counters["index_bytes_per_row"] =
        static_cast<double>(loaded->table.index().MemoryBytes()) /
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

// ---------------------------------------------------------------------------
// Access paths. Keys, prefix and day are the real set's when it is loaded
// (060371103 is Los Angeles-N. Main Street, 1,958 rows), else taken from the
// middle row of the generated set.

const Site& MiddleSite(const Table& table) {
  return table.sites()[table.site_index()[table.num_rows() / 2]];
}

std::string BenchKey(const Table& table) {
  if (!table.index().SitesWithKey("060371103").empty()) return "060371103";
  return MiddleSite(table).aqs_id;
}

std::string BenchPrefix(const Table& table) {
  std::vector<uint32_t> sites;
  table.index().SitesWithPrefix(table, "Los Angeles", &sites);
  if (!sites.empty()) return "Los Angeles";
  return MiddleSite(table).site_name.substr(0, 3);
}

// The day of 2020-09-01 if the table holds it, else of its middle row.
int64_t BenchDay(const Table& table) {
  const int64_t day = DaysFromCivil(2020, 9, 1) * 86400;
  const absl::Span<const int64_t> utc = table.utc();
  if (!utc.empty() && utc.front() <= day && day <= utc.back()) return day;
  return utc.empty() ? day : utc[utc.size() / 2] / 86400 * 86400;
}

// Runs `filter` through ExecuteFilter (rows materialised).
void RunPath(benchmark::State& state, const Filter& filter) {
  const Table& table = LoadedTableOnce();
  auto cursor = ScanCursor::Create(table, filter);
  CHECK(cursor.ok()) << cursor.status();
  size_t matches = 0;
  for (auto _ : state) {
    auto rows = ExecuteFilter(table, filter);
    matches = rows->size();
    benchmark::DoNotOptimize(rows->data());
  }
  state.SetLabel(std::string(AccessPathName(cursor->path())));
  state.counters["matches"] = static_cast<double>(matches);
  state.counters["touched"] = static_cast<double>(cursor->estimated_rows());
  state.counters["touched_per_s"] =
      benchmark::Counter(static_cast<double>(cursor->estimated_rows()),
                         benchmark::Counter::kIsIterationInvariantRate);
}

// Index build alone, on the loaded table (part of every load).
void BM_BuildIndex(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  for (auto _ : state) {
    TableIndex index;
    index.Build(table);
    benchmark::DoNotOptimize(&index);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(table.num_rows()));
  state.counters["index_bytes_per_row"] =
      static_cast<double>(table.index().MemoryBytes()) /
      static_cast<double>(std::max<size_t>(1, table.num_rows()));
}
BENCHMARK(BM_BuildIndex)->Unit(benchmark::kMillisecond);

// No index helps: a concentration range over every row.
void BM_PathFullScan(benchmark::State& state) {
  Filter filter;
  filter.min_concentration = 10;
  filter.max_concentration = 50;
  RunPath(state, filter);
}
BENCHMARK(BM_PathFullScan)->Unit(benchmark::kMicrosecond);

// get_by_key of one site over the whole table.
void BM_PathGetByKey(benchmark::State& state) {
  Filter filter;
  filter.site_keys = {BenchKey(LoadedTableOnce())};
  RunPath(state, filter);
}
BENCHMARK(BM_PathGetByKey)->Unit(benchmark::kMicrosecond);

// get_by_key with 10,000 keys: every site's AQS id (all rows) or 50 sites'
// (the rest junk).
void BM_PathGetByKeys10000(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  const size_t sites = state.range(0) == 0
                           ? table.sites().size()
                           : std::min<size_t>(50, table.sites().size());
  for (size_t s = 0; s < sites; ++s) {
    filter.site_keys.push_back(
        table.sites()[s * table.sites().size() / sites].aqs_id);
  }
  for (int k = 0; filter.site_keys.size() < 10000; ++k) {
    filter.site_keys.push_back(absl::StrCat("junk-", k));
  }
  RunPath(state, filter);
}
BENCHMARK(BM_PathGetByKeys10000)
    ->ArgName("all_sites")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);

// get_by_prefix on a site name ("Los Angeles" on the real set).
void BM_PathPrefix(benchmark::State& state) {
  Filter filter;
  filter.prefix = BenchPrefix(LoadedTableOnce());
  RunPath(state, filter);
}
BENCHMARK(BM_PathPrefix)->Unit(benchmark::kMicrosecond);

// A broad prefix: every California AQS id.
void BM_PathPrefixBroad(benchmark::State& state) {
  Filter filter;
  filter.prefix = "06";
  RunPath(state, filter);
}
BENCHMARK(BM_PathPrefixBroad)->Unit(benchmark::kMicrosecond);

// A one-day window alone, and with PM2.5 10..50 (W6's shape).
void BM_PathTimeWindow(benchmark::State& state) {
  Filter filter;
  filter.from_utc = BenchDay(LoadedTableOnce());
  filter.to_utc = *filter.from_utc + 86400 - 1;
  if (state.range(0) == 1) {
    filter.parameters = {Parameter::kPm25};
    filter.min_concentration = 10;
    filter.max_concentration = 50;
  }
  RunPath(state, filter);
}
BENCHMARK(BM_PathTimeWindow)
    ->ArgName("pm25_10_50")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);

// A parameter alone (every PM2.5 row), and with 10..50 (W2's shape).
void BM_PathParameter(benchmark::State& state) {
  Filter filter;
  filter.parameters = {Parameter::kPm25};
  if (state.range(0) == 1) {
    filter.min_concentration = 10;
    filter.max_concentration = 50;
  }
  RunPath(state, filter);
}
BENCHMARK(BM_PathParameter)
    ->ArgName("10_50")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);

// Two parameters: their lists merge back into row order (or a scan wins).
void BM_PathTwoParameters(benchmark::State& state) {
  Filter filter;
  filter.parameters = {Parameter::kNo2, Parameter::kSo2};
  filter.min_concentration = 1;
  RunPath(state, filter);
}
BENCHMARK(BM_PathTwoParameters)->Unit(benchmark::kMicrosecond);

// The node's shape: W2 in slices of 65,536 touched rows, as a worker that
// checks for cancellation between slices.
void BM_PathSliced(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  filter.parameters = {Parameter::kPm25};
  filter.min_concentration = 10;
  filter.max_concentration = 50;
  size_t slices = 0;
  for (auto _ : state) {
    auto cursor = ScanCursor::Create(table, filter);
    std::vector<uint32_t> rows;
    slices = 1;
    while (!cursor->Next(static_cast<size_t>(state.range(0)), &rows)) {
      ++slices;
    }
    benchmark::DoNotOptimize(rows.data());
  }
  state.counters["slices"] = static_cast<double>(slices);
}
BENCHMARK(BM_PathSliced)->Arg(65536)->Arg(4096)->Unit(benchmark::kMicrosecond);

// Planning alone (what a reactor thread pays before any row): 10,000 site
// keys, and a prefix.
void BM_PlanKeys10000(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  for (const Site& site : table.sites()) {
    filter.site_keys.push_back(site.full_aqs_id);
    if (filter.site_keys.size() == 10000) break;
  }
  for (int k = 0; filter.site_keys.size() < 10000; ++k) {
    filter.site_keys.push_back(absl::StrCat("junk-", k));
  }
  for (auto _ : state) {
    auto cursor = ScanCursor::Create(table, filter);
    benchmark::DoNotOptimize(cursor->estimated_rows());
  }
}
BENCHMARK(BM_PlanKeys10000)->Unit(benchmark::kMicrosecond);

void BM_PlanPrefix(benchmark::State& state) {
  const Table& table = LoadedTableOnce();
  Filter filter;
  filter.prefix = BenchPrefix(table);
  for (auto _ : state) {
    auto cursor = ScanCursor::Create(table, filter);
    benchmark::DoNotOptimize(cursor->estimated_rows());
  }
}
BENCHMARK(BM_PlanPrefix)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace overlay

BENCHMARK_MAIN();
