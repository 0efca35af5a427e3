// Copyright 2026 The overlay Authors.

#include "core/reactor/cancellation_scope.h"

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/reactor/completion_tag.h"

namespace overlay {
namespace {

// Failure guard only: nothing waits for it to pass.
constexpr absl::Duration kGuard = absl::Seconds(20);

TEST(CancellationScopeTest, AddRemoveAndCount) {
  CancellationScope scope;
  EXPECT_FALSE(scope.cancelled());
  EXPECT_EQ(scope.children(), 0);
  grpc::ClientContext a;
  grpc::ClientContext b;
  ASSERT_TRUE(scope.Add(&a));
  ASSERT_TRUE(scope.Add(&b));
  EXPECT_EQ(scope.children(), 2);
  scope.Remove(&a);
  EXPECT_EQ(scope.children(), 1);
  scope.Remove(&b);
  EXPECT_EQ(scope.children(), 0);
}

TEST(CancellationScopeTest, AddAfterCancelIsRefused) {
  CancellationScope scope;
  scope.Cancel();
  EXPECT_TRUE(scope.cancelled());
  grpc::ClientContext late;
  EXPECT_FALSE(scope.Add(&late));
  EXPECT_EQ(scope.children(), 0);  // not registered
  scope.Cancel();                  // idempotent
  EXPECT_TRUE(scope.cancelled());
}

TEST(CancellationScopeTest, ConcurrentAddsAndACancelNeverLoseAChild) {
  // Every Add either is refused or registers a child that Cancel() sees.
  CancellationScope scope;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(400);
  for (auto& context : contexts) {
    context = std::make_unique<grpc::ClientContext>();
  }
  std::vector<std::thread> threads;
  std::vector<int> added(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 400; i += 4) {
        if (scope.Add(contexts[i].get())) ++added[t];
      }
    });
  }
  scope.Cancel();
  for (std::thread& thread : threads) thread.join();
  int total = 0;
  for (int n : added) total += n;
  EXPECT_EQ(scope.children(), total);
  grpc::ClientContext after;
  EXPECT_FALSE(scope.Add(&after));
}

// A server whose every call stays open until the client cancels it: the
// handler never answers, it only finishes once told of the cancellation.
class StallService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(StallService* service) : service_(service) {}
      void OnCancel() override {
        service_->Count(&StallService::cancelled_);
        Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled"));
      }
      void OnDone() override { delete this; }

     private:
      StallService* const service_;
    };
    auto* reactor = new Reactor(this);
    Count(&StallService::started_);
    return reactor;
  }

  bool AwaitStarted(int n) { return Await(&StallService::started_, n); }
  bool AwaitCancelled(int n) { return Await(&StallService::cancelled_, n); }
  int cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

 private:
  using Counter = int StallService::*;
  void Count(Counter counter) {
    absl::MutexLock lock(&mu_);
    ++(this->*counter);
  }
  bool Await(Counter counter, int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, counter, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return this->*counter >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }

  mutable absl::Mutex mu_;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  int cancelled_ ABSL_GUARDED_BY(mu_) = 0;
};

// One unary call through a generic stub; its Finish tag records the status.
class StalledCall final : public CompletionTag {
 public:
  StalledCall(grpc::GenericStub* stub, grpc::CompletionQueue* cq)
      : stub_(stub), cq_(cq) {}
  void Start() {
    started = true;
    grpc::Slice slice(std::string("request"));
    grpc::ByteBuffer request(&slice, 1);
    reader_ =
        stub_->PrepareUnaryCall(&context, "/test.Stall/Call", request, cq_);
    reader_->StartCall();
    reader_->Finish(&reply_, &status_, static_cast<CompletionTag*>(this));
  }
  void Proceed(bool ok) override {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    ok_ = ok;
  }
  bool AwaitFinished() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&finished_), kGuard);
  }
  bool finished() const {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  grpc::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  // A unary Finish always comes back ok == true.
  bool ok() const {
    absl::MutexLock lock(&mu_);
    return ok_;
  }

  grpc::ClientContext context;
  bool started = false;  // test thread only

 private:
  grpc::GenericStub* const stub_;
  grpc::CompletionQueue* const cq_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
  grpc::ByteBuffer reply_;
  mutable absl::Mutex mu_;
  grpc::Status status_;  // written by gRPC before the Finish tag comes
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool ok_ ABSL_GUARDED_BY(mu_) = false;
};

class CancellationScopeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    stub_ = std::make_unique<grpc::GenericStub>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                            grpc::InsecureChannelCredentials()));
    drain_ = std::thread([this] {
      void* tag = nullptr;
      bool ok = false;
      while (cq_.Next(&tag, &ok)) {
        static_cast<CompletionTag*>(tag)->Proceed(ok);
      }
    });
  }

  void TearDown() override {
    // Cancels whatever a failed test left open, then frees the calls once
    // their Finish tags are back.
    server_->Shutdown(std::chrono::system_clock::now());
    for (const auto& call : calls_) {
      if (call->started) {
        EXPECT_TRUE(call->AwaitFinished());
      }
    }
    cq_.Shutdown();
    drain_.join();
    calls_.clear();
  }

  StalledCall* NewCall() {
    calls_.push_back(std::make_unique<StalledCall>(stub_.get(), &cq_));
    return calls_.back().get();
  }

  int port_ = 0;
  StallService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
  grpc::CompletionQueue cq_;
  std::thread drain_;
  std::vector<std::unique_ptr<StalledCall>> calls_;
};

TEST_F(CancellationScopeServerTest, CancelTryCancelsEveryRegisteredCall) {
  CancellationScope scope;
  StalledCall* first = NewCall();
  StalledCall* second = NewCall();
  StalledCall* outsider = NewCall();  // not in the scope
  ASSERT_TRUE(scope.Add(&first->context));
  ASSERT_TRUE(scope.Add(&second->context));
  first->Start();
  second->Start();
  outsider->Start();
  ASSERT_TRUE(service_.AwaitStarted(3));  // all three are open at the server
  EXPECT_FALSE(first->finished());

  scope.Cancel();
  ASSERT_TRUE(first->AwaitFinished());
  ASSERT_TRUE(second->AwaitFinished());
  EXPECT_EQ(first->status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(second->status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(first->ok());
  // The cancellation reached the server: both handlers were told.
  ASSERT_TRUE(service_.AwaitCancelled(2));
  // The outsider was not cancelled by the scope; it is still open.
  EXPECT_FALSE(outsider->finished());
  scope.Remove(&first->context);
  scope.Remove(&second->context);
  EXPECT_EQ(scope.children(), 0);

  outsider->context.TryCancel();
  ASSERT_TRUE(outsider->AwaitFinished());
  EXPECT_EQ(outsider->status().error_code(), grpc::StatusCode::CANCELLED);
}

// A child registers before its call starts (PeerClient does so): cancelled
// in between, the call ends CANCELLED as soon as it starts.
TEST_F(CancellationScopeServerTest, AChildCancelledBeforeItStartsEndsAtOnce) {
  CancellationScope scope;
  StalledCall* call = NewCall();
  ASSERT_TRUE(scope.Add(&call->context));
  scope.Cancel();
  call->Start();
  ASSERT_TRUE(call->AwaitFinished());
  EXPECT_EQ(call->status().error_code(), grpc::StatusCode::CANCELLED);
  scope.Remove(&call->context);
}

TEST_F(CancellationScopeServerTest, ARemovedChildIsNotCancelled) {
  CancellationScope scope;
  StalledCall* kept = NewCall();
  StalledCall* removed = NewCall();
  ASSERT_TRUE(scope.Add(&kept->context));
  ASSERT_TRUE(scope.Add(&removed->context));
  scope.Remove(&removed->context);
  kept->Start();
  removed->Start();
  ASSERT_TRUE(service_.AwaitStarted(2));
  scope.Cancel();
  ASSERT_TRUE(kept->AwaitFinished());
  EXPECT_EQ(kept->status().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(service_.AwaitCancelled(1));
  EXPECT_FALSE(removed->finished());
  removed->context.TryCancel();
  ASSERT_TRUE(removed->AwaitFinished());
}

}  // namespace
}  // namespace overlay
