// Copyright 2026 The overlay Authors.
//
// RunBench: one whole overlay_bench run, in-process: connect, warm up,
// scrape the nodes, run the measured phase with a LoadDriver, scrape again,
// and fold everything into a BenchResult. It owns the driver and scraper
// for the duration of the call. overlay_bench's main and the tests call it.
// Thread-compatible: one run per call; blocks the calling thread.
//
//   ASSIGN_OR_RETURN(BenchResult result, RunBench(options, workload));
//   std::string json = RenderJsonReport(result);

#ifndef OVERLAY_TOOLS_BENCH_BENCH_RUNNER_H_
#define OVERLAY_TOOLS_BENCH_BENCH_RUNNER_H_

#include "absl/status/statusor.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_result.h"
#include "tools/bench/workload.h"

namespace overlay::bench {

// INVALID_ARGUMENT for bad options; UNAVAILABLE if the target cannot be
// reached within options.connect_timeout_ms. Failed requests are results, not
// errors.
absl::StatusOr<BenchResult> RunBench(const BenchOptions& options,
                                     const Workload& workload);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_BENCH_RUNNER_H_
