// Copyright 2026 The overlay Authors.
//
// CoDel's verdicts, driven by hand with explicit times (no clock).

#include "core/admission/codel.h"

#include <gtest/gtest.h>

namespace overlay {
namespace {

constexpr int64_t kMs = 1'000'000;

// Drives `codel` (5 ms / 100 ms) through an interval in which every request
// waited 20 ms; returns the time just after it, when it is overloaded.
int64_t StandingInterval(CoDel& codel) {
  int64_t now = 0;
  for (; now <= 100 * kMs; now += 10 * kMs) codel.OnDequeue(now, 20 * kMs);
  return now;
}

TEST(CoDelTest, ShortWaitsNeverOverload) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = 0;
  for (int i = 0; i < 1000; ++i, now += 1 * kMs) {
    EXPECT_FALSE(codel.OnDequeue(now, 4 * kMs)) << i;
  }
  EXPECT_FALSE(codel.Overloaded(now, /*queue_empty=*/false));
}

TEST(CoDelTest, AStandingQueueForAnIntervalOverloadsAndSheds) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = 0;
  // A whole interval in which every request waited 20 ms: shed nothing
  // yet (no verdict during the first interval).
  for (; now < 100 * kMs; now += 10 * kMs) {
    EXPECT_FALSE(codel.OnDequeue(now, 20 * kMs));
  }
  // The interval is over: overloaded. Requests past the target are shed,
  // those within it are not.
  EXPECT_TRUE(codel.OnDequeue(now, 20 * kMs));
  EXPECT_FALSE(codel.OnDequeue(now, 5 * kMs));  // not past the target
  EXPECT_TRUE(codel.overloaded());
}

TEST(CoDelTest, OneShortWaitInAnIntervalClearsTheVerdict) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = StandingInterval(codel);
  EXPECT_TRUE(codel.overloaded());
  // One request admitted at once (delay 0) in the next interval...
  codel.OnDequeue(now + kMs, 0);
  for (now += 10 * kMs; now < 210 * kMs; now += 10 * kMs) {
    codel.OnDequeue(now, 20 * kMs);
  }
  // ...means the queue drained at some point: not overloaded any more
  // (until the waits since 120 ms have been long for a whole interval).
  EXPECT_FALSE(codel.OnDequeue(now, 20 * kMs));
  EXPECT_FALSE(codel.overloaded());
}

TEST(CoDelTest, AQueueThatStandsMidWindowOverloadsOneIntervalLater) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = 0;
  // The window starts with short waits; the queue stands from 50 ms on.
  for (; now < 50 * kMs; now += 10 * kMs) codel.OnDequeue(now, 1 * kMs);
  for (; now < 150 * kMs; now += 10 * kMs) {
    EXPECT_FALSE(codel.OnDequeue(now, 20 * kMs)) << now / kMs;
  }
  // 100 ms of long waits since 50 ms: overloaded at 150 ms, not at the end
  // of the window after next (200 ms).
  EXPECT_TRUE(codel.OnDequeue(now, 20 * kMs));
  EXPECT_TRUE(codel.Overloaded(now + kMs, /*queue_empty=*/false));
  // One wait within the target breaks the run: a new one needs a whole
  // interval again (and the verdict ends at a window with that short wait).
  CoDel other(5 * kMs, 100 * kMs);
  now = 0;
  for (; now < 90 * kMs; now += 10 * kMs) other.OnDequeue(now, 20 * kMs);
  other.OnDequeue(now, 1 * kMs);  // 90 ms
  for (now += 10 * kMs; now < 200 * kMs; now += 10 * kMs) {
    EXPECT_FALSE(other.OnDequeue(now, 20 * kMs)) << now / kMs;
  }
  // 200 ms: 100 ms since the first long wait after the short one.
  EXPECT_TRUE(other.OnDequeue(now, 20 * kMs));
}

