// Copyright 2026 The overlay Authors.
//
// PeerClient: the one path for calls from this node to a neighbour. Every
// Execute, Fetch and ReleaseResult goes through Call(), which owns for each
// call: the deadline (a child of the caller's deadline, see deadline.h),
// registration in the caller's CancellationScope (so cancelling the work
// cancels the call), the in-flight count that shutdown drains (waiting on a
// condition, not polling), the per-neighbour statistics, the credential
// metadata, and the one status for "cannot call" (UNAVAILABLE, "cannot call
// 'X': why"). Requests go out and replies come back as bytes (generic
// stub): a relaying node passes a chunk on without parsing it.
//
// Owns the neighbour channels (NeighborTable) and every call object.
// Call() may be used from any reactor thread; `done` runs on the queue the
// call was started on, or before Call() returns when no call could be made.
// Everything else is thread-safe.
//
//   peers->Call("B", PeerMethod::kExecute, request, cq, parent_deadline,
//               &scope, [](const grpc::Status& status,
//                          grpc::ByteBuffer* reply) { ... });

#ifndef OVERLAY_CORE_FANOUT_PEER_CLIENT_H_
#define OVERLAY_CORE_FANOUT_PEER_CLIENT_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/retry_pushback.h"
#include "core/fanout/deadline.h"
#include "core/fanout/neighbor_table.h"
#include "core/reactor/cancellation_scope.h"
#include "core/reactor/timer.h"

namespace overlay {

enum class PeerMethod { kExecute, kFetch, kReleaseResult };

// "/overlay.v1.PeerService/Execute", ...
const char* PeerMethodPath(PeerMethod method);

struct PeerClientOptions {
  HopBudget budget;
  // Metadata every call carries (the peer credential).
  std::vector<std::pair<std::string, std::string>> metadata;
  // Called (on any thread) after every call ended; tests wait on it.
  std::function<void()> on_call_end;
};

class PeerClient final {
 public:
  // `reply` is valid during the callback only; null when status is not OK.
  using Done = absl::AnyInvocable<void(const grpc::Status& status,
                                       grpc::ByteBuffer* reply)>;
  // What the neighbour said besides its status: a failed call's retry hint
  // (grpc-retry-pushback-ms, sent with admission rejections); 0: none.
  struct CallInfo {
    int64_t retry_after_ms = 0;
  };
  using DoneWithInfo = absl::AnyInvocable<void(
      const grpc::Status& status, grpc::ByteBuffer* reply,
      const CallInfo& info)>;

  PeerClient(std::unique_ptr<NeighborTable> neighbors, TimerService* timers,
             PeerClientOptions options);
  // REQUIRES: drained (no call in flight).
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  const std::vector<std::string>& neighbors() const {
    return table_->ids();
  }
  bool IsNeighbor(const std::string& id) const {
    return table_->IndexOf(id) >= 0;
  }
  // The deadline Call() gives a call made now for work due at `parent`.
  int64_t DeadlineFor(int64_t parent) const;

  // Calls `method` of neighbour `neighbor` with `request`. `done` (a Done,
  // or a DoneWithInfo for a caller that wants the CallInfo too) runs
  // exactly once. `scope` (may be null: nobody can cancel the call but
  // shutdown) must outlive the call. `parent_deadline` is on the node's
  // clock (kNoDeadline: only the hop cap applies).
  template <typename Request, typename Callback>
  void Call(const std::string& neighbor, PeerMethod method,
            const Request& request, grpc::CompletionQueue* cq,
            int64_t parent_deadline, CancellationScope* scope,
            Callback done) {
    grpc::ByteBuffer bytes;
    bool own_buffer = false;
    (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, Request>(
        request, &bytes, &own_buffer);
    CallBytes(neighbor, method, bytes, cq, parent_deadline, scope,
              std::move(done));
  }
  void CallBytes(const std::string& neighbor, PeerMethod method,
                 const grpc::ByteBuffer& request, grpc::CompletionQueue* cq,
                 int64_t parent_deadline, CancellationScope* scope,
                 Done done);
  void CallBytes(const std::string& neighbor, PeerMethod method,
                 const grpc::ByteBuffer& request, grpc::CompletionQueue* cq,
                 int64_t parent_deadline, CancellationScope* scope,
                 DoneWithInfo done);

  // Refuses new calls ("node is shutting down") and cancels those in
  // flight. Idempotent.
  void Shutdown();
  // True once no call is in flight and every on_call_end has returned
  // (within `timeout`).
  bool WaitDrained(absl::Duration timeout);
  int64_t in_flight() const;
  std::vector<NeighborStats> Stats() const { return table_->Stats(); }

  // The status of a call that could not be made.
  static grpc::Status CannotCall(const std::string& neighbor,
                                 const std::string& why);

 private:
  class OutboundCall;
  using AnyDone = std::variant<Done, DoneWithInfo>;
  void Start(const std::string& neighbor, PeerMethod method,
             const grpc::ByteBuffer& request, grpc::CompletionQueue* cq,
             int64_t parent_deadline, CancellationScope* scope, AnyDone done);
  void Ended(OutboundCall* call);
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return calls_.empty() && ending_ == 0;
  }

  std::unique_ptr<NeighborTable> table_;
  TimerService* const timers_;
  const PeerClientOptions options_;

  mutable absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<OutboundCall*> calls_ ABSL_GUARDED_BY(mu_);
  // Calls out of calls_ whose Ended() still runs (frees the call, runs
  // on_call_end): the client is not drained until they are done.
  int ending_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_FANOUT_PEER_CLIENT_H_
