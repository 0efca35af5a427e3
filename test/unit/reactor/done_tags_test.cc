// Copyright 2026 The overlay Authors.

#include "core/reactor/done_tags.h"

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "core/reactor/completion_tag.h"
#include "test/test_util/cq_verifier.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;

// Records every Proceed(ok) it receives.
class RecordingTag final : public CompletionTag {
 public:
  void Proceed(bool ok) override { calls.push_back(ok); }
  std::vector<bool> calls;
};

// Posts `tag` on `cq` at once (ok == true), or, cancelled, with ok == false:
// how a done notification reaches the queue.
void Post(grpc::Alarm* alarm, grpc::CompletionQueue* cq, CompletionTag* tag) {
  alarm->Set(cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), tag);
}
void PostCancelled(grpc::Alarm* alarm, grpc::CompletionQueue* cq,
                   CompletionTag* tag) {
  alarm->Set(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), tag);
  alarm->Cancel();
}

class DoneTagTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }
  grpc::CompletionQueue cq_;
};

TEST_F(DoneTagTest, ADoneTagForwardsToItsTarget) {
  RecordingTag target;
  DoneTag done(&target);
  grpc::Alarm first;
  Post(&first, &cq_, &done);
  CqVerifier().Expect(&done, true).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true}));
  grpc::Alarm second;
  PostCancelled(&second, &cq_, &done);
  CqVerifier().Expect(&done, false).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true, false}));
}

// The owner frees its DoneTag when the notification arrives: the tag's
// Proceed must not touch itself after forwarding.
class OwnerOfADoneTag final : public CompletionTag {
 public:
  explicit OwnerOfADoneTag(bool* arrived)
      : done(new DoneTag(this)), arrived_(arrived) {}
  void Proceed(bool ok) override {
    *arrived_ = ok;
    delete done;
    done = nullptr;
  }
  DoneTag* done;

 private:
  bool* const arrived_;
};

TEST_F(DoneTagTest, TheTargetMayDeleteTheTagItIsCalledFrom) {
  bool arrived = false;
  OwnerOfADoneTag owner(&arrived);
  grpc::Alarm alarm;
  Post(&alarm, &cq_, owner.done);
  CqVerifier().Expect(owner.done, true).Verify(&cq_);
  EXPECT_TRUE(arrived);
  EXPECT_EQ(owner.done, nullptr);
}

TEST_F(DoneTagTest, AnOrphanThatArrivesDeletesItselfAndLeavesTheRegistry) {
  DoneTagOrphans orphans;
  RecordingTag target;  // stands for the call that went away
  auto* done = new DoneTag(&target);
  grpc::Alarm alarm;
  Post(&alarm, &cq_, done);  // already on its way
  done->Orphan(&orphans);
  EXPECT_EQ(orphans.size(), 1);
  CqVerifier().Expect(done, true).Verify(&cq_);  // frees it (ASan checks)
  EXPECT_EQ(orphans.size(), 0);
  EXPECT_TRUE(target.calls.empty());  // the gone owner is never called
}

TEST_F(DoneTagTest, AnOrphanArrivingWithOkFalseIsFreedToo) {
  DoneTagOrphans orphans;
  RecordingTag target;
  auto* done = new DoneTag(&target);
  done->Orphan(&orphans);
  grpc::Alarm alarm;
  PostCancelled(&alarm, &cq_, done);
  CqVerifier().Expect(done, false).Verify(&cq_);
  EXPECT_EQ(orphans.size(), 0);
  EXPECT_TRUE(target.calls.empty());
}

TEST(DoneTagOrphansTest, OrphansNeverDeliveredAreFreedByTheRegistry) {
  RecordingTag target;
  {
    DoneTagOrphans orphans;
    EXPECT_EQ(orphans.size(), 0);
    for (int i = 0; i < 3; ++i) (new DoneTag(&target))->Orphan(&orphans);
    EXPECT_EQ(orphans.size(), 3);
  }  // frees the three; LeakSanitizer reports them otherwise
  EXPECT_TRUE(target.calls.empty());
}

TEST_F(DoneTagTest, SomeOrphansArriveTheOthersAreFreedAtTheEnd) {
  RecordingTag target;
  grpc::Alarm alarm;
  {
    DoneTagOrphans orphans;
    auto* arrives = new DoneTag(&target);
    arrives->Orphan(&orphans);
    (new DoneTag(&target))->Orphan(&orphans);
    (new DoneTag(&target))->Orphan(&orphans);
    EXPECT_EQ(orphans.size(), 3);
    Post(&alarm, &cq_, arrives);
    CqVerifier().Expect(arrives, true).Verify(&cq_);
    EXPECT_EQ(orphans.size(), 2);
    CqVerifier::VerifyEmpty(&cq_);
  }  // the two that never came are freed here, the one that came is not
     // freed twice (ASan checks both)
  EXPECT_TRUE(target.calls.empty());
}

// The case DoneTag exists for: a server call asks for its done notification
// before requesting the call; at shutdown the request comes back
// ok == false and the done tag may never arrive. The call orphans it and
// goes away; whether or not the tag comes, nothing leaks or is freed twice.
class ListeningCall final : public CompletionTag {
 public:
  ListeningCall(grpc::AsyncGenericService* service,
                grpc::ServerCompletionQueue* cq, DoneTagOrphans* orphans)
      : done_(new DoneTag(&on_done_)), stream_(&context_), orphans_(orphans) {
    context_.AsyncNotifyWhenDone(static_cast<CompletionTag*>(done_));
    service->RequestCall(&context_, &stream_, cq, cq,
                         static_cast<CompletionTag*>(this));
  }
  // The request tag.
  void Proceed(bool ok) override {
    requested_ok = ok;
    if (!ok) {
      done_->Orphan(orphans_);  // never touched again
      done_ = nullptr;
    }
  }
  bool requested_ok = true;
  RecordingTag on_done_;

 private:
  DoneTag* done_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  DoneTagOrphans* const orphans_;
};

TEST(DoneTagServerTest, ARequestEndedByShutdownOrphansItsDoneTag) {
  grpc::AsyncGenericService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterAsyncGenericService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> cq =
      builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  {
    DoneTagOrphans orphans;
    {
      ListeningCall call(&service, cq.get(), &orphans);
      server->Shutdown(std::chrono::system_clock::now());
      CqVerifier().Expect(&call, false).Verify(cq.get());
      EXPECT_FALSE(call.requested_ok);
      EXPECT_EQ(orphans.size(), 1);
      EXPECT_TRUE(call.on_done_.calls.empty());
    }  // the call is gone; its done tag is the registry's now
    // Drain: if the done tag still comes, it frees itself.
    cq->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Proceed(ok);
    EXPECT_LE(orphans.size(), 1);
  }  // frees what never came
}

}  // namespace
}  // namespace overlay
