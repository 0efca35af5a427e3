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
// The admission step. Derived::AdmissionFor() names the pool (an
// AdmissionController of the node) and the request; the default admits
// nothing (GetMetrics, Shutdown, Health run at once). The controller answers
// at once with a permit (run), a rejection (fail with its code, message and
// `grpc-retry-pushback-ms` hint), or a ticket: the call then waits in
// kAdmitting, holding no thread, until the controller's callback
// (OnAdmissionDecided, on whichever thread decided) posts the call's
// admission Notifier; back on its own queue it takes the permit or the
// rejection. A queued call gives its place up when its caller goes away
// (the done tag) or once the rest of its deadline is shorter than the
// pool's expected service time (a Timer): Cancel() frees the place at once,
// or, if the decision is already on its way, the call fails now and drops
// the decision when the wake-up arrives. Only calls with kNotifyWhenDone
// may queue (normal priority); follow-ups are admitted at once. The permit
// is held until Reply()/Fail(), unless the derived call hands it on
// (TakePermit(), e.g. to a scan) or returns it early (ReleasePermit()).
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
// Reactor-thread only, except OnAdmissionDecided (any thread; it only
// posts the notifier).
//
// Every RPC is served raw: the request arrives as the bytes the caller sent
// and is parsed here by Derived::ParseRequest (by default
// wire::ParseAndValidateRequest: the per-RPC receive cap, UTF-8 of every
// string field, the field limits), so a hostile request is refused with
// INVALID_ARGUMENT (RESOURCE_EXHAUSTED for its size) naming the field and
// the limit, before any work (admission included) and without a log line.
// Derived calls see the typed `request_`. Replies are serialized here (or
// passed on as bytes when Response is grpc::ByteBuffer).

#ifndef OVERLAY_NODES_UNARY_CALL_H_
#define OVERLAY_NODES_UNARY_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/admission/admission_controller.h"
#include "core/common/grpc_status.h"
#include "core/fanout/deadline.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/done_tags.h"
#include "core/reactor/notifier.h"
#include "core/reactor/timer.h"
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

// How a call is admitted: by which of the node's pools (null: not admitted,
// it runs at once) and as what request (UnaryCall fills in the deadline).
struct AdmissionStep {
  AdmissionController* pool = nullptr;
  AdmissionRequest request;
};

template <typename Derived, typename Service, typename Request,
          typename Response, RpcKind kKind>
class UnaryCall : public CompletionTag, private AdmissionWaiter {
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
      case State::kAdmitting:  // woken by its own notifier and timer
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
        resume_target_(this, &UnaryCall::OnResumed),
        admission_wake_target_(this, &UnaryCall::OnAdmissionWake),
        admission_timer_target_(this, &UnaryCall::OnAdmissionTimer) {}
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
    replied_ok_ = true;
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
  // The call was answered OK, then cancelled before the caller had it.
  void OnAnswerLost() {}
  // Default: not admitted; the call runs at once.
  AdmissionStep AdmissionFor() { return {}; }

