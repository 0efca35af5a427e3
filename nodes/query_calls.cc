// Copyright 2026 The overlay Authors.

#include "nodes/query_calls.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "core/common/grpc_status.h"
#include "core/common/status_macros.h"
#include "core/results/share_order.h"
#include "core/store/canonical_filter.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/chunk_slice.h"
#include "core/wire/filter_codec.h"
#include "glog/logging.h"
#include "nodes/chunk_calls.h"
#include "nodes/client_identity.h"
#include "nodes/releases.h"
#include "nodes/share_scan.h"

namespace overlay {
namespace {

constexpr int32_t kMaxChunkSize = 20000;  // ~1.5 MB: far below 4 MiB
// An Execute may still arrive this long after its deadline (clock skew of
// the deadline conversion, queueing); its id is remembered that long.
constexpr int64_t kArrivalGraceNanos = 1'000'000'000;
// The share of a Query's time the fan-out may use: the client pulls the
// answer's chunks within the same overall deadline, so a partial answer
// must come while there is still time to pull it.
constexpr int kFanoutPercentOfDeadline = 85;

// An answer needs time to reach its client. One ready with less left than
// a hop's margin of the Query's whole time (5%, 2..100 ms) would most
// likely arrive after the client gave up, and a unary answer is never
// acknowledged: its result would stay held, unused, until the TTL. Such a
// Query fails with DEADLINE_EXCEEDED and frees its result at once. A
// caller's deadline may also pass up to DeadlineRoundingNanos before this
// node's copy of it (gRPC rounds the timeout up), so that is added too.
int64_t AnswerMargin(int64_t start, int64_t deadline, bool caller_deadline) {
  const int64_t call = deadline - start;
  const int64_t margin = HopMargin(call, HopBudget{});
  return caller_deadline ? margin + DeadlineRoundingNanos(call) : margin;
}

// The strict failure for `missing` shares: DEADLINE_EXCEEDED if any ran out
// of time, RESOURCE_EXHAUSTED if an owner was out of room, else
// UNAVAILABLE; the message names every missing share.
grpc::Status MissingSharesStatus(
    const std::vector<v1::MissingShare>& missing, int answered) {
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  std::vector<std::string> parts;
  for (const v1::MissingShare& m : missing) {
    if (m.reason() == v1::MissingShare::DEADLINE_EXCEEDED) {
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
    }
    parts.push_back(absl::StrCat(m.node_id(), " (", m.share(), "): ",
                                 v1::MissingShare::Reason_Name(m.reason()),
                                 ": ", m.message()));
  }
  if (code != grpc::StatusCode::DEADLINE_EXCEEDED) {
    for (const v1::MissingShare& m : missing) {
      if (absl::StrContains(m.message(), "RESOURCE_EXHAUSTED")) {
        code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      }
    }
  }
  const std::string lead =
      answered == 0
          ? "no share answered"
          : absl::StrCat(missing.size(), " share",
                         missing.size() == 1 ? "" : "s",
                         " missing (set allow_partial for the rest)");
  return grpc::Status(code, absl::StrCat(lead, ": ",
                                         absl::StrJoin(parts, "; ")));
}

// The longest retry hint of the nodes whose admission refused a missing
// share: asking again sooner would find at least one of them still busy.
int64_t RetryHintOf(const std::vector<v1::MissingShare>& missing) {
  int64_t hint = 0;
  for (const v1::MissingShare& m : missing) {
    hint = std::max(hint, m.retry_after_ms());
  }
  return hint;
}

}  // namespace

// ---------------------------------------------------------------- QueryCall

AdmissionStep QueryCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.query_admission;
  step.request.cls =
      env_.clients->Classify(request_.client_id(), PeerHost(context_.peer()));
  request_class_.set_team(step.request.cls.team);
  request_class_.set_client(step.request.cls.client);
  return step;
}

