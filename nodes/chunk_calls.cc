// Copyright 2026 The overlay Authors.

#include "nodes/chunk_calls.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/grpc_status.h"
#include "core/fanout/deadline.h"
#include "core/store/canonical_filter.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "glog/logging.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "nodes/chunk_cache.h"
#include "nodes/client_identity.h"
#include "nodes/releases.h"

namespace overlay {
namespace {

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

// Completes chunk `index` of `plan` with what a fetch (or a stateless
// slice) brought: the serialized records, or the failure.
void CompleteChunk(const std::shared_ptr<QueryPlan>& plan, int32_t index,
                   const std::string& via, const grpc::Status& status,
                   std::string records) {
  auto fetched = std::make_shared<FetchedChunk>();
  if (!status.ok()) {
    fetched->status = ChunkFetchFailure(*plan, index, via, status);
  } else {
    fetched->records = std::move(records);
  }
  plan->Complete(index, std::move(fetched));
}

// Fetches chunk `index` of `plan` from its owner and completes the plan's
// slot, waking whoever waits for it. The fetch belongs to the plan (its
// scope); its reply is taken as FetchResponseRaw: the records stay
// serialized, ready to relay. The request carries the query, so the owner
// can key the chunk in its shared cache, and make it anew if it holds no
// rows for the query (a plan read from the cache). A chunk of this node's
// own share is made so here, on a scan worker.
void FetchChunk(const Node* node, grpc::CompletionQueue* cq,
                std::shared_ptr<QueryPlan> plan, int32_t index,
                int64_t deadline, const v1::RequestClass& cls) {
  const Segment& segment = plan->SegmentOf(index);
  if (segment.node_id == node->env.id()) {  // stateless: no rows held here
    int64_t index_in_share = 0;
    StatelessSlice slice;
    slice.chunks = ChunksOf(*plan, index, &index_in_share);
    slice.index = index_in_share;
    slice.deadline = deadline != kNoDeadline
                         ? deadline
                         : node->env.clock->NowNanos() +
                               node->env.default_deadline_nanos;
    slice.fresh = plan->query().fresh;
    absl::StatusOr<Filter> filter =
        FilterFromProto(plan->query().filter, plan->query().limit);
    if (!filter.ok()) {
      CompleteChunk(plan, index, node->env.id(), ToGrpcStatus(filter.status()),
                    "");
      return;
    }
    slice.filter = *std::move(filter);
    const std::string self = node->env.id();
    StartStatelessSlice(
        node, std::move(slice),
        [plan = std::move(plan), index, self](grpc::Status status,
                                              std::string records) {
          CompleteChunk(plan, index, self, status, std::move(records));
        });
    return;
  }
  v1::FetchRequest request;
  request.set_query_id(plan->query_id());
  *request.mutable_request_class() = cls;
  // route = [portal, hop1, ..., owner]; hop1 gets the rest.
  for (size_t i = 2; i < segment.route.size(); ++i) {
    request.add_route(segment.route[i]);
  }
  request.set_offset(plan->OffsetInSegment(index));
  request.set_count(plan->RecordsIn(index));
  const PlannedQuery& query = plan->query();
  if (!query.filter_key.empty()) {
    *request.mutable_filter() = query.filter;
    request.set_limit(query.limit);
    request.set_chunk_size(plan->chunk_size());
    request.set_segment_records(segment.records);
    request.set_generation(segment.generation);
    request.set_fresh(query.fresh);
  }
  // An owner on another host stores the chunk in its own segment; this
  // portal keeps it in its host's, for the next plan naming the same data.
  const bool keep = node->services.cache->enabled() &&
                    !node->services.cache->CoLocated(segment.node_id);
  const std::string next_hop =
      segment.route.size() > 1 ? segment.route[1] : segment.node_id;
  CancellationScope* scope = plan->fetches();
  node->services.peers->Call(
      next_hop, PeerMethod::kFetch, request, cq, deadline, scope,
      [node, plan = std::move(plan), index, next_hop, keep](
          const grpc::Status& status, grpc::ByteBuffer* reply) {
        if (!status.ok()) {
          CompleteChunk(plan, index, next_hop, status, "");
          return;
        }
        v1::FetchResponseRaw raw;
        if (!grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                      v1::FetchResponseRaw>(reply, &raw)
                 .ok()) {
          CompleteChunk(plan, index, next_hop,
                        grpc::Status(grpc::StatusCode::DATA_LOSS,
                                     absl::StrCat("unreadable Fetch reply "
                                                  "from '",
                                                  next_hop, "'")),
                        "");
          return;
        }
        if (keep) {
          int64_t index_in_share = 0;
          const ShareChunks chunks = ChunksOf(*plan, index, &index_in_share);
          if (chunks.valid()) {
            node->services.cache->PutChunk(chunks.Key(index_in_share),
                                           raw.records());
          }
        }
        CompleteChunk(plan, index, next_hop, grpc::Status::OK,
                      std::move(*raw.mutable_records()));
      });
}

// The chunk from the shared cache, unless the plan is `fresh`.
bool CachedChunkBytes(const Node* node, const QueryPlan& plan, int32_t index,
                      std::string* records) {
  if (plan.query().fresh || !node->services.cache->enabled()) return false;
  int64_t index_in_share = 0;
  const ShareChunks chunks = ChunksOf(plan, index, &index_in_share);
  return chunks.valid() &&
         node->services.cache->GetChunk(chunks.Key(index_in_share), records);
}

// Whether StartPrefetch may skip chunk `index`: it is in the shared cache.
bool CachedChunk(const Node* node, const QueryPlan& plan, int32_t index) {
  if (plan.query().fresh || !node->services.cache->enabled()) return false;
  int64_t index_in_share = 0;
  const ShareChunks chunks = ChunksOf(plan, index, &index_in_share);
  return chunks.valid() &&
         node->services.cache->HasChunk(chunks.Key(index_in_share));
}

}  // namespace

void StartPrefetch(const Node* node, grpc::CompletionQueue* cq,
                   const std::shared_ptr<QueryPlan>& plan, int32_t first,
                   const v1::RequestClass& cls) {
  const int32_t last = std::min<int64_t>(
      plan->total_chunks(),
      int64_t{first} + node->env.config->strategy.prefetch_chunks);
  for (int32_t index = std::max(first, 0); index < last; ++index) {
    const Segment& segment = plan->SegmentOf(index);
    if ((segment.node_id == node->env.id() && !segment.stateless) ||
        segment.has_inline_records || CachedChunk(node, *plan, index)) {
      continue;  // served here without a fetch
    }
    if (plan->ClaimPrefetch(index)) {
      FetchChunk(node, cq, plan, index, kNoDeadline, cls);
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
  if (segment.has_inline_records) {
    *records = segment.inline_records;  // one chunk: records fit in one
    return grpc::Status::OK;
  }
  if (CachedChunkBytes(node, plan, index, records)) return grpc::Status::OK;
  if (segment.node_id == node->env.id() && !segment.stateless) {
    v1::RecordChunk chunk;
    grpc::Status status =
        EncodeLocalSlice(node, plan.query_id(), plan.OffsetInSegment(index),
                         plan.RecordsIn(index), &chunk);
    if (!status.ok()) return status;
    chunk.SerializeToString(records);
    int64_t index_in_share = 0;
    const ShareChunks chunks = ChunksOf(plan, index, &index_in_share);
    if (chunks.valid()) {
      node->services.cache->PutChunk(chunks.Key(index_in_share), *records);
    }
    return status;
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "fetched from its owner");
}

// ------------------------------------------------------------- GetChunkCall

AdmissionStep GetChunkCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.query_admission;
  step.request.cls = env_.clients->Classify(request_.client_id(),
                                            PeerHost(context_.peer()));
  step.request.priority = AdmissionPriority::kFollowUp;
  request_class_.set_team(step.request.cls.team);
  request_class_.set_client(step.request.cls.client);
  return step;
}

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
  StartPrefetch(node_, cq_, plan_, index + 1, request_class_);
  std::string records = ReplyBuffers::Shared().Take();
  grpc::Status local = LocalChunkBytes(node_, *plan_, index, &records);
  if (local.ok()) {
    ReplyWithSerialized(std::move(records));
    return;
  }
  ReplyBuffers::Shared().Give(std::move(records));  // a fetch brings its own
  const Segment& segment = plan_->SegmentOf(index);
  if (segment.node_id == env_.id() && !segment.stateless) {
    Fail(local);  // own rows are gone
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
      FetchChunk(node_, cq_, plan_, index, deadline(), request_class_);
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
  AbandonIfCallerLeft();
  if (step_ != Step::kWaiting) return;
  timer_.Cancel();
  GiveUp(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void GetChunkCall::OnAnswerLost() { AbandonIfCallerLeft(); }

void GetChunkCall::AbandonIfCallerLeft() {
  // The client's own deadline cancels the call before the server's copy of
  // it passes: that copy starts when the request is read, and gRPC rounded
  // the timeout up (DeadlineRoundingNanos: 100 ms of a 20 s deadline). Only
  // a cancel well ahead of the deadline means the client left.
  constexpr int64_t kTransitSlackNanos = 5'000'000;
  const int64_t slack =
      caller_deadline()
          ? std::max(kTransitSlackNanos,
                     DeadlineRoundingNanos(deadline() - start_nanos()))
          : kTransitSlackNanos;
  if (plan_ == nullptr || env_.clock->NowNanos() >= deadline() - slack) {
    return;
  }
  std::shared_ptr<QueryPlan> plan =
      services_.plans->Abandon(plan_->query_id(), plan_->client());
  if (plan != nullptr) ReleasePlan(node_, cq_, *plan);
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

void GetChunkCall::ReplyWithSerialized(std::string records) {
  const int32_t index = request_.chunk_index();
  v1::ChunkResponseRaw response;
  response.set_query_id(plan_->query_id());
  response.set_chunk_index(index);
  response.set_total_chunks(plan_->total_chunks());
  const Segment& segment = plan_->SegmentOf(index);
  response.set_first_record(segment.first_record +
                            plan_->OffsetInSegment(index));
  services_.metrics->Add(services_.metrics->chunks_served);
  Reply(WithBytesField(response.SerializeAsString(),
                       v1::ChunkResponseRaw::kRecordsFieldNumber,
                       std::move(records)));
}

// ---------------------------------------------------------------- FetchCall

AdmissionStep FetchCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.execute_admission;
  step.request.cls =
      env_.clients->FromWire(request_.request_class().team(),
                             request_.request_class().client());
  step.request.priority = AdmissionPriority::kFollowUp;
  return step;
}

void FetchCall::OnRequest() {
  v1::FetchRequest& request = request_;
  if (request.route_size() == 0) {  // this node owns the rows
    ServeOwnSlice(request);
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

void FetchCall::ServeOwnSlice(const v1::FetchRequest& request) {
  // With the query in the request, the slice is a chunk of the shared
  // cache's: a whole chunk of the share as the plan cut it, of the data
  // this node holds.
  std::optional<Filter> filter;
  std::optional<ShareChunks> chunks;
  int64_t index = 0;
  if (request.chunk_size() > 0 && request.has_filter()) {
    absl::StatusOr<Filter> parsed =
        FilterFromProto(request.filter(), request.limit());
    if (!parsed.ok()) {
      Fail(ToGrpcStatus(parsed.status()));
      return;
    }
    filter = *std::move(parsed);
    ShareChunks share;
    share.owner = env_.id();
    share.generation = request.generation();
    share.chunk_size = request.chunk_size();
    share.share_records = request.segment_records();
    share.filter_key = CanonicalFilterKey(*filter);
    index = request.offset() / request.chunk_size();
    const int64_t offset = index * request.chunk_size();
    if (share.valid() && share.generation == env_.data_generation &&
        request.offset() >= 0 && request.offset() == offset &&
        offset < share.share_records &&
        request.count() == std::min<int64_t>(request.chunk_size(),
                                             share.share_records - offset)) {
      chunks = std::move(share);
    }
  }
  std::string records = ReplyBuffers::Shared().Take();
  if (chunks.has_value() && !request.fresh() &&
      services_.cache->GetChunk(chunks->Key(index), &records)) {
    ReplyWithRecords(std::move(records));
    return;
  }
  v1::RecordChunk chunk;
  grpc::Status status = EncodeLocalSlice(node_, request.query_id(),
                                         request.offset(), request.count(),
                                         &chunk);
  if (status.ok()) {
    chunk.SerializeToString(&records);
    if (chunks.has_value()) {
      services_.cache->PutChunk(chunks->Key(index), records);
    }
    ReplyWithRecords(std::move(records));
    return;
  }
  ReplyBuffers::Shared().Give(std::move(records));
  if (status.error_code() != grpc::StatusCode::NOT_FOUND ||
      !filter.has_value()) {
    Fail(status);
    return;
  }
  // No rows held for the query: the portal answered it from a cached plan
  // (or this node restarted). Run it again, if the data is what the plan
  // was made on.
  if (request.generation() != env_.data_generation) {
    Fail(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("the data of '", env_.id(),
                     "' changed since the query was planned: run it again")));
    return;
  }
  if (!chunks.has_value()) {
    Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("rows at offset ", request.offset(),
                                   " count ", request.count(),
                                   " are not a chunk of the share's ",
                                   request.segment_records(), " records")));
    return;
  }
  StatelessSlice slice;
  slice.filter = *std::move(filter);
  slice.chunks = *std::move(chunks);
  slice.index = index;
  slice.deadline = deadline();
  slice.fresh = request.fresh();
  slice_cancelled_ = std::make_shared<std::atomic<bool>>(false);
  slice.cancelled = slice_cancelled_;
  BeginOperation();  // the slice's notification
  StartStatelessSlice(node_, std::move(slice),
                      [this](grpc::Status status, std::string records) {
                        slice_status_ = std::move(status);
                        slice_records_ = std::move(records);
                        slice_ready_.Notify(cq_);
                      });
}

void FetchCall::OnSliceReady(bool ok) {
  if (!finishing()) {
    if (cancelled()) {
      Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    } else if (slice_status_.ok()) {
      ReplyWithRecords(std::move(slice_records_));
    } else {
      Fail(slice_status_);
    }
  }
  EndOperation();
}

void FetchCall::OnCancelled() {
  relay_.Cancel();
  // Relaxed: a hint for the scan to stop; the reply comes by notification.
  if (slice_cancelled_) slice_cancelled_->store(true, std::memory_order_relaxed);
}

void FetchCall::ReplyWithRecords(std::string records) {
  services_.metrics->Add(services_.metrics->chunks_served);
  Reply(WithBytesField("", v1::FetchResponseRaw::kRecordsFieldNumber,
                       std::move(records)));
}

}  // namespace overlay
