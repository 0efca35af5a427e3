// Copyright 2026 The overlay Authors.
//
// ExecuteFanout: one node's part of a flooded query. Its parts are this
// node's share (waiting on the query's LocalExecution, which a scan or
// another arrival runs) and one Execute per neighbour not yet on the
// query's path, all concurrent, gathered by a FanoutAggregator into a
// HitMerge. Neighbour calls go through the PeerClient with the owning
// call's deadline and this fan-out's CancellationScope; their completions
// run on the owner's queue, so merging needs no lock. `done` runs once,
// on that queue, when every part has reported.
//
// Owned by the server call that fans out; that call must not be deleted
// before `done` ran. Cancel() cancels the neighbour calls and stops waiting
// for the local share (both then report as failed). Reactor-thread only.

#ifndef OVERLAY_NODES_EXECUTE_FANOUT_H_
#define OVERLAY_NODES_EXECUTE_FANOUT_H_

#include <grpcpp/completion_queue.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/fanout/fanout_aggregator.h"
#include "core/reactor/cancellation_scope.h"
#include "core/reactor/notifier.h"
#include "core/results/execution_registry.h"
#include "core/store/filter.h"
#include "nodes/node_runtime.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {

class ExecuteFanout final : public CompletionTag {
 public:
  ExecuteFanout(const Node* node, grpc::CompletionQueue* cq,
                absl::AnyInvocable<void()> done);
  ~ExecuteFanout();
  ExecuteFanout(const ExecuteFanout&) = delete;
  ExecuteFanout& operator=(const ExecuteFanout&) = delete;

  // Starts the parts. `local` (may be null: no local part) is this node's
  // run of the query; `forward` (null: ask no neighbour) is the request to
  // send on, its path ending with this node; the neighbours not on that
  // path through which a share that can match `filter`'s time window is
  // reachable are asked (OverlayMap::NeighborsToAsk). `path` is the route
  // from the portal to this node, for the local share's hit. Calls are due
  // at `deadline`.
  void Start(std::shared_ptr<LocalExecution> local,
             const std::vector<std::string>& path,
             const v1::ExecuteRequest* forward, const Filter& filter,
             int64_t deadline);
  void Cancel();

  // Valid once `done` ran.
  HitMerge& merge() { return merge_; }
  FanoutAggregator& aggregator() { return aggregator_; }
  bool done() const { return aggregator_.done(); }

  // The local execution's notification.
  void Proceed(bool ok) override;

 private:
  void ReportLocal();

  const Node* const node_;
  grpc::CompletionQueue* const cq_;
  HitMerge merge_;
  FanoutAggregator aggregator_;
  CancellationScope scope_;
  std::shared_ptr<LocalExecution> local_;
  std::vector<std::string> path_;
  Notifier local_done_;
  bool local_waiting_ = false;
};

// The local share's answer for `path` (portal ... this node).
v1::ShareHit LocalHit(const NodeEnv& env, const ExecutionOutcome& outcome,
                      const std::vector<std::string>& path);

}  // namespace overlay

#endif  // OVERLAY_NODES_EXECUTE_FANOUT_H_
