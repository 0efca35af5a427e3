// Copyright 2026 The overlay Authors.

#include "core/fanout/peer_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "core/common/retry_pushback.h"
#include "core/reactor/completion_tag.h"

namespace overlay {
const char* PeerMethodPath(PeerMethod method) {
  switch (method) {
    case PeerMethod::kExecute:
      return "/overlay.v1.PeerService/Execute";
    case PeerMethod::kFetch:
      return "/overlay.v1.PeerService/Fetch";
    case PeerMethod::kReleaseResult:
      return "/overlay.v1.PeerService/ReleaseResult";
  }
  return "";
}

// One call in flight: its context, reply and status, plus (on a fake clock
// only) a timer that enforces the deadline. Freed once the Finish tag and
// the timer's tag are both back.
class PeerClient::OutboundCall final : public CompletionTag {
 public:
  OutboundCall(PeerClient* owner, int neighbor, CancellationScope* scope,
               AnyDone done)
      : owner_(owner),
        neighbor_(neighbor),
        scope_(scope),
        done_(std::move(done)),
        timer_tag_(this, &OutboundCall::OnTimer),
        timer_(owner->timers_, &timer_tag_) {}

  void Start(PeerMethod method, grpc::GenericStub* stub,
             const grpc::ByteBuffer& request, grpc::CompletionQueue* cq,
             int64_t deadline) {
    const bool timed =
        !owner_->timers_->follows_real_time() && deadline != kNoDeadline;
    pending_ = timed ? 2 : 1;
    reader_ = stub->PrepareUnaryCall(&context, PeerMethodPath(method),
                                     request, cq);
    reader_->StartCall();
    if (timed) timer_.Set(cq, deadline);
    // Last: once Finish is issued the call may complete, and be freed, on
    // the queue's thread (a caller that is not that thread: tests), so
    // nothing of it is touched after.
    reader_->Finish(&reply_, &status_, this);
  }

  // Ends a call that never started: not the neighbour's doing, so its
  // statistics are left alone.
  void Refuse(const grpc::Status& status) {
    status_ = status;
    finished_ = true;
    record_stats_ = false;
    Complete();
    owner_->Ended(this);
  }

  // The Finish tag: always ok == true for a unary call; anything else is
  // treated as a lost call.
  void Proceed(bool ok) override {
    if (!ok) {
      status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "call lost");
    } else if (deadline_hit_ &&
               status_.error_code() == grpc::StatusCode::CANCELLED) {
      status_ = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                             "Deadline Exceeded");
    }
    finished_ = true;
    if (scope_ != nullptr) scope_->Remove(&context);
    timer_.Cancel();
    Complete();
    Release();
  }

  grpc::ClientContext context;

 private:
  void OnTimer(bool ok) {
    if (ok && !finished_) {
      deadline_hit_ = true;
      context.TryCancel();
    }
    Release();
  }

  void Complete() {
    if (record_stats_) owner_->table_->RecordCall(neighbor_, status_);
    grpc::ByteBuffer* reply = status_.ok() ? &reply_ : nullptr;
    AnyDone done = std::move(done_);
    if (auto* plain = std::get_if<Done>(&done)) {
      (*plain)(status_, reply);
      return;
    }
    CallInfo info;
    if (!status_.ok() && reader_ != nullptr) info = InfoOf(context);
    std::get<DoneWithInfo>(done)(status_, reply, info);
  }

  // The trailing metadata of a finished call.
  static CallInfo InfoOf(const grpc::ClientContext& context) {
    CallInfo info;
    info.retry_after_ms = RetryPushbackMs(context).value_or(0);
    return info;
  }

  void Release() {
    if (--pending_ == 0) owner_->Ended(this);
  }

  PeerClient* const owner_;
  const int neighbor_;
  CancellationScope* const scope_;
  AnyDone done_;
  TagOf<OutboundCall> timer_tag_;
  Timer timer_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
  grpc::ByteBuffer reply_;
  grpc::Status status_;
  int pending_ = 0;
  bool finished_ = false;
  bool deadline_hit_ = false;
  bool record_stats_ = true;
};

