// Copyright 2026 The overlay Authors.

#include "tools/bench/metrics_scraper.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/bench/request_call.h"
#include "tools/bench/run_stats.h"

namespace overlay::bench {

MetricsScraper::MetricsScraper(std::vector<ScrapeTarget> targets,
                               absl::Duration period,
                               absl::Duration rpc_timeout,
                               std::shared_ptr<grpc::ChannelCredentials>
                                   credentials)
    : period_(period), rpc_timeout_(rpc_timeout) {
  if (credentials == nullptr) {
    credentials = grpc::InsecureChannelCredentials();
  }
  for (ScrapeTarget& target : targets) {
    grpc::ChannelArguments args;
    // Its own connection, so scrapes never queue behind the load.
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    args.SetString("overlay.bench_scraper", target.id);
    auto channel = grpc::CreateCustomChannel(
        target.address, credentials, args);
    nodes_.push_back(
        Node{std::move(target), v1::QueryService::NewStub(channel)});
  }
  absl::MutexLock lock(&mu_);
  samples_.resize(nodes_.size());
}

MetricsScraper::~MetricsScraper() { StopPeriodic(); }

NodeSample MetricsScraper::ScrapeOne(Node& node, absl::string_view phase,
                                     int64_t t0_ns) {
  NodeSample sample;
  sample.phase = std::string(phase);
  grpc::ClientContext context;
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::ToInt64Milliseconds(rpc_timeout_)));
  v1::MetricsResponse response;
  const int64_t sent = RequestCall::NowNanos();
  grpc::Status status =
      node.stub->GetMetrics(&context, v1::MetricsRequest(), &response);
  // The midpoint of the call best dates the node's counters.
  sample.t_s = ((sent + RequestCall::NowNanos()) / 2 - t0_ns) * 1e-9;
  if (!status.ok()) {
    sample.error = absl::StrCat(StatusCodeName(status.error_code()), ": ",
                                status.error_message());
    return sample;
  }
  sample.ok = true;
  sample.queries_received = response.queries_received();
  sample.in_flight = response.in_flight();
  sample.queue_depth = response.queue_depth();
  sample.admitted = response.admitted();
  sample.rejected = response.rejected();
  sample.cpu_s = response.cpu_s();
  sample.rss_bytes = response.rss_bytes();
  sample.rss_shmem_bytes = response.rss_shmem_bytes();
  sample.chunks_served = response.chunks_served();
  sample.errors = response.errors();
  return sample;
}

void MetricsScraper::ScrapeAll(absl::string_view phase, int64_t t0_ns) {
  std::vector<NodeSample> round;
  round.reserve(nodes_.size());
  for (Node& node : nodes_) round.push_back(ScrapeOne(node, phase, t0_ns));
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < round.size(); ++i) {
    samples_[i].push_back(std::move(round[i]));
  }
}

void MetricsScraper::StartPeriodic(int64_t t0_ns) {
  if (nodes_.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread(&MetricsScraper::Loop, this, t0_ns);
}

void MetricsScraper::StopPeriodic() {
  if (!thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void MetricsScraper::Loop(int64_t t0_ns) {
  absl::Time next = absl::Now() + period_;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithDeadline(absl::Condition(&stop_), next)) return;
    }
    ScrapeAll("during", t0_ns);
    next += period_;
    const absl::Time now = absl::Now();
    if (next < now) next = now + period_;  // scrapes were slow: skip ticks
  }
}

std::vector<NodeSeries> MetricsScraper::TakeSeries() {
  absl::MutexLock lock(&mu_);
  std::vector<NodeSeries> series;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    series.push_back(NodeSeries{nodes_[i].target.id, nodes_[i].target.address,
                                std::move(samples_[i])});
    samples_[i].clear();
  }
  return series;
}

}  // namespace overlay::bench