void QueryCall::OnRequest() {
  services_.metrics->Add(services_.metrics->queries_received);
  absl::StatusOr<Filter> filter =
      FilterFromProto(request_.filter(), request_.limit());
  if (!filter.ok()) {
    Fail(ToGrpcStatus(filter.status()));
    return;
  }
  if (request_.chunk_size() < 0 || request_.chunk_size() > kMaxChunkSize) {
    Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("chunk_size must be 0 (the default) .. ",
                                   kMaxChunkSize, ", got ",
                                   request_.chunk_size())));
    return;
  }
  filter_ = *std::move(filter);
  chunk_size_ = request_.chunk_size() > 0
                    ? request_.chunk_size()
                    : env_.config->strategy.chunk_size;
  filter_key_ = CanonicalFilterKey(filter_);
  client_ = ClientKey(request_.client_id(), context_, env_.tls_identities);
  if (absl::Status room = services_.plans->Reserve(client_); !room.ok()) {
    Fail(ToGrpcStatus(room));
    return;
  }
  reserved_ = true;
  if (!request_.fresh()) {
    // A repeated query whose shares all live on this host, none changed.
    if (std::optional<std::vector<Segment>> cached =
            services_.cache->FindPlan(chunk_size_, filter_key_)) {
      AnswerFromCache(*std::move(cached));
      return;
    }
  }
  const int64_t now = env_.clock->NowNanos();
  fanout_deadline_ = now + (deadline() - now) / 100 * kFanoutPercentOfDeadline;
  query_id_ = services_.ids->Next();
  auto [arrival, local] = services_.executions->Arrive(
      query_id_, deadline() + kArrivalGraceNanos);
  local_ = std::move(local);  // a fresh id: always the first arrival
  if (env_.share == nullptr ||
      !OverlayMap::CanMatch(*env_.share, filter_.from_utc, filter_.to_utc)) {
    local_->Finish(ExecutionOutcome());  // nothing here can match
  } else {
    // The portal cuts chunks from its own rows: they are never inlined.
    // The scan runs under the Query's slot, which the call keeps.
    ShareScanRequest scan;
    scan.execution = local_;
    scan.filter = filter_;
    scan.deadline = fanout_deadline_;
    if (services_.cache->enabled()) {
      scan.chunks = ShareChunks{env_.id(), env_.data_generation, chunk_size_,
                                0, filter_key_};
      scan.preencode = !request_.fresh();
    }
    StartShareScan(node_, std::move(scan));
  }
  if (request_.limit() > 0 && env_.owns_first_share) {
    step_ = Step::kScanningFirst;
    first_ = std::make_unique<ExecuteFanout>(node_, cq_, [this] { Advance(); });
    first_->Start(local_, {env_.id()}, nullptr, filter_, fanout_deadline_);
    return;
  }
  StartFanout(/*with_local=*/env_.share != nullptr);
}

void QueryCall::StartFanout(bool with_local) {
  step_ = Step::kFanningOut;
  v1::ExecuteRequest forward;
  forward.set_query_id(query_id_);
  // Copied: the plan keeps the client's filter too (Planned()), for
  // chunks made anew from it.
  *forward.mutable_filter() = request_.filter();
  forward.set_limit(request_.limit());
  forward.add_path(env_.id());
  forward.set_hops_left(env_.config->strategy.max_hops - 1);
  forward.set_chunk_size(chunk_size_);
  forward.set_fresh(request_.fresh());
  *forward.mutable_request_class() = request_class_;
  fanout_ = std::make_unique<ExecuteFanout>(node_, cq_, [this] { Advance(); });
  // Once every share that can match has answered, the answer is complete:
  // calls still out (other paths to shares already in) are not waited for.
  absl::flat_hash_set<std::string> awaited;
  for (const ShareInfo& share : env_.map->shares()) {
    if (!OverlayMap::CanMatch(share, filter_.from_utc, filter_.to_utc)) {
      continue;
    }
    if (first_ != nullptr && first_->aggregator().answered().contains(
                                 share.node_id)) {
      continue;
    }
    awaited.insert(share.node_id);
  }
  fanout_->aggregator().WhenAnswered(std::move(awaited),
                                     [this] { OnEveryShareAnswered(); });
  fanout_->Start(with_local ? local_ : nullptr, {env_.id()}, &forward,
                 filter_, fanout_deadline_);
}

void QueryCall::OnEveryShareAnswered() {
  if (step_ != Step::kFanningOut) return;
  // The fan-out's remaining parts still report to this call: it stays
  // until they did (EndOperation in Advance).
  answered_early_ = true;
  BeginOperation();
  Answer();
  fanout_->Cancel();
}

