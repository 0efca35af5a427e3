// Copyright 2026 The overlay Authors.

#include "core/reactor/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace overlay {
namespace {

TEST(WorkerPoolTest, RunsEverySubmittedItem) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(3);
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
    }
    pool.Stop();
    EXPECT_EQ(ran.load(), 500);
    EXPECT_EQ(pool.queued(), 0);
  }
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, UsesSeveralThreads) {
  WorkerPool pool(2);
  // Two items that each wait for the other: only two threads can finish.
  absl::Notification first_started;
  absl::Notification second_started;
  absl::Mutex mu;
  std::set<std::thread::id> ids;
  ASSERT_TRUE(pool.Submit([&] {
    first_started.Notify();
    second_started.WaitForNotification();
    absl::MutexLock lock(&mu);
    ids.insert(std::this_thread::get_id());
  }));
  ASSERT_TRUE(pool.Submit([&] {
    second_started.Notify();
    first_started.WaitForNotification();
    absl::MutexLock lock(&mu);
    ids.insert(std::this_thread::get_id());
  }));
  pool.Stop();
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
}

TEST(WorkerPoolTest, ZeroThreadsMeansOne) {
  std::atomic<int> ran{0};
  WorkerPool pool(0);
  ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
  pool.Stop();
  EXPECT_EQ(ran.load(), 1);
}

TEST(WorkerPoolTest, SubmitAfterStopIsRefusedAndDropped) {
  std::atomic<int> ran{0};
  WorkerPool pool(1);
  pool.Stop();
  EXPECT_FALSE(pool.Submit([&ran] { ran.fetch_add(1); }));
  EXPECT_EQ(pool.queued(), 0);
  pool.Stop();  // a second Stop() is harmless
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkerPoolTest, StopRunsWhatIsQueued) {
  WorkerPool pool(1);
  absl::Notification blocker_started;
  absl::Notification release_blocker;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.Submit([&] {
    blocker_started.Notify();
    release_blocker.WaitForNotification();
  }));
  blocker_started.WaitForNotification();
  // The only worker is busy: these stay queued.
  int submitted = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
    ++submitted;
  }
  EXPECT_EQ(pool.queued(), 10);

  std::thread stopper([&pool] { pool.Stop(); });
  // Stop() is under way once Submit() is refused; until then more items may
  // still be accepted, and they must run too.
  while (pool.Submit([&ran] { ran.fetch_add(1); })) {
    ++submitted;
    std::this_thread::yield();
  }
  release_blocker.Notify();
  stopper.join();
  EXPECT_EQ(ran.load(), submitted);
  EXPECT_EQ(pool.queued(), 0);
}

TEST(WorkerPoolTest, DestructorStopsAndDrains) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(WorkerPoolTest, SubmitFromManyThreads) {
  std::atomic<int> ran{0};
  WorkerPool pool(2);
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        EXPECT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
      }
    });
  }
  for (std::thread& thread : submitters) thread.join();
  pool.Stop();
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace
}  // namespace overlay
