// Copyright 2026 The overlay Authors.

#include "core/results/result_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "core/results/result_memory.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kTtl = 100 * kMs;
constexpr int64_t kPlenty = int64_t{1} << 30;

// Rows with an exact capacity, so byte accounting is predictable.
RowList Rows(std::initializer_list<uint32_t> rows) {
  RowList list(rows);
  list.shrink_to_fit();
  return list;
}

int64_t BytesOf(const RowList& rows) {
  return static_cast<int64_t>(rows.capacity() * sizeof(uint32_t));
}

// ---- ResultMemory ----

TEST(ResultMemoryTest, TryChargeStaysWithinTheLimit) {
  ResultMemory memory(100);
  EXPECT_EQ(memory.limit(), 100);
  EXPECT_EQ(memory.used(), 0);
  EXPECT_FALSE(memory.full());
  EXPECT_TRUE(memory.TryCharge(60));
  EXPECT_EQ(memory.used(), 60);
  EXPECT_FALSE(memory.TryCharge(41));  // 101 > 100: refused, nothing charged
  EXPECT_EQ(memory.used(), 60);
  EXPECT_TRUE(memory.TryCharge(40));  // exactly the limit fits
  EXPECT_EQ(memory.used(), 100);
  EXPECT_TRUE(memory.full());
  EXPECT_FALSE(memory.TryCharge(1));
  EXPECT_TRUE(memory.TryCharge(0));  // nothing more always fits at the limit
  EXPECT_EQ(memory.used(), 100);
}

TEST(ResultMemoryTest, ChargeAlwaysSucceedsAndTryChargeThenRefuses) {
  ResultMemory memory(100);
  memory.Charge(150);  // bytes that must be kept, past the limit
  EXPECT_EQ(memory.used(), 150);
  EXPECT_TRUE(memory.full());
  EXPECT_FALSE(memory.TryCharge(0));
  EXPECT_FALSE(memory.TryCharge(1));
  memory.Refund(100);
  EXPECT_EQ(memory.used(), 50);
  EXPECT_FALSE(memory.full());
  EXPECT_TRUE(memory.TryCharge(50));
  memory.Refund(100);
  EXPECT_EQ(memory.used(), 0);
}

TEST(ResultMemoryTest, ConcurrentTryChargeNeverOvershootsTheLimit) {
  constexpr int kThreads = 4;
  constexpr int kAttempts = 20'000;
  constexpr int64_t kLimit = 25'000;  // fewer than the 80,000 attempts
  ResultMemory memory(kLimit);
  std::atomic<int64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAttempts; ++i) {
        if (memory.TryCharge(1)) granted.fetch_add(1);
        EXPECT_LE(memory.used(), kLimit);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), kLimit);
  EXPECT_EQ(memory.used(), kLimit);
}

TEST(ResultMemoryTest, ConcurrentChargeAndRefundBalance) {
  ResultMemory memory(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&memory, t] {
      for (int i = 0; i < 10'000; ++i) {
        const int64_t bytes = (i + t) % 97 + 1;
        if (i % 2 == 0) {
          memory.Charge(bytes);
          memory.Refund(bytes);
        } else if (memory.TryCharge(bytes)) {
          memory.Refund(bytes);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(memory.used(), 0);
}

// ---- InMemoryResultStore ----

class ResultStoreTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  ResultMemory memory_{kPlenty};
  InMemoryResultStore store_{&clock_, kTtl, /*max_results=*/3, &memory_};
};

TEST_F(ResultStoreTest, PutThenGetReturnsTheRows) {
  RowList rows = Rows({4, 8, 15, 16, 23, 42});
  ASSERT_OK(store_.Put("q1", rows));
  std::shared_ptr<const RowList> got = store_.Get("q1");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, rows);
  EXPECT_EQ(store_.results_held(), 1);
  EXPECT_EQ(store_.bytes_held(), BytesOf(rows));
  EXPECT_EQ(memory_.used(), BytesOf(rows));  // charged to the node's memory
}

TEST_F(ResultStoreTest, UnknownIdIsNull) {
  EXPECT_EQ(store_.Get("nope"), nullptr);
  EXPECT_FALSE(store_.Release("nope"));
  EXPECT_EQ(store_.results_held(), 0);
  EXPECT_EQ(store_.bytes_held(), 0);
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, EmptyResultIsHeldAndCostsNothing) {
  ASSERT_OK(store_.Put("empty", RowList()));
  std::shared_ptr<const RowList> got = store_.Get("empty");
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(store_.bytes_held(), 0);
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, ReleaseDropsTheResultOnce) {
  ASSERT_OK(store_.Put("q1", Rows({1, 2, 3})));
  EXPECT_TRUE(store_.Release("q1"));
  EXPECT_EQ(store_.Get("q1"), nullptr);
  EXPECT_FALSE(store_.Release("q1"));
  EXPECT_EQ(store_.results_held(), 0);
  EXPECT_EQ(store_.bytes_held(), 0);
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, ReaderKeepsRowsAliveAfterRelease) {
  ASSERT_OK(store_.Put("q1", Rows({7, 9})));
  std::shared_ptr<const RowList> held = store_.Get("q1");
  ASSERT_TRUE(store_.Release("q1"));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, Rows({7, 9}));
  EXPECT_EQ(store_.bytes_held(), 0);  // no longer the store's
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, PutAgainReplacesAndReaccountsBytes) {
  ASSERT_OK(store_.Put("q1", Rows({1, 2, 3, 4, 5, 6, 7, 8})));
  RowList smaller = Rows({9});
  ASSERT_OK(store_.Put("q1", smaller));
  EXPECT_EQ(*store_.Get("q1"), smaller);
  EXPECT_EQ(store_.results_held(), 1);
  EXPECT_EQ(store_.bytes_held(), BytesOf(smaller));
  EXPECT_EQ(memory_.used(), BytesOf(smaller));
}

