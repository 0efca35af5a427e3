// Copyright 2026 The overlay Authors.

#include "nodes/health_calls.h"

#include <grpcpp/support/proto_buffer_writer.h>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/wire/request_limits.h"
#include "core/wire/request_parser.h"
#include "glog/logging.h"

namespace overlay {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// ------------------------------------------------------------ HealthStatus

bool HealthStatus::serving() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

void HealthStatus::SetNotServing() {
  absl::MutexLock lock(&mu_);
  if (!serving_) return;
  serving_ = false;
  // Under the lock: a watcher cannot unregister (and go away) meanwhile;
  // Notify only sets an alarm.
  for (auto& [notifier, cq] : watchers_) notifier->Notify(cq);
  watchers_.clear();
}

bool HealthStatus::Watch(Notifier* notifier, grpc::CompletionQueue* cq) {
  absl::MutexLock lock(&mu_);
  if (!serving_) return false;
  watchers_[notifier] = cq;
  return true;
}

bool HealthStatus::StopWatching(Notifier* notifier) {
  absl::MutexLock lock(&mu_);
  return watchers_.erase(notifier) > 0;
}

int HealthStatus::watchers() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watchers_.size());
}

bool IsKnownHealthService(const std::string& service) {
  return service.empty() || service == "overlay.v1.QueryService" ||
         service == "overlay.v1.PeerService";
}

absl::Status ParseHealthRequest(const grpc::ByteBuffer& bytes,
                                HealthCheckRequest* request) {
  RETURN_IF_ERROR(wire::ParseRequest(bytes, kMaxHealthRequestBytes, request));
  return wire::CheckStringField("HealthCheckRequest.service",
                                request->service(), kMaxHealthServiceBytes);
}

// --------------------------------------------------------- HealthCheckCall

void HealthCheckCall::OnRequest() {
  const std::string& service = request_.service();
  if (!IsKnownHealthService(service)) {
    Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      "unknown service '" + service + "'"));
    return;
  }
  HealthCheckResponse response;
  response.set_status(services_.health->serving()
                          ? HealthCheckResponse::SERVING
                          : HealthCheckResponse::NOT_SERVING);
  Reply(response);
}

// --------------------------------------------------------- HealthWatchCall

void HealthWatchCall::Listen(const Node* node,
                             grpc::ServerCompletionQueue* cq) {
  auto* call = new HealthWatchCall(node, cq);
  call->done_tag_ = new DoneTag(&call->done_target_);
  call->context_.AsyncNotifyWhenDone(call->done_tag_);
  call->done_pending_ = true;
  node->grpc.health->RequestWatch(&call->context_, &call->raw_request_,
                                  &call->writer_, cq, cq, call);
}

HealthWatchCall::HealthWatchCall(const Node* node,
                                 grpc::ServerCompletionQueue* cq)
    : node_(node),
      cq_(cq),
      writer_(&context_),
      done_target_(this, &HealthWatchCall::OnDone),
      change_target_(this, &HealthWatchCall::OnChange),
      change_(&change_target_) {}

HealthWatchCall::~HealthWatchCall() { delete done_tag_; }

void HealthWatchCall::Proceed(bool ok) {
  switch (state_) {
    case State::kAwaitingRequest:
      OnRequest(ok);
      return;
    case State::kWriting:
      OnWritten(ok);
      return;
    case State::kFinishing:
      finish_pending_ = false;
      MaybeDelete();
      return;
    case State::kWatching:
      LOG(DFATAL) << "Health/Watch woken while watching";
      return;
  }
}

HealthWatchCall::Status HealthWatchCall::Current() const {
  if (!node_->services.health->serving()) {
    return HealthCheckResponse::NOT_SERVING;
  }
  return IsKnownHealthService(service_) ? HealthCheckResponse::SERVING
                                        : HealthCheckResponse::SERVICE_UNKNOWN;
}

void HealthWatchCall::OnRequest(bool ok) {
  if (!ok) {  // shutting down: this call never started
    done_tag_->Orphan(node_->services.orphans);
    done_tag_ = nullptr;
    delete this;
    return;
  }
  Listen(node_, cq_);
  HealthCheckRequest request;
  absl::Status parsed = ParseHealthRequest(raw_request_, &request);
  raw_request_.Clear();
  if (!parsed.ok()) {
    Finish(ToGrpcStatus(parsed));
    return;
  }
  service_ = request.service();
  watching_ = node_->services.health->Watch(&change_, cq_);
  Write(Current());
}

void HealthWatchCall::Write(Status status) {
  state_ = State::kWriting;
  sent_ = status;
  HealthCheckResponse response;
  response.set_status(status);
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, HealthCheckResponse>(
      response, &bytes, &own_buffer);
  writer_.Write(bytes, this);
}

void HealthWatchCall::OnWritten(bool ok) {
  if (!ok || gone_) {  // the stream is broken: the caller went away
    gone_ = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher left"));
    return;
  }
  if (sent_ == HealthCheckResponse::NOT_SERVING) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "node is shutting down"));
    return;
  }
  if (changed_) {
    changed_ = false;
    Write(Current());
    return;
  }
  state_ = State::kWatching;
}

void HealthWatchCall::OnChange(bool ok) {
  watching_ = false;
  switch (state_) {
    case State::kWatching:
      Write(Current());
      return;
    case State::kWriting:
      changed_ = true;  // sent once the write in flight is back
      return;
    case State::kFinishing:
      MaybeDelete();
      return;
    case State::kAwaitingRequest:
      LOG(DFATAL) << "Health/Watch notified before its request";
      return;
  }
}

void HealthWatchCall::OnDone(bool ok) {
  done_pending_ = false;
  if (context_.IsCancelled()) {
    gone_ = true;
    // A write in flight comes back (failed) and finishes the call.
    if (state_ == State::kWatching) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher left"));
      return;
    }
  }
  MaybeDelete();
}

void HealthWatchCall::Finish(const grpc::Status& status) {
  if (watching_ && node_->services.health->StopWatching(&change_)) {
    watching_ = false;  // else the notification comes and is waited for
  }
  state_ = State::kFinishing;
  finish_pending_ = true;
  writer_.Finish(status, this);
}

void HealthWatchCall::MaybeDelete() {
  if (state_ != State::kFinishing || finish_pending_ || done_pending_ ||
      watching_) {
    return;
  }
  delete this;
}

}  // namespace overlay
