// Copyright 2026 The overlay Authors.

#include "core/results/result_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kTtl = 100 * kMs;

// Rows with an exact capacity, so byte accounting is predictable.
RowList Rows(std::initializer_list<uint32_t> rows) {
  RowList list(rows);
  list.shrink_to_fit();
  return list;
}

int64_t BytesOf(const RowList& rows) {
  return static_cast<int64_t>(rows.capacity() * sizeof(uint32_t));
}

class ResultStoreTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  InMemoryResultStore store_{&clock_, kTtl, /*max_results=*/3};
};

TEST_F(ResultStoreTest, PutThenGetReturnsTheRows) {
  RowList rows = Rows({4, 8, 15, 16, 23, 42});
  store_.Put("q1", rows);
  std::shared_ptr<const RowList> got = store_.Get("q1");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, rows);
  EXPECT_EQ(store_.results_held(), 1);
  EXPECT_EQ(store_.bytes_held(), BytesOf(rows));
}

TEST_F(ResultStoreTest, UnknownIdIsNull) {
  EXPECT_EQ(store_.Get("nope"), nullptr);
  EXPECT_FALSE(store_.Release("nope"));
  EXPECT_EQ(store_.results_held(), 0);
  EXPECT_EQ(store_.bytes_held(), 0);
}

TEST_F(ResultStoreTest, EmptyResultIsHeldAndCostsNothing) {
  store_.Put("empty", RowList());
  std::shared_ptr<const RowList> got = store_.Get("empty");
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(store_.bytes_held(), 0);
}

TEST_F(ResultStoreTest, ReleaseDropsTheResultOnce) {
  store_.Put("q1", Rows({1, 2, 3}));
  EXPECT_TRUE(store_.Release("q1"));
  EXPECT_EQ(store_.Get("q1"), nullptr);
  EXPECT_FALSE(store_.Release("q1"));
  EXPECT_EQ(store_.results_held(), 0);
  EXPECT_EQ(store_.bytes_held(), 0);
}

TEST_F(ResultStoreTest, ReaderKeepsRowsAliveAfterRelease) {
  store_.Put("q1", Rows({7, 9}));
  std::shared_ptr<const RowList> held = store_.Get("q1");
  ASSERT_TRUE(store_.Release("q1"));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, Rows({7, 9}));
  EXPECT_EQ(store_.bytes_held(), 0);  // no longer the store's
}

TEST_F(ResultStoreTest, PutAgainReplacesAndReaccountsBytes) {
  store_.Put("q1", Rows({1, 2, 3, 4, 5, 6, 7, 8}));
  RowList smaller = Rows({9});
  store_.Put("q1", smaller);
  EXPECT_EQ(*store_.Get("q1"), smaller);
  EXPECT_EQ(store_.results_held(), 1);
  EXPECT_EQ(store_.bytes_held(), BytesOf(smaller));
}

TEST_F(ResultStoreTest, BytesHeldSumsEveryResultAndReturnsToZero) {
  RowList a = Rows({1, 2, 3});
  RowList b = Rows({4, 5, 6, 7, 8});
  RowList c(1000, 7);
  c.shrink_to_fit();
  store_.Put("a", a);
  store_.Put("b", b);
  store_.Put("c", c);
  EXPECT_EQ(store_.bytes_held(), BytesOf(a) + BytesOf(b) + BytesOf(c));
  ASSERT_TRUE(store_.Release("b"));
  EXPECT_EQ(store_.bytes_held(), BytesOf(a) + BytesOf(c));
  clock_.AdvanceNanos(kTtl);
  EXPECT_EQ(store_.ExpireIdle(), 2);
  EXPECT_EQ(store_.bytes_held(), 0);
  EXPECT_EQ(store_.results_held(), 0);
}

TEST_F(ResultStoreTest, ExpiresAfterTheTtlOfDisuse) {
  store_.Put("q1", Rows({1}));
  clock_.AdvanceNanos(kTtl - 1);
  EXPECT_EQ(store_.ExpireIdle(), 0);
  EXPECT_NE(store_.Get("q1"), nullptr);  // a use: the TTL restarts here
  clock_.AdvanceNanos(kTtl - 1);
  EXPECT_EQ(store_.ExpireIdle(), 0);
  clock_.AdvanceNanos(1);  // exactly one TTL since the Get
  EXPECT_EQ(store_.ExpireIdle(), 1);
  EXPECT_EQ(store_.Get("q1"), nullptr);
  EXPECT_FALSE(store_.Release("q1"));
  EXPECT_EQ(store_.bytes_held(), 0);
}

TEST_F(ResultStoreTest, ExpireIdleKeepsRecentlyUsedResults) {
  store_.Put("old", Rows({1}));
  clock_.AdvanceNanos(kTtl / 2);
  store_.Put("new", Rows({2}));
  clock_.AdvanceNanos(kTtl / 2);
  EXPECT_EQ(store_.ExpireIdle(), 1);
  EXPECT_EQ(store_.Get("old"), nullptr);
  EXPECT_NE(store_.Get("new"), nullptr);
}