TEST_F(ResultStoreTest, BytesHeldSumsEveryResultAndReturnsToZero) {
  RowList a = Rows({1, 2, 3});
  RowList b = Rows({4, 5, 6, 7, 8});
  RowList c(1000, 7);
  c.shrink_to_fit();
  ASSERT_OK(store_.Put("a", a));
  ASSERT_OK(store_.Put("b", b));
  ASSERT_OK(store_.Put("c", c));
  EXPECT_EQ(store_.bytes_held(), BytesOf(a) + BytesOf(b) + BytesOf(c));
  EXPECT_EQ(memory_.used(), store_.bytes_held());
  ASSERT_TRUE(store_.Release("b"));
  EXPECT_EQ(store_.bytes_held(), BytesOf(a) + BytesOf(c));
  EXPECT_EQ(memory_.used(), store_.bytes_held());
  clock_.AdvanceNanos(kTtl);
  EXPECT_EQ(store_.ExpireIdle(), 2);
  EXPECT_EQ(store_.bytes_held(), 0);
  EXPECT_EQ(store_.results_held(), 0);
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, ExpiresAfterTheTtlOfDisuse) {
  ASSERT_OK(store_.Put("q1", Rows({1})));
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
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(ResultStoreTest, ExpireIdleKeepsRecentlyUsedResults) {
  ASSERT_OK(store_.Put("old", Rows({1})));
  clock_.AdvanceNanos(kTtl / 2);
  ASSERT_OK(store_.Put("new", Rows({2})));
  clock_.AdvanceNanos(kTtl / 2);
  EXPECT_EQ(store_.ExpireIdle(), 1);
  EXPECT_EQ(store_.Get("old"), nullptr);
  EXPECT_NE(store_.Get("new"), nullptr);
}

// The header promises Get() is null for an expired result; the janitor only
// sweeps once a second, so Get() must not rely on ExpireIdle() having run.
TEST_F(ResultStoreTest, GetOfAnExpiredResultIsNullEvenBeforeTheSweep) {
  ASSERT_OK(store_.Put("q1", Rows({1, 2})));
  clock_.AdvanceNanos(kTtl);
  EXPECT_TRUE(store_.Get("q1") == nullptr)
      << "Get() revived a result idle for a whole TTL";
  EXPECT_EQ(memory_.used(), 0);  // and its bytes went back
}

// The count bound refuses the new result; it never evicts a held one, not
// even the least recently used.
TEST_F(ResultStoreTest, CountBoundRefusesTheNewResultAndEvictsNothing) {
  ASSERT_OK(store_.Put("a", Rows({1})));
  clock_.AdvanceMillis(1);
  ASSERT_OK(store_.Put("b", Rows({2})));
  clock_.AdvanceMillis(1);
  ASSERT_OK(store_.Put("c", Rows({3})));
  clock_.AdvanceMillis(1);
  ASSERT_NE(store_.Get("a"), nullptr);  // "b" is the least recent
  clock_.AdvanceMillis(1);
  const int64_t bytes_before = store_.bytes_held();

  absl::Status status = store_.Put("d", Rows({4, 5}));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_results_held 3"))
      << status;
  EXPECT_EQ(store_.results_held(), 3);
  EXPECT_EQ(store_.Get("d"), nullptr);  // nothing stored
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_NE(store_.Get(id), nullptr) << id << " was evicted";
  }
  EXPECT_EQ(store_.bytes_held(), bytes_before);
  EXPECT_EQ(memory_.used(), bytes_before);

  // Room made by a Release is usable at once.
  ASSERT_TRUE(store_.Release("b"));
  EXPECT_OK(store_.Put("d", Rows({4, 5})));
  EXPECT_EQ(store_.results_held(), 3);
}

