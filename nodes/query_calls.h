// Copyright 2026 The overlay Authors.
//
// QueryCall (client-facing QueryService.Query) and ExecuteCall
// (PeerService.Execute): the two calls that run a query over the overlay.
//
// QueryCall states, after UnaryCall's admission step:
//   kScanningFirst  a limit query whose first share (in result order) is
//                   the portal's own: only that share runs; if it fills the
//                   limit no other share can contribute and none is asked;
//   kFanningOut     the query is flooded (ExecuteFanout) to every share;
//   kCancelling     the client went away: children are cancelled and the
//                   call waits for them, then frees what the query holds
//                   everywhere;
//   kAnswered       the answer (or the strict failure) is on its way.
// The answer accounts for every share of the config: each either answered
// (it is in `shares`) or is named in `missing` with the reason. A strict
// query (the default) fails if any share is missing; with allow_partial it
// answers `complete = false`. Every share missing is always an error.
//
// ExecuteCall: the query's first arrival at a node runs it on the node's
// share and forwards it to the neighbours not yet on its path; every
// arrival (also along another path of a cyclic overlay) answers with this
// node's share once its run ended, so the share is reported along every
// path that reached it. Reactor-thread only.

#ifndef OVERLAY_NODES_QUERY_CALLS_H_
#define OVERLAY_NODES_QUERY_CALLS_H_

#include <memory>
#include <string>

#include "core/store/filter.h"
#include "nodes/execute_fanout.h"
#include "nodes/unary_call.h"

namespace overlay {

class QueryCall final
    : public UnaryCall<QueryCall, QueryAsyncService, v1::QueryRequest,
                       v1::QueryResponse, RpcKind::kQuery> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestQuery;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  static constexpr bool kNotifyWhenDone = true;
  QueryCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  void OnRequest();
  void OnCancelled();

 private:
  enum class Step { kStarting, kScanningFirst, kFanningOut, kCancelling,
                    kAnswered };
  // The step function: runs whenever a fan-out completed.
  void Advance();
  void StartFanout(bool with_local);
  void Answer();
  // Fails the query and frees what it holds on every node.
  void Abandon(const grpc::Status& status);

  Step step_ = Step::kStarting;
  std::string client_;
  std::string query_id_;
  int32_t chunk_size_ = 0;
  int64_t fanout_deadline_ = 0;  // the shares answer by then
  Filter filter_;
  bool reserved_ = false;
  std::shared_ptr<LocalExecution> local_;
  std::unique_ptr<ExecuteFanout> first_;   // kScanningFirst: the own share
  std::unique_ptr<ExecuteFanout> fanout_;  // kFanningOut
};

class ExecuteCall final
    : public UnaryCall<ExecuteCall, PeerAsyncService, v1::ExecuteRequest,
                       v1::ExecuteResponse, RpcKind::kExecute> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &PeerAsyncService::RequestExecute;
  static PeerAsyncService* service(const Node* node) { return node->grpc.peer; }
  static constexpr bool kNotifyWhenDone = true;
  static constexpr bool kPeerOnly = true;
  ExecuteCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  void OnRequest();
  void OnCancelled();

 private:
  enum class Step { kStarting, kWaiting, kCancelling, kAnswered };
  void OnFanoutDone();
  // This arrival leaves its execution; drops the rows if nobody got them.
  void LeaveExecution(bool delivered);

  Step step_ = Step::kStarting;
  std::shared_ptr<LocalExecution> local_;
  std::unique_ptr<ExecuteFanout> fanout_;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_QUERY_CALLS_H_
