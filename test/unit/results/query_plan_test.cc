// Copyright 2026 The overlay Authors.

#include "core/results/query_plan.h"

#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/reactor/completion_tag.h"
#include "core/reactor/notifier.h"
#include "test/test_util/cq_verifier.h"
#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;
using ::overlay::testing::FakeClock;

Segment MakeSegment(const std::string& node, int64_t records) {
  Segment segment;
  segment.node_id = node;
  segment.share = node + "-share";
  segment.route = {"portal", node};
  segment.records = records;
  return segment;
}

// A waiting call: Proceed() records wake-ups, as a GetChunk call would.
class Waiter final : public CompletionTag {
 public:
  Waiter() : notifier(this) {}
  void Proceed(bool ok) override { wakeups.push_back(ok); }
  Notifier notifier;
  std::vector<bool> wakeups;
};

std::shared_ptr<const FetchedChunk> OkChunk(int64_t utc) {
  auto chunk = std::make_shared<FetchedChunk>();
  chunk->records = std::to_string(utc);  // stands for serialized records
  return chunk;
}

std::shared_ptr<const FetchedChunk> FailedChunk() {
  auto chunk = std::make_shared<FetchedChunk>();
  chunk->status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "peer down");
  return chunk;
}

TEST(QueryPlanLayoutTest, PrefixSumsAndEmptySegments) {
  // Chunk size 10: 10 → 1 chunk, 0 → 0, 25 → 3, 5 → 1.
  QueryPlan plan("q", 10,
                 {MakeSegment("A", 10), MakeSegment("B", 0),
                  MakeSegment("C", 25), MakeSegment("D", 5)});
  EXPECT_EQ(plan.query_id(), "q");
  EXPECT_EQ(plan.chunk_size(), 10);
  EXPECT_EQ(plan.total_records(), 40);
  EXPECT_EQ(plan.total_chunks(), 5);
  const std::vector<Segment>& s = plan.segments();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].chunks, 1);
  EXPECT_EQ(s[1].chunks, 0);
  EXPECT_EQ(s[2].chunks, 3);
  EXPECT_EQ(s[3].chunks, 1);
  EXPECT_EQ(s[0].first_chunk, 0);
  EXPECT_EQ(s[1].first_chunk, 1);
  EXPECT_EQ(s[2].first_chunk, 1);
  EXPECT_EQ(s[3].first_chunk, 4);
  EXPECT_EQ(s[0].first_record, 0);
  EXPECT_EQ(s[1].first_record, 10);
  EXPECT_EQ(s[2].first_record, 10);
  EXPECT_EQ(s[3].first_record, 35);
  // Input fields survive the layout.
  EXPECT_EQ(s[2].node_id, "C");
  EXPECT_EQ(s[2].share, "C-share");
  EXPECT_EQ(s[2].route, std::vector<std::string>({"portal", "C"}));
}

TEST(QueryPlanLayoutTest, ChunksMapToSegmentsAcrossBoundaries) {
  QueryPlan plan("q", 10,
                 {MakeSegment("A", 10), MakeSegment("B", 0),
                  MakeSegment("C", 25), MakeSegment("D", 5)});
  struct Expected {
    std::string node;
    int64_t offset;
    int32_t records;
  };
  const std::vector<Expected> expected = {
      {"A", 0, 10}, {"C", 0, 10}, {"C", 10, 10}, {"C", 20, 5}, {"D", 0, 5}};
  ASSERT_EQ(plan.total_chunks(), static_cast<int32_t>(expected.size()));
  int64_t records = 0;
  for (int32_t i = 0; i < plan.total_chunks(); ++i) {
    EXPECT_EQ(plan.SegmentOf(i).node_id, expected[i].node) << "chunk " << i;
    EXPECT_EQ(plan.OffsetInSegment(i), expected[i].offset) << "chunk " << i;
    EXPECT_EQ(plan.RecordsIn(i), expected[i].records) << "chunk " << i;
    // The chunk's first record in the whole result, as GetChunk reports it.
    EXPECT_EQ(plan.SegmentOf(i).first_record + plan.OffsetInSegment(i),
              records);
    records += plan.RecordsIn(i);
  }
  EXPECT_EQ(records, plan.total_records());
}

