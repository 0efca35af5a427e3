// Copyright 2026 The overlay Authors.

#include "nodes/execute_fanout.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/grpc_status.h"
#include "core/wire/request_limits.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace overlay {

v1::ShareHit LocalHit(const NodeEnv& env, const ExecutionOutcome& outcome,
                      const std::vector<std::string>& path) {
  v1::ShareHit hit;
  hit.set_node_id(env.id());
  hit.set_share(env.share->description);
  hit.set_first_day(env.share->first_day);
  hit.set_records(outcome.records);
  hit.set_generation(env.data_generation);
  for (const std::string& id : path) hit.add_route(id);
  if (outcome.has_inline_records) {
    hit.set_has_inline_records(true);
    hit.set_inline_records(*outcome.inline_records);
  }
  return hit;
}

ExecuteFanout::ExecuteFanout(const Node* node, grpc::CompletionQueue* cq,
                             absl::AnyInvocable<void()> done)
    : node_(node),
      cq_(cq),
      aggregator_(&merge_, std::move(done)),
      local_done_(this) {}

ExecuteFanout::~ExecuteFanout() = default;

void ExecuteFanout::Start(std::shared_ptr<LocalExecution> local,
                          const std::vector<std::string>& path,
                          const v1::ExecuteRequest* forward,
                          const Filter& filter, int64_t deadline) {
  local_ = std::move(local);
  path_ = path;
  std::vector<std::string> targets;
  if (forward != nullptr && forward->hops_left() >= 0) {
    targets = node_->env.map->NeighborsToAsk(
        node_->env.id(),
        std::vector<std::string>(forward->path().begin(),
                                 forward->path().end()),
        filter.from_utc, filter.to_utc);
  }
  // Count every part first: a part may report before its start returns.
  aggregator_.Expect(static_cast<int>(targets.size()) +
                     (local_ != nullptr ? 1 : 0));
  // Serialized once for every neighbour (a request may carry 10,000 site
  // keys; a ByteBuffer copy only shares its slices).
  grpc::ByteBuffer bytes;
  if (!targets.empty()) {
    bool own_buffer = false;
    (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ExecuteRequest>(
        *forward, &bytes, &own_buffer);
  }
  // Neighbours first, so they work while this node scans.
  for (const std::string& id : targets) {
    node_->services.metrics->Add(node_->services.metrics->queries_forwarded);
    node_->services.peers->CallBytes(
        id, PeerMethod::kExecute, bytes, cq_, deadline, &scope_,
        [this, id](const grpc::Status& status, grpc::ByteBuffer* reply,
                   const PeerClient::CallInfo& info) {
          if (!status.ok()) {
            // An admission rejection's retry hint travels to the portal.
            aggregator_.ReportFailure(id, status, info.retry_after_ms);
            return;
          }
          v1::ExecuteResponse answer;
          if (!grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                        v1::ExecuteResponse>(reply, &answer)
                   .ok()) {
            aggregator_.ReportFailure(
                id, grpc::Status(grpc::StatusCode::DATA_LOSS,
                                 "unreadable Execute answer"));
            return;
          }
          // Its counts size the portal's plan: checked like a request.
          if (absl::Status valid = wire::ValidateExecuteAnswer(answer);
              !valid.ok()) {
            aggregator_.ReportFailure(
                id, grpc::Status(grpc::StatusCode::DATA_LOSS,
                                 absl::StrCat("invalid Execute answer: ",
                                              valid.message())));
            return;
          }
          aggregator_.ReportAnswer(id, &answer);
        });
  }
  if (local_ != nullptr) {
    local_waiting_ = local_->Wait(&local_done_, cq_);
    if (!local_waiting_) ReportLocal();
  }
  aggregator_.StartedAll();
}

void ExecuteFanout::Cancel() {
  scope_.Cancel();
  if (local_waiting_ && local_->StopWaiting(&local_done_)) {
    local_waiting_ = false;
    aggregator_.ReportFailure(
        node_->env.id(),
        grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
}

void ExecuteFanout::Proceed(bool ok) {
  // The local execution finished (the alarm is never cancelled).
  local_waiting_ = false;
  ReportLocal();
}

void ExecuteFanout::ReportLocal() {
  const ExecutionOutcome outcome = local_->outcome();
  if (outcome.drained) {  // answered along the other paths already
    aggregator_.ReportSkipped();
    return;
  }
  if (!outcome.status.ok()) {
    aggregator_.ReportFailure(node_->env.id(), ToGrpcStatus(outcome.status));
    return;
  }
  aggregator_.ReportShare(LocalHit(node_->env, outcome, path_));
}

}  // namespace overlay
