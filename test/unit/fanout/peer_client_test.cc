// Copyright 2026 The overlay Authors.

#include "core/fanout/peer_client.h"

#include <grpcpp/completion_queue.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/fanout/deadline.h"
#include "core/fanout/neighbor_table.h"
#include "core/reactor/cancellation_scope.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/timer.h"
#include "protos/overlay.grpc.pb.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/fake_timers.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;
using ::overlay::testing::FakeTimers;

constexpr int64_t kMs = 1'000'000;
// Failure guards only: nothing waits for them to pass.
constexpr absl::Duration kGuard = absl::Seconds(20);

// A neighbour on 127.0.0.1:0. Fetch answers `count` records starting at
// `offset` (as utc values); Execute answers a hit, fails, or stalls (never
// answers until the test releases it, after the client gave up). Records
// what every call carried.
class FakeNeighbour final : public v1::PeerService::Service {
 public:
  struct Seen {
    std::string method;
    std::chrono::system_clock::time_point deadline;
    std::multimap<std::string, std::string> metadata;
  };

  grpc::Status Fetch(grpc::ServerContext* context,
                     const v1::FetchRequest* request,
                     v1::FetchResponse* response) override {
    Record("Fetch", context);
    for (int i = 0; i < request->count(); ++i) {
      response->mutable_records()->add_utc_seconds(request->offset() + i);
    }
    return grpc::Status::OK;
  }

  grpc::Status Execute(grpc::ServerContext* context,
                       const v1::ExecuteRequest* request,
                       v1::ExecuteResponse* response) override {
    Record("Execute", context);
    absl::MutexLock lock(&mu_);
    if (stall_) {
      ++stalled_;
      mu_.AwaitWithTimeout(absl::Condition(&released_), kGuard);
      return grpc::Status(grpc::StatusCode::INTERNAL, "released late");
    }
    if (!failure_.ok()) {
      if (!pushback_.empty()) {
        context->AddTrailingMetadata(kRetryPushbackKey, pushback_);
      }
      return failure_;
    }
    v1::ShareHit* hit = response->add_hits();
    hit->set_node_id("P");
    hit->set_records(request->limit());
    return grpc::Status::OK;
  }

  void Stall() {
    absl::MutexLock lock(&mu_);
    stall_ = true;
  }
  void Fail(grpc::Status status, std::string pushback = "") {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
    pushback_ = std::move(pushback);
  }
  // Lets every stalled handler return (the server cannot stop before).
  void ReleaseStalled() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  bool AwaitStalled(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stalled_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }
  std::vector<Seen> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  void Record(const std::string& method, grpc::ServerContext* context) {
    Seen seen;
    seen.method = method;
    seen.deadline = context->deadline();
    for (const auto& [key, value] : context->client_metadata()) {
      seen.metadata.emplace(std::string(key.data(), key.size()),
                            std::string(value.data(), value.size()));
    }
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(seen));
  }

  mutable absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  bool stall_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int stalled_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status failure_ ABSL_GUARDED_BY(mu_);
  std::string pushback_ ABSL_GUARDED_BY(mu_);  // sent with failure_
};

// What `done` saw. Filled on the queue's thread; read by the test thread.
class Outcome {
 public:
  PeerClient::Done Done() {
    return [this](const grpc::Status& status, grpc::ByteBuffer* reply) {
      std::string bytes;
      if (reply != nullptr) {
        std::vector<grpc::Slice> slices;
        EXPECT_TRUE(reply->Dump(&slices).ok());
        for (const grpc::Slice& slice : slices) {
          bytes.append(reinterpret_cast<const char*>(slice.begin()),
                       slice.size());
        }
      }
      absl::MutexLock lock(&mu_);
      ++calls_;
      status_ = status;
      has_reply_ = reply != nullptr;
      reply_ = std::move(bytes);
      thread_ = std::this_thread::get_id();
    };
  }
  bool Await() {
    absl::MutexLock lock(&mu_);
    auto done = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), kGuard);
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  grpc::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  bool has_reply() const {
    absl::MutexLock lock(&mu_);
    return has_reply_;
  }
  std::string reply() const {
    absl::MutexLock lock(&mu_);
    return reply_;
  }
  std::thread::id thread() const {
    absl::MutexLock lock(&mu_);
    return thread_;
  }

 private:
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool has_reply_ ABSL_GUARDED_BY(mu_) = false;
  std::string reply_ ABSL_GUARDED_BY(mu_);
  std::thread::id thread_ ABSL_GUARDED_BY(mu_);
};

