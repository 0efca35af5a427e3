// Copyright 2026 The overlay Authors.

#include "tools/bench/bench_runner.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
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
    report.admitted = after->admitted - before->admitted;
    report.rejected = after->rejected - before->rejected;
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

namespace {

// One client of the run: its options, workload, driver and outcome.
struct ClientRun {
  std::string name;
  BenchOptions options;
  const Workload* workload = nullptr;
  std::unique_ptr<Workload> own_workload;  // when the client has its own
  std::unique_ptr<LoadDriver> driver;
  PhaseResult phase;
};

// The clients of `options`: its --client specs, or one made of the run's
// own fields.
absl::StatusOr<std::vector<std::unique_ptr<ClientRun>>> MakeClients(
    const BenchOptions& options, const Workload& workload) {
  std::vector<std::unique_ptr<ClientRun>> clients;
  if (options.clients.empty()) {
    auto client = std::make_unique<ClientRun>();
    client->name = "default";
    client->options = options;
    client->workload = &workload;
    clients.push_back(std::move(client));
    return clients;
  }
  for (const ClientSpec& spec : options.clients) {
    auto client = std::make_unique<ClientRun>();
    client->name = spec.name;
    client->options = OptionsForClient(options, spec);
    client->workload = &workload;
    if (!spec.query.empty() || !spec.query_file.empty()) {
      absl::StatusOr<Workload> own = spec.query.empty()
                                         ? Workload::FromFile(spec.query_file)
                                         : Workload::FromWords(spec.query);
      if (!own.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("client '", spec.name, "': ", own.status().message()));
      }
      client->own_workload = std::make_unique<Workload>(*std::move(own));
      client->workload = client->own_workload.get();
    }
    clients.push_back(std::move(client));
  }
  return clients;
}

std::vector<WorkloadSummary> SummarizeWorkload(const BenchOptions& options,
                                               const Workload& workload) {
  std::vector<WorkloadSummary> summary;
  if (options.rpc != RpcKind::kQuery) return summary;
  for (const WorkloadEntry& entry : workload.entries()) {
    summary.push_back(WorkloadSummary{entry.weight, entry.words});
  }
  return summary;
}

std::string DescribeWorkload(const BenchOptions& options,
                             const Workload& workload) {
  return options.rpc == RpcKind::kQuery ? workload.Describe() : "GetMetrics";
}

ClientReport ReportClient(const ClientRun& client, int64_t t0_ns) {
  const BenchOptions& o = client.options;
  const RunStats& stats = client.phase.stats;
  ClientReport report;
  report.name = client.name;
  report.client_id = o.client_id;
  report.mode = o.rate > 0 ? "open" : "closed";
  report.workload = SummarizeWorkload(o, *client.workload);
  report.workload_text = DescribeWorkload(o, *client.workload);
  report.planned = PlannedRequests(o);
  report.concurrency = o.concurrency;
  report.rate = o.rate;
  report.duration_s = o.duration_s;
  report.deadline_ms = o.deadline_ms;
  report.channels = o.channels;
  report.parallel = o.parallel;
  report.requests = client.phase.issued;
  report.ok = stats.ok;
  report.errors = stats.errors;
  report.partial = stats.partial;
  report.release_failures = stats.release_failures;
  if (report.requests > 0) {
    report.success_rate =
        static_cast<double>(stats.ok) / static_cast<double>(report.requests);
  }
  report.wall_s = client.phase.wall_s + (client.phase.t0_ns - t0_ns) * 1e-9;
  if (report.wall_s > 0) {
    report.qps = stats.ok / report.wall_s;
    report.attempted_qps = report.requests / report.wall_s;
  }
  report.latency = Summarize(stats.latency);
  report.error_latency = Summarize(stats.error_latency);
  report.query = Summarize(stats.query_latency);
  report.chunk = Summarize(stats.chunk_latency);
  report.release = Summarize(stats.release_latency);
  report.start_lag = Summarize(stats.start_lag);
  report.retry_pushback = Summarize(stats.retry_pushback);
  for (const auto& [code, count] : stats.errors_by_code) {
    report.errors_by_code[StatusCodeName(code)] += count;
  }
  report.errors_by_message = stats.errors_by_message;
  return report;
}

