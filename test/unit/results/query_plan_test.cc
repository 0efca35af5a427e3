// Copyright 2026 The overlay Authors.

#include "core/results/query_plan.h"

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "core/reactor/cancellation_scope.h"
#include "core/reactor/completion_tag.h"
#include "core/reactor/notifier.h"
#include "core/results/result_memory.h"
#include "test/test_util/cq_verifier.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"

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

// ---- memory accounting ----

std::shared_ptr<const FetchedChunk> ChunkOfBytes(size_t bytes) {
  auto chunk = std::make_shared<FetchedChunk>();
  chunk->records.assign(bytes, 'r');
  return chunk;
}

Segment InlineSegment(const std::string& node, int64_t records,
                      std::string bytes) {
  Segment segment = MakeSegment(node, records);
  segment.has_inline_records = true;
  segment.inline_records = std::move(bytes);
  return segment;
}

class QueryPlanMemoryTest : public ::testing::Test {
 protected:
  void TearDown() override { CqVerifier::ShutdownAndDrain(&cq_); }

  grpc::CompletionQueue cq_;
  ResultMemory memory_{1000};
};

TEST_F(QueryPlanMemoryTest, CompleteChargesTheChunkBytesWhileHeld) {
  QueryPlan plan("q", 10, {MakeSegment("A", 50)}, &memory_);
  EXPECT_EQ(memory_.used(), 0);
  ASSERT_TRUE(plan.ClaimPrefetch(0));
  EXPECT_EQ(memory_.used(), 0);  // a claim alone holds nothing
  plan.Complete(0, ChunkOfBytes(100));
  EXPECT_EQ(plan.bytes_held(), 100);
  EXPECT_EQ(memory_.used(), 100);

  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan.TakeOrWait(1, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  plan.Complete(1, ChunkOfBytes(30));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
  EXPECT_EQ(plan.bytes_held(), 130);
  EXPECT_EQ(memory_.used(), 130);

  // Completing a slot again re-accounts it (no double charge).
  plan.Complete(1, ChunkOfBytes(10));
  EXPECT_EQ(plan.bytes_held(), 110);
  EXPECT_EQ(memory_.used(), 110);
}

TEST_F(QueryPlanMemoryTest, TakingALaterChunkRefundsTheConsumedOnes) {
  QueryPlan plan("q", 10, {MakeSegment("A", 50)}, &memory_);
  for (int32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(plan.ClaimPrefetch(i));
    plan.Complete(i, ChunkOfBytes(100));
  }
  EXPECT_EQ(memory_.used(), 400);
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan.TakeOrWait(2, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(plan.slots_held(), 2);  // 2 and 3
  EXPECT_EQ(plan.bytes_held(), 200);
  EXPECT_EQ(memory_.used(), 200);
  ASSERT_EQ(plan.TakeOrWait(3, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_EQ(memory_.used(), 100);        // 3 alone
  EXPECT_EQ(out->records.size(), 100u);  // the taker's copy stays valid
}

TEST_F(QueryPlanMemoryTest, AFailureTakenIsDroppedAndRefunded) {
  QueryPlan plan("q", 10, {MakeSegment("A", 50)}, &memory_);
  auto failed = std::make_shared<FetchedChunk>();
  failed->status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "peer down");
  failed->records = "partial";  // whatever it carries is accounted too
  ASSERT_TRUE(plan.ClaimPrefetch(0));
  plan.Complete(0, failed);
  EXPECT_EQ(memory_.used(), 7);
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan.TakeOrWait(0, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kReady);
  EXPECT_FALSE(out->status.ok());
  EXPECT_EQ(plan.bytes_held(), 0);
  EXPECT_EQ(memory_.used(), 0);
}

TEST_F(QueryPlanMemoryTest, DestroyingThePlanRefundsEverythingItHeld) {
  memory_.Charge(5);  // someone else's bytes
  {
    QueryPlan plan("q", 10,
                   {InlineSegment("A", 3, "abcdefgh"), MakeSegment("B", 50)},
                   &memory_);
    EXPECT_EQ(memory_.used(), 5 + 8);
    ASSERT_TRUE(plan.ClaimPrefetch(1));
    plan.Complete(1, ChunkOfBytes(100));
    ASSERT_TRUE(plan.ClaimPrefetch(2));
    plan.Complete(2, ChunkOfBytes(50));
    ASSERT_TRUE(plan.ClaimPrefetch(3));  // in flight when the plan goes
    EXPECT_EQ(plan.bytes_held(), 158);
    EXPECT_EQ(memory_.used(), 5 + 158);
  }
  EXPECT_EQ(memory_.used(), 5);
}

TEST_F(QueryPlanMemoryTest, InlineRecordsAreChargedFromTheStart) {
  QueryPlan plan("q", 10,
                 {InlineSegment("A", 3, std::string(40, 'x')),
                  MakeSegment("B", 25), InlineSegment("C", 12, "0123456789")},
                 &memory_);
  EXPECT_EQ(plan.bytes_held(), 50);
  EXPECT_EQ(memory_.used(), 50);
  // The layout is unchanged by inline records: C's 12 records are 2 chunks.
  EXPECT_EQ(plan.total_records(), 40);
  EXPECT_EQ(plan.total_chunks(), 1 + 3 + 2);
  EXPECT_TRUE(plan.SegmentOf(0).has_inline_records);
  EXPECT_EQ(plan.SegmentOf(0).inline_records, std::string(40, 'x'));
  EXPECT_EQ(plan.SegmentOf(4).node_id, "C");
}

TEST(QueryPlanUnaccountedTest, NullMemoryStillCountsBytesHeld) {
  QueryPlan plan("q", 10, {InlineSegment("A", 1, "abc"), MakeSegment("B", 10)});
  EXPECT_EQ(plan.bytes_held(), 3);
  ASSERT_TRUE(plan.ClaimPrefetch(1));
  plan.Complete(1, ChunkOfBytes(7));
  EXPECT_EQ(plan.bytes_held(), 10);
}

TEST_F(QueryPlanMemoryTest, ClaimPrefetchIsRefusedWhileMemoryIsFull) {
  QueryPlan plan("q", 10, {MakeSegment("A", 50)}, &memory_);
  memory_.Charge(1000);
  EXPECT_FALSE(plan.ClaimPrefetch(0));
  EXPECT_EQ(plan.slots_held(), 0);
  memory_.Refund(1);
  EXPECT_TRUE(plan.ClaimPrefetch(0));
  memory_.Refund(999);

  // The plan's own chunks fill it just as well.
  plan.Complete(0, ChunkOfBytes(1000));
  EXPECT_FALSE(plan.ClaimPrefetch(1));
  // A chunk a client asked for is still fetched and kept past the limit:
  // refusing it would fail a client who holds a valid result.
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan.TakeOrWait(1, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  plan.Complete(1, ChunkOfBytes(300));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
  EXPECT_EQ(memory_.used(), 1300);
}

TEST_F(QueryPlanMemoryTest, ClaimPrefetchIsRefusedForInlineSegments) {
  QueryPlan plan("q", 10,
                 {InlineSegment("A", 5, "aaaaa"), MakeSegment("B", 20),
                  InlineSegment("C", 2, "cc")},
                 &memory_);
  ASSERT_EQ(plan.total_chunks(), 4);
  EXPECT_FALSE(plan.ClaimPrefetch(0));  // A travelled with its answer
  EXPECT_TRUE(plan.ClaimPrefetch(1));
  EXPECT_TRUE(plan.ClaimPrefetch(2));
  EXPECT_FALSE(plan.ClaimPrefetch(3));  // C too
  EXPECT_EQ(plan.slots_held(), 2);
}

// ---- StopWaiting ----

TEST_F(QueryPlanSlotTest, StopWaitingTakesTheWaiterOffTheList) {
  Waiter fetcher;
  Waiter leaver;
  Waiter stayer;
  std::shared_ptr<const FetchedChunk> out;
  ASSERT_EQ(plan_.TakeOrWait(1, &fetcher.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  ASSERT_EQ(plan_.TakeOrWait(1, &leaver.notifier, &cq_, &out),
            QueryPlan::Slot::kWaiting);
  ASSERT_EQ(plan_.TakeOrWait(1, &stayer.notifier, &cq_, &out),
            QueryPlan::Slot::kWaiting);
  EXPECT_TRUE(plan_.StopWaiting(1, &leaver.notifier));
  EXPECT_FALSE(plan_.StopWaiting(1, &leaver.notifier));  // gone already
  plan_.Complete(1, OkChunk(1));
  CqVerifier()
      .Expect(&fetcher.notifier, true)
      .Expect(&stayer.notifier, true)
      .Verify(&cq_);
  CqVerifier::VerifyEmpty(&cq_);  // no notification for the one who left
  EXPECT_TRUE(leaver.wakeups.empty());
  // Notified already: nothing to take off.
  EXPECT_FALSE(plan_.StopWaiting(1, &stayer.notifier));
}

TEST_F(QueryPlanSlotTest, StopWaitingOnAChunkNotWaitedForIsFalse) {
  Waiter waiter;
  std::shared_ptr<const FetchedChunk> out;
  EXPECT_FALSE(plan_.StopWaiting(0, &waiter.notifier));  // no such slot
  ASSERT_EQ(plan_.TakeOrWait(0, &waiter.notifier, &cq_, &out),
            QueryPlan::Slot::kMustFetch);
  EXPECT_FALSE(plan_.StopWaiting(1, &waiter.notifier));  // another chunk
  Waiter other;
  EXPECT_FALSE(plan_.StopWaiting(0, &other.notifier));  // another waiter
  plan_.Complete(0, OkChunk(0));
  CqVerifier().Expect(&waiter.notifier, true).Verify(&cq_);
}

TEST_F(QueryPlanSlotTest, FetchesScopeBelongsToThePlan) {
  CancellationScope* scope = plan_.fetches();
  ASSERT_NE(scope, nullptr);
  EXPECT_EQ(scope, plan_.fetches());
  EXPECT_FALSE(scope->cancelled());
  grpc::ClientContext context;
  ASSERT_TRUE(scope->Add(&context));
  EXPECT_EQ(scope->children(), 1);
  scope->Cancel();  // what releasing the plan does
  EXPECT_TRUE(scope->cancelled());
  grpc::ClientContext late;
  EXPECT_FALSE(scope->Add(&late));
  scope->Remove(&context);
  EXPECT_EQ(scope->children(), 0);
}

// ---- QueryRegistry ----

class QueryRegistryTest : public ::testing::Test {
 protected:
  std::shared_ptr<QueryPlan> Plan(const std::string& id,
                                  const std::string& client = "alice") {
    return std::make_shared<QueryPlan>(
        id, 10, std::vector<Segment>{MakeSegment("A", 5)}, &memory_, client);
  }
  // Reserves and adds, as a Query call does; unclaimed, the plan stays
  // until `claim_by` (default: past every TTL these tests wait).
  std::shared_ptr<QueryPlan> Hold(QueryRegistry* registry,
                                  const std::string& id,
                                  const std::string& client = "alice",
                                  int64_t claim_by = kNever,
                                  int64_t deadline = 0) {
    absl::Status room = registry->Reserve(client);
    EXPECT_TRUE(room.ok()) << room;
    if (!room.ok()) return nullptr;
    std::shared_ptr<QueryPlan> plan = Plan(id, client);
    registry->Add(plan, {claim_by, deadline});
    return plan;
  }

  static constexpr int64_t kTtl = 1'000'000'000;  // 1 s
  static constexpr int64_t kNever = int64_t{1} << 62;
  FakeClock clock_;
  ResultMemory memory_{1'000'000};
  QueryRegistry registry_{&clock_, kTtl, /*max_plans=*/3,
                          /*max_per_client=*/3, &memory_};
};

TEST_F(QueryRegistryTest, AddFindRemove) {
  std::shared_ptr<QueryPlan> plan = Hold(&registry_, "q1");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(registry_.size(), 1);
  EXPECT_EQ(registry_.HeldBy("alice"), 1);
  EXPECT_EQ(registry_.Find("q1", "alice"), plan);
  EXPECT_EQ(registry_.Find("q2", "alice"), nullptr);
  EXPECT_EQ(registry_.Remove("q1", "alice"), plan);
  EXPECT_EQ(registry_.Remove("q1", "alice"), nullptr);
  EXPECT_EQ(registry_.Find("q1", "alice"), nullptr);
  EXPECT_EQ(registry_.size(), 0);
  EXPECT_EQ(registry_.HeldBy("alice"), 0);
}

TEST_F(QueryRegistryTest, ReservationCountsUntilAddOrUnreserve) {
  ASSERT_OK(registry_.Reserve("alice"));
  EXPECT_EQ(registry_.HeldBy("alice"), 1);
  EXPECT_EQ(registry_.size(), 0);  // a reservation is not a plan
  registry_.Unreserve("alice");
  EXPECT_EQ(registry_.HeldBy("alice"), 0);

  ASSERT_OK(registry_.Reserve("alice"));
  registry_.Add(Plan("q1"), {kNever, 0});  // the reservation becomes the plan
  EXPECT_EQ(registry_.HeldBy("alice"), 1);
  EXPECT_EQ(registry_.size(), 1);
  // Both slots of the node are still free for two more.
  EXPECT_OK(registry_.Reserve("bob"));
  EXPECT_OK(registry_.Reserve("bob"));
  EXPECT_EQ(registry_.Reserve("bob").code(),
            absl::StatusCode::kResourceExhausted);
  registry_.Unreserve("bob");
  registry_.Unreserve("bob");
  EXPECT_EQ(registry_.HeldBy("bob"), 0);
  EXPECT_OK(registry_.Reserve("carol"));
  registry_.Unreserve("carol");
}

TEST_F(QueryRegistryTest, PerClientCapRefusesAndNamesTheOldestResults) {
  QueryRegistry registry(&clock_, kTtl, /*max_plans=*/100,
                         /*max_per_client=*/4, &memory_);
  for (const char* id : {"q1", "q2", "q3", "q4"}) {
    ASSERT_NE(Hold(&registry, id), nullptr);
    clock_.AdvanceMillis(1);
  }
  ASSERT_NE(registry.Find("q1", "alice"), nullptr);  // now the most recent
  clock_.AdvanceMillis(1);

  absl::Status refused = registry.Reserve("alice");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "client 'alice' holds 4 unreleased results "
            "(max_results_per_client 4): Release those it no longer pulls "
            "(least recently used: q2, q3, q4)");
  // Nothing was evicted to make room.
  EXPECT_EQ(registry.size(), 4);
  for (const char* id : {"q1", "q2", "q3", "q4"}) {
    EXPECT_NE(registry.Find(id, "alice"), nullptr) << id;
  }
  // Another client is not affected by alice's cap.
  EXPECT_NE(Hold(&registry, "b1", "bob"), nullptr);
  // Releasing one of alice's makes room for her again.
  ASSERT_NE(registry.Remove("q3", "alice"), nullptr);
  EXPECT_OK(registry.Reserve("alice"));
  registry.Unreserve("alice");
}

TEST_F(QueryRegistryTest, PerClientCapCountsReservations) {
  ASSERT_OK(registry_.Reserve("alice"));
  ASSERT_OK(registry_.Reserve("alice"));
  ASSERT_OK(registry_.Reserve("alice"));
  absl::Status refused = registry_.Reserve("alice");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  // No plan yet: no id to name, but the cap and the count are there.
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "holds 3 unreleased results "
                                "(max_results_per_client 3)"))
      << refused;
  for (int i = 0; i < 3; ++i) registry_.Unreserve("alice");
  EXPECT_EQ(registry_.HeldBy("alice"), 0);
}

TEST_F(QueryRegistryTest, MaxPlansRefusesEveryClientAndEvictsNothing) {
  QueryRegistry registry(&clock_, kTtl, /*max_plans=*/3,
                         /*max_per_client=*/10, &memory_);
  ASSERT_NE(Hold(&registry, "a1", "alice"), nullptr);
  ASSERT_NE(Hold(&registry, "b1", "bob"), nullptr);
  ASSERT_OK(registry.Reserve("carol"));  // a reservation takes room too
  absl::Status refused = registry.Reserve("dave");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "the portal holds 3 results or queries (max_results_held 3): "
            "clients must Release results they no longer pull");
  EXPECT_EQ(registry.Reserve("alice").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(registry.HeldBy("dave"), 0);
  EXPECT_NE(registry.Find("a1", "alice"), nullptr);
  EXPECT_NE(registry.Find("b1", "bob"), nullptr);
  registry.Unreserve("carol");
  EXPECT_OK(registry.Reserve("dave"));
  registry.Unreserve("dave");
}

TEST_F(QueryRegistryTest, FullResultMemoryRefusesNewQueries) {
  ASSERT_NE(Hold(&registry_, "q1"), nullptr);
  memory_.Charge(memory_.limit());
  absl::Status refused = registry_.Reserve("bob");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(refused.message(), "max_result_mb")) << refused;
  EXPECT_NE(registry_.Find("q1", "alice"), nullptr);  // still held
  memory_.Refund(memory_.limit());
  EXPECT_OK(registry_.Reserve("bob"));
  registry_.Unreserve("bob");
}

TEST_F(QueryRegistryTest, AnotherClientsIdIsExactlyLikeAnUnknownOne) {
  std::shared_ptr<QueryPlan> plan = Hold(&registry_, "q1", "alice");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(registry_.Find("q1", "mallory"), nullptr);
  EXPECT_EQ(registry_.Find("q1", ""), nullptr);
  EXPECT_EQ(registry_.Remove("q1", "mallory"), nullptr);
  // Neither touched it: it is still alice's, and mallory's look was no use
  // (the TTL was not restarted by it).
  EXPECT_EQ(registry_.size(), 1);
  EXPECT_EQ(registry_.HeldBy("alice"), 1);
  EXPECT_EQ(registry_.HeldBy("mallory"), 0);
  clock_.AdvanceNanos(kTtl / 2);
  EXPECT_EQ(registry_.Find("q1", "mallory"), nullptr);
  clock_.AdvanceNanos(kTtl / 2);
  std::vector<std::shared_ptr<QueryPlan>> expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], plan);
}