void QueryCall::Advance() {
  switch (step_) {
    case Step::kScanningFirst: {
      if (!first_->done()) return;
      const auto& hits = first_->merge().hits();
      if (hits.size() == 1 && hits[0].records() >= request_.limit()) {
        Answer();  // the limit is met by the first share alone
        return;
      }
      StartFanout(/*with_local=*/false);  // this share's rows are kept
      return;
    }
    case Step::kFanningOut:
      if (fanout_->done()) Answer();
      return;
    case Step::kCancelling:
      if ((first_ == nullptr || first_->done()) &&
          (fanout_ == nullptr || fanout_->done())) {
        Abandon(grpc::Status(grpc::StatusCode::CANCELLED,
                             "the client cancelled the query"));
      }
      return;
    case Step::kAnswered:
      if (answered_early_ && fanout_->done()) {
        answered_early_ = false;
        EndOperation();  // may delete this call
      }
      return;
    case Step::kStarting:
      LOG(DFATAL) << "QueryCall::Advance in step " << static_cast<int>(step_);
      return;
  }
}

void QueryCall::OnCancelled() {
  if (step_ != Step::kScanningFirst && step_ != Step::kFanningOut) return;
  step_ = Step::kCancelling;
  local_->Cancel();
  if (first_ != nullptr) first_->Cancel();
  if (fanout_ != nullptr) fanout_->Cancel();
  Advance();
}

void QueryCall::OnAnswerLost() {
  if (query_id_.empty()) return;
  std::shared_ptr<QueryPlan> plan = services_.plans->Remove(query_id_, client_);
  if (plan != nullptr) ReleasePlan(node_, cq_, *plan);
}

std::optional<Segment> QueryCall::PackSegments(
    const std::vector<Segment>& segments) {
  std::vector<std::string> parts;
  int64_t records = 0;
  for (const Segment& segment : segments) {
    if (segment.records == 0) continue;
    records += segment.records;
    std::string& part = parts.emplace_back();
    if (segment.has_inline_records) {
      part = segment.inline_records;
      continue;
    }
    // A share's one chunk from the host's cache (its owner wrote it), or
    // cut from this node's own rows.
    if (services_.cache->GetChunk(
            NodeCache::ChunkKey(segment.node_id, segment.generation,
                                chunk_size_, 0, segment.records, filter_key_),
            &part)) {
      continue;
    }
    if (segment.node_id != env_.id() || segment.stateless) {
      return std::nullopt;  // it has to be fetched: no packing
    }
    v1::RecordChunk chunk;
    if (!EncodeLocalSlice(node_, query_id_, 0, segment.records, &chunk).ok()) {
      return std::nullopt;
    }
    chunk.SerializeToString(&part);
  }
  absl::StatusOr<std::string> bytes = ConcatChunks(parts);
  if (!bytes.ok()) {
    LOG_EVERY_N(WARNING, 100) << "cannot pack a small result: "
                              << bytes.status();
    return std::nullopt;
  }
  // Every record is in the packed chunk: this node's rows are not needed.
  services_.results->Release(query_id_);
  Segment packed;
  packed.node_id = env_.id();
  packed.records = records;
  packed.has_inline_records = true;
  packed.inline_records = *std::move(bytes);
  return packed;
}

void QueryCall::Abandon(const grpc::Status& status) {
  step_ = Step::kAnswered;
  if (reserved_) services_.plans->Unreserve(client_);
  reserved_ = false;
  if (local_ != nullptr) {  // it ran: owners may hold rows (or be about to)
    if (!left_execution_) (void)services_.executions->Leave(local_, false);
    left_execution_ = true;
    ReleaseEverywhere(node_, cq_, query_id_, {env_.id()},
                      env_.config->strategy.max_hops);
  }
  Fail(status);
}

bool QueryCall::TooLateToAnswer() {
  const int64_t left = deadline() - env_.clock->NowNanos();
  if (left >= AnswerMargin(start_nanos(), deadline(), caller_deadline())) {
    return false;
  }
  Abandon(grpc::Status(
      grpc::StatusCode::DEADLINE_EXCEEDED,
      absl::StrCat("the answer was ready ", std::max<int64_t>(left, 0) / 1000,
                   " us before the deadline: too late to reach the client")));
  return true;
}

