// Copyright 2026 The overlay Authors.

#include "core/reactor/timer.h"

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/common/clock.h"
#include "core/reactor/completion_tag.h"
#include "test/test_util/cq_verifier.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/fake_timers.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;
using ::overlay::testing::FakeClock;
using ::overlay::testing::FakeTimers;

constexpr int64_t kMs = 1'000'000;

// The owner of a Timer: records each wake-up, with the clock's reading.
class Sleeper final : public CompletionTag {
 public:
  Sleeper(TimerService* timers, std::string name = "",
          std::vector<std::string>* order = nullptr)
      : timer(timers, this),
        clock_(timers->clock()),
        name_(std::move(name)),
        order_(order) {}
  void Proceed(bool ok) override {
    wakeups.push_back(ok);
    woken_at.push_back(clock_->NowNanos());
    if (order_ != nullptr) order_->push_back(name_);
  }

  Timer timer;
  std::vector<bool> wakeups;
  std::vector<int64_t> woken_at;

 private:
  Clock* const clock_;
  const std::string name_;
  std::vector<std::string>* const order_;
};

class TimerTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }
  grpc::CompletionQueue cq_;
};

// ---- RealTimerService ----

TEST_F(TimerTest, RealServiceIsAProcessWideServiceOnRealTime) {
  TimerService* service = RealTimerService::Get();
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service, RealTimerService::Get());
  EXPECT_EQ(service->clock(), RealClock::Get());
  EXPECT_TRUE(service->follows_real_time());
}

TEST_F(TimerTest, RealTimerFiresAtOrAfterItsTime) {
  TimerService* service = RealTimerService::Get();
  Sleeper sleeper(service);
  const int64_t at = service->clock()->NowNanos() + 20 * kMs;
  sleeper.timer.Set(&cq_, at);
  EXPECT_TRUE(sleeper.timer.set());
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  ASSERT_EQ(sleeper.wakeups, std::vector<bool>({true}));
  EXPECT_GE(sleeper.woken_at[0], at)
      << "fired " << (at - sleeper.woken_at[0]) << " ns early";
  EXPECT_FALSE(sleeper.timer.set());
}

TEST_F(TimerTest, RealTimerInThePastFiresAtOnce) {
  TimerService* service = RealTimerService::Get();
  Sleeper sleeper(service);
  sleeper.timer.Set(&cq_, service->clock()->NowNanos() - 1000 * kMs);
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  Sleeper now(service);
  now.timer.Set(&cq_, service->clock()->NowNanos());
  CqVerifier().Expect(&now.timer, true).Verify(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({true}));
  EXPECT_EQ(now.wakeups, std::vector<bool>({true}));
}

TEST_F(TimerTest, RealTimerCancelGivesOkFalseExactlyOnce) {
  TimerService* service = RealTimerService::Get();
  Sleeper sleeper(service);
  // An hour away: only Cancel() can bring it back within the test.
  sleeper.timer.Set(&cq_, service->clock()->NowNanos() + 3'600'000 * kMs);
  sleeper.timer.Cancel();
  CqVerifier().Expect(&sleeper.timer, false).Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({false}));
  EXPECT_FALSE(sleeper.timer.set());
  sleeper.timer.Cancel();  // not set: harmless
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(sleeper.wakeups.size(), 1u);
}

TEST_F(TimerTest, RealTimerCanBeSetAgainAfterItCameBack) {
  TimerService* service = RealTimerService::Get();
  Sleeper sleeper(service);
  sleeper.timer.Set(&cq_, service->clock()->NowNanos() + 3'600'000 * kMs);
  sleeper.timer.Cancel();
  CqVerifier().Expect(&sleeper.timer, false).Verify(&cq_);
  sleeper.timer.Set(&cq_, service->clock()->NowNanos());
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  sleeper.timer.Cancel();  // after it fired: harmless
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({false, true}));
}

// No deadline (kNoDeadline, INT64_MAX on the clock) never comes: the timer
// stays set until cancelled. (Converting it to a wall-clock instant must not
// overflow into the past and fire at once.)
TEST_F(TimerTest, RealTimerAtTheEndOfTimeNeverFires) {
  TimerService* service = RealTimerService::Get();
  Sleeper sleeper(service);
  sleeper.timer.Set(&cq_, INT64_MAX);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_TRUE(sleeper.wakeups.empty());
  sleeper.timer.Cancel();
  CqVerifier().Expect(&sleeper.timer, false).Verify(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({false}));
}

// ---- Timer on FakeTimers ----

class FakeTimerTest : public TimerTest {
 protected:
  int64_t In(int64_t ms) const { return clock_.NowNanos() + ms * kMs; }

  FakeClock clock_;
  FakeTimers timers_{&clock_};
};

