// Copyright 2026 The overlay Authors.
//
// RenderTextReport: the human summary overlay_bench prints: what ran, the
// counts, throughput, latency percentiles (successes only, split by RPC),
// records/bytes per query, errors by code and message, each --client's
// counts, success rate, latencies and error codes, per-node server figures,
// and last a compact latency histogram on log-spaced bins with bars.
// RenderTerminalHistogram is that last part alone. Stateless; thread-safe.

#ifndef OVERLAY_TOOLS_BENCH_TERMINAL_REPORT_H_
#define OVERLAY_TOOLS_BENCH_TERMINAL_REPORT_H_

#include <string>

#include "tools/bench/bench_result.h"
#include "tools/bench/latency_recorder.h"

namespace overlay::bench {

std::string RenderTextReport(const BenchResult& result);

// One line a bin ("  1.6 -   2.0 ms |#######        1234  12.3%"), from the
// first to the last non-empty bin, bars scaled to `width` characters. Uses
// 5 bins a decade, or 3 when that would take more than 24 lines.
std::string RenderTerminalHistogram(const LatencyRecorder& recorder,
                                    int width = 40);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_TERMINAL_REPORT_H_
