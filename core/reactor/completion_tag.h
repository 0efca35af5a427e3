// Copyright 2026 The overlay Authors.
//
// CompletionTag: the only type ever placed on a completion queue. The reactor
// casts each tag it dequeues with static_cast<CompletionTag*> and calls
// Proceed(ok) on the thread that owns the queue. Objects with more than one
// outstanding operation hold one small member tag per operation (TagOf).
// Reactor-thread only.

#ifndef OVERLAY_CORE_REACTOR_COMPLETION_TAG_H_
#define OVERLAY_CORE_REACTOR_COMPLETION_TAG_H_

namespace overlay {

class CompletionTag {
 public:
  // `ok` is the completion queue's verdict on the operation; false means the
  // operation failed (peer gone, call cancelled, alarm cancelled, shutdown).
  virtual void Proceed(bool ok) = 0;

 protected:
  ~CompletionTag() = default;
};

// A member tag that forwards its completion to a method of its owner, for
// owners with several operations in flight at once.
template <typename Owner>
class TagOf final : public CompletionTag {
 public:
  using Method = void (Owner::*)(bool ok);
  TagOf(Owner* owner, Method method) : owner_(owner), method_(method) {}
  void Proceed(bool ok) override { (owner_->*method_)(ok); }

 private:
  Owner* owner_;
  Method method_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_REACTOR_COMPLETION_TAG_H_