v1::FetchRequest FetchOf(int64_t offset, int32_t count) {
  v1::FetchRequest request;
  request.set_query_id("q");
  request.set_offset(offset);
  request.set_count(count);
  return request;
}

v1::ExecuteRequest ExecuteOf(int64_t limit) {
  v1::ExecuteRequest request;
  request.set_query_id("q");
  request.set_limit(limit);
  return request;
}

NeighborStats StatsOf(const std::vector<NeighborStats>& stats,
                      const std::string& id) {
  for (const NeighborStats& s : stats) {
    if (s.id == id) return s;
  }
  ADD_FAILURE() << "no stats for " << id;
  return NeighborStats();
}

// A deadline the neighbour saw against the one the client was expected to
// set (computed just before the call): gRPC sends the time left, so the
// neighbour's is later by the request's transit, never much earlier.
bool WithinArrival(std::chrono::system_clock::time_point seen,
                   std::chrono::system_clock::time_point expected) {
  return seen > expected - std::chrono::milliseconds(50) &&
         seen < expected + std::chrono::milliseconds(500);
}
int64_t MillisOff(std::chrono::system_clock::time_point seen,
                  std::chrono::system_clock::time_point expected) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(seen - expected)
      .count();
}

// A port that was listening a moment ago and is closed now.
int DeadPort() {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  FakeNeighbour unused;
  builder.RegisterService(&unused);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  EXPECT_NE(server, nullptr);
  if (server != nullptr) server->Shutdown(std::chrono::system_clock::now());
  return port;
}

// A real neighbour "P", a dead one "D", and a PeerClient whose queue is
// drained by one thread (the reactor's part), as in a node.
class PeerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&neighbour_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    dead_port_ = DeadPort();
    drain_ = std::thread([this] {
      void* tag = nullptr;
      bool ok = false;
      while (cq_.Next(&tag, &ok)) {
        static_cast<CompletionTag*>(tag)->Proceed(ok);
      }
    });
    drain_id_ = drain_.get_id();
  }

  void TearDown() override {
    if (peers_ != nullptr) {
      peers_->Shutdown();
      EXPECT_TRUE(peers_->WaitDrained(kGuard));
    }
    neighbour_.ReleaseStalled();
    server_->Shutdown(std::chrono::system_clock::now());
    cq_.Shutdown();
    drain_.join();
    peers_.reset();  // drained, and no thread runs its completions any more
  }

  // Builds the client under test ("P" and "D" are its neighbours).
  PeerClient* Make(TimerService* timers, PeerClientOptions options = {}) {
    options.on_call_end = [this, user = std::move(options.on_call_end)] {
      calls_ended_.fetch_add(1);
      if (user) user();
    };
    peers_ = std::make_unique<PeerClient>(
        std::make_unique<NeighborTable>(std::vector<NeighborTable::Neighbor>{
            {"P", "127.0.0.1:" + std::to_string(port_)},
            {"D", "127.0.0.1:" + std::to_string(dead_port_)}}),
        timers, std::move(options));
    return peers_.get();
  }

  bool AwaitDrained() { return peers_->WaitDrained(kGuard); }

  int port_ = 0;
  int dead_port_ = 0;
  FakeNeighbour neighbour_;
  std::unique_ptr<grpc::Server> server_;
  grpc::CompletionQueue cq_;
  std::thread drain_;
  std::thread::id drain_id_;
  std::atomic<int> calls_ended_{0};
  std::unique_ptr<PeerClient> peers_;
};

