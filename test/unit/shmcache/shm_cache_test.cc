// Copyright 2026 The overlay Authors.
//
// ShmCache behaviour in one process: round trips, TTL on a FakeClock,
// Sweep, eviction within the segment's size, counters, duplicate
// resolution and the writer lease, through one or several mappings.

#include "core/shmcache/shm_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "core/shmcache/posix_api.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/shmcache/shm_test_util.h"

namespace overlay {
namespace {

using ::overlay::testing::CheckValue;
using ::overlay::testing::FakeClock;
using ::overlay::testing::KeyName;
using ::overlay::testing::MakeValue;
using ::overlay::testing::ScopedSegment;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;

std::unique_ptr<ShmCache> OpenOrDie(const ShmCacheOptions& options,
                                    Clock* clock) {
  absl::StatusOr<std::unique_ptr<ShmCache>> cache =
      ShmCache::CreateOrAttach(options, PosixApi::Real(), clock);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? *std::move(cache) : nullptr;
}

class ShmCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = OpenOrDie(options(), &clock_);
    ASSERT_NE(cache_, nullptr);
  }
  // 1 MiB; enough buckets that the tests' few keys never overflow a set.
  ShmCacheOptions options() const {
    ShmCacheOptions options = segment_.options();
    options.bucket_count = 1024;
    return options;
  }

  ScopedSegment segment_{"cache"};
  FakeClock clock_;
  std::unique_ptr<ShmCache> cache_;
};

TEST_F(ShmCacheTest, RoundTripsBinaryEmptyAndMissingValues) {
  const std::string binary("a\0b\xff\0", 5);
  ASSERT_OK(cache_->Put("binary", binary, kMinute));
  ASSERT_OK(cache_->Put("empty", "", kMinute));
  std::string out = "stale";
  ASSERT_TRUE(cache_->Get("binary", &out));
  EXPECT_EQ(out, binary);
  ASSERT_TRUE(cache_->Get("empty", &out));
  EXPECT_EQ(out, "");
  out = "stale";
  EXPECT_FALSE(cache_->Get("missing", &out));
  EXPECT_EQ(out, "");  // cleared on a miss
}

TEST_F(ShmCacheTest, ContainsSeesLiveEntriesOnlyAndCountsNothing) {
  EXPECT_FALSE(cache_->Contains("k"));
  ASSERT_OK(cache_->Put("k", "value", kMinute));
  const ShmCacheStats before = cache_->stats();
  EXPECT_TRUE(cache_->Contains("k"));
  EXPECT_FALSE(cache_->Contains("other"));
  const ShmCacheStats after = cache_->stats();
  EXPECT_EQ(after.process.hits, before.process.hits);
  EXPECT_EQ(after.process.misses, before.process.misses);
  clock_.AdvanceNanos(kMinute);  // expired
  EXPECT_FALSE(cache_->Contains("k"));
  ASSERT_OK(cache_->Put("k", "value", kMinute));
  EXPECT_TRUE(cache_->Erase("k"));
  EXPECT_FALSE(cache_->Contains("k"));
}

TEST(ShmCacheLargeTest, RoundTripsChunkSizedValues) {
  ScopedSegment segment("large");
  FakeClock clock;
  auto cache = OpenOrDie(segment.options(uint64_t{8} << 20), &clock);
  ASSERT_NE(cache, nullptr);
  for (const size_t size : {size_t{300}, size_t{64 * 1024}, size_t{700 * 1024},
                            size_t{1536 * 1024}}) {
    const std::string value = MakeValue(static_cast<uint32_t>(size), 1, size);
    ASSERT_OK(cache->Put(KeyName(size), value, kMinute));
    std::string out;
    ASSERT_TRUE(cache->Get(KeyName(size), &out)) << size;
    EXPECT_TRUE(CheckValue(out, static_cast<uint32_t>(size))) << size;
  }
}

TEST_F(ShmCacheTest, OverwriteReturnsTheNewestValue) {
  ASSERT_OK(cache_->Put("k", "one", kMinute));
  ASSERT_OK(cache_->Put("k", "two", kMinute));
  std::string out;
  ASSERT_TRUE(cache_->Get("k", &out));
  EXPECT_EQ(out, "two");
  EXPECT_EQ(cache_->stats().entries, 1);
}