// The header promises Get() is null for an expired result; the janitor only
// sweeps once a second, so Get() must not rely on ExpireIdle() having run.
TEST_F(ResultStoreTest, GetOfAnExpiredResultIsNullEvenBeforeTheSweep) {
  store_.Put("q1", Rows({1, 2}));
  clock_.AdvanceNanos(kTtl);
  EXPECT_TRUE(store_.Get("q1") == nullptr)
      << "Get() revived a result idle for a whole TTL";
}

TEST_F(ResultStoreTest, LeastRecentlyUsedIsDroppedPastTheBound) {
  store_.Put("a", Rows({1}));
  clock_.AdvanceMillis(1);
  store_.Put("b", Rows({2}));
  clock_.AdvanceMillis(1);
  store_.Put("c", Rows({3}));
  clock_.AdvanceMillis(1);
  ASSERT_NE(store_.Get("a"), nullptr);  // "b" is now the least recent
  clock_.AdvanceMillis(1);
  store_.Put("d", Rows({4, 5}));
  EXPECT_EQ(store_.results_held(), 3);
  EXPECT_EQ(store_.Get("b"), nullptr);
  EXPECT_NE(store_.Get("a"), nullptr);
  EXPECT_NE(store_.Get("c"), nullptr);
  EXPECT_NE(store_.Get("d"), nullptr);
  EXPECT_EQ(store_.bytes_held(),
            BytesOf(Rows({1})) + BytesOf(Rows({3})) + BytesOf(Rows({4, 5})));
}

TEST_F(ResultStoreTest, ConcurrentPutGetReleaseBalanceBytes) {
  FakeClock clock;
  InMemoryResultStore store(&clock, kTtl, /*max_results=*/1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = std::to_string(t) + "/" + std::to_string(i);
        store.Put(id, RowList(static_cast<size_t>(i % 17 + 1), 1));
        EXPECT_NE(store.Get(id), nullptr);
        EXPECT_TRUE(store.Release(id));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store.results_held(), 0);
  EXPECT_EQ(store.bytes_held(), 0);
}

TEST(SeenQueriesTest, FirstSightingOnlyOnce) {
  FakeClock clock;
  SeenQueries seen(&clock, kTtl);
  EXPECT_TRUE(seen.FirstSighting("q1"));
  EXPECT_FALSE(seen.FirstSighting("q1"));
  EXPECT_FALSE(seen.FirstSighting("q1"));
  EXPECT_TRUE(seen.FirstSighting("q2"));
}

TEST(SeenQueriesTest, ExpireOldForgetsAfterTheTtl) {
  FakeClock clock;
  SeenQueries seen(&clock, kTtl);
  ASSERT_TRUE(seen.FirstSighting("q1"));
  clock.AdvanceNanos(kTtl / 2);
  ASSERT_TRUE(seen.FirstSighting("q2"));
  EXPECT_FALSE(seen.FirstSighting("q1"));  // a repeat does not refresh it
  clock.AdvanceNanos(kTtl / 2 - 1);
  EXPECT_EQ(seen.ExpireOld(), 0);
  clock.AdvanceNanos(1);  // q1 is one TTL old
  EXPECT_EQ(seen.ExpireOld(), 1);
  EXPECT_TRUE(seen.FirstSighting("q1"));
  EXPECT_FALSE(seen.FirstSighting("q2"));
  clock.AdvanceNanos(kTtl);
  EXPECT_EQ(seen.ExpireOld(), 2);
}

TEST(ResultStoreBytesTest, ByteBoundDropsLeastRecentlyUsed) {
  FakeClock clock;
  // Room for two results of 1,000 rows (4,000 bytes each), not three.
  InMemoryResultStore store(&clock, kTtl, /*max_results=*/100,
                            /*max_bytes=*/9000);
  store.Put("a", RowList(1000, 1));
  clock.AdvanceMillis(1);
  store.Put("b", RowList(1000, 2));
  clock.AdvanceMillis(1);
  ASSERT_NE(store.Get("a"), nullptr);  // a is now more recent than b
  clock.AdvanceMillis(1);
  store.Put("c", RowList(1000, 3));
  EXPECT_EQ(store.Get("b"), nullptr);
  EXPECT_NE(store.Get("a"), nullptr);
  EXPECT_NE(store.Get("c"), nullptr);
  EXPECT_LE(store.bytes_held(), 9000);
  // One result larger than the bound is still kept: it is being served.
  store.Put("huge", RowList(5000, 4));
  EXPECT_NE(store.Get("huge"), nullptr);
  EXPECT_EQ(store.results_held(), 1);
}

TEST(SeenQueriesTest, ConcurrentSightingsHaveOneWinner) {
  FakeClock clock;
  SeenQueries seen(&clock, kTtl);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (seen.FirstSighting("q" + std::to_string(i))) winners.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 100);
}

}  // namespace
}  // namespace overlay
