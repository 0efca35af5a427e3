// Copyright 2026 The overlay Authors.
//
// RunStats: what one completion-queue thread observed during a run: latency
// histograms (whole request, Query, GetChunk, Release, open-loop start lag,
// the retry hints of failures),
// a per-second timeline, counts of successes and of errors by gRPC code and
// by message, and records/bytes/chunks per successful query. Each CQ thread
// owns one and is the only writer; the driver merges them after the threads
// have stopped. Owns its histograms (about 10 KiB each, one per second of
// timeline).
// Thread-compatible.

#ifndef OVERLAY_TOOLS_BENCH_RUN_STATS_H_
#define OVERLAY_TOOLS_BENCH_RUN_STATS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/bench/latency_recorder.h"

namespace overlay::bench {

struct SecondStats {
  LatencyRecorder latency;  // successes completed in this second
  int64_t errors = 0;       // failures completed in this second
};

struct RunStats {
  // At most this many distinct error messages are kept (per thread and
  // merged); the rest are counted under kOtherMessages.
  static constexpr size_t kMaxMessages = 64;
  static constexpr absl::string_view kOtherMessages = "(other messages)";

  // A successful request that completed `t_ns` after the phase started.
  void AddOk(int64_t t_ns, int64_t latency_ns, int64_t records, int64_t bytes,
             int64_t chunks, bool partial);
  // A failed one: `rpc` is the call that failed ("Query", "GetChunk", ...);
  // `retry_pushback_ms` the server's grpc-retry-pushback-ms hint, -1: none.
  void AddError(int64_t t_ns, int64_t latency_ns, int code,
                absl::string_view rpc, absl::string_view message,
                int64_t retry_pushback_ms = -1);
  void Merge(const RunStats& other);

  int64_t ok = 0;
  int64_t errors = 0;
  int64_t partial = 0;           // ok queries answered complete == false
  int64_t release_failures = 0;  // Release calls that failed (not errors)
  int64_t records_total = 0;     // over ok requests
  int64_t records_min = -1;      // -1: no ok request yet
  int64_t records_max = 0;
  int64_t bytes_total = 0;          // serialized response bytes, ok requests
  int64_t chunks_total = 0;         // GetChunk calls of ok requests
  LatencyRecorder latency;          // ok requests, whole request
  LatencyRecorder error_latency;    // failed requests, until the failure
  LatencyRecorder query_latency;    // every Query RPC that returned OK
  LatencyRecorder chunk_latency;    // every GetChunk RPC that returned OK
  LatencyRecorder release_latency;  // every Release RPC that returned OK
  LatencyRecorder start_lag;        // open loop: actual minus scheduled start
  LatencyRecorder retry_pushback;   // failures' grpc-retry-pushback-ms hints
  std::map<int, int64_t> errors_by_code;              // grpc code -> count
  std::map<std::string, int64_t> errors_by_message;   // "rpc: CODE: msg"
  std::vector<std::unique_ptr<SecondStats>> seconds;  // [i]: second i

 private:
  SecondStats& Second(int64_t t_ns);
};

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ... ; "CODE_<n>" for unknown codes.
std::string StatusCodeName(int code);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_RUN_STATS_H_
