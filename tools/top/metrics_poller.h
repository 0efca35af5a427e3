// Copyright 2026 The overlay Authors.
//
// MetricsPoller: asks every node of an overlay for its metrics at once
// (QueryService.GetMetrics, one async call per node on one completion
// queue) and returns what came back within the deadline as a Snapshot; a
// node that refuses, fails or is slower than the deadline is down in that
// snapshot. Owns one channel and stub per node (kept across polls, with a
// short reconnect backoff so a restarted node is seen up again within about
// a second) and the completion queue, which Poll drains on the calling
// thread: no threads of its own. Thread-compatible: call Poll from one
// thread at a time.
//
//   MetricsPoller poller(TargetsFromConfig(config), PollerOptions{});
//   Snapshot now = poller.Poll();  // returns within ~deadline_ms

#ifndef OVERLAY_TOOLS_TOP_METRICS_POLLER_H_
#define OVERLAY_TOOLS_TOP_METRICS_POLLER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/config/overlay_config.h"
#include "protos/overlay.grpc.pb.h"
#include "tools/top/snapshot.h"

namespace overlay::top {

struct PollTarget {
  std::string id;       // process id
  std::string address;  // "host:port"
};

// Every process of `config`, in config order, at its Address().
std::vector<PollTarget> TargetsFromConfig(const OverlayConfig& config);

struct PollerOptions {
  int deadline_ms = 800;                // per poll; slower nodes are down
  int max_reconnect_backoff_ms = 1000;  // cap of gRPC's reconnect backoff
  // TLS credentials of every channel; null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class MetricsPoller final {
 public:
  // REQUIRES: options.deadline_ms > 0; `clock` outlives the poller.
  MetricsPoller(std::vector<PollTarget> targets, PollerOptions options,
                Clock* clock = RealClock::Get());
  ~MetricsPoller();
  MetricsPoller(const MetricsPoller&) = delete;
  MetricsPoller& operator=(const MetricsPoller&) = delete;

  // One GetMetrics to every target at once, all with the same deadline;
  // waits for every answer or failure. The snapshot lists the targets in
  // order. Returns after about deadline_ms at most.
  Snapshot Poll();

 private:
  struct Call;

  double NowSeconds() const;

  const std::vector<PollTarget> targets_;
  const PollerOptions options_;
  Clock* const clock_;
  std::vector<std::unique_ptr<v1::QueryService::Stub>> stubs_;
  grpc::CompletionQueue cq_;
};

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_METRICS_POLLER_H_
