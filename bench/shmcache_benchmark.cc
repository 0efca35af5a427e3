// Copyright 2026 The overlay Authors.
//
// Microbenchmarks of the shared cache segment (core/shmcache): an index hit
// on a small value (a query plan), a 64 KiB chunk read (copy out + checksum)
// and puts. Besides Google Benchmark's mean, each reports per-operation
// percentiles (p50_ns, p99_ns, p999_ns) timed with CLOCK_MONOTONIC around
// every single call (the ~20 ns timer cost is included). Each benchmark
// creates its own segment in /dev/shm and removes it at the end.
//
//   build-shm/bin/shmcache_benchmark --benchmark_repetitions=3

#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"

namespace overlay {
namespace {

constexpr int64_t kTtl = int64_t{600} * 1'000'000'000;

bool Smoke() { return std::getenv("OVERLAY_BENCH_SMOKE") != nullptr; }

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// A segment of its own for one benchmark run.
std::unique_ptr<ShmCache> MakeCache(benchmark::State& state,
                                    uint64_t size_bytes,
                                    uint32_t bucket_count = 0) {
  static std::atomic<int> counter{0};
  ShmCacheOptions options;
  options.name =
      absl::StrCat("overlay-bench-", ::getpid(), "-", counter.fetch_add(1));
  options.size_bytes = Smoke() ? uint64_t{8} << 20 : size_bytes;
  options.bucket_count = bucket_count;
  auto cache =
      ShmCache::CreateOrAttach(options, PosixApi::Real(), RealClock::Get());
  if (!cache.ok()) {
    state.SkipWithError(cache.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(cache);
}

std::string ChunkKey(int i) {
  return absl::StrCat("chunk/v1/filter=PM2.5:[10,50]/share=", i % 4,
                      "/gen=17/size=65536/index=", i);
}

std::string Bytes(size_t size, int seed) {
  std::string value(size, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ULL * (seed + 1);
  for (char& c : value) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return value;
}

// Per-operation latencies of one benchmark run.
class Latencies {
 public:
  Latencies() { nanos_.reserve(1 << 20); }
  void Record(int64_t nanos) {
    if (nanos_.size() < nanos_.capacity()) nanos_.push_back(nanos);
  }
  void Report(benchmark::State& state) {
    if (nanos_.empty()) return;
    std::sort(nanos_.begin(), nanos_.end());
    const auto at = [&](double q) {
      return static_cast<double>(nanos_[std::min(
          nanos_.size() - 1, static_cast<size_t>(q * nanos_.size()))]);
    };
    state.counters["p50_ns"] = at(0.50);
    state.counters["p99_ns"] = at(0.99);
    state.counters["p999_ns"] = at(0.999);
  }

 private:
  std::vector<int64_t> nanos_;
};

// Get of a small value (a few-hundred-byte query plan): fingerprint, set
// scan, copy, checksum. Target: p50 <= 1 us.
void BM_IndexHit(benchmark::State& state) {
  // Enough buckets that no set of the 1000 keys overflows.
  auto cache = MakeCache(state, uint64_t{64} << 20, /*bucket_count=*/16384);
  if (cache == nullptr) return;
  constexpr int kKeys = 1000;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(absl::StrCat("plan/v1/filter=PM2.5:[10,50]/limit=", i));
    if (!cache->Put(keys.back(), Bytes(300, i), kTtl).ok()) {
      state.SkipWithError("put failed");
      return;
    }
  }
  std::string out;
  out.reserve(4096);
  Latencies latencies;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ % kKeys];
    const int64_t start = NowNanos();
    const bool hit = cache->Get(key, &out);
    latencies.Record(NowNanos() - start);
    if (!hit) state.SkipWithError("miss");
    benchmark::DoNotOptimize(out.data());
  }
  latencies.Report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexHit);

void BM_Miss(benchmark::State& state) {
  auto cache = MakeCache(state, uint64_t{64} << 20);
  if (cache == nullptr) return;
  const std::string key = ChunkKey(123456);
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Get(key, &out));
  }
}
BENCHMARK(BM_Miss);