TEST_F(PeerClientTest, ACallSucceedsAndDoneGetsTheReplyBytes) {
  PeerClient* peers = Make(RealTimerService::Get());
  EXPECT_EQ(peers->neighbors(), std::vector<std::string>({"P", "D"}));
  EXPECT_TRUE(peers->IsNeighbor("P"));
  EXPECT_FALSE(peers->IsNeighbor("X"));
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(100, 3), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(AwaitDrained());
  EXPECT_EQ(outcome.calls(), 1);
  ASSERT_TRUE(outcome.status().ok()) << outcome.status().error_message();
  ASSERT_TRUE(outcome.has_reply());
  v1::FetchResponse reply;
  ASSERT_TRUE(reply.ParseFromString(outcome.reply()));
  ASSERT_EQ(reply.records().utc_seconds_size(), 3);
  EXPECT_EQ(reply.records().utc_seconds(0), 100);
  EXPECT_EQ(reply.records().utc_seconds(2), 102);
  EXPECT_EQ(outcome.thread(), drain_id_);  // on the call's queue
  EXPECT_EQ(peers->in_flight(), 0);
  std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "Fetch");
}

TEST_F(PeerClientTest, EveryMethodReachesItsHandler) {
  PeerClient* peers = Make(RealTimerService::Get());
  EXPECT_STREQ(PeerMethodPath(PeerMethod::kExecute),
               "/overlay.v1.PeerService/Execute");
  EXPECT_STREQ(PeerMethodPath(PeerMethod::kFetch),
               "/overlay.v1.PeerService/Fetch");
  EXPECT_STREQ(PeerMethodPath(PeerMethod::kReleaseResult),
               "/overlay.v1.PeerService/ReleaseResult");
  Outcome execute;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(17), &cq_, kNoDeadline,
              nullptr, execute.Done());
  ASSERT_TRUE(execute.Await());
  ASSERT_TRUE(execute.status().ok()) << execute.status().error_message();
  v1::ExecuteResponse answer;
  ASSERT_TRUE(answer.ParseFromString(execute.reply()));
  ASSERT_EQ(answer.hits_size(), 1);
  EXPECT_EQ(answer.hits(0).records(), 17);

  Outcome release;
  peers->Call("P", PeerMethod::kReleaseResult, v1::ReleaseResultRequest(), &cq_,
              kNoDeadline, nullptr, release.Done());
  ASSERT_TRUE(release.Await());
  // Not implemented by the fake: the handler is reached all the same.
  EXPECT_EQ(release.status().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_FALSE(release.has_reply());
}

TEST_F(PeerClientTest, ServerErrorArrivesAsTheStatusWithoutAReply) {
  PeerClient* peers = Make(RealTimerService::Get());
  neighbour_.Fail(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no share"));
  Outcome outcome;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.status().error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(outcome.status().error_message(), "no share");
  EXPECT_FALSE(outcome.has_reply());
}

TEST_F(PeerClientTest, ARejectionsRetryHintComesWithItsStatus) {
  PeerClient* peers = Make(RealTimerService::Get());
  struct Seen {
    absl::Notification done;
    grpc::Status status;
    PeerClient::CallInfo info;
  };
  auto call = [&](const std::string& neighbour, Seen* seen) {
    peers->Call(neighbour, PeerMethod::kExecute, ExecuteOf(1), &cq_,
                kNoDeadline, nullptr,
                [seen](const grpc::Status& status, grpc::ByteBuffer* reply,
                       const PeerClient::CallInfo& info) {
                  seen->status = status;
                  seen->info = info;
                  seen->done.Notify();
                });
  };
  Seen ok;
  call("P", &ok);
  ASSERT_TRUE(ok.done.WaitForNotificationWithTimeout(kGuard));
  EXPECT_TRUE(ok.status.ok());
  EXPECT_EQ(ok.info.retry_after_ms, 0);

  neighbour_.Fail(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "admission: over its share"),
                  "250");
  Seen rejected;
  call("P", &rejected);
  ASSERT_TRUE(rejected.done.WaitForNotificationWithTimeout(kGuard));
  EXPECT_EQ(rejected.status.error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(rejected.info.retry_after_ms, 250);

  neighbour_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"), "soon");
  Seen unreadable;
  call("P", &unreadable);
  ASSERT_TRUE(unreadable.done.WaitForNotificationWithTimeout(kGuard));
  EXPECT_EQ(unreadable.info.retry_after_ms, 0);

  Seen refused;  // never called: no hint, at once
  call("X", &refused);
  ASSERT_TRUE(refused.done.HasBeenNotified());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.info.retry_after_ms, 0);
  EXPECT_TRUE(AwaitDrained());
}

