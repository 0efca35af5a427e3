// Copyright 2026 The overlay Authors.

#include "core/reactor/cq_reactor.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/notifier.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {
namespace {

// Counts the Proceed() calls of many tags, from any reactor thread.
class Tally {
 public:
  void Add(bool ok) {
    absl::MutexLock lock(&mu_);
    ++(ok ? ok_ : not_ok_);
  }
  // True once `n` calls arrived; the timeout only bounds a failing test.
  bool WaitForCalls(int n) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return ok_ + not_ok_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  }
  int ok() const {
    absl::MutexLock lock(&mu_);
    return ok_;
  }
  int not_ok() const {
    absl::MutexLock lock(&mu_);
    return not_ok_;
  }

 private:
  mutable absl::Mutex mu_;
  int ok_ ABSL_GUARDED_BY(mu_) = 0;
  int not_ok_ ABSL_GUARDED_BY(mu_) = 0;
};

// A tag that remembers how often, with what and on which thread it ran.
class CountingTag final : public CompletionTag {
 public:
  explicit CountingTag(Tally* tally) : tally_(tally) {}
  void Proceed(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      ++calls_;
      last_ok_ = ok;
      thread_ = std::this_thread::get_id();
    }
    tally_->Add(ok);
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  bool last_ok() const {
    absl::MutexLock lock(&mu_);
    return last_ok_;
  }
  std::thread::id thread() const {
    absl::MutexLock lock(&mu_);
    return thread_;
  }

 private:
  Tally* const tally_;
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool last_ok_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id thread_ ABSL_GUARDED_BY(mu_);
};

// One posted wake-up: the tag and the notifier that queues it.
struct Posted {
  explicit Posted(Tally* tally) : tag(tally), notifier(&tag) {}
  CountingTag tag;
  Notifier notifier;
};

class CqReactorTest : public ::testing::Test {
 protected:
  // Builds a server on 127.0.0.1:0 with `queues` reactor queues.
  void Build(int queues) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    reactor_ = std::make_unique<CqReactor>(builder, queues);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  // The documented order: server, then queues, then threads.
  void ShutdownInOrder() {
    server_->Shutdown(std::chrono::system_clock::now());
    reactor_->ShutdownQueues();
    reactor_->Join();
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();  // the server goes before its queues
    reactor_.reset();
  }

