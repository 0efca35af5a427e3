// Copyright 2026 The overlay Authors.

#include "tools/top/metrics_poller.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "glog/logging.h"

namespace overlay::top {

// One GetMetrics call of one poll; its address is the completion-queue tag.
struct MetricsPoller::Call {
  size_t index = 0;
  grpc::ClientContext context;
  v1::MetricsResponse reply;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::MetricsResponse>> reader;
  bool done = false;
  double done_at_s = 0;
};

std::vector<PollTarget> TargetsFromConfig(const OverlayConfig& config) {
  std::vector<PollTarget> targets;
  for (const ProcessConfig& p : config.processes) {
    targets.push_back({p.id, p.Address()});
  }
  return targets;
}

MetricsPoller::MetricsPoller(std::vector<PollTarget> targets,
                             PollerOptions options, Clock* clock)
    : targets_(std::move(targets)), options_(options), clock_(clock) {
  CHECK_GT(options_.deadline_ms, 0);
  const int backoff_ms = std::max(1, options_.max_reconnect_backoff_ms);
  for (const PollTarget& target : targets_) {
    grpc::ChannelArguments args;
    // gRPC's default backoff grows to 120 s: a node restarted after a while
    // would stay DOWN for minutes. Retry the connection at least every
    // backoff_ms instead.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                std::min(250, backoff_ms));
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(250, backoff_ms));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
    stubs_.push_back(v1::QueryService::NewStub(grpc::CreateCustomChannel(
        target.address,
        options_.credentials != nullptr ? options_.credentials
                                        : grpc::InsecureChannelCredentials(),
        args)));
  }
}

MetricsPoller::~MetricsPoller() {
  // Every call of a poll is finished before Poll returns, so the queue is
  // empty; drain anyway as the CompletionQueue contract asks.
  cq_.Shutdown();
  void* tag;
  bool ok;
  while (cq_.Next(&tag, &ok)) {
  }
}

double MetricsPoller::NowSeconds() const {
  return static_cast<double>(clock_->NowNanos()) / 1e9;
}

Snapshot MetricsPoller::Poll() {
  Snapshot snapshot;
  snapshot.at_s = NowSeconds();
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(options_.deadline_ms);
  const size_t n = targets_.size();
  std::vector<std::unique_ptr<Call>> calls(n);
  for (size_t i = 0; i < n; ++i) {
    calls[i] = std::make_unique<Call>();
    Call& call = *calls[i];
    call.index = i;
    call.context.set_deadline(deadline);
    call.reader = stubs_[i]->PrepareAsyncGetMetrics(&call.context,
                                                    v1::MetricsRequest(), &cq_);
    call.reader->StartCall();
    call.reader->Finish(&call.reply, &call.status, &call);
  }
  // Every call has the deadline, so all come back by then. Should gRPC be
  // late anyway, cancel what is left after a grace second and keep waiting:
  // a cancelled call still completes, and its memory must outlive it.
  const auto give_up = deadline + std::chrono::seconds(1);
  bool cancelled = false;
  size_t pending = n;
  while (pending > 0) {
    void* tag = nullptr;
    bool ok = false;
    const auto wait_until =
        cancelled ? std::chrono::system_clock::time_point::max() : give_up;
    const grpc::CompletionQueue::NextStatus next =
        cq_.AsyncNext(&tag, &ok, wait_until);
    if (next == grpc::CompletionQueue::SHUTDOWN) break;  // can't happen
    if (next == grpc::CompletionQueue::TIMEOUT) {
      LOG(WARNING) << "GetMetrics calls outlived their deadline; cancelling";
      for (const auto& call : calls) {
        if (!call->done) call->context.TryCancel();
      }
      cancelled = true;
      continue;
    }
    Call* call = static_cast<Call*>(tag);
    call->done = true;
    call->done_at_s = NowSeconds();
    --pending;
  }
  snapshot.nodes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    NodeSample& node = snapshot.nodes[i];
    Call& call = *calls[i];
    node.id = targets_[i].id;
    node.address = targets_[i].address;
    node.at_s = call.done_at_s;
    if (call.status.ok()) {
      node.metrics = std::move(call.reply);
    } else {
      node.status_code = static_cast<int>(call.status.error_code());
      node.error = call.status.error_message();
    }
  }
  return snapshot;
}

}  // namespace overlay::top
