// Copyright 2026 The overlay Authors.

#include "core/reactor/inflight_gate.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace overlay {
namespace {

TEST(InflightGateTest, StartsOpenAndEmpty) {
  InflightGate gate;
  EXPECT_FALSE(gate.closed());
  EXPECT_EQ(gate.in_flight(), 0);
  EXPECT_TRUE(gate.WaitDrained(absl::ZeroDuration()));
}

TEST(InflightGateTest, EnterAndLeaveCount) {
  InflightGate gate;
  ASSERT_TRUE(gate.Enter());
  ASSERT_TRUE(gate.Enter());
  EXPECT_EQ(gate.in_flight(), 2);
  gate.Leave();
  EXPECT_EQ(gate.in_flight(), 1);
  gate.Leave();
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST(InflightGateTest, CloseRefusesNewWorkButKeepsOld) {
  InflightGate gate;
  ASSERT_TRUE(gate.Enter());
  gate.Close();
  EXPECT_TRUE(gate.closed());
  EXPECT_FALSE(gate.Enter());
  EXPECT_EQ(gate.in_flight(), 1);  // the refused Enter() did not count
  gate.Leave();
  EXPECT_EQ(gate.in_flight(), 0);
  EXPECT_FALSE(gate.Enter());  // still closed once drained
}

TEST(InflightGateTest, CloseIsIdempotent) {
  InflightGate gate;
  gate.Close();
  gate.Close();
  EXPECT_TRUE(gate.closed());
  EXPECT_TRUE(gate.WaitDrained(absl::ZeroDuration()));
}

TEST(InflightGateTest, WaitDrainedTimesOutWhileWorkIsInFlight) {
  InflightGate gate;
  ASSERT_TRUE(gate.Enter());
  gate.Close();
  EXPECT_FALSE(gate.WaitDrained(absl::Milliseconds(1)));
  gate.Leave();
  EXPECT_TRUE(gate.WaitDrained(absl::ZeroDuration()));
}

TEST(InflightGateTest, WaitDrainedWakesWhenTheLastCallLeaves) {
  InflightGate gate;
  ASSERT_TRUE(gate.Enter());
  ASSERT_TRUE(gate.Enter());
  gate.Close();
  absl::Notification waiting;
  std::thread leaver([&] {
    waiting.WaitForNotification();
    gate.Leave();
    gate.Leave();
  });
  waiting.Notify();
  // The bound is a failure bound only: the wake-up comes from Leave().
  EXPECT_TRUE(gate.WaitDrained(absl::Seconds(30)));
  EXPECT_EQ(gate.in_flight(), 0);
  leaver.join();
}

TEST(InflightGateTest, ManyThreadsBalance) {
  InflightGate gate;
  constexpr int kThreads = 4;
  constexpr int kRounds = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (gate.Enter()) gate.Leave();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(gate.in_flight(), 0);
}

}  // namespace
}  // namespace overlay
