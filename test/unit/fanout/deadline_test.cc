// Copyright 2026 The overlay Authors.

#include "core/fanout/deadline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "core/common/clock.h"
#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000 * kMs;

TEST(HopMarginTest, APercentOfTheTimeLeftClampedToTheBounds) {
  const HopBudget budget;  // 5%, between 2 ms and 100 ms
  EXPECT_EQ(HopMargin(1 * kSecond, budget), 50 * kMs);    // 5%
  EXPECT_EQ(HopMargin(400 * kMs, budget), 20 * kMs);      // 5%
  EXPECT_EQ(HopMargin(10 * kMs, budget), 2 * kMs);        // min
  EXPECT_EQ(HopMargin(1, budget), 2 * kMs);               // min
  EXPECT_EQ(HopMargin(0, budget), 2 * kMs);               // min
  EXPECT_EQ(HopMargin(60 * kSecond, budget), 100 * kMs);  // max
  EXPECT_EQ(HopMargin(2 * kSecond, budget), 100 * kMs);   // exactly max
  EXPECT_EQ(HopMargin(40 * kMs, budget), 2 * kMs);        // exactly min
}

TEST(HopMarginTest, TheBudgetsKnobsAreUsed) {
  HopBudget budget;
  budget.margin_percent = 10;
  budget.min_margin_nanos = 5 * kMs;
  budget.max_margin_nanos = 1 * kSecond;
  EXPECT_EQ(HopMargin(2 * kSecond, budget), 200 * kMs);
  EXPECT_EQ(HopMargin(20 * kMs, budget), 5 * kMs);
  EXPECT_EQ(HopMargin(60 * kSecond, budget), 1 * kSecond);
  budget.margin_percent = 0;
  EXPECT_EQ(HopMargin(60 * kSecond, budget), 5 * kMs);
}

TEST(ChildDeadlineTest, TheParentMinusTheMargin) {
  const HopBudget budget;  // cap 5 s
  const int64_t now = 1000 * kSecond;
  EXPECT_EQ(ChildDeadline(now, now + 1 * kSecond, budget),
            now + 1 * kSecond - 50 * kMs);
  EXPECT_EQ(ChildDeadline(now, now + 400 * kMs, budget), now + 380 * kMs);
  EXPECT_EQ(ChildDeadline(now, now + 3 * kSecond, budget),
            now + 3 * kSecond - 100 * kMs);
}

TEST(ChildDeadlineTest, TheCapBindsAFarParent) {
  HopBudget budget;
  budget.cap_nanos = 2 * kSecond;
  const int64_t now = 1000 * kSecond;
  EXPECT_EQ(ChildDeadline(now, now + 60 * kSecond, budget), now + 2 * kSecond);
  // Right where the two meet: parent - margin == now + cap.
  EXPECT_EQ(ChildDeadline(now, now + 2 * kSecond + 100 * kMs, budget),
            now + 2 * kSecond);
  EXPECT_EQ(ChildDeadline(now, now + 2 * kSecond + 99 * kMs, budget),
            now + 2 * kSecond - 1 * kMs);
}

TEST(ChildDeadlineTest, NoParentDeadlineGetsTheCap) {
  HopBudget budget;
  budget.cap_nanos = 3 * kSecond;
  EXPECT_EQ(ChildDeadline(7 * kSecond, kNoDeadline, budget), 10 * kSecond);
  // A cap that would overflow is no deadline at all.
  budget.cap_nanos = kNoDeadline;
  EXPECT_EQ(ChildDeadline(7 * kSecond, kNoDeadline, budget), kNoDeadline);
  EXPECT_EQ(ChildDeadline(7 * kSecond, 9 * kSecond, budget),
            9 * kSecond - 100 * kMs);
  EXPECT_EQ(ChildDeadline(kNoDeadline - 1, kNoDeadline, HopBudget()),
            kNoDeadline);
}

TEST(ChildDeadlineTest, AnExpiredParentLeavesNothing) {
  const HopBudget budget;
  const int64_t now = 1000 * kSecond;
  EXPECT_EQ(ChildDeadline(now, now, budget), now);
  EXPECT_EQ(ChildDeadline(now, now - 1, budget), now);
  EXPECT_EQ(ChildDeadline(now, now - 60 * kSecond, budget), now);
  // Time left, but less than the margin: never earlier than now.
  EXPECT_EQ(ChildDeadline(now, now + 1, budget), now);
  EXPECT_EQ(ChildDeadline(now, now + 2 * kMs, budget), now);
  EXPECT_EQ(ChildDeadline(now, now + 2 * kMs + 1, budget), now + 1);
}

TEST(ChildDeadlineTest, EveryHopGetsLessThanItsParent) {
  // A chain of hops, each deriving its children's deadline from its own.
  const HopBudget budget;
  const int64_t start = 1000 * kSecond;
  int64_t deadline = start + 1 * kSecond;
  for (int hop = 0; hop < 10; ++hop) {
    const int64_t child = ChildDeadline(start, deadline, budget);
    EXPECT_LT(child, deadline) << "hop " << hop;
    EXPECT_GE(child, start);
    deadline = child;
  }
}

TEST(SystemDeadlineTest, NoDeadlineBothWays) {
  FakeClock clock;
  EXPECT_EQ(ToSystemDeadline(clock, kNoDeadline),
            std::chrono::system_clock::time_point::max());
  EXPECT_EQ(
      FromSystemDeadline(clock, std::chrono::system_clock::time_point::max()),
      kNoDeadline);
  // gRPC's "no deadline" is a time point far in the future.
  EXPECT_EQ(FromSystemDeadline(clock, std::chrono::system_clock::now() +
                                          std::chrono::hours(24 * 366)),
            kNoDeadline);
}

// On a FakeClock the clock stands still, so the only error is the real time
// that passes between the two conversions: bracket it, so the test holds on
// a loaded machine too, and expect it under a millisecond otherwise.
TEST(SystemDeadlineTest, ConversionsRoundTripWithinAMillisecond) {
  FakeClock clock(5'000 * kSecond);  // any Clock: only differences matter
  for (int64_t offset : {int64_t{0}, 1 * kMs, 250 * kMs, 3 * kSecond,
                         -2 * kSecond, 3600 * kSecond}) {
    const int64_t at = clock.NowNanos() + offset;
    const auto before = std::chrono::system_clock::now();
    const auto system = ToSystemDeadline(clock, at);
    const int64_t back = FromSystemDeadline(clock, system);
    const auto after = std::chrono::system_clock::now();
    const int64_t elapsed =
        std::chrono::duration_cast<std::chrono::nanoseconds>(after - before)
            .count();
    // `system` is `offset` after a reading taken between before and after.
    EXPECT_GE(system, before + std::chrono::nanoseconds(offset)) << offset;
    EXPECT_LE(system, after + std::chrono::nanoseconds(offset)) << offset;
    // `back` loses exactly the time between the conversions' readings.
    EXPECT_LE(back, at) << offset;
    EXPECT_GE(back, at - elapsed) << offset;
    EXPECT_LE(at - back, std::max<int64_t>(1 * kMs, elapsed)) << offset;
  }
}

TEST(SystemDeadlineTest, RealClockRoundTrip) {
  Clock* clock = RealClock::Get();
  const int64_t at = clock->NowNanos() + 1500 * kMs;
  const int64_t back = FromSystemDeadline(*clock, ToSystemDeadline(*clock, at));
  EXPECT_LT(std::abs(back - at), 1 * kMs);
}

}  // namespace
}  // namespace overlay
