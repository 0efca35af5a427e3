// Copyright 2026 The overlay Authors.
//
// ExecuteFanout: runs one query on this node's share and on every neighbour
// not yet on its path, concurrently, and merges what comes back. The local
// scan runs on a scan worker and reports back through a Notifier; each
// neighbour is one PeerCall on the same completion queue as the parent call,
// so every merge runs on one reactor thread and needs no lock. When the scan
// and every neighbour call have ended, `done` runs (on that thread).
//
// A neighbour that fails becomes a NodeFailure in the response: the result
// is partial, not failed. Owned by the server call that started it; that
// call must not be deleted before `done` ran. Reactor-thread only.

#ifndef OVERLAY_NODES_EXECUTE_FANOUT_H_
#define OVERLAY_NODES_EXECUTE_FANOUT_H_

#include <grpcpp/completion_queue.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/fanout/peer_call.h"
#include "core/reactor/notifier.h"
#include "core/store/filter.h"
#include "nodes/node_context.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {

class ExecuteFanout final : public CompletionTag {
 public:
  // `request.path` is the path up to and including the sender; this node is
  // appended to it before forwarding.
  // What a fan-out covers: this node's share, its neighbours, or both.
  enum class Scope { kEverywhere, kLocalOnly, kNeighborsOnly };
  ExecuteFanout(NodeContext* node, grpc::CompletionQueue* cq,
                v1::ExecuteRequest request, Filter filter,
                std::function<void()> done,
                Scope scope = Scope::kEverywhere);
  ~ExecuteFanout();
  ExecuteFanout(const ExecuteFanout&) = delete;
  ExecuteFanout& operator=(const ExecuteFanout&) = delete;

  void Start();
  // Valid once `done` ran.
  v1::ExecuteResponse& response() { return response_; }

  // The local scan's completion (posted by the worker).
  void Proceed(bool ok) override;

 private:
  // Rows scanned inline before the rest goes to a worker.
  static constexpr size_t kInlineScanRows = 64 * 1024;

  void StartScan();
  // Stores the scanned rows; runs on whichever thread scanned last.
  void FinishScan(const absl::Status& status);
  void OnNeighborDone(PeerCall<v1::ExecuteResponse>* call,
                      const std::string& neighbor);
  void MaybeDone();

  NodeContext* const node_;
  grpc::CompletionQueue* const cq_;
  v1::ExecuteRequest request_;
  const Filter filter_;
  std::function<void()> done_;
  const Scope scope_;
  Notifier scan_done_;
  int outstanding_ = 0;
  bool scanning_ = false;
  RowList rows_;                // the local matches while scanning
  int64_t local_records_ = -1;  // written by the worker before it notifies
  v1::ExecuteResponse response_;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_EXECUTE_FANOUT_H_
