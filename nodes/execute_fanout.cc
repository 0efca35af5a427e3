// Copyright 2026 The overlay Authors.

#include "nodes/execute_fanout.h"

#include <algorithm>
#include <utility>

#include "core/store/query_executor.h"
#include "absl/status/status.h"
#include "glog/logging.h"

namespace overlay {

ExecuteFanout::ExecuteFanout(NodeContext* node, grpc::CompletionQueue* cq,
                             v1::ExecuteRequest request, Filter filter,
                             std::function<void()> done, Scope scope)
    : node_(node),
      cq_(cq),
      request_(std::move(request)),
      filter_(std::move(filter)),
      done_(std::move(done)),
      scope_(scope),
      scan_done_(this) {}

ExecuteFanout::~ExecuteFanout() = default;

void ExecuteFanout::Start() {
  const std::string& self = node_->self->id;
  request_.add_path(self);
  // Count everything first so an early completion cannot finish us.
  std::vector<std::string> targets;
  if (request_.hops_left() > 0 && scope_ != Scope::kLocalOnly) {
    for (const std::string& id : node_->neighbors->ids()) {
      const auto& path = request_.path();
      if (std::find(path.begin(), path.end(), id) == path.end()) {
        targets.push_back(id);
      }
    }
  }
  scanning_ = node_->table != nullptr && !node_->share.empty() &&
              scope_ != Scope::kNeighborsOnly;
  outstanding_ = static_cast<int>(targets.size()) + (scanning_ ? 1 : 0);
  if (outstanding_ == 0) {
    done_();
    return;
  }

  // Neighbours first, so they work while this node scans.
  v1::ExecuteRequest forward = request_;
  forward.set_hops_left(request_.hops_left() - 1);
  for (const std::string& id : targets) {
    auto* call = node_->NewPeerCall<v1::ExecuteResponse>(
        [this, id](PeerCall<v1::ExecuteResponse>* c) { OnNeighborDone(c, id); });
    if (call == nullptr) {  // shutting down: report the neighbour as lost
      v1::NodeFailure* failure = response_.add_failures();
      failure->set_node_id(id);
      failure->set_code(grpc::StatusCode::UNAVAILABLE);
      failure->set_message("node is shutting down");
      --outstanding_;
      continue;
    }
    call->context.set_deadline(node_->NeighborDeadline());
    node_->metrics->Add(node_->metrics->queries_forwarded);
    call->Start(&v1::PeerService::Stub::PrepareAsyncExecute,
                node_->neighbors->Stub(id), forward, cq_);
  }
  if (scanning_) {
    StartScan();  // its completion may finish the fan-out right here
  } else if (outstanding_ == 0) {
    done_();  // no scan, and every neighbour call failed to start
  }
}

void ExecuteFanout::StartScan() {
  // A first slice inline: a query with a limit usually ends in it, and then
  // costs no thread hop. The rest, if any, runs on a scan worker so a long
  // scan never stalls the reactor.
  const Table& table = *node_->table;
  const size_t inline_end = std::min(table.num_rows(), kInlineScanRows);
  absl::Status status =
      ExecuteFilterRange(table, filter_, 0, inline_end, &rows_);
  if (!status.ok() || inline_end == table.num_rows() ||
      LimitReached(filter_, rows_)) {
    FinishScan(status);
    Proceed(true);  // on this thread, now
    return;
  }
  const bool submitted = node_->workers->Submit([this, inline_end] {
    FinishScan(ExecuteFilterRange(*node_->table, filter_, inline_end,
                                  node_->table->num_rows(), &rows_));
    scan_done_.Notify(cq_);
  });
  if (!submitted) {  // workers stopped: shutting down
    local_records_ = -1;
    Proceed(true);
  }
}

void ExecuteFanout::FinishScan(const absl::Status& status) {
  node_->metrics->Add(node_->metrics->queries_executed);
  if (!status.ok()) {
    LOG_EVERY_N(WARNING, 100) << "scan failed: " << status;
    local_records_ = -1;
    return;
  }
  local_records_ = static_cast<int64_t>(rows_.size());
  if (!rows_.empty()) {
    node_->results->Put(request_.query_id(), std::move(rows_));
  }
  rows_ = RowList();
}

void ExecuteFanout::Proceed(bool ok) {
  // The local scan ended (ok is false only if the alarm was cancelled,
  // which nobody does; treat it as a failed scan).
  if (ok && local_records_ >= 0) {
    v1::ShareHit* hit = response_.add_hits();
    hit->set_node_id(node_->self->id);
    hit->set_share(node_->share);
    hit->set_first_day(node_->share_first_day);
    hit->set_records(local_records_);
    for (const std::string& id : request_.path()) hit->add_route(id);
  } else {
    v1::NodeFailure* failure = response_.add_failures();
    failure->set_node_id(node_->self->id);
    failure->set_code(grpc::StatusCode::INTERNAL);
    failure->set_message("local scan failed");
  }
  MaybeDone();
}

void ExecuteFanout::OnNeighborDone(PeerCall<v1::ExecuteResponse>* call,
                                   const std::string& neighbor) {
  node_->neighbors->RecordCall(neighbor, call->status);
  if (call->status.ok()) {
    for (v1::ShareHit& hit : *call->response.mutable_hits()) {
      *response_.add_hits() = std::move(hit);
    }
    for (v1::NodeFailure& failure : *call->response.mutable_failures()) {
      *response_.add_failures() = std::move(failure);
    }
  } else {
    v1::NodeFailure* failure = response_.add_failures();
    failure->set_node_id(neighbor);
    failure->set_code(call->status.error_code());
    failure->set_message(call->status.error_message());
  }
  delete call;
  MaybeDone();
}

void ExecuteFanout::MaybeDone() {
  if (--outstanding_ == 0) done_();
}

}  // namespace overlay