// Sums the clients' last progress snapshots.
class ProgressBoard final {
 public:
  explicit ProgressBoard(size_t clients) : latest_(clients) {}
  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;

  void Update(size_t client, const Progress& progress) {
    absl::MutexLock lock(&mu_);
    latest_[client] = progress;
  }
  Progress Sum() {
    absl::MutexLock lock(&mu_);
    Progress sum;
    for (const Progress& p : latest_) {
      sum.elapsed_s = std::max(sum.elapsed_s, p.elapsed_s);
      sum.ok += p.ok;
      sum.errors += p.errors;
      sum.in_flight += p.in_flight;
    }
    return sum;
  }

 private:
  absl::Mutex mu_;
  std::vector<Progress> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<BenchResult> RunBench(const BenchOptions& options,
                                     const Workload& workload) {
  RETURN_IF_ERROR(ValidateBenchOptions(options));
  if (workload.entries().empty()) {
    return absl::InvalidArgumentError("the workload has no entries");
  }
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<ClientRun>> clients,
                   MakeClients(options, workload));
  BenchResult result;
  result.started_at =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  result.target = options.target;
  result.rpc = std::string(RpcKindName(options.rpc));
  result.fetch_chunks = options.fetch_chunks;
  result.warmup = options.warmup;
  result.honor_pushback = options.honor_pushback;
  result.deadline_ms = options.deadline_ms;
  result.parallel = options.parallel;
  result.explicit_clients = !options.clients.empty();
  // The run's figures: those of its one client, or summed over its clients
  // (rates and concurrency add up; the mode is "mixed" if they differ).
  std::vector<std::string> described;
  bool any_open = false;
  bool any_closed = false;
  for (const std::unique_ptr<ClientRun>& client : clients) {
    const BenchOptions& o = client->options;
    (o.rate > 0 ? any_open : any_closed) = true;
    const int64_t planned = PlannedRequests(o);
    if (client == clients.front()) {
      result.planned = planned;
    } else if (planned < 0 || result.planned < 0) {
      result.planned = -1;  // one of them is bounded by time only
    } else {
      result.planned += planned;
    }
    result.concurrency += o.concurrency;
    result.rate += o.rate > 0 ? o.rate : 0;
    result.duration_s = std::max(result.duration_s, o.duration_s);
    result.channels += o.channels;
    result.cq_threads += o.cq_threads;
    for (const WorkloadSummary& entry :
         SummarizeWorkload(o, *client->workload)) {
      const bool seen = std::any_of(
          result.workload.begin(), result.workload.end(),
          [&](const WorkloadSummary& other) {
            return other.weight == entry.weight && other.words == entry.words;
          });
      if (!seen) result.workload.push_back(entry);
    }
    const std::string text = DescribeWorkload(o, *client->workload);
    described.push_back(
        clients.size() == 1 ? text : absl::StrCat(client->name, ": ", text));
  }
  result.mode = any_open && any_closed ? "mixed" : any_open ? "open" : "closed";
  result.workload_text = absl::StrJoin(described, "; ");

  for (const std::unique_ptr<ClientRun>& client : clients) {
    client->driver =
        std::make_unique<LoadDriver>(client->options, *client->workload);
    absl::Status connected =
        client->driver->Connect(absl::Milliseconds(options.connect_timeout_ms));
    if (!connected.ok()) {
      if (clients.size() == 1) return connected;
      return absl::Status(
          connected.code(),
          absl::StrCat("client '", client->name, "': ", connected.message()));
    }
  }
  for (const std::unique_ptr<ClientRun>& client : clients) {
    if (client->options.warmup <= 0) continue;
    PhaseSpec warmup;
    warmup.requests = client->options.warmup;
    warmup.concurrency = client->options.concurrency;
    warmup.record = false;
    (void)client->driver->RunPhase(warmup);
  }

