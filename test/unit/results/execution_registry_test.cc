// Copyright 2026 The overlay Authors.

#include "core/results/execution_registry.h"

#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/notifier.h"
#include "test/test_util/cq_verifier.h"
#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;
using ::overlay::testing::FakeClock;
using Arrival = ExecutionRegistry::Arrival;

constexpr int64_t kMs = 1'000'000;

// A waiting arrival: Proceed() records wake-ups, as an Execute call would.
class Waiter final : public CompletionTag {
 public:
  Waiter() : notifier(this) {}
  void Proceed(bool ok) override { wakeups.push_back(ok); }
  Notifier notifier;
  std::vector<bool> wakeups;
};

ExecutionOutcome Matched(int64_t records) {
  ExecutionOutcome outcome;
  outcome.records = records;
  return outcome;
}

// ---- LocalExecution ----

class LocalExecutionTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }

  grpc::CompletionQueue cq_;
  LocalExecution execution_{"q1"};
};

TEST_F(LocalExecutionTest, FinishNotifiesEveryWaiterOnItsQueue) {
  grpc::CompletionQueue other;
  Waiter here;
  Waiter also_here;
  Waiter there;
  EXPECT_EQ(execution_.query_id(), "q1");
  EXPECT_FALSE(execution_.finished());
  ASSERT_TRUE(execution_.Wait(&here.notifier, &cq_));
  ASSERT_TRUE(execution_.Wait(&also_here.notifier, &cq_));
  ASSERT_TRUE(execution_.Wait(&there.notifier, &other));
  CqVerifier::VerifyEmpty(&cq_);  // nobody is woken before the outcome

  execution_.Join();  // an arrival wants the outcome
  ExecutionOutcome outcome = Matched(42);
  outcome.has_inline_records = true;
  outcome.inline_records = std::make_shared<const std::string>("serialized");
  execution_.Finish(std::move(outcome));
  EXPECT_TRUE(execution_.finished());
  CqVerifier()
      .Expect(&here.notifier, true)
      .Expect(&also_here.notifier, true)
      .Verify(&cq_);
  CqVerifier().Expect(&there.notifier, true).Verify(&other);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(here.wakeups, std::vector<bool>({true}));
  EXPECT_EQ(there.wakeups, std::vector<bool>({true}));
  EXPECT_TRUE(execution_.outcome().status.ok());
  EXPECT_EQ(execution_.outcome().records, 42);
  EXPECT_TRUE(execution_.outcome().has_inline_records);
  ASSERT_NE(execution_.outcome().inline_records, nullptr);
  EXPECT_EQ(*execution_.outcome().inline_records, "serialized");
  EXPECT_FALSE(execution_.outcome().drained);
  CqVerifier::ShutdownAndDrain(&other);
}

TEST_F(LocalExecutionTest, DropRecordsLeavesTheCount) {
  execution_.Join();
  ExecutionOutcome outcome = Matched(3);
  outcome.has_inline_records = true;
  outcome.inline_records = std::make_shared<const std::string>("bytes");
  execution_.Finish(std::move(outcome));
  EXPECT_EQ(execution_.record_bytes(), 5);
  EXPECT_FALSE(execution_.idle());
  EXPECT_FALSE(execution_.Leave(/*delivered=*/true));
  EXPECT_TRUE(execution_.idle());
  execution_.DropRecords();
  EXPECT_TRUE(execution_.outcome().drained);
  EXPECT_EQ(execution_.outcome().inline_records, nullptr);
  EXPECT_EQ(execution_.outcome().records, 3);
  EXPECT_EQ(execution_.record_bytes(), 0);
}

TEST_F(LocalExecutionTest, WaitAfterFinishIsFalseAndQueuesNothing) {
  execution_.Finish(Matched(7));
  Waiter late;
  EXPECT_FALSE(execution_.Wait(&late.notifier, &cq_));  // read it now
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(execution_.outcome().records, 7);
  EXPECT_FALSE(execution_.StopWaiting(&late.notifier));  // never queued
}

