// Copyright 2026 The overlay Authors.
//
// MetricsScraper: reads GetMetrics of every node of an overlay before a run,
// once a period during it (on a thread it owns) and after it, and keeps the
// samples (queries_received, in_flight, queue_depth, admitted, rejected,
// cpu_s, ...). Owns one
// channel per node and the periodic thread. Scrapes are sequential with a
// short deadline each; an unreachable node yields a sample with ok=false.
// Thread-compatible from the control thread; the periodic thread only
// appends under the scraper's own lock.
//
//   MetricsScraper scraper(targets, absl::Seconds(1), absl::Seconds(1));
//   scraper.ScrapeAll("before", t0);  scraper.StartPeriodic(t0);
//   ... run ...  scraper.StopPeriodic();  scraper.ScrapeAll("after", t0);
//   std::vector<NodeSeries> series = scraper.TakeSeries();

#ifndef OVERLAY_TOOLS_BENCH_METRICS_SCRAPER_H_
#define OVERLAY_TOOLS_BENCH_METRICS_SCRAPER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/overlay.grpc.pb.h"
#include "tools/bench/bench_options.h"

namespace overlay::bench {

struct NodeSample {
  double t_s = 0;     // since the measured phase started (< 0 before)
  std::string phase;  // "before", "during" or "after"
  bool ok = false;    // the scrape answered
  std::string error;  // when !ok: "UNAVAILABLE: ..."
  int64_t queries_received = 0;
  int64_t in_flight = 0;
  int64_t queue_depth = 0;  // requests waiting for admission
  int64_t admitted = 0;     // admission, both pools, since start
  int64_t rejected = 0;
  double cpu_s = 0;
  int64_t rss_bytes = 0;
  // Of rss_bytes: pages of shared memory (the host's cache segment, which
  // every co-located node counts again).
  int64_t rss_shmem_bytes = 0;
  int64_t chunks_served = 0;
  int64_t errors = 0;
};

struct NodeSeries {
  std::string id;
  std::string address;
  std::vector<NodeSample> samples;  // in time order
};

class MetricsScraper final {
 public:
  // `credentials` null: plaintext.
  MetricsScraper(std::vector<ScrapeTarget> targets, absl::Duration period,
                 absl::Duration rpc_timeout,
                 std::shared_ptr<grpc::ChannelCredentials> credentials =
                     nullptr);
  ~MetricsScraper();  // stops the periodic thread if running
  MetricsScraper(const MetricsScraper&) = delete;
  MetricsScraper& operator=(const MetricsScraper&) = delete;

  bool empty() const { return nodes_.empty(); }

  // One sample of every node now, tagged `phase`; times relative to t0_ns
  // (steady-clock nanoseconds).
  void ScrapeAll(absl::string_view phase, int64_t t0_ns);
  // REQUIRES: not running. Samples "during" every period until Stop.
  void StartPeriodic(int64_t t0_ns);
  void StopPeriodic();
  // The samples so far, per node in target order. REQUIRES: not running.
  std::vector<NodeSeries> TakeSeries();

 private:
  struct Node {
    ScrapeTarget target;
    std::unique_ptr<v1::QueryService::Stub> stub;
  };
  NodeSample ScrapeOne(Node& node, absl::string_view phase, int64_t t0_ns);
  void Loop(int64_t t0_ns);

  const absl::Duration period_;
  const absl::Duration rpc_timeout_;
  std::vector<Node> nodes_;
  std::thread thread_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::vector<NodeSample>> samples_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_METRICS_SCRAPER_H_