void QueryCall::Answer() {
  if (TooLateToAnswer()) return;
  step_ = Step::kAnswered;
  std::vector<v1::ShareHit> hits;
  std::vector<v1::NodeFailure> failures;
  absl::flat_hash_set<std::string> answered;
  for (ExecuteFanout* part : {first_.get(), fanout_.get()}) {
    if (part == nullptr) continue;
    for (v1::ShareHit& hit : part->merge().hits()) {
      if (!answered.insert(hit.node_id()).second) continue;
      const ShareInfo* share = env_.map->ShareOf(hit.node_id());
      if (share != nullptr &&
          !OverlayMap::CanMatch(*share, filter_.from_utc, filter_.to_utc)) {
        // Its days miss the window: whatever its data, it contributes
        // nothing, so a cached plan need not check its generation.
        hit.set_generation(0);
      }
      hits.push_back(std::move(hit));
    }
    for (v1::NodeFailure& f : part->aggregator().failures()) {
      failures.push_back(std::move(f));
    }
  }
  // Every share either answered, could not contribute (its days miss the
  // time window, or a limit was met by an earlier share: it was not asked),
  // or is missing.
  const bool limit_met_first = fanout_ == nullptr;
  std::vector<v1::MissingShare> missing;
  for (const ShareInfo& share : env_.map->shares()) {
    if (answered.contains(share.node_id)) continue;
    if (limit_met_first ||
        !OverlayMap::CanMatch(share, filter_.from_utc, filter_.to_utc)) {
      v1::ShareHit& none = hits.emplace_back();
      none.set_node_id(share.node_id);
      none.set_share(share.description);
      none.set_first_day(share.first_day);
      continue;
    }
    missing.push_back(env_.map->ExplainMissing(share, failures, env_.id()));
  }
  const int answered_count = static_cast<int>(answered.size());
  if (!missing.empty() &&
      (!request_.allow_partial() || answered_count == 0)) {
    services_.metrics->Add(services_.metrics->queries_failed_missing);
    SetRetryHint(RetryHintOf(missing));
    Abandon(MissingSharesStatus(missing, answered_count));
    return;
  }

  std::vector<Segment> segments;
  for (LaidOutSegment& laid : LayOutSegments(std::move(hits),
                                             request_.limit())) {
    Segment& segment = laid.segment;
    if (segment.has_inline_records && segment.records < laid.cut_from) {
      absl::StatusOr<std::string> cut =
          SliceChunk(segment.inline_records, 0, segment.records);
      if (!cut.ok()) {
        Abandon(grpc::Status(grpc::StatusCode::DATA_LOSS,
                             absl::StrCat("records of '", segment.node_id,
                                          "': ", cut.status().message())));
        return;
      }
      segment.inline_records = *std::move(cut);
      if (segment.records > 0 && segment.generation != 0) {
        // The owner stored its records uncut: the plan's chunk is these,
        // for a later answer from the cached plan.
        services_.cache->PutChunk(
            NodeCache::ChunkKey(segment.node_id, segment.generation,
                                chunk_size_, 0, segment.records, filter_key_),
            segment.inline_records);
      }
    }
    segments.push_back(std::move(segment));
  }
  if (missing.empty()) {
    services_.cache->StorePlan(chunk_size_, filter_key_, segments);
  }
  // The plan holds this share's rows.
  (void)services_.executions->Leave(local_, true);
  left_execution_ = true;
  Deliver(std::move(segments), std::move(failures), std::move(missing));
}

PlannedQuery QueryCall::Planned() const {
  return PlannedQuery{filter_key_, request_.filter(), request_.limit(),
                      request_.fresh()};
}

void QueryCall::AnswerFromCache(std::vector<Segment> segments) {
  if (TooLateToAnswer()) return;
  step_ = Step::kAnswered;
  query_id_ = services_.ids->Next();
  Deliver(std::move(segments), {}, {});
}

