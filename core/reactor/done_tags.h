// Copyright 2026 The overlay Authors.
//
// DoneTag: the tag a server call gives ServerContext::AsyncNotifyWhenDone,
// kept as an object of its own because gRPC delivers it only for a call
// that started: when the request tag comes back ok == false (shutdown), the
// done tag may never arrive (grpc/grpc#10136, documented by grpc#33208), and
// the call must not wait for it nor free memory it may still be handed. The
// call then Orphan()s its DoneTag: from that point the tag deletes itself if
// it ever comes back, and DoneTagOrphans frees those that never did once the
// queues are drained. For a started call the tag arrives exactly once,
// before or after the Finish tag; the call waits for both.
//
// DoneTag: reactor-thread only (it arrives on its call's queue).
// DoneTagOrphans: thread-safe; destroy it only after every queue drained.

#ifndef OVERLAY_CORE_REACTOR_DONE_TAGS_H_
#define OVERLAY_CORE_REACTOR_DONE_TAGS_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "core/reactor/completion_tag.h"

namespace overlay {

class DoneTagOrphans;

class DoneTag final : public CompletionTag {
 public:
  // `target` gets Proceed(ok) when the done notification arrives.
  explicit DoneTag(CompletionTag* target) : target_(target) {}
  DoneTag(const DoneTag&) = delete;
  DoneTag& operator=(const DoneTag&) = delete;
  ~DoneTag() = default;

  // Forwards to the target, which may delete this tag (its owner does).
  void Proceed(bool ok) override;
  // The owner goes away without this tag having arrived. REQUIRES: called
  // on the queue's thread, at most once; the owner never touches it again.
  void Orphan(DoneTagOrphans* orphans);

 private:
  CompletionTag* target_;
  DoneTagOrphans* orphans_ = nullptr;
};

class DoneTagOrphans final {
 public:
  DoneTagOrphans() = default;
  // Frees the tags that never came back. REQUIRES: every completion queue
  // they were registered with has been shut down and drained.
  ~DoneTagOrphans();
  DoneTagOrphans(const DoneTagOrphans&) = delete;
  DoneTagOrphans& operator=(const DoneTagOrphans&) = delete;

  int size() const;

 private:
  friend class DoneTag;
  void Add(DoneTag* tag);
  void Remove(DoneTag* tag);

  mutable absl::Mutex mu_;
  absl::flat_hash_set<DoneTag*> tags_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_DONE_TAGS_H_