TEST_F(ShmCacheTest, EraseRemovesOnlyThatKey) {
  ASSERT_OK(cache_->Put("a", "1", kMinute));
  ASSERT_OK(cache_->Put("b", "2", kMinute));
  EXPECT_TRUE(cache_->Erase("a"));
  EXPECT_FALSE(cache_->Erase("a"));
  std::string out;
  EXPECT_FALSE(cache_->Get("a", &out));
  EXPECT_TRUE(cache_->Get("b", &out));
}

TEST_F(ShmCacheTest, RejectsOversizedValuesAndNonPositiveTtls) {
  const std::string too_big(cache_->max_value_bytes() + 1, 'x');
  EXPECT_EQ(cache_->Put("k", too_big, kMinute).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache_->Put("k", "v", 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache_->Put("k", "v", -1).code(),
            absl::StatusCode::kInvalidArgument);
  std::string out;
  EXPECT_FALSE(cache_->Get("k", &out));
  EXPECT_OK(
      cache_->Put("k", std::string(cache_->max_value_bytes(), 'x'), kMinute));
}

TEST_F(ShmCacheTest, EntriesExpireOnTheFakeClockInEveryMapping) {
  FakeClock other_clock(clock_.NowNanos());  // another process's view
  auto other = OpenOrDie(options(), &other_clock);
  ASSERT_NE(other, nullptr);
  ASSERT_OK(cache_->Put("k", "v", 5 * kSecond));
  std::string out;
  clock_.AdvanceNanos(5 * kSecond - 1);
  other_clock.AdvanceNanos(5 * kSecond - 1);
  EXPECT_TRUE(cache_->Get("k", &out));
  EXPECT_TRUE(other->Get("k", &out));
  clock_.AdvanceNanos(1);
  other_clock.AdvanceNanos(1);
  EXPECT_FALSE(cache_->Get("k", &out));  // expiry is exclusive
  EXPECT_FALSE(other->Get("k", &out));
  EXPECT_EQ(cache_->stats().entries, 0);
  EXPECT_EQ(cache_->Sweep(), 1);
  EXPECT_EQ(cache_->stats().segment.expired, 1);
  EXPECT_EQ(cache_->Sweep(), 0);
}

TEST_F(ShmCacheTest, SweepRemovesExpiredEntriesOnly) {
  ASSERT_OK(cache_->Put("short1", "v", 1 * kSecond));
  ASSERT_OK(cache_->Put("short2", "v", 2 * kSecond));
  ASSERT_OK(cache_->Put("long", "v", kMinute));
  clock_.AdvanceNanos(3 * kSecond);
  EXPECT_EQ(cache_->Sweep(), 2);
  std::string out;
  EXPECT_TRUE(cache_->Get("long", &out));
  EXPECT_EQ(cache_->stats().entries, 1);
}

TEST_F(ShmCacheTest, AnExpiredEntryIsReusedByAPut) {
  ASSERT_OK(cache_->Put("old", "v", kSecond));
  clock_.AdvanceNanos(2 * kSecond);
  ASSERT_OK(cache_->Put("old", "new", kSecond));
  std::string out;
  ASSERT_TRUE(cache_->Get("old", &out));
  EXPECT_EQ(out, "new");
}

// Writing three times the arena keeps the segment at its size: the ring
// overwrites the oldest values and the index never outgrows its buckets.
TEST_F(ShmCacheTest, EvictionAtThreeTimesCapacityStaysWithinTheSegment) {
  const ShmCacheStats empty = cache_->stats();
  constexpr size_t kValueBytes = 16 * 1024;
  const int puts = static_cast<int>(3 * empty.arena_bytes / kValueBytes);
  for (int i = 0; i < puts; ++i) {
    ASSERT_OK(cache_->Put(KeyName(i), MakeValue(i, 1, kValueBytes), kMinute));
  }
  const ShmCacheStats stats = cache_->stats();
  EXPECT_LE(stats.bytes_used, stats.arena_bytes);
  EXPECT_LE(stats.entries, stats.bucket_count);
  struct stat st;
  ASSERT_EQ(::stat(segment_.path().c_str(), &st), 0);
  EXPECT_EQ(static_cast<int64_t>(st.st_size), stats.segment_bytes);
  EXPECT_LE(static_cast<int64_t>(st.st_blocks) * 512, stats.segment_bytes);

  int hits = 0;
  std::string out;
  for (int i = 0; i < puts; ++i) {
    if (cache_->Get(KeyName(i), &out)) {
      ++hits;
      EXPECT_TRUE(CheckValue(out, i));
    }
  }
  EXPECT_EQ(hits, stats.entries);  // every live bucket is a readable key
  EXPECT_FALSE(cache_->Get(KeyName(0), &out));  // the oldest went first
  for (int i = puts - 16; i < puts; ++i) {      // the newest stayed
    EXPECT_TRUE(cache_->Get(KeyName(i), &out)) << i;
  }
  // The index learns of overwritten entries lazily: Sweep() drops and
  // counts them.
  EXPECT_GT(cache_->Sweep(), 0);
  EXPECT_GT(cache_->stats().segment.evictions, 0);
  EXPECT_EQ(cache_->stats().entries, hits);
}

TEST_F(ShmCacheTest, IndexPressureEvictsTheOldestOfASet) {
  const int64_t buckets = cache_->stats().bucket_count;
  const int keys = static_cast<int>(8 * buckets);
  for (int i = 0; i < keys; ++i) {
    ASSERT_OK(cache_->Put(KeyName(i), MakeValue(i, 7, 64), kMinute));
  }
  const ShmCacheStats stats = cache_->stats();
  EXPECT_LE(stats.entries, buckets);
  EXPECT_GE(stats.segment.evictions, keys - buckets);
  std::string out;
  for (int i = keys - 4; i < keys; ++i) {
    ASSERT_TRUE(cache_->Get(KeyName(i), &out)) << i;
    EXPECT_TRUE(CheckValue(out, i));
  }
}

TEST_F(ShmCacheTest, CountersArePerProcessAndPerSegment) {
  auto other = OpenOrDie(options(), &clock_);
  ASSERT_NE(other, nullptr);
  ASSERT_OK(cache_->Put("k", "v", kMinute));
  std::string out;
  EXPECT_TRUE(other->Get("k", &out));
  EXPECT_FALSE(other->Get("nope", &out));
  const ShmCacheStats mine = cache_->stats();
  const ShmCacheStats theirs = other->stats();
  EXPECT_EQ(mine.process.inserts, 1);
  EXPECT_EQ(mine.process.hits, 0);
  EXPECT_EQ(theirs.process.inserts, 0);
  EXPECT_EQ(theirs.process.hits, 1);
  EXPECT_EQ(theirs.process.misses, 1);
  EXPECT_EQ(mine.segment.inserts, 1);
  EXPECT_EQ(mine.segment.hits, 1);
  EXPECT_EQ(mine.segment.misses, 1);
  EXPECT_EQ(mine.entries, 1);
  EXPECT_EQ(mine.bytes_used, 1);
  EXPECT_EQ(mine.segment_bytes, 1 << 20);
}

TEST_F(ShmCacheTest, ThreeMappingsInterleaveWritesAndReads) {
  auto second = OpenOrDie(options(), &clock_);
  auto third = OpenOrDie(options(), &clock_);
  ASSERT_NE(second, nullptr);
  ASSERT_NE(third, nullptr);
  ShmCache* caches[] = {cache_.get(), second.get(), third.get()};
  for (uint32_t i = 0; i < 60; ++i) {
    ASSERT_OK(
        caches[i % 3]->Put(KeyName(i), MakeValue(i, i, 100 + i), kMinute));
  }
  std::string out;
  for (uint32_t i = 0; i < 60; ++i) {
    ASSERT_TRUE(caches[(i + 1) % 3]->Get(KeyName(i), &out)) << i;
    EXPECT_TRUE(CheckValue(out, i));
  }
}

// Sweep() in one mapping while another puts: an entry published during the
// sweep is newer than the head the sweep began with, not overwritten, and
// stays (a sweep once cleared such entries, and with them the host group's
// freshly published generations).
TEST_F(ShmCacheTest, SweepKeepsEntriesPublishedWhileItRuns) {
  auto sweeper = OpenOrDie(options(), &clock_);
  ASSERT_NE(sweeper, nullptr);
  std::atomic<bool> done{false};
  std::thread sweeping([&] {
    while (!done.load(std::memory_order_relaxed)) sweeper->Sweep();
  });
  int lost = 0;
  std::string out;
  for (uint32_t i = 0; i < 20000; ++i) {
    // Few keys, rewritten: each Put is a fresh position in the ring.
    const std::string key = KeyName(i % 64);
    ASSERT_OK(cache_->Put(key, MakeValue(i % 64, i, 32), kMinute));
    // A sweep that began before the Put gets to the bucket now or later.
    for (int spin = 0; spin < 50; ++spin) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    uint64_t version = 0;
    if (!cache_->Get(key, &out) || !CheckValue(out, i % 64, &version) ||
        version != i) {
      ++lost;
    }
  }
  done = true;
  sweeping.join();
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(cache_->stats().segment.evictions, 0);
}

// Two writers of one key at once leave one entry: the one with the later
// serial (reserved later), whichever published last.
TEST_F(ShmCacheTest, ConcurrentPutsOfOneKeyResolveToTheNewest) {
  absl::Notification claimed, resume;
  ShmCacheOptions options = this->options();
  options.write_step_hook = [&](WriteStep step) {
    if (step == WriteStep::kClaimed && !claimed.HasBeenNotified()) {
      claimed.Notify();
      resume.WaitForNotification();
    }
  };
  auto slow = OpenOrDie(options, &clock_);
  ASSERT_NE(slow, nullptr);
  absl::Status slow_status;
  std::thread writer([&] { slow_status = slow->Put("k", "older", kMinute); });
  claimed.WaitForNotification();  // "older" holds a bucket, odd
  ASSERT_OK(cache_->Put("k", "newer", kMinute));
  std::string out;
  ASSERT_TRUE(cache_->Get("k", &out));
  EXPECT_EQ(out, "newer");
  resume.Notify();
  writer.join();
  EXPECT_OK(slow_status);
  ASSERT_TRUE(cache_->Get("k", &out));
  EXPECT_EQ(out, "newer");
  EXPECT_EQ(cache_->stats().entries, 1);  // the older duplicate is gone
}

// A writer that stalls with a bucket claimed beyond the lease loses it to
// Sweep(): its Put fails with ABORTED, nobody reads its half-written bucket,
// and the key is writable again.
TEST_F(ShmCacheTest, SweepTakesBackABucketStalledBeyondTheLease) {
  absl::Notification stalled, resume;
  ShmCacheOptions options = this->options();
  options.write_step_hook = [&](WriteStep step) {
    if (step == WriteStep::kFieldStored && !stalled.HasBeenNotified()) {
      stalled.Notify();
      resume.WaitForNotification();
    }
  };
  auto slow = OpenOrDie(options, &clock_);
  ASSERT_NE(slow, nullptr);
  absl::Status slow_status;
  std::thread writer([&] { slow_status = slow->Put("k", "stalled", kMinute); });
  stalled.WaitForNotification();
  EXPECT_EQ(cache_->Sweep(), 0);  // within the lease
  clock_.AdvanceNanos(11 * kSecond);
  EXPECT_EQ(cache_->Sweep(), 1);
  EXPECT_EQ(cache_->stats().segment.lease_recoveries, 1);
  resume.Notify();
  writer.join();
  EXPECT_EQ(slow_status.code(), absl::StatusCode::kAborted) << slow_status;
  std::string out;
  EXPECT_FALSE(cache_->Get("k", &out));
  ASSERT_OK(cache_->Put("k", "fresh", kMinute));
  ASSERT_TRUE(cache_->Get("k", &out));
  EXPECT_EQ(out, "fresh");
}

}  // namespace
}  // namespace overlay
