// Copyright 2026 The overlay Authors.

#include "nodes/query_calls.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/common/grpc_status.h"
#include "core/wire/filter_codec.h"
#include "glog/logging.h"
#include "nodes/chunk_calls.h"

namespace overlay {
namespace {
constexpr int32_t kMaxChunkSize = 20000;  // ~1.5 MB: far below 4 MiB
}  // namespace

void QueryCall::OnRequest() {
  node_->metrics->Add(node_->metrics->queries_received);
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
  chunk_size_ = request_.chunk_size() > 0
                    ? request_.chunk_size()
                    : node_->config->strategy.chunk_size;

  // kAdmitting: every query is admitted for now; the admission controller
  // will queue here and wake this call through a Notifier.
  query_id_ = node_->NextQueryId();
  node_->seen->FirstSighting(query_id_);  // a loop back here is a duplicate
  filter_ = *std::move(filter);
  if (request_.limit() > 0 && node_->owns_first_share) {
    // Results are in share order and this node's share is first: if it
    // alone fills the limit, the answer is complete without the others.
    step_ = Step::kScanningFirst;
    v1::ExecuteRequest execute;
    execute.set_query_id(query_id_);
    execute.set_limit(request_.limit());
    first_share_ = std::make_unique<ExecuteFanout>(
        node_, cq_, std::move(execute), filter_,
        [this] { OnFirstShareDone(); }, ExecuteFanout::Scope::kLocalOnly);
    first_share_->Start();
    return;
  }
  StartFanout(ExecuteFanout::Scope::kEverywhere);
}

void QueryCall::StartFanout(ExecuteFanout::Scope scope) {
  step_ = Step::kFanningOut;
  v1::ExecuteRequest execute;
  execute.set_query_id(query_id_);
  *execute.mutable_filter() = request_.filter();
  execute.set_limit(request_.limit());
  execute.set_hops_left(node_->config->strategy.max_hops);
  fanout_ = std::make_unique<ExecuteFanout>(
      node_, cq_, std::move(execute), filter_, [this] { OnFanoutDone(); },
      scope);
  fanout_->Start();
}

void QueryCall::OnFirstShareDone() {
  const v1::ExecuteResponse& local = first_share_->response();
  if (local.hits_size() == 1 && local.hits(0).records() >= request_.limit()) {
    OnFanoutDone();
    return;
  }
  // Not enough here: ask everyone else; this share's rows are kept.
  StartFanout(ExecuteFanout::Scope::kNeighborsOnly);
}

void QueryCall::OnResume(bool ok) {
  LOG(DFATAL) << "QueryCall woken unexpectedly in step "
              << static_cast<int>(step_);
}

void QueryCall::OnFanoutDone() {
  v1::ExecuteResponse merged;
  if (first_share_ != nullptr) merged = std::move(first_share_->response());
  if (fanout_ != nullptr) merged.MergeFrom(fanout_->response());
  // Result order: shares by first day (then id), which with contiguous date
  // shares is the data set's own row order.
  std::vector<v1::ShareHit*> hits(merged.mutable_hits()->pointer_begin(),
                                  merged.mutable_hits()->pointer_end());
  std::sort(hits.begin(), hits.end(), [](const v1::ShareHit* a,
                                         const v1::ShareHit* b) {
    if (a->first_day() != b->first_day()) return a->first_day() < b->first_day();
    return a->node_id() < b->node_id();
  });
  std::vector<Segment> segments;
  int64_t remaining = request_.limit() > 0 ? request_.limit() : INT64_MAX;
  for (const v1::ShareHit* hit : hits) {
    Segment segment;
    segment.node_id = hit->node_id();
    segment.share = hit->share();
    segment.route.assign(hit->route().begin(), hit->route().end());
    segment.records = std::min(hit->records(), remaining);
    remaining -= segment.records;
    segments.push_back(std::move(segment));
  }
  auto plan = std::make_shared<QueryPlan>(query_id_, chunk_size_,
                                          std::move(segments));
  v1::QueryResponse response;
  response.set_query_id(query_id_);
  response.set_total_records(plan->total_records());
  response.set_total_chunks(plan->total_chunks());
  response.set_chunk_size(chunk_size_);
  response.set_expires_in_ms(int64_t{node_->config->strategy.result_ttl_seconds} *
                             1000);
  for (const Segment& segment : plan->segments()) {
    v1::ShareResult* share = response.add_shares();
    share->set_node_id(segment.node_id);
    share->set_share(segment.share);
    share->set_records(segment.records);
    share->set_first_chunk(segment.first_chunk);
    share->set_chunks(segment.chunks);
  }
  *response.mutable_failures() = std::move(*merged.mutable_failures());
  if (request_.inline_first_chunk() && plan->total_chunks() > 0 &&
      plan->SegmentOf(0).node_id == node_->self->id) {
    v1::ChunkResponse* first = response.mutable_first_chunk();
    grpc::Status status =
        EncodeLocalSlice(node_, query_id_, 0, plan->RecordsIn(0),
                         first->mutable_records());
    if (status.ok()) {
      first->set_query_id(query_id_);
      first->set_chunk_index(0);
      first->set_total_chunks(plan->total_chunks());
      first->set_first_record(0);
      node_->metrics->Add(node_->metrics->chunks_served);
    } else {
      response.clear_first_chunk();
    }
  }
  node_->plans->Add(plan);
  StartPrefetch(node_, cq_, plan, 0);
  Reply(response);
}

void ExecuteCall::OnRequest() {
  if (!node_->seen->FirstSighting(request_.query_id())) {
    node_->metrics->Add(node_->metrics->duplicates_ignored);
    Reply(v1::ExecuteResponse());
    return;
  }
  absl::StatusOr<Filter> filter =
      FilterFromProto(request_.filter(), request_.limit());
  if (!filter.ok()) {
    Fail(ToGrpcStatus(filter.status()));
    return;
  }
  fanout_ = std::make_unique<ExecuteFanout>(
      node_, cq_, request_, *std::move(filter), [this] {
        v1::ExecuteResponse response = std::move(fanout_->response());
        Reply(response);
      });
  fanout_->Start();
}

}  // namespace overlay
