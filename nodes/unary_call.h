// Copyright 2026 The overlay Authors.
//
// UnaryCall: the base of every server-side call object (CRTP). It owns the
// ServerContext, request and responder of one unary RPC and drives the
// part of the state machine every RPC shares:
//
//   kAwaitingRequest --request, ok--> re-arm a fresh listener, enter the
//        gate (closed: UNAVAILABLE), check the peer credential (PeerService
//        calls: UNAUTHENTICATED), parse and validate the request, take the
//        deadline, test hooks (kHeld), then
//   kAdmitting --admitted--> kRunning: Derived::OnRequest()
//   kRunning: the derived call's own sub-states; it ends with Reply()/Fail()
//   kFinishing --Finish tag back (and the done tag, if asked)--> delete
//
// `ok == false` while awaiting the request means the server is shutting
// down: the call deletes itself without re-arming; its done tag, which gRPC
// then may never deliver, is orphaned (core/reactor/done_tags.h).
//
// Calls with kNotifyWhenDone learn when their caller goes away (client
// cancelled, deadline passed, connection lost): Derived::OnCancelled()
// runs once, in kRunning; the call stops its work, cancels what it started
// and still finishes (Fail) once its children are back. A call is deleted
// only when the Finish tag and the done tag both came back, in either
// order, and every operation it began (BeginOperation) ended.
// Reactor-thread only.
//
// Every RPC is served raw: the request arrives as the bytes the caller sent
// and is parsed here by Derived::ParseRequest (by default
// wire::ParseAndValidateRequest: the per-RPC receive cap, UTF-8 of every
// string field, the field limits), so a hostile request is refused with
// INVALID_ARGUMENT (RESOURCE_EXHAUSTED for its size) naming the field and
// the limit, before any work and without a log line. Derived calls see the
// typed `request_`. Replies are serialized here (or passed on as bytes when
// Response is grpc::ByteBuffer).
//
// The admission step (kAdmitting) admits every call for now; the node's
// admission controller plugs in here.

#ifndef OVERLAY_NODES_UNARY_CALL_H_
#define OVERLAY_NODES_UNARY_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <memory>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/common/grpc_status.h"
#include "core/fanout/deadline.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/done_tags.h"
#include "core/wire/request_parser.h"
#include "glog/logging.h"
#include "nodes/node_runtime.h"

namespace overlay {

inline size_t WireSize(const google::protobuf::MessageLite& message) {
  return message.ByteSizeLong();
}
inline size_t WireSize(const grpc::ByteBuffer& buffer) {
  return buffer.Length();
}

template <typename Derived, typename Service, typename Request,
          typename Response, RpcKind kKind>
class UnaryCall : public CompletionTag {
 public:
  // Every method is registered raw (WithRawMethod_*).
  using RequestMethod = void (Service::*)(
      grpc::ServerContext*, grpc::ByteBuffer*,
      grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>*,
      grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);

  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

  // Puts a fresh listener for this RPC on `cq`.
  static void Listen(const Node* node, grpc::ServerCompletionQueue* cq) {
    auto* call = new Derived(node, cq);
    call->Arm();
  }

  // The request tag and the Finish tag.
  void Proceed(bool ok) final {
    switch (state_) {
      case State::kAwaitingRequest:
        OnRequestArrived(ok);
        return;
      case State::kFinishing:
        finish_pending_ = false;
        MaybeDelete();
        return;
      case State::kAdmitting:
      case State::kHeld:
      case State::kRunning:
        // Nothing is queued with this tag in these states.
        LOG(DFATAL) << RpcName(kKind) << " call woken in state "
                    << static_cast<int>(state_);
        return;
    }
  }

 protected:
  UnaryCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : node_(node),
        env_(node->env),
        services_(node->services),
        cq_(cq),
        responder_(&context_),
        done_target_(this, &UnaryCall::OnDone),
        resume_target_(this, &UnaryCall::OnResumed) {}
  ~UnaryCall() {
    if (entered_gate_) services_.gate->Leave();
    delete done_tag_;  // came back (or was never handed out)
  }