TEST_F(LocalExecutionTest, FinishOnceOnly) {
  Waiter waiter;
  ASSERT_TRUE(execution_.Wait(&waiter.notifier, &cq_));
  execution_.Finish(Matched(1));
  ExecutionOutcome failed;
  failed.status = absl::InternalError("second outcome");
  execution_.Finish(std::move(failed));  // ignored
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);  // one notification, not two
  EXPECT_TRUE(execution_.outcome().status.ok());
  EXPECT_EQ(execution_.outcome().records, 1);
}

TEST_F(LocalExecutionTest, AFailedOutcomeReachesTheWaiters) {
  Waiter waiter;
  ASSERT_TRUE(execution_.Wait(&waiter.notifier, &cq_));
  ExecutionOutcome failed;
  failed.status = absl::CancelledError("scan cancelled");
  execution_.Finish(std::move(failed));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
  EXPECT_EQ(execution_.outcome().status.code(), absl::StatusCode::kCancelled);
}

TEST_F(LocalExecutionTest, StopWaitingMeansNoNotification) {
  Waiter leaver;
  Waiter stayer;
  ASSERT_TRUE(execution_.Wait(&leaver.notifier, &cq_));
  ASSERT_TRUE(execution_.Wait(&stayer.notifier, &cq_));
  EXPECT_TRUE(execution_.StopWaiting(&leaver.notifier));
  EXPECT_FALSE(execution_.StopWaiting(&leaver.notifier));  // gone already
  execution_.Finish(Matched(3));
  CqVerifier().Expect(&stayer.notifier, true).Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_TRUE(leaver.wakeups.empty());
  // Notified already: StopWaiting says a notification came (or comes).
  EXPECT_FALSE(execution_.StopWaiting(&stayer.notifier));
}

TEST_F(LocalExecutionTest, StopWaitingAfterFinishBeforeDeliveryIsFalse) {
  Waiter waiter;
  ASSERT_TRUE(execution_.Wait(&waiter.notifier, &cq_));
  execution_.Finish(Matched(3));
  // The notification is queued, not yet delivered: the waiter must still
  // expect it (StopWaiting is false) and be kept alive for it.
  EXPECT_FALSE(execution_.StopWaiting(&waiter.notifier));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
}

TEST_F(LocalExecutionTest, CancelIsSeenByTheScan) {
  EXPECT_FALSE(execution_.cancelled());
  execution_.Cancel();
  EXPECT_TRUE(execution_.cancelled());
  execution_.Cancel();  // idempotent
  EXPECT_TRUE(execution_.cancelled());
  EXPECT_FALSE(execution_.finished());  // cancelling does not finish it
}

TEST(LocalExecutionLeaveTest, LastToLeaveWithoutDeliveryCancels) {
  LocalExecution execution("q");
  execution.Join();
  execution.Join();
  EXPECT_FALSE(execution.Leave(false));  // one is still there
  EXPECT_TRUE(execution.Leave(false));   // last, and nobody delivered
}

TEST(LocalExecutionLeaveTest, ADeliveryByAnyArrivalKeepsTheRun) {
  LocalExecution delivered_first("q");
  delivered_first.Join();
  delivered_first.Join();
  EXPECT_FALSE(delivered_first.Leave(true));
  EXPECT_FALSE(delivered_first.Leave(false));  // the share was delivered

  LocalExecution delivered_last("q");
  delivered_last.Join();
  delivered_last.Join();
  EXPECT_FALSE(delivered_last.Leave(false));
  EXPECT_FALSE(delivered_last.Leave(true));

  LocalExecution alone("q");
  alone.Join();
  EXPECT_FALSE(alone.Leave(true));
}

TEST(LocalExecutionLeaveTest, AJoinAfterEveryoneLeftCountsAgain) {
  LocalExecution execution("q");
  execution.Join();
  EXPECT_TRUE(execution.Leave(false));
  execution.Join();  // a late arrival of the same query
  EXPECT_TRUE(execution.Leave(false));
}

// ---- ExecutionRegistry ----

class ExecutionRegistryTest : public ::testing::Test {
 protected:
  int64_t At(int64_t ms) const { return start_ + ms * kMs; }

  FakeClock clock_;
  const int64_t start_ = clock_.NowNanos();
  ExecutionRegistry registry_{&clock_};
};

