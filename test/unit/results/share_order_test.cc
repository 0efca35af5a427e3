// Copyright 2026 The overlay Authors.

#include "core/results/share_order.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "protos/overlay.pb.h"

namespace overlay {
namespace {

v1::ShareHit Hit(const std::string& node, int64_t first_day, int64_t records) {
  v1::ShareHit hit;
  hit.set_node_id(node);
  hit.set_share(node + "-share");
  hit.set_first_day(first_day);
  hit.set_records(records);
  hit.add_route("P");
  if (node != "P") hit.add_route(node);
  return hit;
}

v1::ShareHit InlineHit(const std::string& node, int64_t first_day,
                       int64_t records, const std::string& bytes) {
  v1::ShareHit hit = Hit(node, first_day, records);
  hit.set_has_inline_records(true);
  hit.set_inline_records(bytes);
  return hit;
}

std::vector<std::string> Owners(const std::vector<LaidOutSegment>& laid) {
  std::vector<std::string> owners;
  for (const LaidOutSegment& l : laid) owners.push_back(l.segment.node_id);
  return owners;
}

TEST(ShareBeforeTest, FirstDayFirstThenOwnerId) {
  EXPECT_TRUE(ShareBefore(10, "Z", 11, "A"));  // the day decides
  EXPECT_FALSE(ShareBefore(11, "A", 10, "Z"));
  EXPECT_TRUE(ShareBefore(10, "A", 10, "B"));  // same day: the id decides
  EXPECT_FALSE(ShareBefore(10, "B", 10, "A"));
  EXPECT_FALSE(ShareBefore(10, "A", 10, "A"));  // strict: not before itself
  EXPECT_TRUE(ShareBefore(-5, "X", 0, "A"));    // days before the epoch
}

TEST(LayOutSegmentsTest, SortsByTheShareOrderRule) {
  std::vector<LaidOutSegment> laid = LayOutSegments(
      {Hit("E", 300, 1), Hit("B", 100, 2), Hit("D", 200, 3), Hit("C", 200, 4)},
      /*limit=*/0);
  EXPECT_EQ(Owners(laid), std::vector<std::string>({"B", "C", "D", "E"}));
  for (const LaidOutSegment& l : laid) {
    EXPECT_EQ(l.segment.records, l.cut_from) << l.segment.node_id;
  }
  // The answer's fields travel into the segment.
  EXPECT_EQ(laid[1].segment.share, "C-share");
  EXPECT_EQ(laid[1].segment.records, 4);
  EXPECT_EQ(laid[1].segment.route, std::vector<std::string>({"P", "C"}));
  EXPECT_FALSE(laid[1].segment.has_inline_records);
  // Positions are the plan's to compute.
  EXPECT_EQ(laid[1].segment.first_record, 0);
  EXPECT_EQ(laid[1].segment.first_chunk, 0);
  EXPECT_EQ(laid[1].segment.chunks, 0);
}

TEST(LayOutSegmentsTest, NoHitsNoSegments) {
  EXPECT_TRUE(LayOutSegments({}, 0).empty());
  EXPECT_TRUE(LayOutSegments({}, 10).empty());
}

TEST(LayOutSegmentsTest, LimitTakesTheFirstRecordsInResultOrder) {
  // In result order: A (10), B (10), C (10); limit 15 keeps A's 10 and the
  // first 5 of B, nothing of C, whatever order the answers came in.
  std::vector<LaidOutSegment> laid = LayOutSegments(
      {Hit("C", 3, 10), Hit("A", 1, 10), Hit("B", 2, 10)}, /*limit=*/15);
  ASSERT_EQ(Owners(laid), std::vector<std::string>({"A", "B", "C"}));
  EXPECT_EQ(laid[0].segment.records, 10);
  EXPECT_EQ(laid[0].cut_from, 10);
  EXPECT_EQ(laid[1].segment.records, 5);
  EXPECT_EQ(laid[1].cut_from, 10);
  EXPECT_EQ(laid[2].segment.records, 0);  // still listed: it answered
  EXPECT_EQ(laid[2].cut_from, 10);
}

TEST(LayOutSegmentsTest, LimitOnAShareBoundaryAndBeyondTheTotal) {
  std::vector<LaidOutSegment> exact =
      LayOutSegments({Hit("A", 1, 10), Hit("B", 2, 10)}, /*limit=*/10);
  EXPECT_EQ(exact[0].segment.records, 10);
  EXPECT_EQ(exact[1].segment.records, 0);
  std::vector<LaidOutSegment> loose =
      LayOutSegments({Hit("A", 1, 10), Hit("B", 2, 10)}, /*limit=*/1000);
  EXPECT_EQ(loose[0].segment.records, 10);
  EXPECT_EQ(loose[1].segment.records, 10);
  // Shares that matched nothing do not use up the limit.
  std::vector<LaidOutSegment> empty_first = LayOutSegments(
      {Hit("A", 1, 0), Hit("B", 2, 7), Hit("C", 3, 7)}, /*limit=*/10);
  EXPECT_EQ(empty_first[0].segment.records, 0);
  EXPECT_EQ(empty_first[1].segment.records, 7);
  EXPECT_EQ(empty_first[2].segment.records, 3);
  EXPECT_EQ(empty_first[2].cut_from, 7);
}

TEST(LayOutSegmentsTest, NoLimitOrANegativeCountIsHandled) {
  std::vector<LaidOutSegment> laid =
      LayOutSegments({Hit("A", 1, 5), Hit("B", 2, -3)}, /*limit=*/0);
  EXPECT_EQ(laid[0].segment.records, 5);
  EXPECT_EQ(laid[1].segment.records, 0);  // a bogus count counts as none
  EXPECT_EQ(laid[1].cut_from, 0);
}

TEST(LayOutSegmentsTest, InlineRecordsAreKeptAsSent) {
  std::vector<LaidOutSegment> laid =
      LayOutSegments({InlineHit("B", 2, 3, "bbb-bytes"), Hit("A", 1, 4),
                      InlineHit("C", 3, 2, "cc-bytes")},
                     /*limit=*/0);
  ASSERT_EQ(Owners(laid), std::vector<std::string>({"A", "B", "C"}));
  EXPECT_FALSE(laid[0].segment.has_inline_records);
  EXPECT_TRUE(laid[0].segment.inline_records.empty());
  EXPECT_TRUE(laid[1].segment.has_inline_records);
  EXPECT_EQ(laid[1].segment.inline_records, "bbb-bytes");
  EXPECT_EQ(laid[1].segment.records, 3);
  EXPECT_TRUE(laid[2].segment.has_inline_records);
  EXPECT_EQ(laid[2].segment.inline_records, "cc-bytes");
}

// A limit that cuts an inline share leaves its bytes untouched: the caller
// trims them, knowing from cut_from how many records they hold.
TEST(LayOutSegmentsTest, ACutInlineShareCarriesItsFullCount) {
  std::vector<LaidOutSegment> laid = LayOutSegments(
      {Hit("A", 1, 4), InlineHit("B", 2, 6, "six-records")}, /*limit=*/7);
  ASSERT_EQ(laid.size(), 2u);
  EXPECT_EQ(laid[1].segment.records, 3);
  EXPECT_EQ(laid[1].cut_from, 6);
  EXPECT_TRUE(laid[1].segment.has_inline_records);
  EXPECT_EQ(laid[1].segment.inline_records, "six-records");
  // Cut to nothing, the flag and bytes are still as sent.
  std::vector<LaidOutSegment> none = LayOutSegments(
      {Hit("A", 1, 4), InlineHit("B", 2, 6, "six-records")}, /*limit=*/4);
  EXPECT_EQ(none[1].segment.records, 0);
  EXPECT_EQ(none[1].cut_from, 6);
  EXPECT_EQ(none[1].segment.inline_records, "six-records");
}

TEST(FitsOneChunkTest, OnlyWhenSomeRecordsFitInOneChunk) {
  auto segment = [](const std::string& node, int64_t records) {
    Segment s;
    s.node_id = node;
    s.records = records;
    return s;
  };
  EXPECT_TRUE(FitsOneChunk({segment("A", 4), segment("B", 0), segment("C", 6)},
                           10));
  EXPECT_FALSE(FitsOneChunk({segment("A", 4), segment("C", 7)}, 10));  // 11
  EXPECT_FALSE(FitsOneChunk({segment("A", 0)}, 10));  // nothing to pack
  EXPECT_FALSE(FitsOneChunk({}, 10));
}

}  // namespace
}  // namespace overlay