  void Reply(const Response& response) {
    if (Derived::kNotifyWhenDone && services_.hooks->HoldReply(kKind)) {
      state_ = State::kHeld;  // the answer is dropped; wait to be cancelled
      services_.hooks->Changed();
      return;
    }
    Finish();
    services_.metrics->Add(services_.metrics->bytes_out, WireSize(response));
    if constexpr (std::is_same_v<Response, grpc::ByteBuffer>) {
      responder_.Finish(response, grpc::Status::OK, this);
    } else {
      grpc::ByteBuffer bytes;
      bool own_buffer = false;
      (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, Response>(
          response, &bytes, &own_buffer);
      responder_.Finish(bytes, grpc::Status::OK, this);
    }
  }
  void Fail(const grpc::Status& status) {
    Finish();
    services_.metrics->Add(services_.metrics->errors);
    responder_.FinishWithError(status, this);
  }

  // Calls that must answer during shutdown (health) opt out of the gate.
  static constexpr bool kCountedByGate = true;
  // PeerService calls: refused (UNAUTHENTICATED, no work) unless the caller
  // presents the node's peer credential (core/security/peer_credential.h).
  static constexpr bool kPeerOnly = false;
  // Turns the request's bytes into request_; any error is the call's
  // answer. Derived calls with a request type of their own shadow it.
  static absl::Status ParseRequest(const grpc::ByteBuffer& bytes,
                                   Request* request) {
    return wire::ParseAndValidateRequest(bytes, request);
  }
  // Calls that wait (for children, scans, chunks) want to know when their
  // caller goes away.
  static constexpr bool kNotifyWhenDone = false;
  // Default: the derived call has nothing to stop.
  void OnCancelled() {}

  // Operations of the derived call's own (a timer, a notification) that
  // must come back before the call may be deleted: Reply() or Fail() may
  // come first. EndOperation() may delete the call: return right after.
  void BeginOperation() { ++pending_operations_; }
  void EndOperation() {
    --pending_operations_;
    MaybeDelete();
  }

  // The caller's deadline on the node's clock, or the config's default.
  int64_t deadline() const { return deadline_; }
  // True once the done notification said the caller went away.
  bool cancelled() const { return cancelled_; }
  bool finishing() const { return state_ == State::kFinishing; }

  const Node* const node_;
  const NodeEnv& env_;
  const NodeServices& services_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext context_;
  Request request_;  // parsed and validated before OnRequest()

 private:
  enum class State { kAwaitingRequest, kAdmitting, kHeld, kRunning, kFinishing };

  void Arm() {
    state_ = State::kAwaitingRequest;
    if (Derived::kNotifyWhenDone) {
      done_tag_ = new DoneTag(&done_target_);
      context_.AsyncNotifyWhenDone(done_tag_);
      done_pending_ = true;
    }
    (Derived::service(node_)->*Derived::kRequestMethod)(
        &context_, &raw_request_, &responder_, cq_, cq_, this);
  }

  void OnRequestArrived(bool ok) {
    if (!ok) {  // the server is shutting down; this call never started
      if (done_tag_ != nullptr) {
        done_tag_->Orphan(services_.orphans);
        done_tag_ = nullptr;
      }
      delete static_cast<Derived*>(this);
      return;
    }
    Listen(node_, cq_);
    start_nanos_ = env_.clock->NowNanos();
    services_.metrics->Add(services_.metrics->bytes_in,
                           raw_request_.Length());
    if (Derived::kCountedByGate) {
      if (!services_.gate->Enter()) {
        Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "node is shutting down"));
        return;
      }
      entered_gate_ = true;
    }
    // No work before the caller is known and the request is sound.
    if (Derived::kPeerOnly &&
        !services_.peer_credential->Accepts(context_.client_metadata())) {
      services_.metrics->Add(services_.metrics->peer_calls_refused);
      Fail(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat(RpcName(kKind),
                                     " is for the overlay's nodes only: "
                                     "missing or wrong peer credential")));
      return;
    }
    {
      absl::Status parsed = Derived::ParseRequest(raw_request_, &request_);
      raw_request_.Clear();
      if (!parsed.ok()) {
        services_.metrics->Add(services_.metrics->requests_refused);
        Fail(ToGrpcStatus(parsed));
        return;
      }
    }
    deadline_ = FromSystemDeadline(*env_.clock, context_.deadline());
    if (!env_.timers->follows_real_time()) {  // see kFakeDeadlineKey
      const auto& metadata = context_.client_metadata();
      auto it = metadata.find(kFakeDeadlineKey);
      int64_t fake = 0;
      if (it != metadata.end() &&
          absl::SimpleAtoi(absl::string_view(it->second.data(),
                                             it->second.size()),
                           &fake)) {
        deadline_ = fake;
      }
    }
    if (deadline_ == kNoDeadline) {
      deadline_ = start_nanos_ + env_.default_deadline_nanos;
    }
    if (Derived::kNotifyWhenDone) {
      grpc::Status status;
      // The hooks' resume alarm is made only when hooks are installed: an
      // alarm costs an allocation, and production calls never park.
      if (services_.hooks != NoHooks::Get()) {
        resume_ = std::make_unique<Notifier>(&resume_target_);
      }
      switch (services_.hooks->OnCall(kKind, &status, resume_.get(), cq_)) {
        case NodeHooks::Action::kProceed:
          break;
        case NodeHooks::Action::kHold:
          // Until the caller goes away or the hooks resume the call.
          state_ = State::kHeld;
          parked_ = true;
          services_.hooks->Changed();
          return;
        case NodeHooks::Action::kFail:
          Fail(status);
          return;
      }
    }
    state_ = State::kAdmitting;
    Admitted();
  }

  // The admission step: every call is admitted for now.
  void Admitted() {
    state_ = State::kRunning;
    static_cast<Derived*>(this)->OnRequest();
  }

  // The done tag: the call ended, or its caller went away.
  void OnDone(bool ok) {
    done_pending_ = false;  // done_tag_ is freed with the call
    if (context_.IsCancelled()) {
      cancelled_ = true;
      services_.metrics->Add(services_.metrics->calls_cancelled);
      if (state_ == State::kRunning) {
        static_cast<Derived*>(this)->OnCancelled();
      } else if (state_ == State::kHeld) {
        if (parked_ && !services_.hooks->Unpark(resume_.get())) {
          ++pending_operations_;  // the resume notification still comes
        }
        parked_ = false;
        Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      }
    }
    MaybeDelete();
  }

  // The test hooks resumed a parked call (or, cancelled meanwhile, the
  // notification arrives after the call failed).
  void OnResumed(bool ok) {
    if (state_ != State::kHeld || !parked_) {
      EndOperation();
      return;
    }
    parked_ = false;
    state_ = State::kAdmitting;
    Admitted();
  }

  void Finish() {
    state_ = State::kFinishing;
    finish_pending_ = true;
    services_.metrics->LatencyOf(kKind).Record(env_.clock->NowNanos() -
                                               start_nanos_);
  }

  void MaybeDelete() {
    if (state_ != State::kFinishing || finish_pending_ || done_pending_ ||
        pending_operations_ > 0) {
      return;
    }
    NodeHooks* hooks = services_.hooks;
    delete static_cast<Derived*>(this);
    hooks->Changed();
  }

  State state_ = State::kAwaitingRequest;
  grpc::ByteBuffer raw_request_;  // until parsed into request_
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_;
  TagOf<UnaryCall> done_target_;
  DoneTag* done_tag_ = nullptr;  // owned unless orphaned
  TagOf<UnaryCall> resume_target_;
  std::unique_ptr<Notifier> resume_;  // test hooks resume parked calls
  bool parked_ = false;
  int64_t start_nanos_ = 0;
  int64_t deadline_ = kNoDeadline;
  int pending_operations_ = 0;
  bool entered_gate_ = false;
  bool finish_pending_ = false;
  bool done_pending_ = false;
  bool cancelled_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_UNARY_CALL_H_
