// Copyright 2026 The overlay Authors.

#include "test/test_util/inprocess_overlay.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/status_macros.h"
#include "core/fanout/deadline.h"
#include "core/shmcache/shm_cache_options.h"
#include "test/test_util/test_overlay.h"

namespace overlay::testing {

// Bumped whenever a node's calls change; WaitFor waits on it.
struct InProcessOverlay::Signal {
  absl::Mutex mu;
  absl::CondVar changed;
  int64_t version ABSL_GUARDED_BY(mu) = 0;
  void Bump() {
    absl::MutexLock lock(&mu);
    ++version;
    changed.SignalAll();
  }
};

class InProcessOverlay::Hooks final : public NodeHooks {
 public:
  explicit Hooks(Signal* signal) : signal_(signal) {}

  Action OnCall(RpcKind kind, grpc::Status* status, Notifier* resume,
                grpc::CompletionQueue* cq) override {
    Action action = Decide(kind, status, resume, cq);
    signal_->Bump();  // arrived(kind) changed
    return action;
  }
  Action Decide(RpcKind kind, grpc::Status* status, Notifier* resume,
                grpc::CompletionQueue* cq) {
    absl::MutexLock lock(&mu_);
    ++arrived_[static_cast<int>(kind)];
    if (fail_) {
      *status = fail_status_;
      return Action::kFail;
    }
    if (stall_) {
      parked_[resume] = cq;
      parked_kinds_[resume] = kind;
      return Action::kHold;
    }
    return Action::kProceed;
  }
  bool HoldAdmitted(RpcKind kind, Notifier* resume,
                    grpc::CompletionQueue* cq) override {
    absl::MutexLock lock(&mu_);
    if (!stall_admitted_.contains(kind)) return false;
    parked_[resume] = cq;
    parked_admitted_.insert(resume);
    return true;
  }
  bool Unpark(Notifier* resume) override {
    absl::MutexLock lock(&mu_);
    parked_kinds_.erase(resume);
    parked_admitted_.erase(resume);
    return parked_.erase(resume) > 0;
  }
  bool HoldReply(RpcKind kind) override {
    absl::MutexLock lock(&mu_);
    if (!hold_replies_ || kind != RpcKind::kExecute) return false;
    ++held_replies_;
    return true;
  }
  void Changed() override { signal_->Bump(); }

  void Stall() {
    absl::MutexLock lock(&mu_);
    stall_ = true;
  }
  void Resume() {
    absl::flat_hash_map<Notifier*, grpc::CompletionQueue*> parked;
    {
      absl::MutexLock lock(&mu_);
      stall_ = false;
      stall_admitted_.clear();
      parked_admitted_.clear();
      parked.swap(parked_);
      parked_kinds_.clear();
    }
    for (auto& [resume, cq] : parked) resume->Notify(cq);
  }
  void StallAdmitted(RpcKind kind) {
    absl::MutexLock lock(&mu_);
    stall_admitted_.insert(kind);
  }
  int ResumeAdmitted() {
    std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> resumed;
    {
      absl::MutexLock lock(&mu_);
      for (Notifier* resume : parked_admitted_) {
        auto it = parked_.find(resume);
        resumed.emplace_back(resume, it->second);
        parked_.erase(it);
      }
      parked_admitted_.clear();
    }
    for (auto& [resume, cq] : resumed) resume->Notify(cq);
    return static_cast<int>(resumed.size());
  }
  void HoldReplies() {
    absl::MutexLock lock(&mu_);
    hold_replies_ = true;
  }
  void Fail(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    fail_ = true;
    fail_status_ = std::move(status);
  }
  int held() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(parked_.size()) + held_replies_;
  }
  int arrived(RpcKind kind) const {
    absl::MutexLock lock(&mu_);
    return arrived_[static_cast<int>(kind)];
  }
  int held(RpcKind kind) const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& [resume, parked_kind] : parked_kinds_) {
      n += parked_kind == kind ? 1 : 0;
    }
    return n;
  }

 private:
  Signal* const signal_;
  mutable absl::Mutex mu_;
  bool stall_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_replies_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status fail_status_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Notifier*, grpc::CompletionQueue*> parked_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Notifier*, RpcKind> parked_kinds_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<RpcKind> stall_admitted_ ABSL_GUARDED_BY(mu_);
  // The parked_ entries parked after admission.
  absl::flat_hash_set<Notifier*> parked_admitted_ ABSL_GUARDED_BY(mu_);
  int held_replies_ ABSL_GUARDED_BY(mu_) = 0;
  // Calls that reached OnCall, by kind.
  int arrived_[static_cast<int>(RpcKind::kCount)] ABSL_GUARDED_BY(mu_) = {};
};

AsyncQuery::AsyncQuery(v1::QueryService::Stub* stub, v1::QueryRequest request,
                       std::chrono::system_clock::time_point deadline,
                       int64_t fake_deadline_nanos) {
  context_.set_deadline(deadline);
  if (fake_deadline_nanos >= 0) {
    context_.AddMetadata(kFakeDeadlineKey, std::to_string(fake_deadline_nanos));
  }
  thread_ = std::thread([this, stub, request = std::move(request)] {
    status_ = stub->Query(&context_, request, &response_);
    finished_.store(true);
  });
}

