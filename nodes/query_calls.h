// Copyright 2026 The overlay Authors.
//
// QueryCall (client-facing QueryService.Query) and ExecuteCall
// (PeerService.Execute): the two calls that run a query over the overlay.
//
// QueryCall: kAdmitting → kFanningOut → (UnaryCall's kFinishing). It
// validates the request, passes admission (every query is admitted until the
// admission controller lands: this is its place), floods an ExecuteFanout,
// lays the shares that answered out as a QueryPlan, starts prefetching the
// first chunks and answers with the query id, the exact count and the chunk
// count. ExecuteCall: a query reaching a node it already saw (another path
// of a cyclic overlay) is answered empty at once; otherwise it fans out
// further and answers with the merged hits. Reactor-thread only.

#ifndef OVERLAY_NODES_QUERY_CALLS_H_
#define OVERLAY_NODES_QUERY_CALLS_H_

#include <memory>

#include "nodes/execute_fanout.h"
#include "nodes/unary_call.h"

namespace overlay {

class QueryCall final
    : public UnaryCall<QueryCall, QueryAsyncService,
                       v1::QueryRequest, v1::QueryResponse, RpcKind::kQuery> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestQuery;
  static QueryAsyncService* service(NodeContext* node) {
    return node->query_service;
  }
  QueryCall(NodeContext* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  void OnRequest();
  void OnResume(bool ok);

 private:
  enum class Step { kAdmitting, kScanningFirst, kFanningOut };
  void StartFanout(ExecuteFanout::Scope scope);
  // The portal's own share came first and held enough rows for the limit:
  // no other share can contribute, so none is asked.
  void OnFirstShareDone();
  void OnFanoutDone();

  Step step_ = Step::kAdmitting;
  std::string query_id_;
  int32_t chunk_size_ = 0;
  std::unique_ptr<ExecuteFanout> fanout_;
  std::unique_ptr<ExecuteFanout> first_share_;  // kScanningFirst
  Filter filter_;
};

class ExecuteCall final
    : public UnaryCall<ExecuteCall, v1::PeerService::AsyncService,
                       v1::ExecuteRequest, v1::ExecuteResponse,
                       RpcKind::kExecute> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &v1::PeerService::AsyncService::RequestExecute;
  static v1::PeerService::AsyncService* service(NodeContext* node) {
    return node->peer_service;
  }
  ExecuteCall(NodeContext* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  void OnRequest();

 private:
  std::unique_ptr<ExecuteFanout> fanout_;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_QUERY_CALLS_H_