TEST_F(ResultStoreTest, ReplacingAResultAtTheCountBoundIsAllowed) {
  ASSERT_OK(store_.Put("a", Rows({1})));
  ASSERT_OK(store_.Put("b", Rows({2})));
  ASSERT_OK(store_.Put("c", Rows({3})));
  EXPECT_OK(store_.Put("b", Rows({20, 21})));  // a re-run, not a new result
  EXPECT_EQ(*store_.Get("b"), Rows({20, 21}));
  EXPECT_EQ(store_.results_held(), 3);
}

TEST(ResultStoreMemoryTest, MemoryBoundRefusesTheNewResultAndEvictsNothing) {
  FakeClock clock;
  // Room for two results of 1,000 rows (4,000 bytes each), not three.
  ResultMemory memory(9000);
  InMemoryResultStore store(&clock, kTtl, /*max_results=*/100, &memory);
  ASSERT_OK(store.Put("a", RowList(1000, 1)));
  clock.AdvanceMillis(1);
  ASSERT_OK(store.Put("b", RowList(1000, 2)));
  clock.AdvanceMillis(1);
  ASSERT_NE(store.Get("a"), nullptr);  // "b" is the least recent
  clock.AdvanceMillis(1);

  absl::Status status = store.Put("c", RowList(1000, 3));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_result_mb")) << status;
  EXPECT_EQ(store.Get("c"), nullptr);
  EXPECT_NE(store.Get("a"), nullptr);
  EXPECT_NE(store.Get("b"), nullptr);
  EXPECT_EQ(store.results_held(), 2);
  EXPECT_EQ(store.bytes_held(), 8000);
  EXPECT_EQ(memory.used(), 8000);

  // One result larger than the whole bound is refused too, never kept by
  // dropping the others.
  status = store.Put("huge", RowList(5000, 4));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(store.results_held(), 2);

  ASSERT_TRUE(store.Release("a"));
  EXPECT_OK(store.Put("c", RowList(1000, 3)));
  EXPECT_EQ(memory.used(), 8000);
}

// The memory is the node's, shared with the portal's prefetched chunks: bytes
// charged by anyone else count against every store.
TEST(ResultStoreMemoryTest, BytesChargedElsewhereCountAgainstTheStore) {
  FakeClock clock;
  ResultMemory memory(10'000);
  InMemoryResultStore first(&clock, kTtl, /*max_results=*/100, &memory);
  InMemoryResultStore second(&clock, kTtl, /*max_results=*/100, &memory);
  ASSERT_OK(first.Put("a", RowList(1000, 1)));  // 4,000
  memory.Charge(4000);                          // e.g. a prefetched chunk
  EXPECT_EQ(second.Put("b", RowList(1000, 2)).code(),
            absl::StatusCode::kResourceExhausted);
  memory.Refund(4000);
  EXPECT_OK(second.Put("b", RowList(1000, 2)));
  EXPECT_EQ(memory.used(), 8000);
  EXPECT_EQ(first.bytes_held() + second.bytes_held(), 8000);
}

TEST(ResultStoreMemoryTest, DestroyingTheStoreRefundsWhatItHeld) {
  FakeClock clock;
  ResultMemory memory(kPlenty);
  memory.Charge(123);  // someone else's
  {
    InMemoryResultStore store(&clock, kTtl, /*max_results=*/10, &memory);
    ASSERT_OK(store.Put("a", RowList(1000, 1)));
    ASSERT_OK(store.Put("b", RowList(10, 1)));
    EXPECT_EQ(memory.used(), 123 + store.bytes_held());
  }
  EXPECT_EQ(memory.used(), 123);
}

TEST(ResultStoreConcurrencyTest, ConcurrentPutGetReleaseBalanceBytes) {
  FakeClock clock;
  ResultMemory memory(kPlenty);
  InMemoryResultStore store(&clock, kTtl, /*max_results=*/1000, &memory);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = std::to_string(t) + "/" + std::to_string(i);
        EXPECT_OK(store.Put(id, RowList(static_cast<size_t>(i % 17 + 1), 1)));
        EXPECT_NE(store.Get(id), nullptr);
        EXPECT_TRUE(store.Release(id));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store.results_held(), 0);
  EXPECT_EQ(store.bytes_held(), 0);
  EXPECT_EQ(memory.used(), 0);
}

// At the bounds, concurrent Puts are refused rather than overshooting.
TEST(ResultStoreConcurrencyTest, ConcurrentPutsNeverExceedTheBounds) {
  FakeClock clock;
  ResultMemory memory(40 * 400);  // 40 results of 100 rows
  InMemoryResultStore store(&clock, kTtl, /*max_results=*/50, &memory);
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::Status status = store.Put(
            std::to_string(t) + "/" + std::to_string(i), RowList(100, 1));
        if (status.ok()) {
          stored.fetch_add(1);
        } else {
          EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), 40);
  EXPECT_EQ(store.results_held(), 40);
  EXPECT_EQ(memory.used(), 40 * 400);
}

}  // namespace
}  // namespace overlay