TEST(QueryPlanLayoutTest, LeadingAndTrailingEmptySegmentsAreSkipped) {
  QueryPlan plan(
      "q", 4, {MakeSegment("A", 0), MakeSegment("B", 8), MakeSegment("C", 0)});
  EXPECT_EQ(plan.total_chunks(), 2);
  EXPECT_EQ(plan.SegmentOf(0).node_id, "B");
  EXPECT_EQ(plan.SegmentOf(1).node_id, "B");
  EXPECT_EQ(plan.OffsetInSegment(1), 4);
  EXPECT_EQ(plan.RecordsIn(1), 4);
}

TEST(QueryPlanLayoutTest, EmptyResultHasNoChunks) {
  QueryPlan none("q", 100, {});
  EXPECT_EQ(none.total_records(), 0);
  EXPECT_EQ(none.total_chunks(), 0);
  QueryPlan zeros("q", 100, {MakeSegment("A", 0), MakeSegment("B", 0)});
  EXPECT_EQ(zeros.total_records(), 0);
  EXPECT_EQ(zeros.total_chunks(), 0);
  EXPECT_FALSE(zeros.ClaimPrefetch(0));
}

TEST(QueryPlanLayoutTest, ExactMultipleAndOneRecordChunks) {
  QueryPlan exact("q", 5, {MakeSegment("A", 15)});
  EXPECT_EQ(exact.total_chunks(), 3);
  EXPECT_EQ(exact.RecordsIn(2), 5);
  QueryPlan ones("q", 1, {MakeSegment("A", 3), MakeSegment("B", 2)});
  EXPECT_EQ(ones.total_chunks(), 5);
  EXPECT_EQ(ones.SegmentOf(3).node_id, "B");
  EXPECT_EQ(ones.OffsetInSegment(4), 1);
  EXPECT_EQ(ones.RecordsIn(4), 1);
}