PeerClient::PeerClient(std::unique_ptr<NeighborTable> neighbors,
                       TimerService* timers, PeerClientOptions options)
    : table_(std::move(neighbors)),
      timers_(timers),
      options_(std::move(options)) {}

PeerClient::~PeerClient() = default;

int64_t PeerClient::DeadlineFor(int64_t parent) const {
  return ChildDeadline(timers_->clock()->NowNanos(), parent, options_.budget);
}

grpc::Status PeerClient::CannotCall(const std::string& neighbor,
                                    const std::string& why) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("cannot call '", neighbor, "': ", why));
}

void PeerClient::CallBytes(const std::string& neighbor, PeerMethod method,
                           const grpc::ByteBuffer& request,
                           grpc::CompletionQueue* cq, int64_t parent_deadline,
                           CancellationScope* scope, Done done) {
  Start(neighbor, method, request, cq, parent_deadline, scope,
        AnyDone(std::in_place_index<0>, std::move(done)));
}

void PeerClient::CallBytes(const std::string& neighbor, PeerMethod method,
                           const grpc::ByteBuffer& request,
                           grpc::CompletionQueue* cq, int64_t parent_deadline,
                           CancellationScope* scope, DoneWithInfo done) {
  Start(neighbor, method, request, cq, parent_deadline, scope,
        AnyDone(std::in_place_index<1>, std::move(done)));
}

void PeerClient::Start(const std::string& neighbor, PeerMethod method,
                       const grpc::ByteBuffer& request,
                       grpc::CompletionQueue* cq, int64_t parent_deadline,
                       CancellationScope* scope, AnyDone done) {
  const int index = table_->IndexOf(neighbor);
  if (index < 0) {
    const grpc::Status status = CannotCall(neighbor, "not a neighbour");
    if (auto* plain = std::get_if<Done>(&done)) {
      (*plain)(status, nullptr);
    } else {
      std::get<DoneWithInfo>(done)(status, nullptr, CallInfo());
    }
    return;
  }
  auto* call = new OutboundCall(this, index, scope, std::move(done));
  bool refused;
  {
    absl::MutexLock lock(&mu_);
    refused = shutting_down_;
    if (!refused) calls_.insert(call);
  }
  if (refused) {
    call->Refuse(CannotCall(neighbor, "node is shutting down"));
    return;
  }
  const int64_t deadline = DeadlineFor(parent_deadline);
  if (deadline != kNoDeadline &&
      deadline <= timers_->clock()->NowNanos()) {
    call->Refuse(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                              "no time left for the call"));
    return;
  }
  if (scope != nullptr && !scope->Add(&call->context)) {
    call->Refuse(grpc::Status(grpc::StatusCode::CANCELLED,
                              "the work was cancelled"));
    return;
  }
  if (timers_->follows_real_time()) {
    call->context.set_deadline(ToSystemDeadline(*timers_->clock(), deadline));
  } else if (deadline != kNoDeadline) {
    // A fake clock (nodes of one test process share it): the deadline
    // travels as its reading, and gRPC's own wall-clock deadline, which
    // would fire in real time, stays out of the way.
    call->context.AddMetadata(kFakeDeadlineKey, std::to_string(deadline));
  }
  for (const auto& [key, value] : options_.metadata) {
    call->context.AddMetadata(key, value);
  }
  call->Start(method, table_->Generic(index), request, cq, deadline);
}

void PeerClient::Ended(OutboundCall* call) {
  {
    absl::MutexLock lock(&mu_);
    calls_.erase(call);  // in_flight() no longer counts it
    ++ending_;           // but WaitDrained() waits for the rest of this
  }
  delete call;
  if (options_.on_call_end) options_.on_call_end();
  absl::MutexLock lock(&mu_);
  --ending_;
}

void PeerClient::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  // TryCancel under the lock: a call cannot be freed meanwhile, and
  // TryCancel does not block or run completions inline.
  for (OutboundCall* call : calls_) call->context.TryCancel();
}

bool PeerClient::WaitDrained(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &PeerClient::Drained),
                              timeout);
}

int64_t PeerClient::in_flight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(calls_.size());
}

}  // namespace overlay