TEST_F(PeerClientTest, UnknownNeighbourIsRefusedBeforeCallReturns) {
  PeerClient* peers = Make(RealTimerService::Get());
  Outcome outcome;
  peers->Call("X", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_EQ(outcome.calls(), 1);  // already, on this thread
  EXPECT_EQ(outcome.thread(), std::this_thread::get_id());
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(outcome.status().error_message(),
            "cannot call 'X': not a neighbour");
  EXPECT_FALSE(outcome.has_reply());
  EXPECT_EQ(peers->in_flight(), 0);
  EXPECT_TRUE(neighbour_.seen().empty());
}

TEST_F(PeerClientTest, AShutDownClientRefusesBeforeCallReturns) {
  PeerClient* peers = Make(RealTimerService::Get());
  peers->Shutdown();
  peers->Shutdown();  // idempotent
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_EQ(outcome.calls(), 1);
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(outcome.status().error_message(),
            "cannot call 'P': node is shutting down");
  EXPECT_EQ(peers->in_flight(), 0);
  EXPECT_TRUE(peers->WaitDrained(absl::ZeroDuration()));
  EXPECT_TRUE(neighbour_.seen().empty());
}

TEST_F(PeerClientTest, CannotCallIsTheOneUnavailableStatus) {
  grpc::Status status = PeerClient::CannotCall("B", "why not");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "cannot call 'B': why not");
}

TEST_F(PeerClientTest, AnUnreachableNeighbourIsUnavailable) {
  PeerClient* peers = Make(RealTimerService::Get());
  Outcome outcome;
  peers->Call("D", PeerMethod::kFetch, FetchOf(0, 1), &cq_,
              RealClock::Get()->NowNanos() + 10'000 * kMs, nullptr,
              outcome.Done());
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(AwaitDrained());
  const NeighborStats d = StatsOf(peers->Stats(), "D");
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.failures, 1);
  EXPECT_EQ(d.deadline_exceeded, 0);
  EXPECT_EQ(StatsOf(peers->Stats(), "P").calls, 0);
}

TEST_F(PeerClientTest, ACancelledScopeRefusesWithCancelled) {
  PeerClient* peers = Make(RealTimerService::Get());
  CancellationScope scope;
  scope.Cancel();
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline, &scope,
              outcome.Done());
  ASSERT_EQ(outcome.calls(), 1);  // before Call() returned
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(outcome.status().error_message(), "the work was cancelled");
  EXPECT_EQ(scope.children(), 0);
  EXPECT_EQ(peers->in_flight(), 0);
  EXPECT_TRUE(neighbour_.seen().empty());
}

