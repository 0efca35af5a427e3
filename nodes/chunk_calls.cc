// Copyright 2026 The overlay Authors.

#include "nodes/chunk_calls.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/wire/chunk_codec.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "glog/logging.h"

namespace overlay {
namespace {

// Sends `request` to the first hop of `route` (the rest of the route goes
// with it); `done` gets the call and must delete it.
template <typename Request, typename Response, typename Prepare>
void SendAlongRoute(NodeContext* node, grpc::CompletionQueue* cq,
                    const std::string& next_hop, const Request& request,
                    Prepare prepare,
                    std::function<void(PeerCall<Response>*)> done) {
  v1::PeerService::Stub* stub = node->neighbors->Stub(next_hop);
  auto* call = node->NewPeerCall<Response>(done);
  if (call == nullptr) {  // shutting down: fail without a call
    auto* failed = new PeerCall<Response>(std::move(done));
    failed->status =
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down");
    failed->Proceed(true);  // `done` deletes it
    return;
  }
  if (stub == nullptr) {
    // A route through a node that is not our neighbour: a corrupt request.
    call->status = grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("route names '", next_hop, "', not a neighbour of '",
                     node->self->id, "'"));
    call->Proceed(true);
    return;
  }
  call->context.set_deadline(node->NeighborDeadline());
  call->Start(prepare, stub, request, cq);
}

// Fetches chunk `index` of `plan` from its owner and completes the plan's
// slot, waking whoever waits for it. The reply is taken as FetchResponseRaw:
// its records stay serialized, ready to relay.
void FetchChunk(NodeContext* node, grpc::CompletionQueue* cq,
                std::shared_ptr<QueryPlan> plan, int32_t index) {
  const Segment& segment = plan->SegmentOf(index);
  v1::FetchRequest request;
  request.set_query_id(plan->query_id());
  // route = [portal, hop1, ..., owner]; hop1 gets the rest.
  for (size_t i = 2; i < segment.route.size(); ++i) {
    request.add_route(segment.route[i]);
  }
  request.set_offset(plan->OffsetInSegment(index));
  request.set_count(plan->RecordsIn(index));
  const std::string next_hop =
      segment.route.size() > 1 ? segment.route[1] : segment.node_id;
  auto done = [node, plan, index,
               next_hop](PeerCall<grpc::ByteBuffer>* call) {
    node->neighbors->RecordCall(next_hop, call->status);
    auto fetched = std::make_shared<FetchedChunk>();
    fetched->status = call->status;
    if (call->status.ok()) {
      v1::FetchResponseRaw raw;
      if (grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                   v1::FetchResponseRaw>(&call->response,
                                                         &raw)
              .ok()) {
        fetched->records = std::move(*raw.mutable_records());
      } else {
        fetched->status = grpc::Status(grpc::StatusCode::DATA_LOSS,
                                       "unreadable Fetch reply from " +
                                           next_hop);
      }
    }
    delete call;
    plan->Complete(index, std::move(fetched));
  };
  grpc::GenericStub* stub = node->neighbors->Generic(next_hop);
  // A copy: if no call can be made, `done` still reports the failure.
  PeerCall<grpc::ByteBuffer>* call = node->NewPeerCall<grpc::ByteBuffer>(done);
  if (call == nullptr || stub == nullptr) {
    if (call == nullptr) {
      call = new PeerCall<grpc::ByteBuffer>(std::move(done));
      call->status =
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down");
    } else {
      call->status = grpc::Status(
          grpc::StatusCode::INTERNAL,
          absl::StrCat("route names '", next_hop, "', not a neighbour"));
    }
    call->Proceed(true);
    return;
  }
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::FetchRequest>(
      request, &bytes, &own_buffer);
  call->context.set_deadline(node->NeighborDeadline());
  call->StartGeneric(stub, "/overlay.v1.PeerService/Fetch", bytes, cq);
}

}  // namespace

void StartPrefetch(NodeContext* node, grpc::CompletionQueue* cq,
                   const std::shared_ptr<QueryPlan>& plan, int32_t first) {
  const int32_t last =
      std::min(plan->total_chunks(),
               first + node->config->strategy.prefetch_chunks);
  for (int32_t index = first; index < last; ++index) {
    if (plan->SegmentOf(index).node_id == node->self->id) continue;
    if (plan->ClaimPrefetch(index)) FetchChunk(node, cq, plan, index);
  }
}

