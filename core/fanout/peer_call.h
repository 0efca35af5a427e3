// Copyright 2026 The overlay Authors.
//
// PeerCall<Response>: one async unary client call to a neighbour, as a
// CompletionTag. Owns its ClientContext, reply, status and response reader;
// never shared or reused. When the call ends, `done` runs on the thread of
// the completion queue it was started on; `done` may delete the call.
// Reactor-thread only.
//
//   auto* call = new PeerCall<v1::FetchResponse>(std::move(done));
//   call->context.set_deadline(deadline);
//   call->Start(&v1::PeerService::Stub::PrepareAsyncFetch, stub, request, cq);

#ifndef OVERLAY_CORE_FANOUT_PEER_CALL_H_
#define OVERLAY_CORE_FANOUT_PEER_CALL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/async_unary_call.h>

#include <functional>
#include <memory>
#include <utility>

#include "core/reactor/completion_tag.h"

namespace overlay {

template <typename Response>
class PeerCall final : public CompletionTag {
 public:
  using Done = std::function<void(PeerCall* call)>;
  explicit PeerCall(Done done) : done_(std::move(done)) {}
  PeerCall(const PeerCall&) = delete;
  PeerCall& operator=(const PeerCall&) = delete;

  template <typename Stub, typename Request>
  using PrepareMethod =
      std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*)(
          grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

  template <typename Stub, typename Request>
  void Start(PrepareMethod<Stub, Request> prepare, Stub* stub,
             const Request& request, grpc::CompletionQueue* cq) {
    reader_ = (stub->*prepare)(&context, request, cq);
    reader_->StartCall();
    reader_->Finish(&response, &status, this);
  }

  // For Response = grpc::ByteBuffer: a call through a generic stub, whose
  // reply is left serialized.
  void StartGeneric(grpc::GenericStub* stub, const std::string& method,
                    const grpc::ByteBuffer& request,
                    grpc::CompletionQueue* cq) {
    reader_ = stub->PrepareUnaryCall(&context, method, request, cq);
    reader_->StartCall();
    reader_->Finish(&response, &status, this);
  }

  void Proceed(bool ok) override {
    // Finish always completes with ok == true; treat anything else as a
    // lost call rather than trusting `status`.
    if (!ok) status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "call lost");
    // `done` may delete this call: run it from the stack, not the member.
    Done done = std::move(done_);
    done(this);
  }

  grpc::ClientContext context;
  Response response;
  grpc::Status status;

 private:
  Done done_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_FANOUT_PEER_CALL_H_
