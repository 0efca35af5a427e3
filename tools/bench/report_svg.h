// Copyright 2026 The overlay Authors.
//
// RenderSvgReport: a BenchResult as one hand-written SVG chart that reads at
// a glance: a title with the workload and the headline figures, then three
// panels with axes, ticks, labels and legends: latency percentiles
// (p50/p90/p99 of successes) per second, throughput (ok/s, and errors/s)
// per second, and the latency histogram on a log axis with p50/p99 marked.
// Stateless; thread-safe.

#ifndef OVERLAY_TOOLS_BENCH_REPORT_SVG_H_
#define OVERLAY_TOOLS_BENCH_REPORT_SVG_H_

#include <string>

#include "tools/bench/bench_result.h"

namespace overlay::bench {

std::string RenderSvgReport(const BenchResult& result);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_REPORT_SVG_H_