grpc::Status EncodeLocalSlice(NodeContext* node, const std::string& query_id,
                              int64_t offset, int64_t count,
                              v1::RecordChunk* chunk) {
  std::shared_ptr<const RowList> rows = node->results->Get(query_id);
  if (rows == nullptr) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("node '", node->self->id, "' holds no rows for query '",
                     query_id, "' (released or expired)"));
  }
  const int64_t size = static_cast<int64_t>(rows->size());
  if (offset < 0 || count < 0 || offset + count > size) {
    return grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("rows [", offset, ", ", offset + count, ") of query '",
                     query_id, "' are past its ", size, " rows"));
  }
  EncodeChunk(*node->table,
              absl::MakeConstSpan(rows->data() + offset,
                                  static_cast<size_t>(count)),
              chunk);
  return grpc::Status::OK;
}

void GetChunkCall::OnRequest() {
  if (!grpc::GenericDeserialize<grpc::ProtoBufferReader, v1::ChunkRequest>(
           &request_, &chunk_request_)
           .ok()) {
    Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "unreadable ChunkRequest"));
    return;
  }
  plan_ = node_->plans->Find(chunk_request_.query_id());
  if (plan_ == nullptr) {
    Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown query id '",
                                   chunk_request_.query_id(),
                                   "' (never issued, released or expired)")));
    return;
  }
  const int32_t index = chunk_request_.chunk_index();
  if (index < 0 || index >= plan_->total_chunks()) {
    Fail(grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("chunk index ", index, " out of range: query '",
                     chunk_request_.query_id(), "' has ",
                     plan_->total_chunks(), " chunks")));
    return;
  }
  StartPrefetch(node_, cq_, plan_, index + 1);
  const Segment& segment = plan_->SegmentOf(index);
  if (segment.node_id == node_->self->id) {
    v1::RecordChunk records;
    grpc::Status status = EncodeLocalSlice(
        node_, plan_->query_id(), plan_->OffsetInSegment(index),
        plan_->RecordsIn(index), &records);
    if (!status.ok()) {
      Fail(status);
      return;
    }
    ReplyWithSerialized(records.SerializeAsString());
    return;
  }
  TakeOrWait();
}

void GetChunkCall::OnResume(bool ok) {
  if (!ok) {  // the wake-up alarm was cancelled: only at shutdown
    Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down"));
    return;
  }
  TakeOrWait();
}

void GetChunkCall::TakeOrWait() {
  std::shared_ptr<const FetchedChunk> fetched;
  const int32_t index = chunk_request_.chunk_index();
  switch (plan_->TakeOrWait(index, &chunk_ready_, cq_, &fetched)) {
    case QueryPlan::Slot::kReady:
      if (!fetched->status.ok()) {
        Fail(fetched->status);
      } else {
        ReplyWithSerialized(fetched->records);
      }
      return;
    case QueryPlan::Slot::kMustFetch:
      FetchChunk(node_, cq_, plan_, index);
      return;
    case QueryPlan::Slot::kWaiting:
      return;
  }
}

void GetChunkCall::ReplyWithSerialized(const std::string& records) {
  const int32_t index = chunk_request_.chunk_index();
  v1::ChunkResponseRaw response;
  response.set_query_id(plan_->query_id());
  response.set_chunk_index(index);
  response.set_total_chunks(plan_->total_chunks());
  const Segment& segment = plan_->SegmentOf(index);
  response.set_first_record(segment.first_record +
                            plan_->OffsetInSegment(index));
  response.set_records(records);
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ChunkResponseRaw>(
      response, &bytes, &own_buffer);
  node_->metrics->Add(node_->metrics->chunks_served);
  Reply(bytes);
}

void FetchCall::OnRequest() {
  if (request_.route_size() == 0) {  // this node owns the rows
    v1::FetchResponse response;
    grpc::Status status =
        EncodeLocalSlice(node_, request_.query_id(), request_.offset(),
                         request_.count(), response.mutable_records());
    if (!status.ok()) {
      Fail(status);
      return;
    }
    node_->metrics->Add(node_->metrics->chunks_served);
    Reply(response);
    return;
  }
  v1::FetchRequest forward = request_;
  forward.mutable_route()->erase(forward.mutable_route()->begin());
  const std::string next_hop = request_.route(0);
  SendAlongRoute<v1::FetchRequest, v1::FetchResponse>(
      node_, cq_, next_hop, forward, &v1::PeerService::Stub::PrepareAsyncFetch,
      [this, next_hop](PeerCall<v1::FetchResponse>* call) {
        node_->neighbors->RecordCall(next_hop, call->status);
        if (call->status.ok()) {
          Reply(call->response);
        } else {
          Fail(call->status);
        }
        delete call;
      });
}

}  // namespace overlay