  int port_ = 0;
  v1::QueryService::AsyncService service_;
  std::unique_ptr<CqReactor> reactor_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(CqReactorTest, AddsTheRequestedNumberOfQueues) {
  Build(3);
  ASSERT_EQ(reactor_->size(), 3);
  std::set<grpc::ServerCompletionQueue*> distinct;
  for (int i = 0; i < reactor_->size(); ++i) {
    ASSERT_NE(reactor_->queue(i), nullptr);
    distinct.insert(reactor_->queue(i));
  }
  EXPECT_EQ(distinct.size(), 3u);
  reactor_->Start();
  ShutdownInOrder();
}

TEST_F(CqReactorTest, AtLeastOneQueue) {
  Build(0);
  EXPECT_EQ(reactor_->size(), 1);
  reactor_->Start();
  ShutdownInOrder();
}

TEST_F(CqReactorTest, EveryPostedTagProceedsExactlyOnceOnItsQueueThread) {
  constexpr int kQueues = 2;
  constexpr int kPerQueue = 100;
  Build(kQueues);
  reactor_->Start();
  Tally tally;
  std::vector<std::unique_ptr<Posted>> posted;
  for (int i = 0; i < kQueues * kPerQueue; ++i) {
    posted.push_back(std::make_unique<Posted>(&tally));
  }
  for (int i = 0; i < kQueues * kPerQueue; ++i) {
    posted[i]->notifier.Notify(reactor_->queue(i % kQueues));
  }
  ASSERT_TRUE(tally.WaitForCalls(kQueues * kPerQueue));
  ShutdownInOrder();

  EXPECT_EQ(tally.ok(), kQueues * kPerQueue);
  EXPECT_EQ(tally.not_ok(), 0);
  std::vector<std::set<std::thread::id>> threads(kQueues);
  for (int i = 0; i < kQueues * kPerQueue; ++i) {
    EXPECT_EQ(posted[i]->tag.calls(), 1) << "tag " << i;
    EXPECT_TRUE(posted[i]->tag.last_ok()) << "tag " << i;
    threads[i % kQueues].insert(posted[i]->tag.thread());
  }
  // One drain thread per queue, none of them the test thread.
  for (int q = 0; q < kQueues; ++q) {
    ASSERT_EQ(threads[q].size(), 1u) << "queue " << q;
    EXPECT_NE(*threads[q].begin(), std::this_thread::get_id());
  }
  EXPECT_NE(*threads[0].begin(), *threads[1].begin());
}

TEST_F(CqReactorTest, PostsFromManyThreadsAllArrive) {
  Build(2);
  reactor_->Start();
  Tally tally;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::unique_ptr<Posted>> posted;
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    posted.push_back(std::make_unique<Posted>(&tally));
  }
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        posted[t * kPerThread + i]->notifier.Notify(reactor_->queue(t % 2));
      }
    });
  }
  for (std::thread& poster : posters) poster.join();
  ASSERT_TRUE(tally.WaitForCalls(kThreads * kPerThread));
  ShutdownInOrder();
  for (const auto& p : posted) EXPECT_EQ(p->tag.calls(), 1);
  EXPECT_EQ(tally.ok(), kThreads * kPerThread);
}

TEST_F(CqReactorTest, PendingAlarmCancelledAtShutdownComesBackNotOk) {
  Build(1);
  reactor_->Start();
  Tally tally;
  Posted far(&tally);
  far.notifier.NotifyAt(reactor_->queue(0), std::chrono::system_clock::now() +
                                                std::chrono::hours(1));
  Posted now(&tally);
  now.notifier.Notify(reactor_->queue(0));
  ASSERT_TRUE(tally.WaitForCalls(1));

  server_->Shutdown(std::chrono::system_clock::now());
  reactor_->ShutdownQueues();
  // The queue cannot finish shutting down while the alarm is pending: the
  // owner cancels it, and the drain loop hands it back with ok == false.
  far.notifier.Cancel();
  reactor_->Join();

  EXPECT_EQ(now.tag.calls(), 1);
  EXPECT_TRUE(now.tag.last_ok());
  EXPECT_EQ(far.tag.calls(), 1);
  EXPECT_FALSE(far.tag.last_ok());
  EXPECT_EQ(tally.ok(), 1);
  EXPECT_EQ(tally.not_ok(), 1);
}

TEST_F(CqReactorTest, ShutdownQueuesAndJoinAreIdempotent) {
  Build(2);
  reactor_->Start();
  ShutdownInOrder();
  reactor_->ShutdownQueues();
  reactor_->Join();
}

TEST_F(CqReactorTest, DestructorWithoutStartDrainsLeftoversWithNotOk) {
  Build(2);
  Tally tally;
  Posted a(&tally);
  Posted b(&tally);
  a.notifier.Notify(reactor_->queue(0));
  b.notifier.Notify(reactor_->queue(1));
  server_->Shutdown(std::chrono::system_clock::now());
  // Never started: the destructor shuts the queues down and drains them.
  // The server must still exist then (its own internal tags on the queues
  // refer to it), so it is destroyed after the reactor here.
  reactor_.reset();
  server_.reset();
  EXPECT_EQ(a.tag.calls(), 1);
  EXPECT_FALSE(a.tag.last_ok());
  EXPECT_EQ(b.tag.calls(), 1);
  EXPECT_FALSE(b.tag.last_ok());
}

}  // namespace
}  // namespace overlay
