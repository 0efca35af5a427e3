// Copyright 2026 The overlay Authors.

#include "nodes/chunk_calls.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/wire/chunk_codec.h"
#include "glog/logging.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "nodes/client_identity.h"

namespace overlay {
namespace {

template <typename Message>
grpc::ByteBuffer ToBytes(const Message& message) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, Message>(
      message, &bytes, &own_buffer);
  return bytes;
}

// What a client sees when chunk `index` could not be fetched: the owner and
// its share, and what went wrong on the way.
grpc::Status ChunkFetchFailure(const QueryPlan& plan, int32_t index,
                               const std::string& via,
                               const grpc::Status& status) {
  const Segment& segment = plan.SegmentOf(index);
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    code = status.error_code();
  }
  return grpc::Status(
      code,
      absl::StrCat("chunk ", index, " of query '", plan.query_id(),
                   "': owner '", segment.node_id, "' (share ", segment.share,
                   ") not reached via '", via, "': ",
                   absl::StatusCodeToString(
                       static_cast<absl::StatusCode>(status.error_code())),
                   ": ", status.error_message()));
}

// Fetches chunk `index` of `plan` from its owner and completes the plan's
// slot, waking whoever waits for it. The fetch belongs to the plan (its
// scope); its reply is taken as FetchResponseRaw: the records stay
// serialized, ready to relay.
void FetchChunk(const Node* node, grpc::CompletionQueue* cq,
                std::shared_ptr<QueryPlan> plan, int32_t index,
                int64_t deadline) {
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
  CancellationScope* scope = plan->fetches();
  node->services.peers->Call(
      next_hop, PeerMethod::kFetch, request, cq, deadline, scope,
      [plan = std::move(plan), index, next_hop](const grpc::Status& status,
                                                grpc::ByteBuffer* reply) {
        auto fetched = std::make_shared<FetchedChunk>();
        if (!status.ok()) {
          fetched->status = ChunkFetchFailure(*plan, index, next_hop, status);
        } else {
          v1::FetchResponseRaw raw;
          if (grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                       v1::FetchResponseRaw>(reply, &raw)
                  .ok()) {
            fetched->records = std::move(*raw.mutable_records());
          } else {
            fetched->status = grpc::Status(
                grpc::StatusCode::DATA_LOSS,
                absl::StrCat("unreadable Fetch reply from '", next_hop, "'"));
          }
        }
        plan->Complete(index, std::move(fetched));
      });
}

}  // namespace

void StartPrefetch(const Node* node, grpc::CompletionQueue* cq,
                   const std::shared_ptr<QueryPlan>& plan, int32_t first) {
  const int32_t last = std::min<int64_t>(
      plan->total_chunks(),
      int64_t{first} + node->env.config->strategy.prefetch_chunks);
  for (int32_t index = std::max(first, 0); index < last; ++index) {
    const Segment& segment = plan->SegmentOf(index);
    if (segment.node_id == node->env.id() || segment.has_inline_records) {
      continue;  // served here without a fetch
    }
    if (plan->ClaimPrefetch(index)) {
      FetchChunk(node, cq, plan, index, kNoDeadline);
    }
  }
}

grpc::Status EncodeLocalSlice(const Node* node, const std::string& query_id,
                              int64_t offset, int64_t count,
                              v1::RecordChunk* chunk) {
  std::shared_ptr<const RowList> rows = node->services.results->Get(query_id);
  if (rows == nullptr) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("node '", node->env.id(), "' holds no rows for query '",
                     query_id, "' (released or expired)"));
  }
  const int64_t size = static_cast<int64_t>(rows->size());
  // No sum that can overflow: offset <= size first, then count against the
  // rest.
  if (offset < 0 || count < 0 || offset > size || count > size - offset) {
    return grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("rows at offset ", offset, " count ", count,
                     " of query '", query_id, "' are not within its ", size,
                     " rows"));
  }
  EncodeChunk(*node->env.table,
              absl::MakeConstSpan(rows->data() + offset,
                                  static_cast<size_t>(count)),
              chunk);
  return grpc::Status::OK;
}

grpc::Status LocalChunkBytes(const Node* node, const QueryPlan& plan,
                             int32_t index, std::string* records) {
  const Segment& segment = plan.SegmentOf(index);
  if (segment.node_id == node->env.id()) {
    v1::RecordChunk chunk;
    grpc::Status status =
        EncodeLocalSlice(node, plan.query_id(), plan.OffsetInSegment(index),
                         plan.RecordsIn(index), &chunk);
    if (status.ok()) chunk.SerializeToString(records);
    return status;
  }
  if (segment.has_inline_records) {
    *records = segment.inline_records;  // one chunk: records fit in one
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "fetched from its owner");
}