TEST_F(PeerClientTest, CancellingTheScopeCancelsACallInFlight) {
  PeerClient* peers = Make(RealTimerService::Get());
  neighbour_.Stall();
  CancellationScope scope;
  Outcome outcome;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_,
              RealClock::Get()->NowNanos() + 60'000 * kMs, &scope,
              outcome.Done());
  ASSERT_TRUE(neighbour_.AwaitStalled(1));  // the neighbour has it
  EXPECT_EQ(scope.children(), 1);
  EXPECT_EQ(peers->in_flight(), 1);
  EXPECT_EQ(outcome.calls(), 0);
  scope.Cancel();
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(AwaitDrained());
  EXPECT_EQ(scope.children(), 0);  // the ended call left its scope
  EXPECT_EQ(outcome.calls(), 1);
  const NeighborStats p = StatsOf(peers->Stats(), "P");
  EXPECT_EQ(p.failures, 1);
  EXPECT_EQ(p.deadline_exceeded, 0);
}

TEST_F(PeerClientTest, AnEndedCallLeavesItsScope) {
  PeerClient* peers = Make(RealTimerService::Get());
  CancellationScope scope;
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 2), &cq_, kNoDeadline, &scope,
              outcome.Done());
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(AwaitDrained());
  EXPECT_TRUE(outcome.status().ok());
  EXPECT_EQ(scope.children(), 0);
  scope.Cancel();  // nothing left to cancel
}

// Real time: the neighbour sees the child deadline as its gRPC deadline.
TEST_F(PeerClientTest, TheNeighbourSeesTheChildDeadline) {
  PeerClientOptions options;
  options.budget.cap_nanos = 30'000 * kMs;
  options.budget.margin_percent = 25;
  options.budget.max_margin_nanos = 1'000 * kMs;
  PeerClient* peers = Make(RealTimerService::Get(), std::move(options));
  Clock* clock = RealClock::Get();

  // The parent binds: 4 s left, a 1 s margin (25%, at its max): 3 s.
  // (Read before the parent: the client's deadline is then no earlier.)
  const auto expected =
      std::chrono::system_clock::now() + std::chrono::milliseconds(3000);
  const int64_t parent = clock->NowNanos() + 4'000 * kMs;
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, parent, nullptr,
              outcome.Done());
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.status().ok()) << outcome.status().error_message();
  std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
  ASSERT_EQ(seen.size(), 1u);
  // parent - margin, as the neighbour reads it: later only by the time the
  // request took to arrive, and far from the parent (1 s later) and from
  // the cap (27 s later).
  EXPECT_TRUE(WithinArrival(seen[0].deadline, expected))
      << "off by " << MillisOff(seen[0].deadline, expected) << " ms";
  EXPECT_EQ(seen[0].metadata.count(kFakeDeadlineKey), 0u);  // real time
}

TEST_F(PeerClientTest, TheHopCapBindsAFarParentAndNoDeadlineAtAll) {
  PeerClientOptions options;
  options.budget.cap_nanos = 2'000 * kMs;
  PeerClient* peers = Make(RealTimerService::Get(), std::move(options));
  Clock* clock = RealClock::Get();
  for (int64_t parent : {clock->NowNanos() + 600'000 * kMs, kNoDeadline}) {
    const auto expected =
        std::chrono::system_clock::now() + std::chrono::milliseconds(2000);
    Outcome outcome;
    peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, parent, nullptr,
                outcome.Done());
    ASSERT_TRUE(outcome.Await());
    std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(WithinArrival(seen.back().deadline, expected))
        << (parent == kNoDeadline ? "no parent deadline" : "far parent")
        << ": off by " << MillisOff(seen.back().deadline, expected) << " ms";
  }
}

TEST_F(PeerClientTest, AnExpiredParentDeadlineFailsWithoutACall) {
  PeerClient* peers = Make(RealTimerService::Get());
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_,
              RealClock::Get()->NowNanos() - 1 * kMs, nullptr, outcome.Done());
  ASSERT_EQ(outcome.calls(), 1);  // before Call() returned
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(outcome.status().error_message(), "no time left for the call");
  EXPECT_EQ(peers->in_flight(), 0);
  EXPECT_TRUE(neighbour_.seen().empty());
}