AsyncQuery::~AsyncQuery() {
  if (thread_.joinable()) {
    context_.TryCancel();
    thread_.join();
  }
}

grpc::Status AsyncQuery::Wait() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

std::string AsyncQuery::Trailer(const std::string& key) const {
  const auto& trailers = context_.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  return it == trailers.end() ? "" : std::string(it->second.data(),
                                                 it->second.size());
}

InProcessOverlay::InProcessOverlay()
    : timers_(&clock_), signal_(std::make_unique<Signal>()) {
  timers_.CountDeliveries();  // every queue here is a node's reactor's
}

InProcessOverlay::~InProcessOverlay() {
  Stop();
  // Whatever the test did, no segment outlives it.
  std::set<std::string> groups;
  for (const ProcessConfig& p : config_.processes) groups.insert(p.host_group);
  for (const std::string& group : groups) {
    ::unlink(SegmentPath(group).c_str());
  }
}

std::string InProcessOverlay::SegmentPath(const std::string& host_group) const {
  return absl::StrCat("/dev/shm/", ShmSegmentName(config_.name, host_group));
}

absl::Status InProcessOverlay::Start(
    const std::string& config_path, const std::string& data_root,
    const std::function<void(OverlayConfig&)>& edit) {
  static std::atomic<int> overlays{0};
  ASSIGN_OR_RETURN(config_, LoadOverlayConfig(config_path));
  config_.name = absl::StrCat(config_.name, "-t", ::getpid(), "-",
                              overlays.fetch_add(1));
  config_.data_root = data_root;
  config_.peer_secret = kTestPeerSecret;
  if (edit) edit(config_);
  RETURN_IF_ERROR(ValidateOverlayConfig(config_));
  for (const ProcessConfig& p : config_.processes) {
    RETURN_IF_ERROR(StartNode(p.id, data_root, 0));
  }
  for (auto& [id, member] : members_) {
    RETURN_IF_ERROR(member.server->Serve(addresses_));
    member.alive = true;
  }
  return absl::OkStatus();
}

absl::Status InProcessOverlay::StartNode(const std::string& id,
                                         const std::string& data_root,
                                         int port) {
  Member& member = members_[id];
  if (member.hooks == nullptr) {
    member.hooks = std::make_unique<Hooks>(signal_.get());
  }
  NodeOptions options;
  options.id = id;
  options.data_root = data_root;
  options.listen_host = "127.0.0.1";
  options.listen_port = port;
  options.listeners_per_rpc = 2;
  options.shutdown_grace_s = 0.5;
  options.reflection = false;
  options.timers = &timers_;
  options.hooks = member.hooks.get();
  member.server = std::make_unique<NodeServer>(config_, options);
  RETURN_IF_ERROR(member.server->Bind());
  addresses_[id] = absl::StrCat("127.0.0.1:", member.server->port());
  return absl::OkStatus();
}

absl::Status InProcessOverlay::Restart(const std::string& id,
                                       const std::string& data_root) {
  Member& member = members_.at(id);
  const int port = member.server->port();
  member.hooks->Resume();
  member.server->Shutdown();
  member.alive = false;
  member.server.reset();
  RETURN_IF_ERROR(StartNode(id, data_root, port));
  RETURN_IF_ERROR(member.server->Serve(addresses_));
  member.alive = true;
  signal_->Bump();
  return absl::OkStatus();
}

void InProcessOverlay::Stop() {
  for (auto& [id, member] : members_) member.hooks->Resume();
  for (auto& [id, member] : members_) {
    if (member.server) member.server->Shutdown();
    member.alive = false;
  }
  members_.clear();
}

void InProcessOverlay::Stall(const std::string& id) {
  members_.at(id).hooks->Stall();
}
void InProcessOverlay::StallAdmitted(const std::string& id, RpcKind kind) {
  members_.at(id).hooks->StallAdmitted(kind);
}
int InProcessOverlay::ResumeAdmitted(const std::string& id) {
  return members_.at(id).hooks->ResumeAdmitted();
}
void InProcessOverlay::Resume(const std::string& id) {
  members_.at(id).hooks->Resume();
}
void InProcessOverlay::HoldReplies(const std::string& id) {
  members_.at(id).hooks->HoldReplies();
}
void InProcessOverlay::FailCalls(const std::string& id, grpc::Status status) {
  members_.at(id).hooks->Fail(std::move(status));
}
void InProcessOverlay::Kill(const std::string& id) {
  Member& member = members_.at(id);
  member.hooks->Resume();
  member.server->Shutdown();
  member.alive = false;
  signal_->Bump();
}
void InProcessOverlay::KillBusy(const std::string& id) {
  Member& member = members_.at(id);
  member.server->Shutdown();
  member.alive = false;
  signal_->Bump();
}
int InProcessOverlay::held(const std::string& id) const {
  return members_.at(id).hooks->held();
}
int InProcessOverlay::held(const std::string& id, RpcKind kind) const {
  return members_.at(id).hooks->held(kind);
}
int InProcessOverlay::arrived(const std::string& id, RpcKind kind) const {
  return members_.at(id).hooks->arrived(kind);
}

