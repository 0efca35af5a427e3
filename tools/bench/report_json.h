// Copyright 2026 The overlay Authors.
//
// RenderJsonReport: a BenchResult as JSON, with the stable schema below
// (also in BENCHMARKS.md, section "overlay_bench JSON schema"). Stateless;
// thread-safe.
//
// Stability: "schema" is "overlay_bench/1". Within a major version fields
// are only ever added, never renamed, retyped or removed; a change that
// breaks readers bumps it. Times are seconds (_s), latencies milliseconds
// (_ms or inside *_ms objects), sizes bytes. Numbers are never NaN/Inf.
//
// {
//   "schema": "overlay_bench/1",
//   "started_at": "2026-05-01T12:00:00Z",  UTC start of the run
//   "target": "127.0.0.1:60051",           node the requests went to
//   "rpc": "query" | "metrics",            what one request is
//   "mode": "closed" | "open" | "mixed",   open: --rate timetable; mixed:
//                                          --client of both kinds
//   "workload": [{"weight": 1, "words": "query --param PM2.5"}],
//                                          [] for rpc "metrics"; with
//                                          several clients, every distinct
//                                          entry of theirs
//   "fetch_chunks": true,                  false with --no-chunks
//   "planned": 200,                        requests planned; -1: by time
//   "requests": 200,                       issued in the measured phase;
//                                          always ok + errors
//   "concurrency": 20,                     in flight (closed) / cap (open)
//   "rate": 0,                             requests/s; 0 for closed loop
//   "duration_s": 0,                       as configured; 0: none
//   "warmup": 0,                           unrecorded requests run first
//   "honor_pushback": true,                closed loop waited out the
//                                          retry hints of failures
//   "deadline_ms": 30000,                  per RPC; 0: none
//   "channels": 4, "cq_threads": 2,
//   "parallel": 1,                         GetChunk in flight a request
//                 (with several clients, planned, concurrency, rate,
//                 channels and cq_threads sum the clients'; duration_s is
//                 their longest; every count and latency is over all of
//                 them)
//   "ok": 198, "errors": 2,
//   "partial": 0,             ok queries whose QueryResponse had complete ==
//                             false (before this field was "listed node
//                             failures"; a node older than `complete`
//                             makes every ok query partial)
//   "release_failures": 0,    failed Release RPCs (not counted in errors)
//   "wall_s": 1.234,          first request issued to last completion
//   "qps": 160.5,             ok / wall_s
//   "attempted_qps": 162.1,   requests / wall_s
//   "latency_ms": {"includes": "successes", "count": 198, "min": .., "avg":
//       .., "p50": .., "p90": .., "p95": .., "p99": .., "p999": .., "max":
//       ..},                  whole request (Query + chunks, not Release) of
//                             successful requests only; from the scheduled
//                             start in open loop
//   "error_latency_ms": {same keys, "includes": "failures"},
//   "latency_split_ms": {"query": {..}, "chunk": {..}, "release": {..}},
//                             same keys, per RPC that returned OK; "chunk"
//                             counts every GetChunk call
//   "open_loop": null | {"scheduled": 500, "start_lag_ms": {same keys}},
//                             start_lag: actual start minus scheduled start
//   "retry_pushback_ms": {same keys as latency_ms, no "includes"},
//                             the grpc-retry-pushback-ms trailing metadata of
//                             failures that carried one; count 0 if none
//   "per_query": {"records_avg", "records_min", "records_max",
//       "records_total", "bytes_avg", "bytes_total", "chunks_avg",
//       "chunks_total"},      over ok requests; records received by GetChunk
//                             (total_records with --no-chunks); bytes are
//                             serialized response messages
//   "histogram": {"unit": "ms", "includes": "successes",
//       "bounds": [b0, .., bn], "counts": [c0, .., cn-1], "total": 198},
//                             bin i is [bounds[i], bounds[i+1]); log-spaced
//                             (R10 preferred numbers); total == ok
//   "timeline": [{"t_s": 0, "width_s": 1, "ok": .., "errors": .., "qps":
//       .., "p50_ms": .., "p90_ms": .., "p99_ms": .., "max_ms": ..}],
//                             per second of the run by completion time;
//                             qps = ok / width_s; percentiles of that
//                             second's successes (0 if none)
//   "errors_by_code": {"UNAVAILABLE": 2},           sums to errors
//   "errors_by_message": {"Query: UNAVAILABLE: msg": 2},  sums to errors;
//                             at most 64 keys, the rest under
//                             "(other messages)"
//   "client": {"cpu_s": .., "ok_per_cpu_s": ..},    this process
//   "server": {"cpu_s": .., "ok_per_cpu_s": .., "cores_busy": ..},
//                             cpu_s: sum over reachable nodes of cpu_s
//                             used (after - before scrape); ok_per_cpu_s:
//                             ok / cpu_s ("throughput per server core");
//                             cores_busy: cpu_s / wall_s; 0s without nodes
//   "nodes": [{"id": "A", "address": "127.0.0.1:60051", "reachable": true,
//       "queries_received": .., "cpu_s_used": .., "max_in_flight": ..,
//       "max_queue_depth": .., "admitted": .., "rejected": ..,
//       "samples": [{"t_s": -0.01, "phase":
//       "before" | "during" | "after", "ok": true, "error": "",
//       "queries_received": .., "in_flight": .., "queue_depth": ..,
//       "admitted": .., "rejected": ..,
//       "cpu_s": .., "rss_bytes": .., "rss_shmem_bytes": ..,
//       "chunks_served": .., "errors": ..}]}]
//                             one per node of --config, GetMetrics scraped
//                             before, every second during, and after; t_s
//                             relative to the run's start; queue_depth:
//                             requests waiting for admission; admitted /
//                             rejected: admission (both pools), cumulative
//                             in samples, after - before in the node
//   "clients": [{"name": "heavy", "client_id": "heavy", "mode": "open",
//       "workload": [..], "planned", "concurrency", "rate", "duration_s",
//       "deadline_ms", "channels", "parallel", "requests", "ok", "errors",
//       "partial", "release_failures", "success_rate", "wall_s", "qps",
//       "attempted_qps", "latency_ms": {..}, "error_latency_ms": {..},
//       "latency_split_ms": {..}, "open_loop": null | {..},
//       "retry_pushback_ms": {..}, "errors_by_code": {..},
//       "errors_by_message": {..}}]
//                             one per --client in order (a run without
//                             --client has one, "default", client_id "":
//                             the query words'); each with the meaning of
//                             the top-level field of the same name, for
//                             that client alone; success_rate = ok /
//                             requests (0 without requests); wall_s from
//                             the run's start to the client's last
//                             completion. The clients' requests, ok,
//                             errors, partial and release_failures sum to
//                             the top-level ones
// }

#ifndef OVERLAY_TOOLS_BENCH_REPORT_JSON_H_
#define OVERLAY_TOOLS_BENCH_REPORT_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "tools/bench/bench_result.h"

namespace overlay::bench {

inline constexpr absl::string_view kJsonSchemaVersion = "overlay_bench/1";

std::string RenderJsonReport(const BenchResult& result);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_REPORT_JSON_H_