void QueryCall::Deliver(std::vector<Segment> segments,
                        std::vector<v1::NodeFailure> failures,
                        std::vector<v1::MissingShare> missing) {
  // Record counts come from the neighbours' answers (each validated to
  // 0..2^31-1): the chunk count they add up to must fit the plan's int32
  // chunk indexes.
  int64_t chunks = 0;
  for (const Segment& segment : segments) {
    chunks += (segment.records + chunk_size_ - 1) / chunk_size_;
  }
  if (chunks > INT32_MAX) {
    Abandon(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("the result would have ", chunks, " chunks of ",
                     chunk_size_, " records; at most ", INT32_MAX)));
    return;
  }
  // The shares as the client sees them, before a small result is packed
  // into one chunk; their chunks are the plan's layout of these segments,
  // or all in chunk 0 once packed.
  std::vector<v1::ShareResult> shares;
  shares.reserve(segments.size());
  for (const Segment& segment : segments) {
    v1::ShareResult& share = shares.emplace_back();
    share.set_node_id(segment.node_id);
    share.set_share(segment.share);
    share.set_records(segment.records);
  }
  bool packed = false;
  if (FitsOneChunk(segments, chunk_size_)) {
    if (std::optional<Segment> one = PackSegments(segments)) {
      segments.clear();
      segments.push_back(*std::move(one));
      packed = true;
    }
  }
  auto plan = std::make_shared<QueryPlan>(query_id_, chunk_size_,
                                          std::move(segments),
                                          services_.memory, client_, Planned());
  for (size_t i = 0; i < shares.size(); ++i) {
    v1::ShareResult& share = shares[i];
    if (packed) {
      share.set_first_chunk(0);
      share.set_chunks(share.records() > 0 ? 1 : 0);
    } else {
      const Segment& laid_out = plan->segments()[i];  // the order is kept
      share.set_first_chunk(laid_out.first_chunk);
      share.set_chunks(laid_out.chunks);
    }
  }
  v1::QueryResponse response;
  response.set_query_id(query_id_);
  response.set_total_records(plan->total_records());
  response.set_total_chunks(plan->total_chunks());
  response.set_chunk_size(chunk_size_);
  response.set_expires_in_ms(env_.result_ttl_nanos / 1'000'000);
  for (v1::ShareResult& share : shares) {
    *response.add_shares() = std::move(share);
  }
  for (v1::NodeFailure& f : failures) *response.add_failures() = std::move(f);
  response.set_complete(missing.empty());
  for (v1::MissingShare& m : missing) *response.add_missing() = std::move(m);
  if (!missing.empty()) {
    services_.metrics->Add(services_.metrics->queries_incomplete);
  }
  // Chunk 0 goes inline as the bytes the chunk already is (from the owner's
  // answer, the shared cache or this node's rows), never parsed, encoded or
  // copied again: QueryResponse.first_chunk is a ChunkResponseRaw head whose
  // records field holds them, sent as the last slice.
  std::string first_records;
  bool inline_first = false;
  if (request_.inline_first_chunk() && plan->total_chunks() > 0) {
    first_records = ReplyBuffers::Shared().Take();
    inline_first = LocalChunkBytes(node_, *plan, 0, &first_records).ok();
    if (!inline_first) first_records.clear();
  }
  // An answer that carries the whole result leaves nothing to pull: the
  // portal keeps nothing for it (and its client need not Release it).
  const bool held = !(plan->total_chunks() == 0 ||
                      (plan->total_chunks() == 1 && inline_first));
  response.set_whole(!held);
  if (held) {
    // Pulled from within the grace after the answer, or freed (the answer
    // was lost, or its client is gone); and freed at the Query's deadline
    // when the client sent one, since it bounds the whole query.
    const int64_t now = env_.clock->NowNanos();
    QueryRegistry::Bounds bounds;
    bounds.claim_by_nanos = now + env_.result_claim_grace_nanos;
    if (caller_deadline()) {
      bounds.deadline_nanos = std::max(deadline(), bounds.claim_by_nanos);
    }
    response.set_claim_within_ms((bounds.claim_by_nanos - now) / 1'000'000);
    services_.plans->Add(plan, bounds);
    StartPrefetch(node_, cq_, plan, 0, request_class_);
  } else {
    response.clear_expires_in_ms();
    services_.plans->Unreserve(client_);
    ReleasePlan(node_, cq_, *plan);  // the rows chunk 0 was cut from
  }
  reserved_ = false;
  std::string head = response.SerializeAsString();
  if (inline_first) {
    v1::ChunkResponseRaw first;
    first.set_query_id(query_id_);
    first.set_chunk_index(0);
    first.set_total_chunks(plan->total_chunks());
    first.set_first_record(0);
    std::string first_head = first.SerializeAsString();
    AppendFieldHeader(&first_head, v1::ChunkResponseRaw::kRecordsFieldNumber,
                      first_records.size());
    AppendFieldHeader(&head, v1::QueryResponse::kFirstChunkFieldNumber,
                      first_head.size() + first_records.size());
    head += first_head;
    services_.metrics->Add(services_.metrics->chunks_served);
  }
  Reply(PrefixedBytes(std::move(head), std::move(first_records)));
}

// -------------------------------------------------------------- ExecuteCall

AdmissionStep ExecuteCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.execute_admission;
  step.request.cls = env_.clients->FromWire(request_.request_class().team(),
                                            request_.request_class().client());
  // A repeat arrival only waits for the run another arrival started (or is
  // refused at once): it never queues, so it cannot wait behind work that
  // waits for it.
  if (services_.executions->Knows(request_.query_id())) {
    step.request.priority = AdmissionPriority::kFollowUp;
  }
  return step;
}

