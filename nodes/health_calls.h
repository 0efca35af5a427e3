// Copyright 2026 The overlay Authors.
//
// grpc.health.v1.Health (Debian's grpc-proto definition), served on the
// reactor by call objects of our own: gRPC's default health service runs
// on the callback API and brings threads that compete with the reactor.
//
// HealthStatus is the node's serving status: SERVING from start, NOT_SERVING
// for good once shutdown begins (NodeServer::Shutdown, step 1), when every
// Watch stream is told. Thread-safe.
//
// HealthCheckCall (Check): SERVING / NOT_SERVING for "" and our two
// services, NOT_FOUND for any other name (as the protocol says).
//
// HealthWatchCall (Watch, server streaming): sends the current status at
// once, then each change. States:
//   kAwaitingRequest --request ok--> re-arm; parse; register; Write(status)
//   kWriting  --write ok--> the status sent was final (NOT_SERVING):
//               kFinishing; a change came meanwhile: write it; else kWatching
//             --write failed (caller gone)--> kFinishing
//   kWatching --change--> Write(new status), kWriting
//             --caller gone (done tag)--> kFinishing
//   kFinishing --Finish tag, done tag, and any change notification back-->
//               delete
// An unknown service gets SERVICE_UNKNOWN and the stream stays open (the
// protocol's rule) until shutdown or the caller leaves. At shutdown the
// stream ends with UNAVAILABLE right after NOT_SERVING, so the server's
// drain never waits for watchers. Reactor-thread only.

#ifndef OVERLAY_NODES_HEALTH_CALLS_H_
#define OVERLAY_NODES_HEALTH_CALLS_H_

#include <grpcpp/support/async_stream.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/reactor/notifier.h"
#include "nodes/unary_call.h"

namespace overlay {

// Receive cap and field limit of a HealthCheckRequest.
inline constexpr size_t kMaxHealthRequestBytes = 1 << 10;
inline constexpr size_t kMaxHealthServiceBytes = 256;

class HealthStatus final {
 public:
  HealthStatus() = default;
  HealthStatus(const HealthStatus&) = delete;
  HealthStatus& operator=(const HealthStatus&) = delete;

  bool serving() const;
  // Once: NOT_SERVING from now on; every registered watcher is notified
  // (on its queue) and unregistered.
  void SetNotServing();
  // Registers `notifier` to be notified on `cq` of the change to
  // NOT_SERVING. False (nothing registered) if it happened already.
  bool Watch(Notifier* notifier, grpc::CompletionQueue* cq);
  // Unregisters; false if the notification is already on its way.
  bool StopWatching(Notifier* notifier);
  int watchers() const;

 private:
  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = true;
  absl::flat_hash_map<Notifier*, grpc::CompletionQueue*> watchers_
      ABSL_GUARDED_BY(mu_);
};

// True for the service names the node answers for: "" (the server) and
// overlay.v1.QueryService / overlay.v1.PeerService.
bool IsKnownHealthService(const std::string& service);

// The cap and UTF-8/size check of a HealthCheckRequest.
absl::Status ParseHealthRequest(const grpc::ByteBuffer& bytes,
                                grpc::health::v1::HealthCheckRequest* request);

class HealthCheckCall final
    : public UnaryCall<HealthCheckCall, HealthAsyncService,
                       grpc::health::v1::HealthCheckRequest,
                       grpc::health::v1::HealthCheckResponse,
                       RpcKind::kHealthCheck> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &HealthAsyncService::RequestCheck;
  static HealthAsyncService* service(const Node* node) {
    return node->grpc.health;
  }
  static constexpr bool kCountedByGate = false;  // answers NOT_SERVING
  static absl::Status ParseRequest(
      const grpc::ByteBuffer& bytes,
      grpc::health::v1::HealthCheckRequest* request) {
    return ParseHealthRequest(bytes, request);
  }
  HealthCheckCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}
  void OnRequest();
};

class HealthWatchCall final : public CompletionTag {
 public:
  // Puts a fresh listener on `cq`.
  static void Listen(const Node* node, grpc::ServerCompletionQueue* cq);

  HealthWatchCall(const HealthWatchCall&) = delete;
  HealthWatchCall& operator=(const HealthWatchCall&) = delete;

  // The request, write and Finish tags.
  void Proceed(bool ok) override;

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  enum class State { kAwaitingRequest, kWriting, kWatching, kFinishing };

  HealthWatchCall(const Node* node, grpc::ServerCompletionQueue* cq);
  ~HealthWatchCall();

  void OnRequest(bool ok);
  void OnWritten(bool ok);
  void OnChange(bool ok);  // the notifier: NOT_SERVING now
  void OnDone(bool ok);    // the done tag: the caller went away (or ended)
  // The status to announce now.
  Status Current() const;
  void Write(Status status);
  void Finish(const grpc::Status& status);
  void MaybeDelete();

  const Node* const node_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext context_;
  grpc::ByteBuffer raw_request_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  std::string service_;
  State state_ = State::kAwaitingRequest;
  TagOf<HealthWatchCall> done_target_;
  DoneTag* done_tag_ = nullptr;  // owned unless orphaned
  TagOf<HealthWatchCall> change_target_;
  Notifier change_;
  Status sent_ = grpc::health::v1::HealthCheckResponse::UNKNOWN;
  bool watching_ = false;  // registered: a change notification may come
  bool changed_ = false;         // NOT_SERVING came while writing
  bool finish_pending_ = false;
  bool done_pending_ = false;
  bool gone_ = false;  // the caller went away: no more writes
};

}  // namespace overlay

#endif  // OVERLAY_NODES_HEALTH_CALLS_H_