// ------------------------------------------------------------- GetChunkCall

void GetChunkCall::OnRequest() {
  plan_ = services_.plans->Find(
      request_.query_id(),
      ClientKey(request_.client_id(), context_, env_.tls_identities));
  if (plan_ == nullptr) {
    Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown query id '",
                                   request_.query_id(),
                                   "' (never issued, released or expired)")));
    return;
  }
  const int32_t index = request_.chunk_index();
  if (index < 0 || index >= plan_->total_chunks()) {
    Fail(grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("chunk index ", index, " out of range: query '",
                     request_.query_id(), "' has ",
                     plan_->total_chunks(), " chunks")));
    return;
  }
  StartPrefetch(node_, cq_, plan_, index + 1);
  std::string records;
  grpc::Status local = LocalChunkBytes(node_, *plan_, index, &records);
  if (local.ok()) {
    ReplyWithSerialized(records);
    return;
  }
  if (plan_->SegmentOf(index).node_id == env_.id()) {  // own rows are gone
    Fail(local);
    return;
  }
  step_ = Step::kWaiting;
  BeginOperation();  // the deadline timer
  timer_.Set(cq_, deadline());
  TakeOrWait();
}

void GetChunkCall::TakeOrWait() {
  std::shared_ptr<const FetchedChunk> fetched;
  const int32_t index = request_.chunk_index();
  switch (plan_->TakeOrWait(index, &chunk_ready_, cq_, &fetched)) {
    case QueryPlan::Slot::kReady:
      step_ = Step::kAnswered;
      timer_.Cancel();
      if (!fetched->status.ok()) {
        Fail(fetched->status);
      } else {
        ReplyWithSerialized(fetched->records);
      }
      return;
    case QueryPlan::Slot::kMustFetch:
      waiting_for_chunk_ = true;
      BeginOperation();
      FetchChunk(node_, cq_, plan_, index, deadline());
      return;
    case QueryPlan::Slot::kWaiting:
      waiting_for_chunk_ = true;
      BeginOperation();
      return;
  }
}

void GetChunkCall::OnChunkReady(bool ok) {
  waiting_for_chunk_ = false;
  if (step_ == Step::kWaiting) TakeOrWait();
  EndOperation();
}

void GetChunkCall::OnTimer(bool ok) {
  if (ok && step_ == Step::kWaiting) {
    GiveUp(grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("chunk ", request_.chunk_index(), " of query '",
                     plan_->query_id(), "' did not arrive in time")));
  }
  EndOperation();
}

void GetChunkCall::OnCancelled() {
  if (step_ != Step::kWaiting) return;
  timer_.Cancel();
  GiveUp(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void GetChunkCall::GiveUp(const grpc::Status& status) {
  step_ = Step::kAnswered;
  if (waiting_for_chunk_ &&
      plan_->StopWaiting(request_.chunk_index(), &chunk_ready_)) {
    waiting_for_chunk_ = false;
    Fail(status);
    EndOperation();  // no notification will come
    return;
  }
  Fail(status);  // a notification in flight ends the operation
}

void GetChunkCall::ReplyWithSerialized(const std::string& records) {
  const int32_t index = request_.chunk_index();
  v1::ChunkResponseRaw response;
  response.set_query_id(plan_->query_id());
  response.set_chunk_index(index);
  response.set_total_chunks(plan_->total_chunks());
  const Segment& segment = plan_->SegmentOf(index);
  response.set_first_record(segment.first_record +
                            plan_->OffsetInSegment(index));
  response.set_records(records);
  services_.metrics->Add(services_.metrics->chunks_served);
  Reply(ToBytes(response));
}

// ---------------------------------------------------------------- FetchCall

void FetchCall::OnRequest() {
  v1::FetchRequest& request = request_;
  if (request.route_size() == 0) {  // this node owns the rows
    v1::FetchResponse response;
    grpc::Status status =
        EncodeLocalSlice(node_, request.query_id(), request.offset(),
                         request.count(), response.mutable_records());
    if (!status.ok()) {
      Fail(status);
      return;
    }
    services_.metrics->Add(services_.metrics->chunks_served);
    Reply(ToBytes(response));
    return;
  }
  const std::string next_hop = request.route(0);
  request.mutable_route()->erase(request.mutable_route()->begin());
  services_.peers->Call(
      next_hop, PeerMethod::kFetch, request, cq_, deadline(), &relay_,
      [this](const grpc::Status& status, grpc::ByteBuffer* reply) {
        if (status.ok()) {
          Reply(*reply);
        } else {
          Fail(status);
        }
      });
}

}  // namespace overlay
