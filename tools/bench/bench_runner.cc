// Copyright 2026 The overlay Authors.

#include "tools/bench/bench_runner.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/status_macros.h"
#include "core/metrics/process_stats.h"
#include "tools/bench/load_driver.h"
#include "tools/bench/metrics_scraper.h"
#include "tools/bench/request_call.h"
#include "tools/bench/run_stats.h"

namespace overlay::bench {
namespace {

constexpr double kMsPerNs = 1e-6;

NodeReport SummarizeNode(NodeSeries series) {
  NodeReport report;
  report.id = std::move(series.id);
  report.address = std::move(series.address);
  const NodeSample* before = nullptr;
  const NodeSample* after = nullptr;
  for (const NodeSample& sample : series.samples) {
    if (!sample.ok) continue;
    if (sample.phase == "before" && before == nullptr) before = &sample;
    if (sample.phase == "after") after = &sample;
    if (sample.phase != "before") {
      report.max_in_flight = std::max(report.max_in_flight, sample.in_flight);
      report.max_queue_depth =
          std::max(report.max_queue_depth, sample.queue_depth);
    }
  }
  if (before != nullptr && after != nullptr) {
    report.reachable = true;
    report.queries_received =
        after->queries_received - before->queries_received;
    report.cpu_s_used = after->cpu_s - before->cpu_s;
  }
  report.samples = std::move(series.samples);
  return report;
}

std::vector<TimelinePoint> BuildTimeline(const RunStats& stats, double wall_s) {
  std::vector<TimelinePoint> timeline;
  for (size_t i = 0; i < stats.seconds.size(); ++i) {
    const SecondStats& second = *stats.seconds[i];
    TimelinePoint point;
    point.t_s = static_cast<double>(i);
    point.width_s = std::clamp(wall_s - point.t_s, 1e-3, 1.0);
    point.ok = second.latency.count();
    point.errors = second.errors;
    point.qps = point.ok / point.width_s;
    point.p50_ms = second.latency.QuantileNanos(0.50) * kMsPerNs;
    point.p90_ms = second.latency.QuantileNanos(0.90) * kMsPerNs;
    point.p99_ms = second.latency.QuantileNanos(0.99) * kMsPerNs;
    point.max_ms = second.latency.max_nanos() * kMsPerNs;
    timeline.push_back(point);
  }
  return timeline;
}

}  // namespace

LatencySummary Summarize(const LatencyRecorder& recorder) {
  LatencySummary summary;
  summary.count = recorder.count();
  summary.min_ms = recorder.min_nanos() * kMsPerNs;
  summary.avg_ms = recorder.mean_nanos() * kMsPerNs;
  summary.p50_ms = recorder.QuantileNanos(0.50) * kMsPerNs;
  summary.p90_ms = recorder.QuantileNanos(0.90) * kMsPerNs;
  summary.p95_ms = recorder.QuantileNanos(0.95) * kMsPerNs;
  summary.p99_ms = recorder.QuantileNanos(0.99) * kMsPerNs;
  summary.p999_ms = recorder.QuantileNanos(0.999) * kMsPerNs;
  summary.max_ms = recorder.max_nanos() * kMsPerNs;
  return summary;
}

absl::StatusOr<BenchResult> RunBench(const BenchOptions& options,
                                     const Workload& workload) {
  RETURN_IF_ERROR(ValidateBenchOptions(options));
  if (workload.entries().empty()) {
    return absl::InvalidArgumentError("the workload has no entries");
  }
  BenchResult result;
  result.started_at =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  result.target = options.target;
  result.rpc = std::string(RpcKindName(options.rpc));
  result.mode = options.rate > 0 ? "open" : "closed";
  if (options.rpc == RpcKind::kQuery) {
    for (const WorkloadEntry& entry : workload.entries()) {
      result.workload.push_back(WorkloadSummary{entry.weight, entry.words});
    }
    result.workload_text = workload.Describe();
  } else {
    result.workload_text = "GetMetrics";
  }
  result.fetch_chunks = options.fetch_chunks;
  result.planned = PlannedRequests(options);
  result.concurrency = options.concurrency;
  result.rate = options.rate;
  result.duration_s = options.duration_s;
  result.warmup = options.warmup;
  result.deadline_ms = options.deadline_ms;
  result.channels = options.channels;
  result.cq_threads = options.cq_threads;

  LoadDriver driver(options, workload);
  RETURN_IF_ERROR(
      driver.Connect(absl::Milliseconds(options.connect_timeout_ms)));
  if (options.warmup > 0) {
    PhaseSpec warmup;
    warmup.requests = options.warmup;
    warmup.concurrency = options.concurrency;
    warmup.record = false;
    (void)driver.RunPhase(warmup);
  }

  MetricsScraper scraper(options.scrape_targets,
                         absl::Seconds(options.scrape_interval_s),
                         absl::Milliseconds(options.scrape_timeout_ms));
  const int64_t reference_ns = RequestCall::NowNanos();
  scraper.ScrapeAll("before", reference_ns);
  scraper.StartPeriodic(reference_ns);
  const double cpu_before = ProcessCpuSeconds();

  PhaseSpec spec;
  spec.requests = result.planned;
  spec.duration_s = options.rate > 0 ? 0 : options.duration_s;
  spec.rate = options.rate;
  spec.concurrency = options.concurrency;
  spec.progress = options.progress;
  PhaseResult phase = driver.RunPhase(spec);

  result.client_cpu_s = ProcessCpuSeconds() - cpu_before;
  scraper.StopPeriodic();
  scraper.ScrapeAll("after", reference_ns);

  const RunStats& stats = phase.stats;
  result.requests = phase.issued;
  result.ok = stats.ok;
  result.errors = stats.errors;
  result.partial = stats.partial;
  result.release_failures = stats.release_failures;
  result.wall_s = phase.wall_s;
  if (phase.wall_s > 0) {
    result.qps = stats.ok / phase.wall_s;
    result.attempted_qps = phase.issued / phase.wall_s;
  }
  result.latency = Summarize(stats.latency);
  result.error_latency = Summarize(stats.error_latency);
  result.query = Summarize(stats.query_latency);
  result.chunk = Summarize(stats.chunk_latency);
  result.release = Summarize(stats.release_latency);
  result.start_lag = Summarize(stats.start_lag);
  result.latency_recorder.Merge(stats.latency);
  result.records_total = stats.records_total;
  result.records_min = std::max<int64_t>(0, stats.records_min);
  result.records_max = stats.records_max;
  result.bytes_total = stats.bytes_total;
  result.chunks_total = stats.chunks_total;
  result.histogram = stats.latency.Bins(10);
  result.timeline = BuildTimeline(stats, phase.wall_s);
  for (const auto& [code, count] : stats.errors_by_code) {
    result.errors_by_code[StatusCodeName(code)] += count;
  }
  result.errors_by_message = stats.errors_by_message;

  // Scrape times were taken against reference_ns; report them against the
  // phase start like the timeline.
  const double shift_s = (phase.t0_ns - reference_ns) * 1e-9;
  for (NodeSeries& series : scraper.TakeSeries()) {
    for (NodeSample& sample : series.samples) sample.t_s -= shift_s;
    NodeReport node = SummarizeNode(std::move(series));
    if (node.reachable) result.server_cpu_s += node.cpu_s_used;
    result.nodes.push_back(std::move(node));
  }
  if (result.server_cpu_s > 0) {
    result.ok_per_server_cpu_s = result.ok / result.server_cpu_s;
  }
  return result;
}

}  // namespace overlay::bench
