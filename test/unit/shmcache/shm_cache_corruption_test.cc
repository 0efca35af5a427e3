// Copyright 2026 The overlay Authors.
//
// Corruption of a live segment, written straight into its file: every bit
// flip of the header's immutable part makes attaching FAILED_PRECONDITION;
// random and targeted damage to the index, the mutable header and the arena
// never crashes a process using the segment and never makes it serve bytes
// that are not the key's value.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"
#include "core/shmcache/shm_layout.h"
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
using ::overlay::testing::SplitMix;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kLongTtl = int64_t{24} * 3600 * kSecond;
constexpr uint32_t kKeys = 64;

// The segment's bytes as a test sees them: a second, raw mapping.
class RawMapping {
 public:
  RawMapping(const std::string& path, size_t size) : size_(size) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) return;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p != MAP_FAILED) bytes_ = static_cast<unsigned char*>(p);
  }
  RawMapping(const RawMapping&) = delete;
  RawMapping& operator=(const RawMapping&) = delete;
  ~RawMapping() {
    if (bytes_ != nullptr) ::munmap(bytes_, size_);
  }
  bool ok() const { return bytes_ != nullptr; }
  unsigned char* bytes() const { return bytes_; }
  shm_layout::Header* header() const {
    return reinterpret_cast<shm_layout::Header*>(bytes_);
  }
  shm_layout::Bucket* buckets() const {
    return reinterpret_cast<shm_layout::Bucket*>(bytes_ +
                                                 shm_layout::kHeaderBytes);
  }

 private:
  size_t size_;
  unsigned char* bytes_ = nullptr;
};

class ShmCacheCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = segment_.options(uint64_t{1} << 20);
    options_.bucket_count = 1024;  // 64 keys never overflow a set
    ASSERT_OK_AND_ASSIGN(cache_, Open());
    raw_ = std::make_unique<RawMapping>(segment_.path(), options_.size_bytes);
    ASSERT_TRUE(raw_->ok());
  }

  absl::StatusOr<std::unique_ptr<ShmCache>> Open() {
    return ShmCache::CreateOrAttach(options_, PosixApi::Real(), &clock_);
  }

  void Fill(uint64_t version) {
    for (uint32_t key = 0; key < kKeys; ++key) {
      ASSERT_OK(cache_->Put(KeyName(key),
                            MakeValue(key, version, 100 + 97 * key), kLongTtl));
    }
  }

  // Reads every key; returns the hits. Fails the test on a wrong byte.
  int ReadAll(ShmCache* cache) {
    int hits = 0;
    std::string out;
    for (uint32_t key = 0; key < kKeys; ++key) {
      if (cache->Get(KeyName(key), &out)) {
        ++hits;
        EXPECT_TRUE(CheckValue(out, key))
            << "key " << key << " served bad bytes";
      }
    }
    return hits;
  }

  ScopedSegment segment_{"corrupt"};
  FakeClock clock_;
  ShmCacheOptions options_;
  std::unique_ptr<ShmCache> cache_;
  std::unique_ptr<RawMapping> raw_;
};

TEST_F(ShmCacheCorruptionTest, EveryBitFlipOfTheHeaderIsRefusedAtAttach) {
  Fill(1);
  constexpr size_t kImmutableBytes =
      sizeof(shm_layout::Geometry) + sizeof(uint64_t);  // + its checksum
  for (size_t offset = 0; offset < kImmutableBytes; ++offset) {
    for (int bit = 0; bit < 8; ++bit) {
      raw_->bytes()[offset] ^= static_cast<unsigned char>(1 << bit);
      absl::StatusOr<std::unique_ptr<ShmCache>> cache = Open();
      raw_->bytes()[offset] ^= static_cast<unsigned char>(1 << bit);
      ASSERT_FALSE(cache.ok())
          << "flip of byte " << offset << " bit " << bit << " was not noticed";
      EXPECT_EQ(cache.status().code(), absl::StatusCode::kFailedPrecondition)
          << cache.status();
    }
  }
  // The running attachment never re-reads the header: unaffected.
  EXPECT_EQ(ReadAll(cache_.get()), static_cast<int>(kKeys));
  ASSERT_OK_AND_ASSIGN(auto again, Open());
  EXPECT_EQ(ReadAll(again.get()), static_cast<int>(kKeys));
}