TEST(QueryPlanLayoutTest, LargeSegmentsDoNotOverflow) {
  // 3 billion records in chunks of 1000: offsets exceed 32 bits.
  QueryPlan plan("q", 1000,
                 {MakeSegment("A", 3'000'000'000), MakeSegment("B", 1)});
  EXPECT_EQ(plan.total_records(), 3'000'000'001);
  EXPECT_EQ(plan.total_chunks(), 3'000'001);
  EXPECT_EQ(plan.OffsetInSegment(2'999'999), 2'999'999'000);
  EXPECT_EQ(plan.SegmentOf(3'000'000).node_id, "B");
  EXPECT_EQ(plan.segments()[1].first_record, 3'000'000'000);
}

class QueryPlanSlotTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }

  grpc::CompletionQueue cq_;
  QueryPlan plan_{"q", 10, {MakeSegment("A", 30), MakeSegment("B", 20)}};
};

TEST_F(QueryPlanSlotTest, FirstTakerFetchesSecondWaitsBothAreWoken) {
  Waiter first;
  Waiter second;
  std::shared_ptr<const FetchedChunk> out;
  EXPECT_EQ(plan_.TakeOrWait(2, &first.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(plan_.TakeOrWait(2, &second.notifier, &cq_, &out),
            QueryPlan::Slot::kWaiting);
  EXPECT_EQ(plan_.slots_held(), 1);
  CqVerifier::VerifyEmpty(&cq_);  // nobody is woken before Complete()

  plan_.Complete(2, OkChunk(1234));
  CqVerifier()
      .Expect(&first.notifier, true)
      .Expect(&second.notifier, true)
      .Verify(&cq_);
  EXPECT_EQ(first.wakeups, std::vector<bool>({true}));
  EXPECT_EQ(second.wakeups, std::vector<bool>({true}));

  // Woken, both take the same chunk.
  std::shared_ptr<const FetchedChunk> a;
  std::shared_ptr<const FetchedChunk> b;
  EXPECT_EQ(plan_.TakeOrWait(2, &first.notifier, &cq_, &a),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(plan_.TakeOrWait(2, &second.notifier, &cq_, &b),
            QueryPlan::Slot::kReady);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(a->status.ok());
  EXPECT_EQ(a->records, "1234");
  CqVerifier::VerifyEmpty(&cq_);  // a kReady take queues nothing
}

TEST_F(QueryPlanSlotTest, TakeAfterCompleteIsReadyAtOnce) {
  ASSERT_TRUE(plan_.ClaimPrefetch(1));
  plan_.Complete(1, OkChunk(7));
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  EXPECT_EQ(plan_.TakeOrWait(1, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->records, "7");
  CqVerifier::VerifyEmpty(&cq_);
  EXPECT_TRUE(waiter.wakeups.empty());
}

TEST_F(QueryPlanSlotTest, TakerOfAPrefetchInFlightWaits) {
  ASSERT_TRUE(plan_.ClaimPrefetch(3));
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  EXPECT_EQ(plan_.TakeOrWait(3, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kWaiting);
  plan_.Complete(3, OkChunk(3));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
  EXPECT_EQ(plan_.TakeOrWait(3, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(out->records, "3");
}

TEST_F(QueryPlanSlotTest, FailedFetchGoesToOneTakerThenIsFetchedAgain) {
  Waiter first;
  Waiter second;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(0, &first.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  ASSERT_EQ(plan_.TakeOrWait(0, &second.notifier, &cq_, &out),
            QueryPlan::Slot::kWaiting);
  plan_.Complete(0, FailedChunk());
  CqVerifier()
      .Expect(&first.notifier, true)
      .Expect(&second.notifier, true)
      .Verify(&cq_);

  // The first to look gets the failure...
  EXPECT_EQ(plan_.TakeOrWait(0, &first.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(plan_.slots_held(), 0);
  // ...and the next one fetches again.
  out = nullptr;
  EXPECT_EQ(plan_.TakeOrWait(0, &second.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  EXPECT_EQ(out, nullptr);
  plan_.Complete(0, OkChunk(99));
  CqVerifier().Expect(&second.notifier, true).Verify(&cq_);
  EXPECT_EQ(plan_.TakeOrWait(0, &second.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_TRUE(out->status.ok());
  EXPECT_EQ(out->records, "99");
}

TEST_F(QueryPlanSlotTest, ClaimPrefetchOncePerChunkAndOnlyInRange) {
  EXPECT_FALSE(plan_.ClaimPrefetch(-1));
  EXPECT_FALSE(plan_.ClaimPrefetch(plan_.total_chunks()));
  EXPECT_FALSE(plan_.ClaimPrefetch(1'000'000));
  EXPECT_EQ(plan_.slots_held(), 0);
  EXPECT_TRUE(plan_.ClaimPrefetch(4));
  EXPECT_FALSE(plan_.ClaimPrefetch(4));  // already being fetched
  plan_.Complete(4, OkChunk(4));
  EXPECT_FALSE(plan_.ClaimPrefetch(4));  // already held
  EXPECT_EQ(plan_.slots_held(), 1);
}

TEST_F(QueryPlanSlotTest, ClaimPrefetchOfAChunkSomeoneFetchesIsFalse) {
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(2, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  EXPECT_FALSE(plan_.ClaimPrefetch(2));
  plan_.Complete(2, OkChunk(2));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
}

TEST_F(QueryPlanSlotTest, TakingAChunkDropsConsumedChunksBehindIt) {
  for (int32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(plan_.ClaimPrefetch(i));
    plan_.Complete(i, OkChunk(i));
  }
  EXPECT_EQ(plan_.slots_held(), 4);
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(2, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(plan_.slots_held(), 2);  // 2 and 3 stay; 0 and 1 are gone
  ASSERT_EQ(plan_.TakeOrWait(3, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(plan_.slots_held(), 1);
  // A consumed chunk asked for again is fetched again.
  EXPECT_EQ(plan_.TakeOrWait(0, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  plan_.Complete(0, OkChunk(0));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
}

TEST_F(QueryPlanSlotTest, WindowCleanupKeepsChunksBeingFetched) {
  Waiter fetcher;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(0, &fetcher.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  ASSERT_TRUE(plan_.ClaimPrefetch(1));
  plan_.Complete(1, OkChunk(1));
  Waiter reader;
  ASSERT_EQ(plan_.TakeOrWait(1, &reader.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  // Chunk 0 is still being fetched for `fetcher`: its slot must survive.
  EXPECT_EQ(plan_.slots_held(), 2);
  plan_.Complete(0, OkChunk(0));
  CqVerifier().Expect(&fetcher.notifier, true).Verify(&cq_);
  ASSERT_EQ(plan_.TakeOrWait(0, &fetcher.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(out->records, "0");
}

TEST_F(QueryPlanSlotTest, WaitersOnDifferentQueuesAreWokenOnTheirOwn) {
  grpc::CompletionQueue other;
  Waiter here;
  Waiter there;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(1, &here.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  ASSERT_EQ(plan_.TakeOrWait(1, &there.notifier, &other, &out),
            QueryPlan::Slot::kWaiting);
  plan_.Complete(1, OkChunk(1));
  CqVerifier().Expect(&here.notifier, true).Verify(&cq_);
  CqVerifier().Expect(&there.notifier, true).Verify(&other);
  CqVerifier::ShutdownAndDrain(&other);
}

class QueryRegistryTest : public ::testing::Test {
 protected:
  static std::shared_ptr<QueryPlan> Plan(const std::string& id) {
    return std::make_shared<QueryPlan>(
        id, 10, std::vector<Segment>{MakeSegment("A", 5)});
  }

  static constexpr int64_t kTtl = 1'000'000'000;  // 1 s
  FakeClock clock_;
  QueryRegistry registry_{&clock_, kTtl, /*max_plans=*/3};
};

TEST_F(QueryRegistryTest, AddFindRemove) {
  std::shared_ptr<QueryPlan> plan = Plan("q1");
  registry_.Add(plan);
  EXPECT_EQ(registry_.size(), 1);
  EXPECT_EQ(registry_.Find("q1"), plan);
  EXPECT_EQ(registry_.Find("q2"), nullptr);
  EXPECT_EQ(registry_.Remove("q1"), plan);
  EXPECT_EQ(registry_.Remove("q1"), nullptr);
  EXPECT_EQ(registry_.Find("q1"), nullptr);
  EXPECT_EQ(registry_.size(), 0);
}

TEST_F(QueryRegistryTest, TakeExpiredReturnsIdlePlansAndFindRestartsTheTtl) {
  registry_.Add(Plan("used"));
  registry_.Add(Plan("idle"));
  clock_.AdvanceNanos(kTtl - 1);
  EXPECT_TRUE(registry_.TakeExpired().empty());
  ASSERT_NE(registry_.Find("used"), nullptr);
  clock_.AdvanceNanos(1);
  std::vector<std::shared_ptr<QueryPlan>> expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "idle");
  EXPECT_EQ(registry_.Find("idle"), nullptr);
  EXPECT_NE(registry_.Find("used"), nullptr);
  clock_.AdvanceNanos(kTtl);
  expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "used");
  EXPECT_EQ(registry_.size(), 0);
}

TEST_F(QueryRegistryTest, TakeExpiredEnforcesMaxPlansByLeastRecentUse) {
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    registry_.Add(Plan(id));
    clock_.AdvanceMillis(1);
  }
  ASSERT_NE(registry_.Find("a"), nullptr);  // now "b", "c" are the oldest
  clock_.AdvanceMillis(1);
  EXPECT_EQ(registry_.size(), 5);  // Add() does not evict by itself
  std::vector<std::shared_ptr<QueryPlan>> taken = registry_.TakeExpired();
  std::vector<std::string> ids;
  for (const auto& plan : taken) ids.push_back(plan->query_id());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, std::vector<std::string>({"b", "c"}));
  EXPECT_EQ(registry_.size(), 3);
  for (const char* id : {"a", "d", "e"}) {
    EXPECT_NE(registry_.Find(id), nullptr) << id;
  }
}

TEST_F(QueryRegistryTest, AddingTheSameIdReplacesThePlan) {
  std::shared_ptr<QueryPlan> first = Plan("q");
  std::shared_ptr<QueryPlan> second = Plan("q");
  registry_.Add(first);
  registry_.Add(second);
  EXPECT_EQ(registry_.size(), 1);
  EXPECT_EQ(registry_.Find("q"), second);
}

// The header promises Find() is null for an expired plan, independent of
// when the janitor last called TakeExpired().
TEST_F(QueryRegistryTest, FindOfAnExpiredPlanIsNullEvenBeforeTheSweep) {
  registry_.Add(Plan("q"));
  clock_.AdvanceNanos(kTtl);
  EXPECT_TRUE(registry_.Find("q") == nullptr)
      << "Find() revived a plan idle for a whole TTL";
}

}  // namespace
}  // namespace overlay