TEST_F(FakeTimerTest, FiresOnlyWhenTheClockIsAdvancedToItsTime) {
  EXPECT_FALSE(timers_.follows_real_time());
  EXPECT_EQ(timers_.clock(), &clock_);
  Sleeper sleeper(&timers_);
  const int64_t at = In(100);
  sleeper.timer.Set(&cq_, at);
  EXPECT_EQ(timers_.pending(), 1);
  CqVerifier::VerifyEmpty(&cq_);  // real time passing does nothing
  timers_.AdvanceMillis(99);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_TRUE(sleeper.wakeups.empty());
  timers_.AdvanceMillis(1);  // exactly its time
  EXPECT_EQ(timers_.pending(), 0);
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({true}));
  EXPECT_EQ(sleeper.woken_at[0], at);
  CqVerifier::VerifyEmpty(&cq_);
}

TEST_F(FakeTimerTest, AdvancingPastSeveralFiresThemInTimeOrder) {
  std::vector<std::string> order;
  Sleeper late(&timers_, "late", &order);
  Sleeper early(&timers_, "early", &order);
  Sleeper middle(&timers_, "middle", &order);
  Sleeper beyond(&timers_, "beyond", &order);
  late.timer.Set(&cq_, In(30));
  early.timer.Set(&cq_, In(10));
  middle.timer.Set(&cq_, In(20));
  beyond.timer.Set(&cq_, In(31));
  timers_.AdvanceMillis(30);
  CqVerifier()
      .Expect(&late.timer, true)
      .Expect(&early.timer, true)
      .Expect(&middle.timer, true)
      .Verify(&cq_);
  EXPECT_EQ(order, std::vector<std::string>({"early", "middle", "late"}));
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(timers_.pending(), 1);
  timers_.AdvanceMillis(1);
  CqVerifier().Expect(&beyond.timer, true).Verify(&cq_);
  EXPECT_EQ(order.back(), "beyond");
}

TEST_F(FakeTimerTest, StepwiseAdvanceFiresOneAtATime) {
  Sleeper a(&timers_);
  Sleeper b(&timers_);
  a.timer.Set(&cq_, In(10));
  b.timer.Set(&cq_, In(20));
  timers_.AdvanceMillis(10);
  CqVerifier().Expect(&a.timer, true).Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_TRUE(b.wakeups.empty());
  timers_.AdvanceMillis(10);
  CqVerifier().Expect(&b.timer, true).Verify(&cq_);
}

TEST_F(FakeTimerTest, CancelBeforeItFiresGivesOkFalseOnce) {
  Sleeper sleeper(&timers_);
  sleeper.timer.Set(&cq_, In(100));
  sleeper.timer.Cancel();
  EXPECT_EQ(timers_.pending(), 0);
  CqVerifier().Expect(&sleeper.timer, false).Verify(&cq_);
  timers_.AdvanceMillis(1000);  // its time comes and goes: nothing more
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({false}));
  EXPECT_FALSE(sleeper.timer.set());
}

// Cancel() racing a fire that was already handed to the queue: the fire
// wins, and the target still hears exactly once (ok == true).
TEST_F(FakeTimerTest, CancelAfterItFiredButBeforeDeliveryIsTheFire) {
  Sleeper sleeper(&timers_);
  sleeper.timer.Set(&cq_, In(10));
  timers_.AdvanceMillis(10);
  EXPECT_TRUE(sleeper.timer.set());  // not yet delivered
  sleeper.timer.Cancel();
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({true}));
}

TEST_F(FakeTimerTest, ATimeAlreadyReachedFiresWithoutAdvancing) {
  Sleeper now(&timers_);
  Sleeper past(&timers_);
  now.timer.Set(&cq_, clock_.NowNanos());
  past.timer.Set(&cq_, clock_.NowNanos() - 5 * kMs);
  EXPECT_EQ(timers_.pending(), 0);
  CqVerifier().Expect(&now.timer, true).Expect(&past.timer, true).Verify(&cq_);
}

TEST_F(FakeTimerTest, ATimerCanBeSetAgainAfterItCameBack) {
  Sleeper sleeper(&timers_);
  sleeper.timer.Set(&cq_, In(10));
  sleeper.timer.Cancel();
  CqVerifier().Expect(&sleeper.timer, false).Verify(&cq_);
  sleeper.timer.Set(&cq_, In(10));
  timers_.AdvanceMillis(10);
  CqVerifier().Expect(&sleeper.timer, true).Verify(&cq_);
  EXPECT_EQ(sleeper.wakeups, std::vector<bool>({false, true}));
}

TEST_F(FakeTimerTest, TimersFireOnTheQueueTheyWereSetFor) {
  grpc::CompletionQueue other;
  Sleeper here(&timers_);
  Sleeper there(&timers_);
  here.timer.Set(&cq_, In(5));
  there.timer.Set(&other, In(5));
  timers_.AdvanceMillis(5);
  CqVerifier().Expect(&here.timer, true).Verify(&cq_);
  CqVerifier().Expect(&there.timer, true).Verify(&other);
  CqVerifier::ShutdownAndDrain(&other);
}

}  // namespace
}  // namespace overlay
