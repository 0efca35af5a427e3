// Copyright 2026 The overlay Authors.
//
// CqReactor: owns the server completion queues and one thread per queue
// running the drain loop (as gRPC's qps server does). Every tag it dequeues
// is a CompletionTag; the loop calls Proceed(ok) until Next() returns false,
// which happens only after Shutdown() and once every queued tag came back.
//
// Shutdown order (the caller's part is in NodeServer): the grpc::Server is
// shut down first, then ShutdownQueues() and Join(). Queues must outlive
// every call object bound to them; calls free themselves when they see
// ok == false. Start/ShutdownQueues/Join from one control thread.

#ifndef OVERLAY_CORE_REACTOR_CQ_REACTOR_H_
#define OVERLAY_CORE_REACTOR_CQ_REACTOR_H_

#include <grpcpp/server_builder.h>

#include <memory>
#include <thread>
#include <vector>

namespace overlay {

class CqReactor final {
 public:
  // Adds `queues` completion queues to the builder (before BuildAndStart).
  CqReactor(grpc::ServerBuilder& builder, int queues);
  // Shuts the queues down and joins. REQUIRES: the grpc::Server using the
  // queues was shut down (and is still alive if Start() never ran).
  ~CqReactor();
  CqReactor(const CqReactor&) = delete;
  CqReactor& operator=(const CqReactor&) = delete;

  int size() const { return static_cast<int>(queues_.size()); }
  grpc::ServerCompletionQueue* queue(int i) const { return queues_[i].get(); }

  // Starts one drain thread per queue.
  void Start();
  void ShutdownQueues();
  // Joins the drain threads; if Start() never ran and the queues are shut
  // down, drains them on the calling thread instead.
  void Join();

 private:
  static void Drain(grpc::ServerCompletionQueue* cq);

  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  bool queues_shut_down_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_CQ_REACTOR_H_