TEST_F(PeerClientTest, DeadlineForIsTheChildDeadlineOnTheServicesClock) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClientOptions options;
  options.budget.cap_nanos = 1'000 * kMs;
  const HopBudget budget = options.budget;
  PeerClient* peers = Make(&timers, std::move(options));
  const int64_t now = clock.NowNanos();
  EXPECT_EQ(peers->DeadlineFor(kNoDeadline), now + 1'000 * kMs);
  EXPECT_EQ(peers->DeadlineFor(now + 400 * kMs),
            ChildDeadline(now, now + 400 * kMs, budget));
  EXPECT_EQ(peers->DeadlineFor(now + 400 * kMs), now + 380 * kMs);  // 5%
  EXPECT_EQ(peers->DeadlineFor(now + 60'000 * kMs), now + 1'000 * kMs);
  EXPECT_EQ(peers->DeadlineFor(now - 1), now);
}

// On a fake clock: the parent's deadline exactly now, or too close to keep
// a margin, leaves no time for a call.
TEST_F(PeerClientTest, NoTimeLeftOnTheFakeClockFailsWithoutACall) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClient* peers = Make(&timers);
  for (int64_t parent : {clock.NowNanos(), clock.NowNanos() + 1}) {
    Outcome outcome;
    peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, parent, nullptr,
                outcome.Done());
    ASSERT_EQ(outcome.calls(), 1);
    EXPECT_EQ(outcome.status().error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_EQ(timers.pending(), 0);
  EXPECT_TRUE(neighbour_.seen().empty());
}

TEST_F(PeerClientTest, OnAFakeClockAStalledCallEndsWhenTheClockPassesIt) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClientOptions options;
  options.budget.cap_nanos = 1'000 * kMs;
  PeerClient* peers = Make(&timers, std::move(options));
  neighbour_.Stall();
  const int64_t deadline = clock.NowNanos() + 1'000 * kMs;
  Outcome outcome;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_TRUE(neighbour_.AwaitStalled(1));
  std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
  ASSERT_EQ(seen.size(), 1u);
  // The deadline travels as the fake clock's reading...
  auto it = seen[0].metadata.find(kFakeDeadlineKey);
  ASSERT_NE(it, seen[0].metadata.end());
  EXPECT_EQ(it->second, std::to_string(deadline));
  // ...and gRPC's own wall-clock deadline stays out of the way.
  EXPECT_GT(seen[0].deadline,
            std::chrono::system_clock::now() + std::chrono::hours(24));

  EXPECT_EQ(timers.pending(), 1);  // the call's deadline timer
  timers.AdvanceMillis(999);
  EXPECT_EQ(timers.pending(), 1);  // not yet due
  EXPECT_EQ(outcome.calls(), 0);
  timers.AdvanceMillis(1);  // exactly the deadline
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(AwaitDrained());
  EXPECT_EQ(outcome.calls(), 1);
  EXPECT_EQ(timers.pending(), 0);
  const NeighborStats p = StatsOf(peers->Stats(), "P");
  EXPECT_EQ(p.calls, 1);
  EXPECT_EQ(p.failures, 1);
  EXPECT_EQ(p.deadline_exceeded, 1);
}

TEST_F(PeerClientTest, OnAFakeClockTheChildDeadlineKeepsTheMargin) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClient* peers = Make(&timers);  // default budget: 5%, 2..100 ms
  const int64_t parent = clock.NowNanos() + 400 * kMs;
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, parent, nullptr,
              outcome.Done());
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.status().ok()) << outcome.status().error_message();
  std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
  ASSERT_EQ(seen.size(), 1u);
  auto it = seen[0].metadata.find(kFakeDeadlineKey);
  ASSERT_NE(it, seen[0].metadata.end());
  EXPECT_EQ(it->second, std::to_string(parent - 20 * kMs));
  // The answer came first: the deadline timer is cancelled and given back.
  ASSERT_TRUE(AwaitDrained());
  EXPECT_EQ(timers.pending(), 0);
}