TEST_F(ShmCacheCorruptionTest, RandomByteFlipsNeverCrashOrServeBadBytes) {
  Fill(1);
  const uint64_t arena_offset = shm_layout::ArenaOffset(
      static_cast<uint32_t>(cache_->stats().bucket_count));
  // Regions: the header after the geometry, the index, the arena.
  const uint64_t regions[3][2] = {
      {offsetof(shm_layout::Header, initialising) + 4,
       shm_layout::kHeaderBytes},
      {shm_layout::kHeaderBytes, arena_offset},
      {arena_offset, options_.size_bytes}};
  uint64_t rng = 99;
  for (int round = 0; round < 400; ++round) {
    const auto& region = regions[round % 3];
    const int flips = 1 + static_cast<int>(SplitMix(&rng) % 8);
    for (int f = 0; f < flips; ++f) {
      const uint64_t offset =
          region[0] + SplitMix(&rng) % (region[1] - region[0]);
      raw_->bytes()[offset] ^=
          static_cast<unsigned char>(1 + SplitMix(&rng) % 255);
    }
    ReadAll(cache_.get());
    if (round % 10 == 9) {
      // Writers, the sweeper and stats on damaged state: no crash; errors
      // are allowed, bad bytes are not.
      for (uint32_t key = 0; key < kKeys; key += 5) {
        (void)cache_->Put(KeyName(key), MakeValue(key, round, 300), kLongTtl);
      }
      cache_->Erase(KeyName(round % kKeys));
      clock_.AdvanceNanos(11 * kSecond);
      cache_->Sweep();
      (void)cache_->stats();
      ReadAll(cache_.get());
    }
    if (HasFailure()) break;
  }
  // (The shared counters sit in the flipped region; this process's own are
  // out of reach.)
  EXPECT_GT(cache_->stats().process.checksum_failures, 0)
      << "no corruption was ever detected: is the test flipping anything?";
  // A new attacher still gets in (the geometry was never touched) and, after
  // a rewrite, every key reads back.
  ASSERT_OK_AND_ASSIGN(auto again, Open());
  clock_.AdvanceNanos(11 * kSecond);
  again->Sweep();
  for (uint32_t key = 0; key < kKeys; ++key) {
    ASSERT_OK(again->Put(KeyName(key), MakeValue(key, 9, 200), kLongTtl));
  }
  EXPECT_EQ(ReadAll(again.get()), static_cast<int>(kKeys));
}

TEST_F(ShmCacheCorruptionTest, TargetedDamageToOneEntryIsAMissNeverBadBytes) {
  Fill(1);
  // Find key 3's bucket through the raw index.
  const KeyFingerprint fp = FingerprintKey(KeyName(3));
  shm_layout::Bucket* bucket = nullptr;
  const int64_t buckets = cache_->stats().bucket_count;
  for (int64_t i = 0; i < buckets; ++i) {
    shm_layout::Bucket& b = raw_->buckets()[i];
    if (b.fingerprint_lo.load() == fp.lo && b.fingerprint_hi.load() == fp.hi) {
      bucket = &b;
    }
  }
  ASSERT_NE(bucket, nullptr);
  const uint64_t position = bucket->position.load();
  const uint32_t length = bucket->length.load();
  const uint64_t checksum = bucket->checksum.load();
  const int64_t expiry = bucket->expiry_nanos.load();
  std::string out;
  const auto expect_miss = [&](const char* what) {
    EXPECT_FALSE(cache_->Get(KeyName(3), &out)) << what;
    EXPECT_EQ(ReadAll(cache_.get()), static_cast<int>(kKeys) - 1) << what;
  };

  bucket->length.store(std::numeric_limits<uint32_t>::max());
  expect_miss("huge length");
  bucket->length.store(length + 1);
  expect_miss("longer length");
  bucket->length.store(length);
  bucket->position.store(std::numeric_limits<uint64_t>::max() - 10);
  expect_miss("position beyond the head");
  bucket->position.store(position + 64);
  expect_miss("shifted position");
  bucket->position.store(position);
  bucket->checksum.store(checksum ^ 1);
  expect_miss("checksum");
  bucket->checksum.store(checksum);
  bucket->expiry_nanos.store(expiry + 1);
  expect_miss("expiry (bound into the checksum)");
  bucket->expiry_nanos.store(expiry);
  raw_->bytes()[shm_layout::ArenaOffset(static_cast<uint32_t>(buckets)) +
                position % static_cast<uint64_t>(cache_->stats().arena_bytes) +
                length / 2] ^= 0x10;
  expect_miss("a flipped value byte");
  const uint64_t version = bucket->version.load();
  bucket->version.store(version | 1);
  expect_miss("version stuck odd");
  EXPECT_GT(cache_->stats().segment.checksum_failures, 0);

  // The cache recovers: the stuck bucket after the lease, the key on a Put.
  clock_.AdvanceNanos(11 * kSecond);
  EXPECT_GE(cache_->Sweep(), 1);
  ASSERT_OK(cache_->Put(KeyName(3), MakeValue(3, 2, 500), kLongTtl));
  EXPECT_EQ(ReadAll(cache_.get()), static_cast<int>(kKeys));
}

TEST_F(ShmCacheCorruptionTest, DamagedAllocatorStateIsSurvived) {
  Fill(1);
  // A head near the end of the 64-bit space and a wrapped serial counter.
  raw_->header()->arena_head.store(std::numeric_limits<uint64_t>::max() - 5);
  raw_->header()->next_serial.store(std::numeric_limits<uint64_t>::max());
  std::string out;
  ReadAll(cache_.get());  // old entries may read as overwritten, never bad
  for (uint32_t key = 0; key < kKeys; ++key) {
    ASSERT_OK(
        cache_->Put(KeyName(key), MakeValue(key, 2, 1000 + key), kLongTtl));
  }
  EXPECT_EQ(ReadAll(cache_.get()), static_cast<int>(kKeys));
  raw_->header()->arena_head.store(0);  // a head moved backwards
  ReadAll(cache_.get());
  for (uint32_t key = 0; key < kKeys; ++key) {
    ASSERT_OK(
        cache_->Put(KeyName(key), MakeValue(key, 3, 2000 + key), kLongTtl));
  }
  EXPECT_EQ(ReadAll(cache_.get()), static_cast<int>(kKeys));
}

}  // namespace
}  // namespace overlay
