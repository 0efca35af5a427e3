// Copyright 2026 The overlay Authors.
//
// BenchResult: everything one overlay_bench run measured, as plain data for
// the reports (report_json.h, report_svg.h, terminal_report.h). Built by
// RunBench (bench_runner.h); the report writers only read it. Latencies
// are in milliseconds unless a name says otherwise.
// Thread-compatible; immutable once built by convention.

#ifndef OVERLAY_TOOLS_BENCH_BENCH_RESULT_H_
#define OVERLAY_TOOLS_BENCH_BENCH_RESULT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/bench/latency_recorder.h"
#include "tools/bench/metrics_scraper.h"

namespace overlay::bench {

struct LatencySummary {
  int64_t count = 0;
  double min_ms = 0;
  double avg_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};
LatencySummary Summarize(const LatencyRecorder& recorder);

// One second of the measured phase: requests that completed in
// [t_s, t_s + width_s). Percentiles are of its successes; 0 when none.
struct TimelinePoint {
  double t_s = 0;
  double width_s = 1;  // 1, except a shorter last second
  int64_t ok = 0;
  int64_t errors = 0;
  double qps = 0;  // ok / width_s
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// One node's view of the run, from its GetMetrics samples.
struct NodeReport {
  std::string id;
  std::string address;
  bool reachable = false;        // both the before and after scrape worked
  int64_t queries_received = 0;  // after - before
  double cpu_s_used = 0;         // after - before
  int64_t max_in_flight = 0;     // over the during/after samples
  int64_t max_queue_depth = 0;    // admission queue
  int64_t admitted = 0;           // admission, after - before
  int64_t rejected = 0;
  std::vector<NodeSample> samples;
};

struct WorkloadSummary {
  double weight = 1;
  std::string words;
};

// One client of the run (every run has at least one): what it was told to
// do and what it got, counted like the run's totals.
struct ClientReport {
  std::string name;       // "default" for a run without --client
  std::string client_id;  // sent as QueryRequest.client_id; "": the words'
  std::string mode;       // "closed" or "open"
  std::vector<WorkloadSummary> workload;
  std::string workload_text;
  int64_t planned = -1;
  int concurrency = 0;
  double rate = 0;
  double duration_s = 0;
  int64_t deadline_ms = 0;
  int channels = 0;
  int parallel = 1;

  int64_t requests = 0;  // == ok + errors
  int64_t ok = 0;
  int64_t errors = 0;
  int64_t partial = 0;
  int64_t release_failures = 0;
  double success_rate = 0;  // ok / requests; 0 without requests
  double wall_s = 0;        // the run's start to this client's last completion
  double qps = 0;           // ok / wall_s
  double attempted_qps = 0;

  LatencySummary latency;        // successes only
  LatencySummary error_latency;  // failures only
  LatencySummary query;
  LatencySummary chunk;
  LatencySummary release;
  LatencySummary start_lag;       // open loop
  LatencySummary retry_pushback;  // failures' grpc-retry-pushback-ms hints
  std::map<std::string, int64_t> errors_by_code;
  std::map<std::string, int64_t> errors_by_message;
};

struct BenchResult {
  // What ran.
  std::string started_at;  // UTC, "2026-05-01T12:00:00Z"
  std::string target;
  std::string rpc;   // "query" or "metrics"
  std::string mode;  // "closed" or "open"; "mixed" for clients of both
  std::vector<WorkloadSummary> workload;
  std::string workload_text;  // one line, for titles
  bool fetch_chunks = true;
  int64_t planned = -1;  // requests planned; -1: bounded by time only
  int concurrency = 0;
  double rate = 0;
  double duration_s = 0;
  int64_t warmup = 0;
  bool honor_pushback = true;  // closed loop waited out retry hints
  int64_t deadline_ms = 0;
  int channels = 0;
  int cq_threads = 0;
  int parallel = 1;

  // Outcome of the measured phase (summed over the clients).
  int64_t requests = 0;  // issued (== ok + errors)
  int64_t ok = 0;
  int64_t errors = 0;
  int64_t partial = 0;  // ok queries answered complete == false (in ok)
  int64_t release_failures = 0;
  double wall_s = 0;
  double qps = 0;            // ok / wall_s
  double attempted_qps = 0;  // requests / wall_s

  LatencySummary latency;            // successes only
  LatencySummary error_latency;      // failures only
  LatencySummary query;              // Query RPCs that returned OK
  LatencySummary chunk;              // GetChunk RPCs that returned OK
  LatencySummary release;            // Release RPCs that returned OK
  LatencySummary start_lag;          // open loop: started minus scheduled
  LatencySummary retry_pushback;     // failures' grpc-retry-pushback-ms
  LatencyRecorder latency_recorder;  // successes, for re-binning

  int64_t records_total = 0;  // over ok requests
  int64_t records_min = 0;
  int64_t records_max = 0;
  int64_t bytes_total = 0;
  int64_t chunks_total = 0;

  std::vector<LatencyBin> histogram;  // R10 bins of successes, ns
  std::vector<TimelinePoint> timeline;
  std::map<std::string, int64_t> errors_by_code;     // "UNAVAILABLE" -> n
  std::map<std::string, int64_t> errors_by_message;  // "Query: CODE: msg"

  double client_cpu_s = 0;  // this process, during the measured phase
  std::vector<NodeReport> nodes;
  double server_cpu_s = 0;         // sum of cpu_s_used over reachable nodes
  double ok_per_server_cpu_s = 0;  // ok / server_cpu_s; 0 if unknown

  std::vector<ClientReport> clients;  // one per client, in --client order
  bool explicit_clients = false;      // the clients came from --client
};

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_BENCH_RESULT_H_