TEST(CoDelTest, ASilenceBreaksARunOfLongWaits) {
  CoDel codel(5 * kMs, 100 * kMs);
  // A window with a short wait (no verdict), ending on a long one...
  codel.OnDequeue(0, 1 * kMs);
  codel.OnDequeue(50 * kMs, 20 * kMs);
  // ...then nothing leaves the queue for 350 ms. The next long wait starts
  // a run of its own: it is not one that began at 50 ms.
  EXPECT_FALSE(codel.OnDequeue(400 * kMs, 20 * kMs));
  EXPECT_FALSE(codel.overloaded());
  for (int64_t now = 410 * kMs; now < 500 * kMs; now += 10 * kMs) {
    EXPECT_FALSE(codel.OnDequeue(now, 20 * kMs)) << now / kMs;
  }
  EXPECT_TRUE(codel.OnDequeue(500 * kMs, 20 * kMs));  // 100 ms of them
}

TEST(CoDelTest, AnIntervalWithoutDequeuesKeepsTheVerdictUnlessEmpty) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = StandingInterval(codel);
  ASSERT_TRUE(codel.overloaded());
  now += 150 * kMs;  // nothing left the queue for an interval
  EXPECT_TRUE(codel.Overloaded(now, /*queue_empty=*/false));
  now += 150 * kMs;
  EXPECT_FALSE(codel.Overloaded(now, /*queue_empty=*/true));
}

TEST(CoDelTest, TurningWorkAwayKeepsTheVerdict) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = StandingInterval(codel);
  ASSERT_TRUE(codel.overloaded());
  // The refusals keep the queue short: what is let in waits 1 ms, and one
  // is admitted at once. While work is turned away every interval...
  for (int interval = 0; interval < 5; ++interval) {
    codel.OnDequeue(now, 0);
    for (int i = 0; i < 10; ++i, now += 10 * kMs) {
      codel.OnTurnedAway(now);
      EXPECT_TRUE(codel.OnDequeue(now, 6 * kMs)) << interval << " " << i;
      EXPECT_FALSE(codel.OnDequeue(now, 1 * kMs));
    }
  }
  EXPECT_TRUE(codel.Overloaded(now, /*queue_empty=*/false));
  // ...the overload goes on; an interval with short waits and nothing
  // turned away ends it.
  for (int i = 0; i < 20; ++i, now += 10 * kMs) codel.OnDequeue(now, 1 * kMs);
  EXPECT_FALSE(codel.OnDequeue(now, 6 * kMs));
  EXPECT_FALSE(codel.overloaded());
}

TEST(CoDelTest, ACalmWaitLetsTheShortestWaitDecideDespiteRefusals) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = StandingInterval(codel);
  ASSERT_TRUE(codel.overloaded());
  // One client is still refused (so what it gets in waits 2 ms), but
  // another's request, never turned away, waited 1 ms: the node as a whole
  // has no standing queue.
  for (int i = 0; i < 20; ++i, now += 10 * kMs) {
    codel.OnTurnedAway(now);
    codel.OnDequeue(now, 2 * kMs);
    if (i == 3) {
      codel.OnDequeue(now, 1 * kMs);
      codel.OnCalmWait(now);
    }
  }
  EXPECT_FALSE(codel.overloaded());
}

TEST(CoDelTest, TurningWorkAwayDoesNotStartAnOverload) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = 0;
  for (int i = 0; i < 50; ++i, now += 10 * kMs) {
    codel.OnTurnedAway(now);
    EXPECT_FALSE(codel.OnDequeue(now, 1 * kMs)) << i;
  }
  EXPECT_FALSE(codel.overloaded());
}

TEST(CoDelTest, AClassBackFromIdleIsNotOverloaded) {
  CoDel codel(5 * kMs, 100 * kMs);
  int64_t now = StandingInterval(codel);
  codel.OnTurnedAway(now);
  ASSERT_TRUE(codel.overloaded());
  // Its last interval turned work away, but a whole silent interval has
  // passed since, with nothing queued.
  now += 1000 * kMs;
  EXPECT_FALSE(codel.Overloaded(now, /*queue_empty=*/true));
}

}  // namespace
}  // namespace overlay
