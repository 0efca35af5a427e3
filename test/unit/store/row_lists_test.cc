// Copyright 2026 The overlay Authors.
//
// RowLists against the plain answer (a linear pass over the codes), over
// several 65,536-row segments, with skewed, absent and boundary codes.

#include "core/store/row_lists.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace overlay {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint32_t> Expected(const std::vector<uint32_t>& codes,
                               uint32_t code, size_t lo, size_t hi) {
  std::vector<uint32_t> rows;
  for (size_t i = lo; i < hi && i < codes.size(); ++i) {
    if (codes[i] == code) rows.push_back(static_cast<uint32_t>(i));
  }
  return rows;
}

std::vector<uint32_t> Walk(RowLists::Cursor c) {
  std::vector<uint32_t> rows;
  for (; !c.done(); c.Advance()) rows.push_back(c.row());
  return rows;
}

// 3.5 segments; code 0 on most rows, code 1 in runs, code 2 on a few
// scattered rows, code 3 only on segment boundary rows, code 4 never.
std::vector<uint32_t> SkewedCodes() {
  std::mt19937 rng(7);
  std::vector<uint32_t> codes(3 * 65536 + 32768);
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint32_t r = rng() % 1000;
    codes[i] = r < 700 ? 0 : r < 995 ? 1 : 2;
    if ((i / 5000) % 7 == 3) codes[i] = 1;  // long runs
  }
  for (size_t i :
       {size_t{65535}, size_t{65536}, size_t{131071}, size_t{196608}}) {
    codes[i] = 3;
  }
  return codes;
}

TEST(RowListsTest, EmptyListsHaveNoCodesAndNoRows) {
  RowLists lists;
  EXPECT_EQ(lists.num_codes(), 0u);
  EXPECT_EQ(lists.num_rows(), 0u);
  lists.Build(absl::Span<const uint32_t>(), 3);
  EXPECT_EQ(lists.num_codes(), 3u);
  for (uint32_t code = 0; code < 3; ++code) {
    EXPECT_EQ(lists.size(code), 0u);
    EXPECT_TRUE(lists.Find(code, 0, 10).done());
    EXPECT_EQ(lists.Count(code, 0, 10), 0u);
  }
}

TEST(RowListsTest, FindMatchesALinearPassOverEveryRange) {
  const std::vector<uint32_t> codes = SkewedCodes();
  RowLists lists;
  lists.Build(codes, 5);
  ASSERT_EQ(lists.num_codes(), 5u);
  ASSERT_EQ(lists.num_rows(), codes.size());
  for (uint32_t code = 0; code < 5; ++code) {
    EXPECT_EQ(lists.size(code), Expected(codes, code, 0, codes.size()).size());
  }
  EXPECT_THAT(Walk(lists.Find(3, 0, codes.size())),
              ElementsAre(65535, 65536, 131071, 196608));
  EXPECT_THAT(Walk(lists.Find(3, 65536, 131071)), ElementsAre(65536));
  EXPECT_THAT(Walk(lists.Find(3, 65537, 131072)), ElementsAre(131071));
  EXPECT_THAT(Walk(lists.Find(4, 0, codes.size())), IsEmpty());
  // Past the end of the rows is the end of the list.
  EXPECT_EQ(lists.Count(0, 0, 10 * codes.size()), lists.size(0));

  // Every pair of boundary rows: the ends and the segment edges.
  const size_t n = codes.size();
  const std::vector<size_t> edges = {0,      1,      65535,  65536, 65537,
                                     131071, 131072, 196608, n - 1, n};
  for (size_t lo : edges) {
    for (size_t hi : edges) {
      if (lo > hi) continue;
      for (uint32_t code = 0; code < 5; ++code) {
        ASSERT_EQ(Walk(lists.Find(code, lo, hi)), Expected(codes, code, lo, hi))
            << code << " " << lo << " " << hi;
      }
    }
  }

  std::mt19937 rng(11);
  for (int q = 0; q < 300; ++q) {
    const uint32_t code = rng() % 5;
    size_t lo = rng() % (codes.size() + 1), hi = rng() % (codes.size() + 1);
    if (lo > hi) std::swap(lo, hi);
    if (q % 10 == 0) hi = lo;  // empty ranges too
    const std::vector<uint32_t> expected = Expected(codes, code, lo, hi);
    RowLists::Cursor c = lists.Find(code, lo, hi);
    ASSERT_EQ(c.remaining(), expected.size()) << code << " " << lo << " " << hi;
    ASSERT_EQ(lists.Count(code, lo, hi), expected.size());
    ASSERT_EQ(Walk(c), expected) << code << " " << lo << " " << hi;
    // Bulk reads in uneven pieces give the same rows.
    std::vector<uint32_t> read;
    const size_t piece = 1 + rng() % 70000;
    std::vector<uint32_t> buffer(piece);
    for (;;) {
      const size_t n = c.Read(piece, buffer.data());
      read.insert(read.end(), buffer.begin(), buffer.begin() + n);
      if (n < piece) break;
    }
    ASSERT_TRUE(c.done());
    ASSERT_EQ(read, expected) << "piece " << piece;
  }
}

TEST(RowListsTest, MarkBelowSetsTheBitsOfTheRowsBelowTheLimit) {
  const std::vector<uint32_t> codes = SkewedCodes();
  RowLists lists;
  lists.Build(codes, 5);
  const std::vector<uint32_t> all = Expected(codes, 2, 0, codes.size());
  ASSERT_GT(all.size(), 100u);
  RowLists::Cursor c = lists.Find(2, 0, codes.size());
  // Windows of 8,192 rows starting at the next row, as the executor's merge.
  std::vector<uint32_t> marked;
  while (!c.done()) {
    const uint64_t first = c.row();
    std::vector<uint64_t> bits(128, 0);
    const size_t n = c.MarkBelow(first, first + 8192, bits.data());
    size_t set = 0;
    for (size_t w = 0; w < bits.size(); ++w) {
      for (int b = 0; b < 64; ++b) {
        if ((bits[w] >> b) & 1) {
          marked.push_back(static_cast<uint32_t>(first + 64 * w + b));
          ++set;
        }
      }
    }
    ASSERT_EQ(n, set);
    ASSERT_GT(n, 0u);
    if (!c.done()) {
      ASSERT_GE(c.row(), first + 8192);
    }
  }
  EXPECT_EQ(marked, all);
}

TEST(RowListsTest, ByteCodesAndMemory) {
  std::vector<uint8_t> codes(200000);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = (i * 7 + i / 3) % 6;
  RowLists lists;
  lists.Build(codes, 8);  // codes 6 and 7 have no rows
  size_t total = 0;
  for (uint32_t code = 0; code < 8; ++code) {
    std::vector<uint32_t> expected;
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] == code) expected.push_back(static_cast<uint32_t>(i));
    }
    ASSERT_EQ(Walk(lists.Find(code, 0, codes.size())), expected) << code;
    total += lists.size(code);
  }
  EXPECT_EQ(total, codes.size());
  // Two bytes a row, plus a bucket table of a few entries a code.
  EXPECT_LT(lists.MemoryBytes(), 2 * codes.size() + 1024);
}

}  // namespace
}  // namespace overlay
