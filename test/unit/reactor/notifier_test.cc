// Copyright 2026 The overlay Authors.

#include "core/reactor/notifier.h"

#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/reactor/completion_tag.h"
#include "test/test_util/cq_verifier.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;

// Records every Proceed(ok) it receives. Driven by the test thread only.
class RecordingTag final : public CompletionTag {
 public:
  void Proceed(bool ok) override { calls.push_back(ok); }
  std::vector<bool> calls;
};

class NotifierTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }

  grpc::CompletionQueue cq_;
};

TEST_F(NotifierTest, NotifyDeliversProceedTrueToTheTarget) {
  RecordingTag target;
  Notifier notifier(&target);
  notifier.Notify(&cq_);
  CqVerifier().Expect(&notifier, true).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true}));
  CqVerifier::VerifyEmpty(&cq_);
}

TEST_F(NotifierTest, NotifierCanBeReusedAfterItFired) {
  RecordingTag target;
  Notifier notifier(&target);
  for (int i = 0; i < 3; ++i) {
    notifier.Notify(&cq_);
    CqVerifier().Expect(&notifier, true).Verify(&cq_);
  }
  EXPECT_EQ(target.calls, std::vector<bool>({true, true, true}));
}

TEST_F(NotifierTest, NotifyFromAnotherThreadRunsOnTheQueueThread) {
  RecordingTag target;
  Notifier notifier(&target);
  std::thread other([&] { notifier.Notify(&cq_); });
  other.join();
  EXPECT_TRUE(target.calls.empty());  // nothing ran on the other thread
  CqVerifier().Expect(&notifier, true).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true}));
}

TEST_F(NotifierTest, NotifyAtInThePastFiresAtOnce) {
  RecordingTag target;
  Notifier notifier(&target);
  notifier.NotifyAt(&cq_,
                    std::chrono::system_clock::now() - std::chrono::seconds(1));
  CqVerifier().Expect(&notifier, true).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true}));
}

TEST_F(NotifierTest, CancelOfAFarFutureNotifyAtDeliversNotOk) {
  RecordingTag target;
  Notifier notifier(&target);
  notifier.NotifyAt(&cq_,
                    std::chrono::system_clock::now() + std::chrono::hours(1));
  CqVerifier::VerifyEmpty(&cq_);  // not yet due
  EXPECT_TRUE(target.calls.empty());
  notifier.Cancel();
  CqVerifier().Expect(&notifier, false).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({false}));
}

TEST_F(NotifierTest, SeveralNotifiersForOneTarget) {
  RecordingTag target;
  Notifier a(&target);
  Notifier b(&target);
  a.Notify(&cq_);
  b.Notify(&cq_);
  CqVerifier().Expect(&a, true).Expect(&b, true).Verify(&cq_);
  EXPECT_EQ(target.calls, std::vector<bool>({true, true}));
}

class TwoOperations {
 public:
  TwoOperations()
      : read_done(this, &TwoOperations::OnRead),
        write_done(this, &TwoOperations::OnWrite) {}
  void OnRead(bool ok) { reads.push_back(ok); }
  void OnWrite(bool ok) { writes.push_back(ok); }

  TagOf<TwoOperations> read_done;
  TagOf<TwoOperations> write_done;
  std::vector<bool> reads;
  std::vector<bool> writes;
};

TEST(TagOfTest, ForwardsToTheOwnersMethod) {
  TwoOperations owner;
  CompletionTag* read = &owner.read_done;
  CompletionTag* write = &owner.write_done;
  read->Proceed(true);
  write->Proceed(false);
  read->Proceed(false);
  EXPECT_EQ(owner.reads, std::vector<bool>({true, false}));
  EXPECT_EQ(owner.writes, std::vector<bool>({false}));
}

TEST_F(NotifierTest, NotifierCanWakeATagOf) {
  TwoOperations owner;
  Notifier notifier(&owner.write_done);
  notifier.Notify(&cq_);
  CqVerifier().Expect(&notifier, true).Verify(&cq_);
  EXPECT_TRUE(owner.reads.empty());
  EXPECT_EQ(owner.writes, std::vector<bool>({true}));
}

}  // namespace
}  // namespace overlay