void ExecuteCall::OnRequest() {
  absl::StatusOr<Filter> filter =
      FilterFromProto(request_.filter(), request_.limit());
  if (!filter.ok()) {
    Fail(ToGrpcStatus(filter.status()));
    return;
  }
  auto [arrival, local] = services_.executions->Arrive(
      request_.query_id(), deadline() + kArrivalGraceNanos);
  if (arrival == ExecutionRegistry::Arrival::kReleased) {
    Fail(grpc::Status(grpc::StatusCode::ABORTED,
                      absl::StrCat("query '", request_.query_id(),
                                   "' was released")));
    return;
  }
  local_ = std::move(local);
  const bool has_share = env_.share != nullptr;
  // Nothing here can match the time window: answered at once, no scan.
  const bool pruned =
      has_share && !OverlayMap::CanMatch(*env_.share, filter->from_utc,
                                         filter->to_utc);
  // The portal (path[0]) shares this host: it will read this share's
  // chunks from the shared cache, so they are stored (and, unless the
  // query is fresh, encoded) there ahead.
  const bool co_located = services_.cache->enabled() &&
                          request_.chunk_size() > 0 &&
                          request_.path_size() > 0 &&
                          services_.cache->CoLocated(request_.path(0));
  std::vector<std::string> path(request_.path().begin(),
                                request_.path().end());
  path.push_back(env_.id());
  step_ = Step::kWaiting;
  fanout_ = std::make_unique<ExecuteFanout>(node_, cq_,
                                            [this] { OnFanoutDone(); });
  if (arrival == ExecutionRegistry::Arrival::kAgain) {
    // It runs already (reached by another path): report the share here
    // too, but do not forward it again. Nothing runs for this arrival.
    ReleasePermit();
    services_.metrics->Add(services_.metrics->duplicates_ignored);
    fanout_->Start(has_share ? local_ : nullptr, path, nullptr, *filter,
                   deadline());
    return;
  }
  if (has_share && !pruned) {
    ShareScanRequest scan;
    scan.execution = local_;
    scan.filter = *filter;
    scan.deadline = deadline();
    scan.inline_records_up_to = request_.chunk_size();
    if (co_located) {
      scan.chunks = ShareChunks{env_.id(), env_.data_generation,
                                request_.chunk_size(), 0,
                                CanonicalFilterKey(*filter)};
      scan.preencode = !request_.fresh();
    }
    // The scan holds this arrival's slot until it ends.
    scan.permit = TakePermit();
    StartShareScan(node_, std::move(scan));
  } else {
    ReleasePermit();  // nothing to run here: forwarding takes no slot
    local_->Finish(ExecutionOutcome());
  }
  // The request moves into what is forwarded (no copy of its site keys);
  // nothing below reads request_ again.
  const int32_t hops_left = request_.hops_left();
  v1::ExecuteRequest forward;
  forward.Swap(&request_);
  forward.add_path(env_.id());
  forward.set_hops_left(hops_left - 1);
  fanout_->Start(has_share ? local_ : nullptr, path,
                 hops_left > 0 ? &forward : nullptr, *filter, deadline());
}

void ExecuteCall::OnCancelled() {
  if (step_ != Step::kWaiting) return;
  step_ = Step::kCancelling;
  fanout_->Cancel();
  if (fanout_->done()) OnFanoutDone();
}

void ExecuteCall::OnFanoutDone() {
  if (step_ == Step::kCancelling) {
    step_ = Step::kAnswered;
    LeaveExecution(false);
    Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    return;
  }
  if (step_ != Step::kWaiting) return;
  step_ = Step::kAnswered;
  v1::ExecuteResponse response;
  bool delivered = false;
  for (v1::ShareHit& hit : fanout_->merge().hits()) {
    delivered |= hit.node_id() == env_.id();
    *response.add_hits() = std::move(hit);
  }
  for (v1::NodeFailure& f : fanout_->aggregator().failures()) {
    *response.add_failures() = std::move(f);
  }
  LeaveExecution(delivered);
  Reply(response);
}

void ExecuteCall::LeaveExecution(bool delivered) {
  if (services_.executions->Leave(local_, delivered)) {
    // Every arrival went away before this share was delivered: nobody
    // will ask for its rows.
    local_->Cancel();
    services_.results->Release(local_->query_id());
  }
}

}  // namespace overlay