TEST_F(QueryRegistryTest, TakeExpiredReturnsIdlePlansAndFindRestartsTheTtl) {
  ASSERT_NE(Hold(&registry_, "used"), nullptr);
  ASSERT_NE(Hold(&registry_, "idle"), nullptr);
  clock_.AdvanceNanos(kTtl - 1);
  EXPECT_TRUE(registry_.TakeExpired().empty());
  ASSERT_NE(registry_.Find("used", "alice"), nullptr);
  clock_.AdvanceNanos(1);
  std::vector<std::shared_ptr<QueryPlan>> expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "idle");
  EXPECT_EQ(registry_.Find("idle", "alice"), nullptr);
  EXPECT_NE(registry_.Find("used", "alice"), nullptr);
  EXPECT_EQ(registry_.HeldBy("alice"), 1);  // the expired one freed its room
  clock_.AdvanceNanos(kTtl);
  expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "used");
  EXPECT_EQ(registry_.size(), 0);
  EXPECT_EQ(registry_.HeldBy("alice"), 0);
}

// Only the TTL removes plans: past no bound does TakeExpired take a plan
// still in use (there is no least-recently-used eviction any more).
TEST_F(QueryRegistryTest, TakeExpiredTakesOnlyPlansIdleForTheTtl) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_NE(Hold(&registry_, id), nullptr);
    clock_.AdvanceMillis(1);
  }
  EXPECT_EQ(registry_.Reserve("alice").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(registry_.TakeExpired().empty());
  EXPECT_EQ(registry_.size(), 3);
}

