// Copyright 2026 The overlay Authors.
//
// NodeHooks: the seam tests use to stall or fail a node in process, and to
// wait for its state to change without sleeping. Production runs NoHooks.
// Thread-safe: called from every reactor thread.

#ifndef OVERLAY_NODES_NODE_HOOKS_H_
#define OVERLAY_NODES_NODE_HOOKS_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/status.h>

#include "core/reactor/notifier.h"
#include "nodes/node_metrics.h"

namespace overlay {

class NodeHooks {
 public:
  virtual ~NodeHooks() = default;
  enum class Action {
    kProceed,
    // Park the call, doing nothing, until its caller cancels it (or its
    // deadline passes, or the node shuts down) or the hooks resume it by
    // notifying `resume` on `cq`: a stalled node.
    kHold,
    kFail,  // answer with *status
  };
  // Before a call that can be cancelled (Query, GetChunk, Execute, Fetch,
  // ReleaseResult) does any work.
  virtual Action OnCall(RpcKind kind, grpc::Status* status, Notifier* resume,
                        grpc::CompletionQueue* cq) = 0;
  // After a call that can be cancelled was admitted: true parks it there,
  // holding its admission slot, until its caller goes away or the hooks
  // resume it by notifying `resume` on `cq` (a node busy with its work).
  virtual bool HoldAdmitted(RpcKind kind, Notifier* resume,
                            grpc::CompletionQueue* cq) {
    return false;
  }
  // A parked call stops waiting (its caller went away). True if `resume`
  // will not be notified; false if a notification is on its way.
  virtual bool Unpark(Notifier* resume) = 0;
  // True to drop a finished call's answer and park the call until its
  // caller gives up: a node that stalls after it did the work.
  virtual bool HoldReply(RpcKind kind) = 0;
  // After a call or an outbound call ended: something a test may be
  // waiting for changed.
  virtual void Changed() = 0;
};

class NoHooks final : public NodeHooks {
 public:
  Action OnCall(RpcKind, grpc::Status*, Notifier*,
                grpc::CompletionQueue*) override {
    return Action::kProceed;
  }
  bool Unpark(Notifier*) override { return true; }
  bool HoldReply(RpcKind) override { return false; }
  void Changed() override {}
  static NodeHooks* Get() {
    static NoHooks* const hooks = new NoHooks();
    return hooks;
  }
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_HOOKS_H_
