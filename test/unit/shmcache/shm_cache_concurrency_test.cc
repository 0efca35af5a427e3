// Copyright 2026 The overlay Authors.
//
// Readers and writers at once, as threads with a mapping each and as forked
// processes: behind a start gate, readers keep reading the keys writers keep
// rewriting, until there is evidence that reads overlapped writes (a
// writer's progress counter moved during a Get, and the seqlock made some
// reader retry). Every value read must be byte-exact.

#include <glog/logging.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
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

constexpr int64_t kMinute = int64_t{60} * 1'000'000'000;
constexpr uint32_t kKeys = 4;
constexpr int kWriters = 2;
constexpr int kReaders = 2;
// Readers stop once they have evidence, or after this many reads.
constexpr int64_t kMaxReadsPerReader = 200'000;
constexpr int64_t kMinHitsPerReader = 200;

// Lives in memory shared by every thread or process of a test.
struct Board {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<int> readers_done{0};
  std::atomic<int64_t> writes{0};  // completed Puts, all writers
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> hits{0};
  std::atomic<int64_t> bad{0};         // hits whose bytes were wrong
  std::atomic<int64_t> overlapped{0};  // Gets during which a Put completed
  std::atomic<int64_t> retries{0};     // torn-read retries seen by readers
  std::atomic<int64_t> put_errors{0};
};

void AwaitGate(Board* board) {
  board->ready.fetch_add(1);
  while (!board->go.load()) std::this_thread::yield();
}

void RunWriter(ShmCache* cache, Board* board, int writer) {
  AwaitGate(board);
  uint64_t rng = 1000 + writer;
  uint64_t version = uint64_t(writer) << 48;
  while (!board->stop.load(std::memory_order_relaxed)) {
    const auto key = static_cast<uint32_t>(SplitMix(&rng) % kKeys);
    const size_t size = 64 * 1024 + SplitMix(&rng) % (192 * 1024);
    if (!cache->Put(KeyName(key), MakeValue(key, ++version, size), kMinute)
             .ok()) {
      board->put_errors.fetch_add(1);
    }
    board->writes.fetch_add(1);
  }
}

void RunReader(ShmCache* cache, Board* board, int reader) {
  AwaitGate(board);
  uint64_t rng = 2000 + reader;
  int64_t hits = 0, overlapped = 0;
  std::string out;
  for (int64_t n = 0; n < kMaxReadsPerReader; ++n) {
    const auto key = static_cast<uint32_t>(SplitMix(&rng) % kKeys);
    const int64_t before = board->writes.load();
    const bool hit = cache->Get(KeyName(key), &out);
    if (board->writes.load() != before) ++overlapped;
    board->reads.fetch_add(1, std::memory_order_relaxed);
    if (hit) {
      ++hits;
      if (!CheckValue(out, key)) board->bad.fetch_add(1);
    }
    if (hits >= kMinHitsPerReader && overlapped > 0 &&
        cache->stats().process.torn_read_retries > 0) {
      break;
    }
  }
  board->hits.fetch_add(hits);
  board->overlapped.fetch_add(overlapped);
  board->retries.fetch_add(cache->stats().process.torn_read_retries);
  board->readers_done.fetch_add(1);
}

void ExpectEvidence(const Board& board, const ShmCacheStats& stats) {
  EXPECT_EQ(board.bad.load(), 0) << "torn or wrong bytes were returned";
  EXPECT_EQ(board.put_errors.load(), 0);
  EXPECT_GE(board.hits.load(), kReaders * kMinHitsPerReader);
  EXPECT_GT(board.overlapped.load(), 0) << "no read overlapped a write";
  EXPECT_GT(board.retries.load(), 0) << "no reader ever had to retry";
  EXPECT_GT(stats.segment.torn_read_retries, 0);
  // A checksum failure without corruption happens only when a writer
  // stalled for a whole turn of the (small) ring and its late copy hit a
  // newer value; the writer counts that, and readers refused the value
  // (any number of them, any number of times, until it was replaced).
  if (stats.segment.lapped_writes == 0) {
    EXPECT_EQ(stats.segment.checksum_failures, 0);
  }
  LOG(INFO) << "reads " << board.reads.load() << ", writes "
            << board.writes.load() << ", overlapped " << board.overlapped.load()
            << ", torn-read retries " << stats.segment.torn_read_retries
            << ", lapped writes " << stats.segment.lapped_writes;
}

TEST(ShmCacheConcurrencyTest, ThreadsWithTheirOwnMappings) {
  ScopedSegment segment("threads");
  FakeClock clock;
  const ShmCacheOptions options = segment.options(uint64_t{8} << 20);
  std::vector<std::unique_ptr<ShmCache>> caches;
  for (int i = 0; i < kWriters + kReaders; ++i) {
    ASSERT_OK_AND_ASSIGN(auto cache, ShmCache::CreateOrAttach(
                                         options, PosixApi::Real(), &clock));
    caches.push_back(std::move(cache));
  }
  Board board;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back(RunWriter, caches[w].get(), &board, w);
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back(RunReader, caches[kWriters + r].get(), &board, r);
  }
  while (board.ready.load() < kWriters + kReaders) std::this_thread::yield();
  board.go.store(true);
  while (board.readers_done.load() < kReaders) std::this_thread::yield();
  board.stop.store(true);
  for (std::thread& t : threads) t.join();
  ExpectEvidence(board, caches[0]->stats());
}

TEST(ShmCacheConcurrencyTest, ForkedReaderAndWriterProcesses) {
  ScopedSegment segment("processes");
  FakeClock clock;
  const ShmCacheOptions options = segment.options(uint64_t{8} << 20);
  // The parent keeps the segment alive and checks it afterwards.
  ASSERT_OK_AND_ASSIGN(
      auto cache, ShmCache::CreateOrAttach(options, PosixApi::Real(), &clock));
  SharedBlock<Board> board;
  std::vector<pid_t> children;
  for (int i = 0; i < kWriters + kReaders; ++i) {
    children.push_back(ForkChild([&, i] {
      auto own = ShmCache::CreateOrAttach(options, PosixApi::Real(), &clock);
      if (!own.ok()) {  // count in anyway, so the parent does not wait
        board->ready.fetch_add(1);
        if (i >= kWriters) board->readers_done.fetch_add(1);
        return 1;
      }
      if (i < kWriters) {
        RunWriter(own->get(), &*board, i);
      } else {
        RunReader(own->get(), &*board, i - kWriters);
      }
      return 0;
    }));
  }
  while (board->ready.load() < kWriters + kReaders) std::this_thread::yield();
  board->go.store(true);
  while (board->readers_done.load() < kReaders) std::this_thread::yield();
  board->stop.store(true);
  for (pid_t child : children) EXPECT_EQ(WaitChild(child), 0);
  ExpectEvidence(*board, cache->stats());
  std::string out;
  for (uint32_t key = 0; key < kKeys; ++key) {
    if (cache->Get(KeyName(key), &out)) {
      EXPECT_TRUE(CheckValue(out, key));
    }
  }
}

}  // namespace
}  // namespace overlay
