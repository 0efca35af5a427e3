// Copyright 2026 The overlay Authors.

#include "core/reactor/cq_reactor.h"

#include "core/reactor/completion_tag.h"

namespace overlay {

CqReactor::CqReactor(grpc::ServerBuilder& builder, int queues) {
  if (queues < 1) queues = 1;
  for (int i = 0; i < queues; ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
}

CqReactor::~CqReactor() {
  ShutdownQueues();
  Join();
}

void CqReactor::Start() {
  for (auto& cq : queues_) threads_.emplace_back(&CqReactor::Drain, cq.get());
}

void CqReactor::ShutdownQueues() {
  if (queues_shut_down_) return;
  queues_shut_down_ = true;
  for (auto& cq : queues_) cq->Shutdown();
}

void CqReactor::Join() {
  const bool had_threads = !threads_.empty();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  // Never started: drain here, so every queued tag still sees ok == false.
  if (!had_threads && queues_shut_down_) {
    for (auto& cq : queues_) {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) {
        static_cast<CompletionTag*>(tag)->Proceed(false);
      }
    }
  }
}

void CqReactor::Drain(grpc::ServerCompletionQueue* cq) {
  void* tag;
  bool ok;
  while (cq->Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Proceed(ok);
}

}  // namespace overlay