// The header promises Find() is null for an expired plan, independent of
// when the janitor last called TakeExpired().
TEST_F(QueryRegistryTest, FindOfAnExpiredPlanIsNullEvenBeforeTheSweep) {
  ASSERT_NE(Hold(&registry_, "q"), nullptr);
  clock_.AdvanceNanos(kTtl);
  EXPECT_TRUE(registry_.Find("q", "alice") == nullptr)
      << "Find() revived a plan idle for a whole TTL";
  // It is left for the sweep, which hands it on for release.
  std::vector<std::shared_ptr<QueryPlan>> expired = registry_.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "q");
}

// An answer lost on its way is never pulled: its plan goes at the claim
// deadline, long before the TTL, and gives its client's place back.
TEST_F(QueryRegistryTest, AnUnclaimedPlanIsDroppedAtItsClaimDeadline) {
  QueryRegistry registry(&clock_, /*ttl_nanos=*/300 * kTtl, 3, 3, &memory_);
  const int64_t claim_by = clock_.NowNanos() + 2 * kTtl;
  ASSERT_NE(Hold(&registry, "lost", "alice", claim_by), nullptr);
  ASSERT_NE(Hold(&registry, "pulled", "alice", claim_by), nullptr);
  clock_.AdvanceNanos(kTtl);
  ASSERT_NE(registry.Find("pulled", "alice"), nullptr);  // claims it
  clock_.AdvanceNanos(kTtl - 1);
  EXPECT_TRUE(registry.TakeExpired().empty());
  clock_.AdvanceNanos(1);
  EXPECT_EQ(registry.Find("lost", "alice"), nullptr)
      << "found an unclaimed plan past its claim deadline";
  std::vector<std::shared_ptr<QueryPlan>> expired = registry.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "lost");
  EXPECT_EQ(registry.abandoned(), 1);
  EXPECT_EQ(registry.HeldBy("alice"), 1);
  // The claimed one lives by its idle TTL from now on.
  clock_.AdvanceNanos(100 * kTtl);
  EXPECT_NE(registry.Find("pulled", "alice"), nullptr);
  clock_.AdvanceNanos(300 * kTtl);
  expired = registry.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "pulled");
  EXPECT_EQ(registry.abandoned(), 1);  // that one expired idle
}

