// Copyright 2026 The overlay Authors.

#include "core/metrics/process_stats.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace overlay {
namespace {

TEST(ProcessStatsTest, CpuSecondsAreNonNegativeAndGrowWithWork) {
  const double before = ProcessCpuSeconds();
  EXPECT_GE(before, 0);
  // Burn CPU until the clock visibly moves (bounded: a few ms at most).
  volatile uint64_t sink = 0;
  double after = before;
  for (int round = 0; round < 10'000 && after <= before; ++round) {
    for (int i = 0; i < 100'000; ++i) sink = sink + i * 2654435761u;
    after = ProcessCpuSeconds();
  }
  EXPECT_GT(after, before);
}

TEST(ProcessStatsTest, RssIsPositiveAndSeesTouchedMemory) {
  const int64_t before = ProcessRssBytes();
  EXPECT_GT(before, 0);
  constexpr size_t kBytes = 64 << 20;
  std::unique_ptr<char[]> block(new char[kBytes]);
  std::memset(block.get(), 1, kBytes);
  const int64_t after = ProcessRssBytes();
  EXPECT_GE(after - before, static_cast<int64_t>(kBytes / 2))
      << "before " << before << " after " << after;
  EXPECT_EQ(block[kBytes - 1], 1);
}

TEST(ProcessStatsTest, ShmemRssSeesTouchedSharedPages) {
  const int64_t before = ProcessShmemRssBytes();
  EXPECT_GE(before, 0);
  constexpr size_t kBytes = 16 << 20;
  void* block = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, kBytes);
  const int64_t after = ProcessShmemRssBytes();
  EXPECT_GE(after - before, static_cast<int64_t>(kBytes / 2))
      << "before " << before << " after " << after;
  munmap(block, kBytes);
}

}  // namespace
}  // namespace overlay