TEST_F(ExecutionRegistryTest, FirstArrivalRunsLaterOnesWaitForTheSameRun) {
  auto [first, execution] = registry_.Arrive("q1", At(100));
  EXPECT_EQ(first, Arrival::kFirst);
  ASSERT_NE(execution, nullptr);
  EXPECT_EQ(execution->query_id(), "q1");
  auto [again, same] = registry_.Arrive("q1", At(100));
  EXPECT_EQ(again, Arrival::kAgain);
  EXPECT_EQ(same, execution);
  auto [other, different] = registry_.Arrive("q2", At(100));
  EXPECT_EQ(other, Arrival::kFirst);
  EXPECT_NE(different, execution);
  EXPECT_EQ(registry_.size(), 2);
  EXPECT_EQ(registry_.running(), 2);
  // Each arrival joined: both must leave before the run is abandoned.
  EXPECT_FALSE(execution->Leave(false));
  EXPECT_TRUE(execution->Leave(false));
}

TEST_F(ExecutionRegistryTest, AFinishedRunIsStillFoundUntilKeepUntil) {
  auto [arrival, execution] = registry_.Arrive("q1", At(100));
  ASSERT_EQ(arrival, Arrival::kFirst);
  execution->Finish(Matched(5));
  EXPECT_EQ(registry_.running(), 0);
  EXPECT_EQ(registry_.size(), 1);
  clock_.AdvanceMillis(100);  // exactly keep-until: still remembered
  EXPECT_EQ(registry_.Expire(), 0);
  auto [late, same] = registry_.Arrive("q1", At(100));
  EXPECT_EQ(late, Arrival::kAgain);
  ASSERT_EQ(same, execution);
  EXPECT_TRUE(same->finished());
  EXPECT_EQ(same->outcome().records, 5);
}

TEST_F(ExecutionRegistryTest, ExpireForgetsIdsPastTheirKeepUntil) {
  ASSERT_EQ(registry_.Arrive("short", At(10)).first, Arrival::kFirst);
  ASSERT_EQ(registry_.Arrive("long", At(50)).first, Arrival::kFirst);
  clock_.AdvanceMillis(10);
  EXPECT_EQ(registry_.Expire(), 0);
  clock_.AdvanceNanos(1);
  EXPECT_EQ(registry_.Expire(), 1);
  EXPECT_EQ(registry_.size(), 1);
  // Forgotten: the same id is a new query again.
  EXPECT_EQ(registry_.Arrive("short", At(100)).first, Arrival::kFirst);
  clock_.AdvanceMillis(100);
  EXPECT_EQ(registry_.Expire(), 2);
  EXPECT_EQ(registry_.size(), 0);
}

TEST_F(ExecutionRegistryTest, ALaterArrivalExtendsKeepUntil) {
  ASSERT_EQ(registry_.Arrive("q1", At(10)).first, Arrival::kFirst);
  ASSERT_EQ(registry_.Arrive("q1", At(80)).first, Arrival::kAgain);
  // An earlier keep-until never shortens it.
  ASSERT_EQ(registry_.Arrive("q1", At(20)).first, Arrival::kAgain);
  clock_.AdvanceMillis(50);
  EXPECT_EQ(registry_.Expire(), 0);
  clock_.AdvanceMillis(31);
  EXPECT_EQ(registry_.Expire(), 1);
}

TEST_F(ExecutionRegistryTest, KnowsWhatAnArrivalWouldNotBeTheFirstOf) {
  EXPECT_FALSE(registry_.Knows("q1"));
  ASSERT_EQ(registry_.Arrive("q1", At(10)).first, Arrival::kFirst);
  EXPECT_TRUE(registry_.Knows("q1"));  // running: a repeat waits for it
  EXPECT_FALSE(registry_.Knows("q2"));
  registry_.Release("q3", At(10));
  EXPECT_TRUE(registry_.Knows("q3"));  // released: a repeat is refused
  clock_.AdvanceMillis(11);  // past keep-until, not swept
  EXPECT_FALSE(registry_.Knows("q1"));  // an arrival now is a new query
  EXPECT_TRUE(registry_.Knows("q3"));   // released stays released
  EXPECT_EQ(registry_.Arrive("q1", At(100)).first, Arrival::kFirst);
}