TEST_F(PeerClientTest, StatsCountCallsFailuresAndDeadlines) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClientOptions options;
  options.budget.cap_nanos = 1'000 * kMs;
  PeerClient* peers = Make(&timers, std::move(options));

  Outcome ok;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline,
              nullptr, ok.Done());
  ASSERT_TRUE(ok.Await());
  ASSERT_TRUE(AwaitDrained());
  NeighborStats p = StatsOf(peers->Stats(), "P");
  EXPECT_EQ(p.calls, 1);
  EXPECT_EQ(p.failures, 0);
  EXPECT_EQ(p.last_error, "");

  neighbour_.Fail(grpc::Status(grpc::StatusCode::INTERNAL, "scan broke"));
  Outcome failed;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_, kNoDeadline,
              nullptr, failed.Done());
  ASSERT_TRUE(failed.Await());
  ASSERT_TRUE(AwaitDrained());
  p = StatsOf(peers->Stats(), "P");
  EXPECT_EQ(p.calls, 2);
  EXPECT_EQ(p.failures, 1);
  EXPECT_EQ(p.deadline_exceeded, 0);
  EXPECT_EQ(p.last_error, "scan broke");

  neighbour_.Stall();
  Outcome late;
  peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_, kNoDeadline,
              nullptr, late.Done());
  ASSERT_TRUE(neighbour_.AwaitStalled(1));
  timers.AdvanceMillis(1000);
  ASSERT_TRUE(late.Await());
  ASSERT_TRUE(AwaitDrained());
  p = StatsOf(peers->Stats(), "P");
  EXPECT_EQ(p.calls, 3);
  EXPECT_EQ(p.failures, 2);
  EXPECT_EQ(p.deadline_exceeded, 1);
  EXPECT_EQ(p.last_error, late.status().error_message());
  EXPECT_EQ(StatsOf(peers->Stats(), "D").calls, 0);  // per neighbour
}