bool InProcessOverlay::WaitFor(const std::function<bool()>& predicate,
                               absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&signal_->mu);
  for (;;) {
    signal_->mu.Unlock();
    const bool holds = predicate();
    signal_->mu.Lock();
    if (holds) return true;
    if (absl::Now() >= deadline) return false;
    // Also re-checked now and then: a scan ending on a worker signals
    // nothing by itself.
    signal_->changed.WaitWithTimeout(&signal_->mu, absl::Milliseconds(20));
  }
}

int64_t InProcessOverlay::ResultsHeld() const {
  int64_t sum = 0;
  for (const auto& [id, member] : members_) {
    if (member.alive) sum += member.server->node().services.results->results_held();
  }
  return sum;
}

int64_t InProcessOverlay::PlansHeld() const {
  int64_t sum = 0;
  for (const auto& [id, member] : members_) {
    if (member.alive) sum += member.server->node().services.plans->size();
  }
  return sum;
}

int64_t InProcessOverlay::CallsInFlight() const {
  int64_t sum = 0;
  for (const auto& [id, member] : members_) {
    if (!member.alive) continue;
    const NodeServices& services = member.server->node().services;
    sum += services.gate->in_flight() + services.peers->in_flight();
  }
  return sum;
}

bool InProcessOverlay::Quiet() const {
  int64_t running = 0;
  for (const auto& [id, member] : members_) {
    if (member.alive) {
      running += member.server->node().services.executions->running();
    }
  }
  return running == 0 && ResultsHeld() == 0 && PlansHeld() == 0 &&
         CallsInFlight() == 0;
}

std::string InProcessOverlay::Describe() const {
  std::string out;
  for (const auto& [id, member] : members_) {
    if (!member.alive) {
      absl::StrAppend(&out, id, ": down\n");
      continue;
    }
    const NodeServices& s = member.server->node().services;
    absl::StrAppend(&out, id, ": results ", s.results->results_held(),
                    " plans ", s.plans->size(), " calls ", s.gate->in_flight(),
                    " outbound ", s.peers->in_flight(), " running ",
                    s.executions->running(), " held ", member.hooks->held(),
                    "\n");
  }
  return out;
}

const Node& InProcessOverlay::node(const std::string& id) const {
  return members_.at(id).server->node();
}

namespace {

// gRPC 1.51 (Debian's) reads connect(2)'s errno after other calls that may
// overwrite it, so a connect on loopback now and then fails at once, "No
// such file or directory" (fixed upstream, grpc/grpc#35064); a call that
// finds its channel in that failure fails UNAVAILABLE without being sent
// (about one run in 30 of a test with twelve fresh channels). A test's
// channel to a live node therefore connects before the stub is handed out;
// the channel's own retry (after its backoff) gets through.
void ConnectIfAlive(grpc::Channel& channel, bool alive) {
  if (alive) {
    (void)channel.WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10));
  }
}

// A channel of its own (tests compare callers and credentials), numbered
// `n`, that takes answers of up to 64 MiB.
std::shared_ptr<grpc::Channel> QueryChannel(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials, int n) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  args.SetInt("overlay.test.channel", n);
  return grpc::CreateCustomChannel(address, std::move(credentials), args);
}

}  // namespace

std::unique_ptr<v1::QueryService::Stub> InProcessOverlay::Stub(
    const std::string& id) const {
  std::shared_ptr<grpc::Channel> channel = QueryChannel(
      addresses_.at(id), grpc::InsecureChannelCredentials(), ++channels_);
  ConnectIfAlive(*channel, members_.at(id).alive);
  return v1::QueryService::NewStub(std::move(channel));
}

std::unique_ptr<v1::QueryService::Stub> InProcessOverlay::Stub(
    const std::string& id,
    std::shared_ptr<grpc::ChannelCredentials> credentials) const {
  // Not connected first: the credentials may be ones the node refuses.
  return v1::QueryService::NewStub(
      QueryChannel(addresses_.at(id), std::move(credentials), ++channels_));
}

std::unique_ptr<v1::PeerService::Stub> InProcessOverlay::PeerStub(
    const std::string& id) const {
  auto channel = grpc::CreateChannel(addresses_.at(id),
                                     grpc::InsecureChannelCredentials());
  ConnectIfAlive(*channel, members_.at(id).alive);
  return v1::PeerService::NewStub(std::move(channel));
}

std::unique_ptr<AsyncQuery> InProcessOverlay::StartQuery(
    const v1::QueryRequest& request, std::chrono::seconds deadline) {
  // The stub must outlive the call: the overlay keeps it.
  stubs_.push_back(PortalStub());
  v1::QueryService::Stub* raw = stubs_.back().get();
  return std::make_unique<AsyncQuery>(
      raw, request,
      std::chrono::system_clock::now() + deadline + std::chrono::seconds(10),
      clock_.NowNanos() +
          std::chrono::duration_cast<std::chrono::nanoseconds>(deadline)
              .count());
}

}  // namespace overlay::testing
