// Copyright 2026 The overlay Authors.
//
// Chunk pulls. GetChunkCall (QueryService.GetChunk) serves chunk i of a
// query this node is portal for: cut from local rows if this node owns the
// segment, else taken from the plan's fetch window, fetching it along the
// overlay route if nobody does yet, and keeping `prefetch_chunks` ahead in
// flight. FetchCall (PeerService.Fetch) serves a slice of this node's rows,
// or forwards the request one hop along its route. StartPrefetch starts the
// fetches that warm a plan's window. Reactor-thread only.

#ifndef OVERLAY_NODES_CHUNK_CALLS_H_
#define OVERLAY_NODES_CHUNK_CALLS_H_

#include <memory>
#include <optional>

#include "core/fanout/peer_call.h"
#include "core/reactor/notifier.h"
#include "nodes/unary_call.h"

namespace overlay {

// Starts fetches for the remote chunks first..first+prefetch-1 of `plan`
// that nobody fetches yet.
void StartPrefetch(NodeContext* node, grpc::CompletionQueue* cq,
                   const std::shared_ptr<QueryPlan>& plan, int32_t first);

// Cuts rows [offset, offset+count) of this node's result for `query_id`
// into `chunk`. NOT_FOUND if the result is gone, OUT_OF_RANGE past its end.
grpc::Status EncodeLocalSlice(NodeContext* node, const std::string& query_id,
                              int64_t offset, int64_t count,
                              v1::RecordChunk* chunk);

// Served raw: the request is parsed here, and a relayed chunk goes back as
// the bytes its owner sent (ChunkResponseRaw), never parsed.
class GetChunkCall final
    : public UnaryCall<GetChunkCall, QueryAsyncService, grpc::ByteBuffer,
                       grpc::ByteBuffer, RpcKind::kGetChunk> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestGetChunk;
  static QueryAsyncService* service(NodeContext* node) {
    return node->query_service;
  }
  GetChunkCall(NodeContext* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq), chunk_ready_(this) {}

  void OnRequest();
  // The chunk this call waits for was fetched (or failed).
  void OnResume(bool ok);

 private:
  void TakeOrWait();
  // Replies with chunk `index` whose records are already serialized.
  void ReplyWithSerialized(const std::string& records);

  v1::ChunkRequest chunk_request_;
  std::shared_ptr<QueryPlan> plan_;
  Notifier chunk_ready_;
};

class FetchCall final
    : public UnaryCall<FetchCall, v1::PeerService::AsyncService,
                       v1::FetchRequest, v1::FetchResponse, RpcKind::kFetch> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &v1::PeerService::AsyncService::RequestFetch;
  static v1::PeerService::AsyncService* service(NodeContext* node) {
    return node->peer_service;
  }
  FetchCall(NodeContext* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  void OnRequest();
};

}  // namespace overlay

#endif  // OVERLAY_NODES_CHUNK_CALLS_H_
