// Copyright 2026 The overlay Authors.

#include "core/shmcache/hash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "core/shmcache/shm_cache_options.h"

namespace overlay {
namespace {

// The reference vectors of the xxHash64 specification.
TEST(XxHash64Test, MatchesReferenceVectors) {
  EXPECT_EQ(XxHash64("", 0, 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(XxHash64("", 0, 1), 0xD5AFBA1336A3BE4BULL);
  EXPECT_EQ(XxHash64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(XxHash64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(XxHash64("asdf", 4, 0), 0x415872F599CEA71EULL);
  const char* text = "Nobody inspects the spammish repetition";  // > 32 bytes
  EXPECT_EQ(XxHash64(text, std::strlen(text), 0), 0xFBCEA83C8A378BF1ULL);
}

TEST(XxHash64Test, EveryLengthAndSeedMatters) {
  std::string data(300, 'x');
  std::set<uint64_t> seen;
  for (size_t n = 0; n <= data.size(); ++n) {
    seen.insert(XxHash64(data.data(), n, 7));
  }
  EXPECT_EQ(seen.size(), data.size() + 1);
  EXPECT_NE(XxHash64(data.data(), 100, 1), XxHash64(data.data(), 100, 2));
}

// The fingerprint is part of the segment format: these golden values pin
// it. If this test has to change, bump shm_layout::kLayoutVersion.
TEST(FingerprintKeyTest, IsStableAcrossBuilds) {
  const KeyFingerprint fp = FingerprintKey("chunk/pm25/0");
  const KeyFingerprint again = FingerprintKey(std::string("chunk/pm25/0"));
  EXPECT_EQ(fp, again);
  EXPECT_NE(fp.lo, fp.hi);
  EXPECT_EQ(FingerprintKey("").lo, XxHash64("", 0, 0x6F7665726C61796BULL));
  EXPECT_EQ(FingerprintKey("").hi, XxHash64("", 0, 0x9E3779B97F4A7C15ULL));
}

TEST(FingerprintKeyTest, DistinctKeysDistinctFingerprints) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (int i = 0; i < 100000; ++i) {
    const KeyFingerprint fp = FingerprintKey("plan/" + std::to_string(i));
    seen.insert({fp.lo, fp.hi});
  }
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(ShmSegmentNameTest, NamesConfigAndHostGroup) {
  EXPECT_EQ(ShmSegmentName("one_host", "h1"), "overlay-one_host-h1");
  EXPECT_EQ(ShmSegmentName("two hosts", "a/b"), "overlay-two_hosts-a_b");
}

}  // namespace
}  // namespace overlay
