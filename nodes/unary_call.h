// Copyright 2026 The overlay Authors.
//
// UnaryCall: the base of every server-side call object (CRTP). It owns the
// ServerContext, request and responder of one unary RPC and drives the
// shared part of the state machine:
//
//   kAwaitingRequest --request arrives--> re-arm a fresh listener, enter the
//       gate (closed: UNAVAILABLE), Derived::OnRequest()
//   kProcessing --any wake-up--> Derived::OnResume(ok)
//   kFinishing --Finish done--> delete
//
// `ok == false` while awaiting the request means the server is shutting
// down: the call deletes itself without re-arming. Derived classes finish
// with Reply() or Fail() from OnRequest/OnResume; they may keep their own
// sub-state for several wake-ups. Reactor-thread only.

#ifndef OVERLAY_NODES_UNARY_CALL_H_
#define OVERLAY_NODES_UNARY_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include "core/reactor/completion_tag.h"
#include "nodes/node_context.h"

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
  using RequestMethod = void (Service::*)(
      grpc::ServerContext*, Request*,
      grpc::ServerAsyncResponseWriter<Response>*, grpc::CompletionQueue*,
      grpc::ServerCompletionQueue*, void*);

  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

  // Puts a fresh listener for this RPC on `cq`.
  static void Listen(NodeContext* node, grpc::ServerCompletionQueue* cq) {
    auto* call = new Derived(node, cq);
    call->Arm();
  }

  void Proceed(bool ok) final {
    switch (state_) {
      case State::kAwaitingRequest:
        if (!ok) {  // the server is shutting down
          delete static_cast<Derived*>(this);
          return;
        }
        Listen(node_, cq_);
        start_nanos_ = node_->clock->NowNanos();
        // Counted now: a raw request is consumed when the call parses it.
        node_->metrics->Add(node_->metrics->bytes_in, WireSize(request_));
        if (Derived::kCountedByGate) {
          if (!node_->gate->Enter()) {
            Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "node is shutting down"));
            return;
          }
          entered_gate_ = true;
        }
        state_ = State::kProcessing;
        static_cast<Derived*>(this)->OnRequest();
        return;
      case State::kProcessing:
        static_cast<Derived*>(this)->OnResume(ok);
        return;
      case State::kFinishing:
        delete static_cast<Derived*>(this);
        return;
    }
  }

 protected:
  UnaryCall(NodeContext* node, grpc::ServerCompletionQueue* cq)
      : node_(node), cq_(cq), responder_(&context_) {}
  ~UnaryCall() {
    if (entered_gate_) node_->gate->Leave();
  }

  void Reply(const Response& response) {
    Finish();
    node_->metrics->Add(node_->metrics->bytes_out, WireSize(response));
    responder_.Finish(response, grpc::Status::OK, this);
  }
  void Fail(const grpc::Status& status) {
    Finish();
    node_->metrics->Add(node_->metrics->errors);
    responder_.FinishWithError(status, this);
  }

  // Calls that must answer during shutdown (health) opt out of the gate.
  static constexpr bool kCountedByGate = true;

  // Default: no wake-ups expected; a stray one is a bug in the derived call.
  void OnResume(bool ok) {}

  NodeContext* const node_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext context_;
  Request request_;

 private:
  enum class State { kAwaitingRequest, kProcessing, kFinishing };

  void Arm() {
    state_ = State::kAwaitingRequest;
    (Derived::service(node_)->*Derived::kRequestMethod)(
        &context_, &request_, &responder_, cq_, cq_, this);
  }
  void Finish() {
    state_ = State::kFinishing;
    node_->metrics->LatencyOf(kKind).Record(node_->clock->NowNanos() -
                                            start_nanos_);
  }

  State state_ = State::kAwaitingRequest;
  grpc::ServerAsyncResponseWriter<Response> responder_;
  int64_t start_nanos_ = 0;
  bool entered_gate_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_UNARY_CALL_H_