  // The admission slot this call holds (none if it was not admitted or the
  // slot went back already), for work that outlives this step of the call
  // (a scan releases it when it ends).
  AdmissionPermit TakePermit() { return std::move(permit_); }
  // Returns the slot now: the rest of the call is not the pool's work.
  void ReleasePermit() { permit_.Release(); }
  // Sends `retry_after_ms` (> 0) as the answer's retry hint. REQUIRES:
  // before Reply()/Fail().
  void SetRetryHint(int64_t retry_after_ms) {
    if (retry_after_ms > 0) {
      context_.AddTrailingMetadata(kRetryPushbackKey,
                                   std::to_string(retry_after_ms));
    }
  }

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
  // Whether the caller sent that deadline (else it is the default).
  bool caller_deadline() const { return caller_deadline_; }
  // When the request arrived, on the node's clock.
  int64_t start_nanos() const { return start_nanos_; }
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
    caller_deadline_ = deadline_ != kNoDeadline;
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
    Admit();
  }

  // The admission step (see the header comment).
  void Admit() {
    state_ = State::kAdmitting;
    AdmissionStep step = static_cast<Derived*>(this)->AdmissionFor();
    if (step.pool == nullptr) {
      Admitted();
      return;
    }
    step.request.deadline_nanos = deadline_;
    if (step.request.priority == AdmissionPriority::kNormal) {
      DCHECK(Derived::kNotifyWhenDone)
          << RpcName(kKind) << " may queue but is never told of a cancel";
      // Made before TryAdmit: the decision may be posted from another
      // thread before TryAdmit returns.
      if (admission_wake_ == nullptr) {
        admission_wake_ = std::make_unique<Notifier>(&admission_wake_target_);
      }
    }
    AdmitResult result = step.pool->TryAdmit(step.request, this);
    if (auto* permit = std::get_if<AdmissionPermit>(&result)) {
      permit_ = std::move(*permit);
      Admitted();
      return;
    }
    if (auto* rejection = std::get_if<AdmissionRejection>(&result)) {
      Reject(*rejection);
      return;
    }
    // Queued: wait for the decision's wake-up, and give the place up once
    // the rest of the deadline is shorter than a typical service time.
    ticket_ = std::move(std::get<std::unique_ptr<AdmissionTicket>>(result));
    queued_nanos_ = env_.clock->NowNanos();
    ++pending_operations_;  // the wake-up
    const int64_t give_up = std::max(
        queued_nanos_,
        deadline_ - step.pool->ExpectedServiceNanos(step.request.cost));
    if (admission_timer_ == nullptr) {
      admission_timer_ =
          std::make_unique<Timer>(env_.timers, &admission_timer_target_);
    }
    ++pending_operations_;  // the timer
    admission_timer_->Set(cq_, give_up);
    services_.hooks->Changed();
  }

  // From the controller, on the thread that decided a queued request.
  void OnAdmissionDecided() final { admission_wake_->Notify(cq_); }

  // The decision's wake-up, on this call's queue (ok is always true: the
  // notifier is never cancelled).
  void OnAdmissionWake(bool ok) {
    {
      AdmissionDecision decision = ticket_->Take();
      ticket_.reset();
      admission_timer_->Cancel();  // its wake-up ends that operation
      if (state_ == State::kAdmitting) {
        if (auto* permit = std::get_if<AdmissionPermit>(&decision)) {
          permit_ = std::move(*permit);
          Admitted();
        } else {
          Reject(std::get<AdmissionRejection>(decision));
        }
      }
      // Otherwise the call gave its place up while the decision was on its
      // way (it failed already): a permit in `decision` goes back here.
    }
    EndOperation();
  }

  // A queued call's deadline (less the expected service time) came.
  void OnAdmissionTimer(bool ok) {
    if (ok && state_ == State::kAdmitting && ticket_ != nullptr) {
      LeaveQueue(grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("admission: waited ",
                       (env_.clock->NowNanos() - queued_nanos_) / 1'000'000,
                       " ms in the queue; the rest of the deadline is "
                       "shorter than the expected service time")));
    }
    EndOperation();
  }

  // Gives a queued call's place up and fails it with `status`.
  void LeaveQueue(const grpc::Status& status) {
    if (ticket_->Cancel()) {  // still queued: no wake-up will come
      ticket_.reset();
      --pending_operations_;
    }
    admission_timer_->Cancel();  // harmless once fired
    Fail(status);
  }

  void Reject(const AdmissionRejection& rejection) {
    SetRetryHint(rejection.retry_after_ms);
    Fail(ToGrpcStatus(rejection.ToStatus()));
  }

  // Admitted (or not subject to admission): the test hooks may park the
  // call here, holding its slot; otherwise it runs.
  void Admitted() {
    if (Derived::kNotifyWhenDone && resume_ != nullptr &&
        services_.hooks->HoldAdmitted(kKind, resume_.get(), cq_)) {
      state_ = State::kHeld;
      parked_ = true;
      admitted_ = true;
      services_.hooks->Changed();
      return;
    }
    Run();
  }

  void Run() {
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
      } else if (state_ == State::kAdmitting && ticket_ != nullptr) {
        LeaveQueue(grpc::Status(grpc::StatusCode::CANCELLED,
                                "cancelled while waiting for admission"));
      } else if (state_ == State::kFinishing && replied_ok_) {
        // Answered, but the answer did not reach the caller (its deadline
        // passed or it left meanwhile): nobody will use what it names.
        static_cast<Derived*>(this)->OnAnswerLost();
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
    if (admitted_) {
      Run();
    } else {
      Admit();
    }
  }

  void Finish() {
    state_ = State::kFinishing;
    finish_pending_ = true;
    permit_.Release();  // the call's work is done
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
  bool replied_ok_ = false;      // Reply() sent an answer
  TagOf<UnaryCall> resume_target_;
  std::unique_ptr<Notifier> resume_;  // test hooks resume parked calls
  bool parked_ = false;
  bool admitted_ = false;  // parked after admission (holding its slot)
  AdmissionPermit permit_;
  std::unique_ptr<AdmissionTicket> ticket_;  // while queued
  TagOf<UnaryCall> admission_wake_target_;
  TagOf<UnaryCall> admission_timer_target_;
  // Made for calls that may queue; the timer only once one does.
  std::unique_ptr<Notifier> admission_wake_;
  std::unique_ptr<Timer> admission_timer_;
  int64_t queued_nanos_ = 0;
  int64_t start_nanos_ = 0;
  int64_t deadline_ = kNoDeadline;
  bool caller_deadline_ = false;
  int pending_operations_ = 0;
  bool entered_gate_ = false;
  bool finish_pending_ = false;
  bool done_pending_ = false;
  bool cancelled_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_UNARY_CALL_H_