  MetricsScraper scraper(options.scrape_targets,
                         absl::Seconds(options.scrape_interval_s),
                         absl::Milliseconds(options.scrape_timeout_ms),
                         options.credentials);
  const int64_t reference_ns = RequestCall::NowNanos();
  scraper.ScrapeAll("before", reference_ns);
  scraper.StartPeriodic(reference_ns);
  const double cpu_before = ProcessCpuSeconds();

  // Every client's phase runs on a thread of its own (it paces an open
  // loop), all from one start time; this thread reports their progress.
  ProgressBoard board(clients.size());
  absl::Mutex done_mu;
  size_t running = clients.size();
  const int64_t t0_ns = RequestCall::NowNanos();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] {
      ClientRun& client = *clients[i];
      const BenchOptions& o = client.options;
      PhaseSpec spec;
      spec.t0_ns = t0_ns;
      spec.requests = PlannedRequests(o);
      spec.duration_s = o.rate > 0 ? 0 : o.duration_s;
      spec.rate = o.rate;
      spec.concurrency = o.concurrency;
      spec.progress = [&board, i](const Progress& p) { board.Update(i, p); };
      client.phase = client.driver->RunPhase(spec);
      absl::MutexLock lock(&done_mu);
      --running;
    });
  }
  const absl::Condition all_done(
      +[](size_t* left) { return *left == 0; }, &running);
  // Reports a little after each second, once the clients' own snapshots
  // of that second are in.
  for (absl::Time next_report = absl::Now() + absl::Milliseconds(1100);;
       next_report += absl::Seconds(1)) {
    {
      absl::MutexLock lock(&done_mu);
      if (done_mu.AwaitWithDeadline(all_done, next_report)) break;
    }
    if (options.progress) options.progress(board.Sum());
  }
  for (std::thread& thread : threads) thread.join();
  if (options.progress) options.progress(board.Sum());

  result.client_cpu_s = ProcessCpuSeconds() - cpu_before;
  scraper.StopPeriodic();
  scraper.ScrapeAll("after", reference_ns);

  RunStats stats;
  double wall_s = 0;
  for (const std::unique_ptr<ClientRun>& client : clients) {
    result.requests += client->phase.issued;
    stats.Merge(client->phase.stats);
    result.clients.push_back(ReportClient(*client, t0_ns));
    wall_s = std::max(wall_s, result.clients.back().wall_s);
  }
  result.ok = stats.ok;
  result.errors = stats.errors;
  result.partial = stats.partial;
  result.release_failures = stats.release_failures;
  result.wall_s = wall_s;
  if (wall_s > 0) {
    result.qps = stats.ok / wall_s;
    result.attempted_qps = result.requests / wall_s;
  }
  result.latency = Summarize(stats.latency);
  result.error_latency = Summarize(stats.error_latency);
  result.query = Summarize(stats.query_latency);
  result.chunk = Summarize(stats.chunk_latency);
  result.release = Summarize(stats.release_latency);
  result.start_lag = Summarize(stats.start_lag);
  result.retry_pushback = Summarize(stats.retry_pushback);
  result.latency_recorder.Merge(stats.latency);
  result.records_total = stats.records_total;
  result.records_min = std::max<int64_t>(0, stats.records_min);
  result.records_max = stats.records_max;
  result.bytes_total = stats.bytes_total;
  result.chunks_total = stats.chunks_total;
  result.histogram = stats.latency.Bins(10);
  result.timeline = BuildTimeline(stats, wall_s);
  for (const auto& [code, count] : stats.errors_by_code) {
    result.errors_by_code[StatusCodeName(code)] += count;
  }
  result.errors_by_message = stats.errors_by_message;

  // Scrape times were taken against reference_ns; report them against the
  // phase start like the timeline.
  const double shift_s = (t0_ns - reference_ns) * 1e-9;
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