TEST_F(ExecutionRegistryTest, AnExpiredIdArrivingBeforeTheSweepIsNew) {
  auto [first, old_run] = registry_.Arrive("q1", At(10));
  ASSERT_EQ(first, Arrival::kFirst);
  clock_.AdvanceMillis(11);  // past keep-until; Expire() has not run
  auto [again, new_run] = registry_.Arrive("q1", At(100));
  EXPECT_EQ(again, Arrival::kFirst);
  ASSERT_NE(new_run, nullptr);
  EXPECT_NE(new_run, old_run);
  EXPECT_EQ(registry_.size(), 1);
  clock_.AdvanceMillis(50);
  EXPECT_EQ(registry_.Expire(), 0);  // the new keep-until holds
}

TEST_F(ExecutionRegistryTest, ReleaseCancelsTheRunAndReturnsFirst) {
  auto [arrival, execution] = registry_.Arrive("q1", At(100));
  ASSERT_EQ(arrival, Arrival::kFirst);
  auto [run, first] = registry_.Release("q1", At(100));
  EXPECT_EQ(run, execution);
  EXPECT_TRUE(first);
  EXPECT_TRUE(execution->cancelled());
  EXPECT_EQ(registry_.running(), 0);  // the registry no longer holds it
  // A second release (the flood comes back another way) is not first.
  auto [no_run, again] = registry_.Release("q1", At(100));
  EXPECT_EQ(no_run, nullptr);
  EXPECT_FALSE(again);
  // A late arrival of a released query is refused.
  auto [refused, none] = registry_.Arrive("q1", At(100));
  EXPECT_EQ(refused, Arrival::kReleased);
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(registry_.size(), 1);
}

TEST_F(ExecutionRegistryTest, ReleaseBeforeAnyArrivalRefusesLaterOnes) {
  auto [run, first] = registry_.Release("q1", At(50));
  EXPECT_EQ(run, nullptr);
  EXPECT_TRUE(first);
  EXPECT_EQ(registry_.Arrive("q1", At(50)).first, Arrival::kReleased);
  EXPECT_EQ(registry_.running(), 0);
  // Remembered until its keep-until, then forgotten.
  clock_.AdvanceMillis(50);
  EXPECT_EQ(registry_.Expire(), 0);
  clock_.AdvanceMillis(1);
  EXPECT_EQ(registry_.Expire(), 1);
  EXPECT_EQ(registry_.size(), 0);
  EXPECT_EQ(registry_.Arrive("q1", At(100)).first, Arrival::kFirst);
}

TEST_F(ExecutionRegistryTest, ReleaseExtendsKeepUntil) {
  ASSERT_EQ(registry_.Arrive("q1", At(10)).first, Arrival::kFirst);
  (void)registry_.Release("q1", At(60));
  clock_.AdvanceMillis(30);
  EXPECT_EQ(registry_.Expire(), 0);
  EXPECT_EQ(registry_.Arrive("q1", At(10)).first, Arrival::kReleased);
  clock_.AdvanceMillis(31);
  EXPECT_EQ(registry_.Expire(), 1);
}

TEST_F(ExecutionRegistryTest, ReleaseOfAFinishedRunStillCancelsAndRefuses) {
  auto [arrival, execution] = registry_.Arrive("q1", At(100));
  ASSERT_EQ(arrival, Arrival::kFirst);
  execution->Finish(Matched(1));
  auto [run, first] = registry_.Release("q1", At(100));
  EXPECT_EQ(run, execution);  // the caller drops what it holds for it
  EXPECT_TRUE(first);
  EXPECT_EQ(registry_.Arrive("q1", At(100)).first, Arrival::kReleased);
}

