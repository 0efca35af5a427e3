// Copyright 2026 The overlay Authors.
//
// Writers killed mid-write. A forked child runs a planned sequence of Puts
// and Erases and stops itself (SIGSTOP) at a random one of its write steps
// (the write-step hook), 200 times over one segment. While it is frozen
// mid-write, and again after it is SIGKILLed there, the parent checks every
// key: each one not being written reads back exactly its last completed
// value; the one being written reads as its old value, its new value or a
// miss, never anything else. Then Sweep() must recover the dead writer's
// bucket (if it held one) and the cache must be fully usable. A second test
// kills a free-running writer at arbitrary moments.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/shmcache/shm_test_util.h"

namespace overlay {
namespace {

using ::overlay::testing::CheckValue;
using ::overlay::testing::FakeClock;
using ::overlay::testing::ForkChild;
using ::overlay::testing::KeyName;
using ::overlay::testing::MakeValue;
using ::overlay::testing::ScopedSegment;
using ::overlay::testing::SharedBlock;
using ::overlay::testing::SplitMix;
using ::overlay::testing::WaitChild;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kLongTtl = int64_t{24} * 3600 * kSecond;
constexpr uint32_t kKeys = 8;
constexpr int kKillPoints = 200;
constexpr int kOpsPerChild = 64;
constexpr int kWriteSteps = static_cast<int>(WriteStep::kClearing) + 1;

struct Op {
  uint32_t key;
  bool erase;
  uint64_t version;
  size_t size;
};

std::vector<Op> PlanOps(uint64_t seed) {
  std::vector<Op> ops;
  uint64_t rng = seed;
  for (int j = 0; j < kOpsPerChild; ++j) {
    Op op;
    op.key = static_cast<uint32_t>(SplitMix(&rng) % kKeys);
    op.erase = SplitMix(&rng) % 8 == 0;
    op.version = (seed << 16) | static_cast<uint64_t>(j);
    op.size = 24 + SplitMix(&rng) % (20 * 1024);
    ops.push_back(op);
  }
  return ops;
}

struct CrashBoard {
  std::atomic<int> in_progress{-1};  // index of the op being executed
  std::atomic<int> completed{0};     // ops that returned
  std::atomic<int> stopped_at{-1};   // the WriteStep the child froze at
  std::atomic<int> failures{0};
};

// What the parent knows each key holds: a version, or nothing.
using Model = std::array<std::optional<uint64_t>, kKeys>;

constexpr int kNoKey = -1;
constexpr uint64_t kNoVersion = 0;  // no op writes version 0

// Checks every key against the model. `changing` is the key of the op in
// progress (or kNoKey) and `next` the version it would write (kNoVersion
// for an erase).
void ExpectConsistent(ShmCache* cache, const Model& model, int changing,
                      uint64_t next, const std::string& where) {
  std::string out;
  for (uint32_t key = 0; key < kKeys; ++key) {
    const bool hit = cache->Get(KeyName(key), &out);
    uint64_t version = 0;
    if (hit) {
      ASSERT_TRUE(CheckValue(out, key, &version))
          << where << ": key " << key << " served bytes that are not a value";
    }
    if (changing == static_cast<int>(key)) {
      const bool old_value = hit && model[key] == version;
      const bool new_value = hit && next != kNoVersion && next == version;
      EXPECT_TRUE(!hit || old_value || new_value)
          << where << ": key " << key << " (being written) read version "
          << version;
    } else if (model[key].has_value()) {
      EXPECT_TRUE(hit) << where << ": key " << key << " lost";
      EXPECT_EQ(version, *model[key]) << where << ": key " << key;
    } else {
      EXPECT_FALSE(hit) << where << ": key " << key << " should be absent";
    }
  }
}

TEST(ShmCacheCrashTest,
     WriterStoppedAndKilledAtRandomStepsLosesAtMostItsEntry) {
  ScopedSegment segment("crash");
  FakeClock clock;
  const ShmCacheOptions options = segment.options(uint64_t{4} << 20);
  ASSERT_OK_AND_ASSIGN(
      auto cache, ShmCache::CreateOrAttach(options, PosixApi::Real(), &clock));
  Model model;
  std::array<int, kWriteSteps> steps_hit{};
  uint64_t rng = 42;
  for (int iteration = 0; iteration < kKillPoints; ++iteration) {
    const uint64_t seed = iteration + 1;
    const std::vector<Op> ops = PlanOps(seed);
    const int kill_at = 1 + static_cast<int>(SplitMix(&rng) % 400);
    SharedBlock<CrashBoard> board;

    const pid_t child = ForkChild([&] {
      ShmCacheOptions child_options = options;
      int calls = 0;
      child_options.write_step_hook = [&](WriteStep step) {
        if (++calls == kill_at) {
          board->stopped_at.store(static_cast<int>(step));
          ::raise(SIGSTOP);  // the parent inspects, then SIGKILLs
        }
      };
      auto own =
          ShmCache::CreateOrAttach(child_options, PosixApi::Real(), &clock);
      if (!own.ok()) return 1;
      for (int j = 0; j < kOpsPerChild; ++j) {
        const Op& op = ops[j];
        board->in_progress.store(j);
        if (op.erase) {
          (*own)->Erase(KeyName(op.key));
        } else if (!(*own)
                        ->Put(KeyName(op.key),
                              MakeValue(op.key, op.version, op.size), kLongTtl)
                        .ok()) {
          board->failures.fetch_add(1);
        }
        board->completed.store(j + 1);
      }
      return 0;  // the kill point was beyond the plan
    });

    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
    ASSERT_TRUE(WIFSTOPPED(status)) << "child did not stop, status " << status;
    const int done = board->completed.load();
    ASSERT_EQ(board->in_progress.load(), done);
    ASSERT_EQ(board->failures.load(), 0);
    for (int j = 0; j < done; ++j) {
      if (ops[j].erase) {
        model[ops[j].key].reset();
      } else {
        model[ops[j].key] = ops[j].version;
      }
    }
    const Op& current = ops[done];
    const uint64_t next = current.erase ? kNoVersion : current.version;
    const int changing = static_cast<int>(current.key);
    const int step = board->stopped_at.load();
    ++steps_hit[step];
    const std::string where = "kill point " + std::to_string(iteration) +
                              " (step " + std::to_string(step) + ")";

    ExpectConsistent(cache.get(), model, changing, next, where + " frozen");
    ::kill(child, SIGKILL);
    ASSERT_EQ(WaitChild(child), 128 + SIGKILL);
    ExpectConsistent(cache.get(), model, changing, next, where + " dead");

    // A dead writer holding a bucket (odd) costs one bucket until the lease
    // runs out; then Sweep() takes it back.
    const bool held_bucket =
        step == static_cast<int>(WriteStep::kClaimed) ||
        step == static_cast<int>(WriteStep::kFieldStored) ||
        step == static_cast<int>(WriteStep::kClearing);
    const int64_t recovered_before = cache->stats().segment.lease_recoveries;
    clock.AdvanceNanos(11 * kSecond);
    cache->Sweep();
    EXPECT_EQ(cache->stats().segment.lease_recoveries - recovered_before,
              held_bucket ? 1 : 0)
        << where;

    // Fully usable: rewrite every key and read it back.
    for (uint32_t key = 0; key < kKeys; ++key) {
      const uint64_t version = (uint64_t{1} << 40) + iteration * kKeys + key;
      ASSERT_OK(cache->Put(KeyName(key), MakeValue(key, version, 512 + key),
                           kLongTtl));
      model[key] = version;
    }
    ExpectConsistent(cache.get(), model, kNoKey, kNoVersion,
                     where + " rewritten");
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_EQ(cache->stats().segment.checksum_failures, 0);
  // The random points covered every kind of step.
  for (int step = 0; step < kWriteSteps; ++step) {
    EXPECT_GT(steps_hit[step], 0) << "never killed at step " << step;
  }
}

struct FreeRunBoard {
  std::atomic<int64_t> puts{0};
  std::atomic<int> ready{0};
};

// No hook: the writer is SIGKILLed wherever it happens to be, while the
// parent reads. Every hit is exact; afterwards the cache works.
TEST(ShmCacheCrashTest, FreeRunningWriterKilledAtArbitraryMoments) {
  ScopedSegment segment("freerun");
  FakeClock clock;
  const ShmCacheOptions options = segment.options(uint64_t{4} << 20);
  ASSERT_OK_AND_ASSIGN(
      auto cache, ShmCache::CreateOrAttach(options, PosixApi::Real(), &clock));
  uint64_t rng = 7;
  std::string out;
  int64_t hits = 0;
  for (int round = 0; round < 20; ++round) {
    SharedBlock<FreeRunBoard> board;
    const pid_t child = ForkChild([&] {
      auto own = ShmCache::CreateOrAttach(options, PosixApi::Real(), &clock);
      if (!own.ok()) return 1;
      board->ready.store(1);
      uint64_t child_rng = 1000 + round;
      for (uint64_t version = 1;; ++version) {
        const auto key = static_cast<uint32_t>(SplitMix(&child_rng) % kKeys);
        const size_t size = 24 + SplitMix(&child_rng) % (128 * 1024);
        (void)(*own)->Put(KeyName(key), MakeValue(key, version, size),
                          kLongTtl);
        board->puts.fetch_add(1);
      }
    });
    while (board->ready.load() == 0) std::this_thread::yield();
    // Read until the writer has made a random amount of progress.
    const int64_t target = 1 + static_cast<int64_t>(SplitMix(&rng) % 200);
    while (board->puts.load() < target) {
      for (uint32_t key = 0; key < kKeys; ++key) {
        if (cache->Get(KeyName(key), &out)) {
          ++hits;
          ASSERT_TRUE(CheckValue(out, key)) << "round " << round;
        }
      }
    }
    ::kill(child, SIGKILL);
    ASSERT_EQ(WaitChild(child), 128 + SIGKILL);
    for (uint32_t key = 0; key < kKeys; ++key) {
      if (cache->Get(KeyName(key), &out)) {
        ASSERT_TRUE(CheckValue(out, key)) << "round " << round;
      }
    }
  }
  clock.AdvanceNanos(11 * kSecond);
  cache->Sweep();
  for (uint32_t key = 0; key < kKeys; ++key) {
    ASSERT_OK(cache->Put(KeyName(key), MakeValue(key, 1, 1000), kLongTtl));
    ASSERT_TRUE(cache->Get(KeyName(key), &out));
    EXPECT_TRUE(CheckValue(out, key));
  }
  EXPECT_GT(hits, 0);
  EXPECT_EQ(cache->stats().segment.checksum_failures, 0);
}

}  // namespace
}  // namespace overlay