// A client's deadline bounds its whole query: its plan goes then even if it
// is being pulled (the client cannot pull past it), and a plan without one
// lives by its idle TTL once claimed.
TEST_F(QueryRegistryTest, APlanWithADeadlineIsDroppedThenEvenWhileInUse) {
  QueryRegistry registry(&clock_, /*ttl_nanos=*/300 * kTtl, 3, 3, &memory_);
  const int64_t deadline = clock_.NowNanos() + 5 * kTtl;
  ASSERT_NE(Hold(&registry, "bounded", "alice", deadline, deadline), nullptr);
  ASSERT_NE(Hold(&registry, "open", "alice", deadline), nullptr);
  for (int s = 0; s < 4; ++s) {
    clock_.AdvanceNanos(kTtl);
    ASSERT_NE(registry.Find("bounded", "alice"), nullptr);
    ASSERT_NE(registry.Find("open", "alice"), nullptr);
  }
  clock_.AdvanceNanos(kTtl);
  EXPECT_EQ(registry.Find("bounded", "alice"), nullptr);
  std::vector<std::shared_ptr<QueryPlan>> expired = registry.TakeExpired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->query_id(), "bounded");
  EXPECT_EQ(registry.abandoned(), 1);
  EXPECT_NE(registry.Find("open", "alice"), nullptr);
}