TEST_F(PeerClientTest, ShutdownCancelsCallsInFlightAndWaitDrainedSeesThemEnd) {
  FakeClock clock;
  FakeTimers timers(&clock);
  PeerClient* peers = Make(&timers);
  neighbour_.Stall();
  constexpr int kCalls = 3;
  std::vector<Outcome> outcomes(kCalls);
  for (Outcome& outcome : outcomes) {
    peers->Call("P", PeerMethod::kExecute, ExecuteOf(1), &cq_, kNoDeadline,
                nullptr, outcome.Done());
  }
  ASSERT_TRUE(neighbour_.AwaitStalled(kCalls));
  EXPECT_EQ(peers->in_flight(), kCalls);
  EXPECT_EQ(timers.pending(), kCalls);
  EXPECT_FALSE(peers->WaitDrained(absl::ZeroDuration()));  // all stalled

  peers->Shutdown();
  ASSERT_TRUE(peers->WaitDrained(kGuard));
  EXPECT_EQ(peers->in_flight(), 0);
  for (const Outcome& outcome : outcomes) {
    EXPECT_EQ(outcome.calls(), 1);
    EXPECT_EQ(outcome.status().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(timers.pending(), 0);  // every deadline timer came back
  EXPECT_EQ(calls_ended_.load(), kCalls);
}

TEST_F(PeerClientTest, OnCallEndRunsOncePerCallAfterDone) {
  Outcome outcomes[4];
  absl::Mutex mu;
  std::vector<int> done_at_end;  // done calls seen by each end
  PeerClientOptions options;
  options.on_call_end = [&] {
    int done = 0;
    for (const Outcome& outcome : outcomes) done += outcome.calls();
    absl::MutexLock lock(&mu);
    done_at_end.push_back(done);
  };
  PeerClient* peers = Make(RealTimerService::Get(), std::move(options));
  CancellationScope cancelled;
  cancelled.Cancel();
  // One at a time, so each end is attributed to its call: an answer, a
  // failure from the network, and two refused before a call was made.
  const int64_t now = RealClock::Get()->NowNanos();
  const struct {
    std::string neighbour;
    int64_t parent;
    CancellationScope* scope;
  } calls[4] = {{"P", kNoDeadline, nullptr},
                {"D", now + 10'000 * kMs, nullptr},
                {"P", now - kMs, nullptr},
                {"P", kNoDeadline, &cancelled}};
  for (int i = 0; i < 4; ++i) {
    peers->Call(calls[i].neighbour, PeerMethod::kFetch, FetchOf(0, 1), &cq_,
                calls[i].parent, calls[i].scope, outcomes[i].Done());
    ASSERT_TRUE(outcomes[i].Await());
    ASSERT_TRUE(AwaitDrained());
    EXPECT_EQ(calls_ended_.load(), i + 1) << "call " << i;
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(done_at_end, std::vector<int>({1, 2, 3, 4}));
  for (const Outcome& outcome : outcomes) EXPECT_EQ(outcome.calls(), 1);
}

// A node's waiters re-check in_flight() when on_call_end runs, so the call
// is gone from in_flight() by then; but the client is not drained (safe to
// destroy) until on_call_end has returned.
TEST_F(PeerClientTest, WaitDrainedWaitsForOnCallEndToReturn) {
  absl::Notification entered;
  absl::Notification release;
  PeerClientOptions options;
  options.on_call_end = [&] {
    entered.Notify();
    release.WaitForNotificationWithTimeout(kGuard);
  };
  PeerClient* peers = Make(RealTimerService::Get(), std::move(options));
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(kGuard));
  EXPECT_EQ(outcome.calls(), 1);
  EXPECT_EQ(peers->in_flight(), 0);
  EXPECT_FALSE(peers->WaitDrained(absl::ZeroDuration()));
  release.Notify();
  EXPECT_TRUE(peers->WaitDrained(kGuard));
}

TEST_F(PeerClientTest, MetadataFromTheOptionsIsSent) {
  PeerClientOptions options;
  options.metadata = {{"overlay-peer-token", "s3cret"},
                      {"overlay-origin", "A"}};
  PeerClient* peers = Make(RealTimerService::Get(), std::move(options));
  Outcome outcome;
  peers->Call("P", PeerMethod::kFetch, FetchOf(0, 1), &cq_, kNoDeadline,
              nullptr, outcome.Done());
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.status().ok());
  std::vector<FakeNeighbour::Seen> seen = neighbour_.seen();
  ASSERT_EQ(seen.size(), 1u);
  auto token = seen[0].metadata.find("overlay-peer-token");
  ASSERT_NE(token, seen[0].metadata.end());
  EXPECT_EQ(token->second, "s3cret");
  auto origin = seen[0].metadata.find("overlay-origin");
  ASSERT_NE(origin, seen[0].metadata.end());
  EXPECT_EQ(origin->second, "A");
}

TEST_F(PeerClientTest, CallBytesSendsTheBytesAsGiven) {
  PeerClient* peers = Make(RealTimerService::Get());
  std::string serialized = FetchOf(7, 2).SerializeAsString();
  grpc::Slice slice(serialized);
  grpc::ByteBuffer request(&slice, 1);
  Outcome outcome;
  peers->CallBytes("P", PeerMethod::kFetch, request, &cq_, kNoDeadline, nullptr,
                   outcome.Done());
  ASSERT_TRUE(outcome.Await());
  v1::FetchResponse reply;
  ASSERT_TRUE(reply.ParseFromString(outcome.reply()));
  ASSERT_EQ(reply.records().utc_seconds_size(), 2);
  EXPECT_EQ(reply.records().utc_seconds(1), 8);
}

}  // namespace
}  // namespace overlay