// The arrivals of a flooded query come on several reactor threads at once;
// exactly one of them runs it.
TEST_F(ExecutionRegistryTest, ConcurrentArrivalsHaveOneFirst) {
  constexpr int kThreads = 4;
  constexpr int kQueries = 200;
  std::atomic<int> firsts{0};
  std::atomic<int> agains{0};
  std::vector<std::vector<std::shared_ptr<LocalExecution>>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kQueries; ++i) {
        auto [arrival, execution] =
            registry_.Arrive("q" + std::to_string(i), At(1000));
        if (arrival == Arrival::kFirst) firsts.fetch_add(1);
        if (arrival == Arrival::kAgain) agains.fetch_add(1);
        seen[t].push_back(execution);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(firsts.load(), kQueries);
  EXPECT_EQ(agains.load(), (kThreads - 1) * kQueries);
  EXPECT_EQ(registry_.size(), kQueries);
  for (int i = 0; i < kQueries; ++i) {
    for (int t = 1; t < kThreads; ++t) {
      ASSERT_EQ(seen[t][i], seen[0][i]) << "q" << i << " ran twice";
    }
    // Every arrival joined once.
    for (int t = 0; t < kThreads - 1; ++t) {
      EXPECT_FALSE(seen[0][i]->Leave(false));
    }
    EXPECT_TRUE(seen[0][i]->Leave(false));
  }
}

// Records of finished runs stay for arrivals along slower paths, within a
// budget; past it the oldest idle run's go, and that query runs again.
TEST(ExecutionRegistryRetentionTest, RecordsOfIdleRunsStayWithinTheBudget) {
  FakeClock clock;
  ExecutionRegistry registry(&clock);
  const int64_t keep = clock.NowNanos() + 1'000'000'000;
  const size_t size = ExecutionRegistry::kRetainedRecordBytes / 4 + 1;
  std::vector<std::shared_ptr<LocalExecution>> runs;
  for (int i = 0; i < 4; ++i) {
    auto [arrival, run] = registry.Arrive("q" + std::to_string(i), keep);
    ASSERT_EQ(arrival, ExecutionRegistry::Arrival::kFirst);
    ExecutionOutcome outcome;
    outcome.records = 1;
    outcome.has_inline_records = true;
    outcome.inline_records =
        std::make_shared<const std::string>(std::string(size, 'x'));
    run->Finish(std::move(outcome));
    EXPECT_FALSE(registry.Leave(run, /*delivered=*/true));
    runs.push_back(run);
  }
  // Four quarters and a bit: the oldest run gave its records up.
  EXPECT_TRUE(runs[0]->outcome().drained);
  for (int i = 1; i < 4; ++i) {
    EXPECT_FALSE(runs[i]->outcome().drained) << i;
  }
  // A late arrival of a run that still has its records joins it...
  auto [again, same] = registry.Arrive("q3", keep);
  EXPECT_EQ(again, ExecutionRegistry::Arrival::kAgain);
  EXPECT_EQ(same, runs[3]);
  // ...one whose records went runs the query anew.
  auto [anew, fresh] = registry.Arrive("q0", keep);
  EXPECT_EQ(anew, ExecutionRegistry::Arrival::kFirst);
  EXPECT_NE(fresh, runs[0]);
}

TEST(ExecutionRegistryRetentionTest, ARunWantedAgainKeepsItsRecords) {
  FakeClock clock;
  ExecutionRegistry registry(&clock);
  const int64_t keep = clock.NowNanos() + 1'000'000'000;
  auto [arrival, run] = registry.Arrive("q", keep);
  ExecutionOutcome outcome;
  outcome.has_inline_records = true;
  outcome.inline_records = std::make_shared<const std::string>(
      std::string(ExecutionRegistry::kRetainedRecordBytes / 2 + 1, 'x'));
  run->Finish(std::move(outcome));
  EXPECT_FALSE(registry.Leave(run, true));
  auto [again, same] = registry.Arrive("q", keep);  // a slower path
  ASSERT_EQ(again, ExecutionRegistry::Arrival::kAgain);
  // Another run pushes the budget over while q is wanted: q keeps them.
  auto [other_arrival, other] = registry.Arrive("r", keep);
  ExecutionOutcome big;
  big.has_inline_records = true;
  big.inline_records = std::make_shared<const std::string>(
      std::string(ExecutionRegistry::kRetainedRecordBytes / 2 + 1, 'y'));
  other->Finish(std::move(big));
  EXPECT_FALSE(registry.Leave(other, true));
  EXPECT_FALSE(same->outcome().drained);
  EXPECT_NE(same->outcome().inline_records, nullptr);
}

}  // namespace
}  // namespace overlay