// Release (Remove) of an unclaimed plan is an ordinary release.
TEST_F(QueryRegistryTest, RemovingAnUnclaimedPlanIsNotADrop) {
  ASSERT_NE(Hold(&registry_, "q", "alice", clock_.NowNanos() + kTtl / 2),
            nullptr);
  EXPECT_NE(registry_.Remove("q", "alice"), nullptr);
  clock_.AdvanceNanos(kTtl);
  EXPECT_TRUE(registry_.TakeExpired().empty());
  EXPECT_EQ(registry_.abandoned(), 0);
}

TEST_F(QueryRegistryTest, ConcurrentReservationsNeverExceedTheCaps) {
  QueryRegistry registry(&clock_, kTtl, /*max_plans=*/40,
                         /*max_per_client=*/15, &memory_);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string client = "client" + std::to_string(t);
      for (int i = 0; i < 30; ++i) {
        if (!registry.Reserve(client).ok()) continue;
        granted.fetch_add(1);
        registry.Add(std::make_shared<QueryPlan>(
            client + "/" + std::to_string(i), 10,
            std::vector<Segment>{MakeSegment("A", 5)}, &memory_, client),
            {kNever, 0});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 40);
  EXPECT_EQ(registry.size(), 40);
  int held = 0;
  for (int t = 0; t < 4; ++t) {
    const int by = registry.HeldBy("client" + std::to_string(t));
    EXPECT_LE(by, 15);
    held += by;
  }
  EXPECT_EQ(held, 40);
}

}  // namespace
}  // namespace overlay