// Get of a 64 KiB chunk, copy out + checksum. Arg: distinct values read in
// turn (1 = one hot value in L2; 256 = 16 MiB, mostly from memory).
// Target: p99 <= 15 us.
void BM_Read64KiB(benchmark::State& state) {
  auto cache = MakeCache(state, uint64_t{64} << 20);
  if (cache == nullptr) return;
  const int values = Smoke() ? 4 : static_cast<int>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; i < values; ++i) {
    keys.push_back(ChunkKey(i));
    if (!cache->Put(keys.back(), Bytes(64 * 1024, i), kTtl).ok()) {
      state.SkipWithError("put failed");
      return;
    }
  }
  std::string out(64 * 1024, '\0');
  Latencies latencies;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ % keys.size()];
    const int64_t start = NowNanos();
    const bool hit = cache->Get(key, &out);
    latencies.Record(NowNanos() - start);
    if (!hit) state.SkipWithError("miss");
    benchmark::DoNotOptimize(out.data());
  }
  latencies.Report(state);
  state.SetBytesProcessed(state.iterations() * 64 * 1024);
}
BENCHMARK(BM_Read64KiB)->Arg(1)->Arg(256);

// The same read while another thread keeps rewriting the same 64 KiB
// chunks (seqlock retries, contention on the arena head and the counters,
// shared memory bandwidth). A read that finds its key mid-rewrite misses;
// misses are counted, not timed.
void BM_Read64KiBWithConcurrentWriter(benchmark::State& state) {
  auto cache = MakeCache(state, uint64_t{64} << 20);
  if (cache == nullptr) return;
  constexpr int kValues = 64;
  std::vector<std::string> keys;
  for (int i = 0; i < kValues; ++i) {
    keys.push_back(ChunkKey(i));
    if (!cache->Put(keys.back(), Bytes(64 * 1024, i), kTtl).ok()) {
      state.SkipWithError("put failed");
      return;
    }
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const std::string value = Bytes(64 * 1024, 999);
    for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      (void)cache->Put(keys[(i * 7) % kValues], value, kTtl);
    }
  });
  std::string out(64 * 1024, '\0');
  Latencies latencies;
  int64_t misses = 0;
  size_t i = 0;
  for (auto _ : state) {
    const int64_t start = NowNanos();
    const bool hit = cache->Get(keys[i++ % kValues], &out);
    const int64_t elapsed = NowNanos() - start;
    if (hit) {
      latencies.Record(elapsed);
    } else {
      ++misses;
    }
    benchmark::DoNotOptimize(out.data());
  }
  stop.store(true);
  writer.join();
  latencies.Report(state);
  state.counters["misses"] = static_cast<double>(misses);
  state.counters["torn_retries"] =
      static_cast<double>(cache->stats().segment.torn_read_retries);
  state.SetBytesProcessed(state.iterations() * 64 * 1024);
}
BENCHMARK(BM_Read64KiBWithConcurrentWriter)->UseRealTime();

// Put of a value of Arg bytes over a set of keys (overwrites in place; the
// ring wraps). Includes the checksum and the copy into the arena.
void BM_Put(benchmark::State& state) {
  auto cache = MakeCache(state, uint64_t{64} << 20);
  if (cache == nullptr) return;
  const auto size = static_cast<size_t>(state.range(0));
  const std::string value = Bytes(size, 1);
  constexpr int kKeys = 256;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(ChunkKey(i));
  Latencies latencies;
  size_t i = 0;
  for (auto _ : state) {
    const int64_t start = NowNanos();
    const absl::Status status = cache->Put(keys[i++ % kKeys], value, kTtl);
    latencies.Record(NowNanos() - start);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
  }
  latencies.Report(state);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}
BENCHMARK(BM_Put)->Arg(300)->Arg(64 * 1024)->Arg(700 * 1024);

void BM_Sweep(benchmark::State& state) {
  auto cache = MakeCache(state, uint64_t{256} << 20);
  if (cache == nullptr) return;
  for (int i = 0; i < 2000; ++i) {
    (void)cache->Put(ChunkKey(i), Bytes(64 * 1024, i % 7), kTtl);
  }
  for (auto _ : state) benchmark::DoNotOptimize(cache->Sweep());
  state.counters["buckets"] = static_cast<double>(cache->stats().bucket_count);
}
BENCHMARK(BM_Sweep)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace overlay

BENCHMARK_MAIN();
