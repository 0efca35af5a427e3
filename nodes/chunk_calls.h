// Copyright 2026 The overlay Authors.
//
// Chunk pulls.
//
// GetChunkCall (QueryService.GetChunk) serves chunk i of a query this node
// is portal for, found only by the client that made the query: cut from
// local rows if this node owns the segment, taken from the records the
// owner sent with its answer, else taken from the plan's fetch window,
// fetching it along the overlay route if nobody does yet, and keeping
// `prefetch_chunks` ahead in flight. States: kWaiting (for a fetch, bounded
// by the call's deadline: a Timer) and kAnswered. A chunk whose owner
// cannot be reached fails UNAVAILABLE naming the owner and its share; the
// other chunks are unaffected.
//
// FetchCall (PeerService.Fetch, raw) serves a slice of this node's rows, or
// relays the request one hop along its route and the reply's bytes back
// unparsed (the relayed call is a child of this call: cancelling it cancels
// the rest of the route). A Fetch that carries its query (chunk_size set)
// names a chunk of the shared cache: the owner serves it from there when it
// can, stores what it encodes, and, holding no rows for the query (a plan
// the portal read from the cache), makes the chunk anew on a scan worker
// (state kWaiting for its notification) if its data is still the plan's.
//
// Every chunk a portal serves is looked for in the shared cache first
// (unless the query is `fresh`): a co-located owner encoded it there after
// its scan, so pulling it costs no call.
//
// StartPrefetch starts the fetches that warm a plan's window; they belong
// to the plan (its CancellationScope), not to any one call.
//
// Admission: GetChunk (Query pool, the client's class) and Fetch (Execute
// pool, the class the portal sent) are follow-ups of an admitted query:
// admitted at once, never queued or shed, so a result being pulled is never
// lost to overload (they still take a slot while they run, so new work
// waits behind them). Reactor-thread only.

#ifndef OVERLAY_NODES_CHUNK_CALLS_H_
#define OVERLAY_NODES_CHUNK_CALLS_H_

#include <atomic>
#include <memory>
#include <string>

#include "core/reactor/cancellation_scope.h"
#include "core/reactor/notifier.h"
#include "core/reactor/timer.h"
#include "core/wire/reply_buffers.h"
#include "nodes/unary_call.h"

namespace overlay {

// Starts fetches for the remote chunks first..first+prefetch-1 of `plan`
// that nobody fetches yet, for the query's class `cls`.
void StartPrefetch(const Node* node, grpc::CompletionQueue* cq,
                   const std::shared_ptr<QueryPlan>& plan, int32_t first,
                   const v1::RequestClass& cls);

// Rows [offset, offset+count) of this node's result for `query_id` as a
// RecordChunk. NOT_FOUND if the result is gone, OUT_OF_RANGE past its end
// (checked without overflow for any offset and count).
grpc::Status EncodeLocalSlice(const Node* node, const std::string& query_id,
                              int64_t offset, int64_t count,
                              v1::RecordChunk* chunk);

// The serialized records of chunk `index` of `plan` when this node can
// serve them without a fetch (records the owner sent with its answer, the
// shared cache, its own rows); NOT_FOUND (nothing written) when the chunk
// must be fetched (or, for a stateless own share, made on a worker).
grpc::Status LocalChunkBytes(const Node* node, const QueryPlan& plan,
                             int32_t index, std::string* records);

// A relayed chunk goes back as the bytes its owner sent (ChunkResponseRaw),
// never parsed.
class GetChunkCall final
    : public UnaryCall<GetChunkCall, QueryAsyncService, v1::ChunkRequest,
                       grpc::ByteBuffer, RpcKind::kGetChunk> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestGetChunk;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  static constexpr bool kNotifyWhenDone = true;
  GetChunkCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq),
        chunk_tag_(this, &GetChunkCall::OnChunkReady),
        chunk_ready_(&chunk_tag_),
        timer_tag_(this, &GetChunkCall::OnTimer),
        timer_(node->env.timers, &timer_tag_) {}

  AdmissionStep AdmissionFor();
  void OnRequest();
  void OnCancelled();
  void OnAnswerLost();

 private:
  enum class Step { kStarting, kWaiting, kAnswered };
  // A GetChunk its client cancelled well before the deadline (it stopped
  // pulling, or its connection went: a killed client) abandons the result:
  // nobody will pull or Release it, so it is freed now. One that ran out of
  // time does not: its client may ask for the chunk again.
  void AbandonIfCallerLeft();
  void TakeOrWait();
  void OnChunkReady(bool ok);
  void OnTimer(bool ok);
  // Stops waiting (deadline or cancel) and fails with `status`.
  void GiveUp(const grpc::Status& status);
  void ReplyWithSerialized(std::string records);

  Step step_ = Step::kStarting;
  v1::RequestClass request_class_;
  std::shared_ptr<QueryPlan> plan_;
  TagOf<GetChunkCall> chunk_tag_;
  Notifier chunk_ready_;
  TagOf<GetChunkCall> timer_tag_;
  Timer timer_;
  bool waiting_for_chunk_ = false;  // registered with the plan's slot
};

class FetchCall final
    : public UnaryCall<FetchCall, PeerAsyncService, v1::FetchRequest,
                       grpc::ByteBuffer, RpcKind::kFetch> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &PeerAsyncService::RequestFetch;
  static PeerAsyncService* service(const Node* node) { return node->grpc.peer; }
  static constexpr bool kNotifyWhenDone = true;
  static constexpr bool kPeerOnly = true;
  FetchCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq),
        slice_tag_(this, &FetchCall::OnSliceReady),
        slice_ready_(&slice_tag_) {}

  AdmissionStep AdmissionFor();
  void OnRequest();
  void OnCancelled();

 private:
  // The owner's part: the slice from the shared cache, the held rows, or
  // made anew.
  void ServeOwnSlice(const v1::FetchRequest& request);
  void OnSliceReady(bool ok);
  void ReplyWithRecords(std::string records);

  CancellationScope relay_;
  TagOf<FetchCall> slice_tag_;
  Notifier slice_ready_;
  // Written by the scan worker before it notifies; read after.
  grpc::Status slice_status_;
  std::string slice_records_;
  std::shared_ptr<std::atomic<bool>> slice_cancelled_;  // while a slice runs
};

}  // namespace overlay

#endif  // OVERLAY_NODES_CHUNK_CALLS_H_
