// Copyright 2026 The overlay Authors.

#include "core/fanout/fanout_aggregator.h"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protos/overlay.pb.h"

namespace overlay {
namespace {

v1::ShareHit Hit(const std::string& node, int64_t records) {
  v1::ShareHit hit;
  hit.set_node_id(node);
  hit.set_share(node + "-share");
  hit.set_records(records);
  return hit;
}

v1::ExecuteResponse Answer(const std::vector<v1::ShareHit>& hits,
                           const std::vector<v1::NodeFailure>& failures = {}) {
  v1::ExecuteResponse answer;
  for (const v1::ShareHit& hit : hits) *answer.add_hits() = hit;
  for (const v1::NodeFailure& failure : failures) {
    *answer.add_failures() = failure;
  }
  return answer;
}

v1::NodeFailure Failure(const std::string& node, grpc::StatusCode code,
                        const std::string& message) {
  v1::NodeFailure failure;
  failure.set_node_id(node);
  failure.set_code(code);
  failure.set_message(message);
  return failure;
}

// A merge that records what it was given, in order.
class RecordingMerge final : public ShareMerge {
 public:
  void AddShare(v1::ShareHit hit) override { hits.push_back(std::move(hit)); }
  std::vector<v1::ShareHit> hits;
};

class FanoutAggregatorTest : public ::testing::Test {
 protected:
  RecordingMerge merge_;
  int completions_ = 0;
  FanoutAggregator fanout_{&merge_, [this] { ++completions_; }};
};

TEST_F(FanoutAggregatorTest, CompletesOnceWhenEveryPartReported) {
  fanout_.Expect(3);
  fanout_.StartedAll();
  EXPECT_EQ(fanout_.outstanding(), 3);
  fanout_.ReportShare(Hit("A", 5));
  EXPECT_EQ(completions_, 0);
  v1::ExecuteResponse b = Answer({Hit("B", 1), Hit("C", 2)});
  fanout_.ReportAnswer("B", &b);
  EXPECT_EQ(completions_, 0);
  EXPECT_FALSE(fanout_.done());
  fanout_.ReportFailure(
      "E", grpc::Status(grpc::StatusCode::UNAVAILABLE, "E is down"));
  EXPECT_EQ(completions_, 1);
  EXPECT_TRUE(fanout_.done());
  EXPECT_EQ(fanout_.outstanding(), 0);
  ASSERT_EQ(merge_.hits.size(), 3u);
  EXPECT_EQ(merge_.hits[0].node_id(), "A");
  EXPECT_EQ(merge_.hits[1].node_id(), "B");
  EXPECT_EQ(merge_.hits[2].node_id(), "C");
  EXPECT_EQ(fanout_.answered().size(), 3u);
  EXPECT_TRUE(fanout_.answered().contains("C"));
}

TEST_F(FanoutAggregatorTest, AFailureKeepsItsRetryHint) {
  fanout_.Expect(2);
  fanout_.StartedAll();
  fanout_.ReportFailure(
      "F", grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "admission"),
      /*retry_after_ms=*/35);
  fanout_.ReportFailure("E", grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"));
  ASSERT_EQ(fanout_.failures().size(), 2u);
  EXPECT_EQ(fanout_.failures()[0].code(),
            static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(fanout_.failures()[0].retry_after_ms(), 35);
  EXPECT_EQ(fanout_.failures()[1].retry_after_ms(), 0);
  EXPECT_EQ(completions_, 1);
}

TEST_F(FanoutAggregatorTest, NothingToAskCompletesAtStartedAll) {
  fanout_.Expect(0);
  EXPECT_FALSE(fanout_.done());
  EXPECT_EQ(completions_, 0);
  fanout_.StartedAll();
  EXPECT_EQ(completions_, 1);
  EXPECT_TRUE(fanout_.done());
  EXPECT_TRUE(merge_.hits.empty());
  EXPECT_TRUE(fanout_.failures().empty());
  fanout_.StartedAll();  // again: still once
  EXPECT_EQ(completions_, 1);
}

TEST_F(FanoutAggregatorTest, NoExpectAtAllCompletesAtStartedAll) {
  fanout_.StartedAll();
  EXPECT_EQ(completions_, 1);
  EXPECT_TRUE(fanout_.done());
}

// A part may report before its start call returns (a refused call runs its
// callback at once): completion waits for StartedAll.
TEST_F(FanoutAggregatorTest, PartsReportingBeforeStartedAllCompleteAtIt) {
  fanout_.Expect(2);
  fanout_.ReportShare(Hit("A", 1));
  fanout_.ReportFailure("B", grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                          "cannot call 'B': not a neighbour"));
  EXPECT_EQ(fanout_.outstanding(), 0);
  EXPECT_EQ(completions_, 0);
  EXPECT_FALSE(fanout_.done());
  fanout_.StartedAll();
  EXPECT_EQ(completions_, 1);
  EXPECT_TRUE(fanout_.done());
}

TEST_F(FanoutAggregatorTest, SomePartsBeforeStartedAllSomeAfter) {
  fanout_.Expect(1);
  fanout_.ReportShare(Hit("A", 1));  // the local scan, fast
  fanout_.Expect(2);                 // then the neighbours
  fanout_.StartedAll();
  EXPECT_EQ(completions_, 0);
  v1::ExecuteResponse b = Answer({Hit("B", 1)});
  fanout_.ReportAnswer("B", &b);
  EXPECT_EQ(completions_, 0);
  v1::ExecuteResponse e = Answer({Hit("E", 1)});
  fanout_.ReportAnswer("E", &e);
  EXPECT_EQ(completions_, 1);
}

// The completion resumes the parent call, which may free everything, the
// aggregator included: nothing may touch it afterwards (ASan checks this).
struct SelfDeletingOwner {
  explicit SelfDeletingOwner(int* completions) : completions(completions) {}
  int* const completions;
  RecordingMerge merge;
  FanoutAggregator fanout{&merge, [this] {
                            ++*completions;
                            delete this;
                          }};
};

TEST(FanoutAggregatorOwnerTest, TheCompletionMayDeleteTheOwner) {
  int completions = 0;
  auto* owner = new SelfDeletingOwner(&completions);
  owner->fanout.Expect(2);
  owner->fanout.StartedAll();
  owner->fanout.ReportShare(Hit("A", 1));
  owner->fanout.ReportFailure("B", grpc::Status::CANCELLED);  // deletes it
  EXPECT_EQ(completions, 1);

  auto* idle = new SelfDeletingOwner(&completions);
  idle->fanout.StartedAll();  // nothing expected: deletes it at once
  EXPECT_EQ(completions, 2);
}

TEST_F(FanoutAggregatorTest, AShareAnsweringTwiceIsMergedOnceFirstWins) {
  fanout_.Expect(3);
  fanout_.StartedAll();
  // D answered along B's path and along E's path of a cyclic overlay.
  v1::ExecuteResponse b = Answer({Hit("B", 1), Hit("D", 10)});
  fanout_.ReportAnswer("B", &b);
  v1::ExecuteResponse e = Answer({Hit("E", 1), Hit("D", 99)});
  fanout_.ReportAnswer("E", &e);
  fanout_.ReportShare(Hit("B", 555));  // and even a direct duplicate
  EXPECT_EQ(completions_, 1);
  ASSERT_EQ(merge_.hits.size(), 3u);
  EXPECT_EQ(merge_.hits[0].node_id(), "B");
  EXPECT_EQ(merge_.hits[0].records(), 1);
  EXPECT_EQ(merge_.hits[1].node_id(), "D");
  EXPECT_EQ(merge_.hits[1].records(), 10);  // the first answer
  EXPECT_EQ(merge_.hits[2].node_id(), "E");
  EXPECT_EQ(fanout_.answered().size(), 3u);
}

TEST_F(FanoutAggregatorTest, FailuresRelayedInAnswersAreKept) {
  fanout_.Expect(2);
  fanout_.StartedAll();
  v1::ExecuteResponse b =
      Answer({Hit("B", 1)},
             {Failure("C", grpc::StatusCode::DEADLINE_EXCEEDED, "C stalled"),
              Failure("D", grpc::StatusCode::UNAVAILABLE, "D is down")});
  fanout_.ReportAnswer("B", &b);
  fanout_.ReportFailure("E",
                        grpc::Status(grpc::StatusCode::INTERNAL, "E broke"));
  EXPECT_EQ(completions_, 1);
  std::vector<v1::NodeFailure>& failures = fanout_.failures();
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].node_id(), "C");
  EXPECT_EQ(failures[0].code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(failures[0].message(), "C stalled");
  EXPECT_EQ(failures[1].node_id(), "D");
  EXPECT_EQ(failures[2].node_id(), "E");
  // A relaying neighbour's own share still counts.
  EXPECT_TRUE(fanout_.answered().contains("B"));
  EXPECT_FALSE(fanout_.answered().contains("C"));
}

TEST_F(FanoutAggregatorTest, ReportFailureRecordsNodeCodeAndMessage) {
  fanout_.Expect(2);
  fanout_.StartedAll();
  fanout_.ReportFailure("B", grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                          "Deadline Exceeded"));
  // The local scan failing is reported with this node's id.
  fanout_.ReportFailure(
      "A", grpc::Status(grpc::StatusCode::CANCELLED, "scan cancelled"));
  EXPECT_EQ(completions_, 1);
  ASSERT_EQ(fanout_.failures().size(), 2u);
  const v1::NodeFailure& b = fanout_.failures()[0];
  EXPECT_EQ(b.node_id(), "B");
  EXPECT_EQ(b.code(), static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_EQ(b.message(), "Deadline Exceeded");
  const v1::NodeFailure& a = fanout_.failures()[1];
  EXPECT_EQ(a.node_id(), "A");
  EXPECT_EQ(a.code(), static_cast<int>(grpc::StatusCode::CANCELLED));
  EXPECT_TRUE(merge_.hits.empty());
  EXPECT_TRUE(fanout_.answered().empty());
}

TEST(HitMergeTest, KeepsEveryShareInArrivalOrder) {
  HitMerge merge;
  FanoutAggregator fanout(&merge, [] {});
  fanout.Expect(2);
  fanout.ReportShare(Hit("C", 3));
  v1::ExecuteResponse answer = Answer({Hit("A", 1), Hit("C", 9)});
  fanout.ReportAnswer("B", &answer);
  fanout.StartedAll();
  ASSERT_EQ(merge.hits().size(), 2u);
  EXPECT_EQ(merge.hits()[0].node_id(), "C");
  EXPECT_EQ(merge.hits()[0].records(), 3);
  EXPECT_EQ(merge.hits()[1].node_id(), "A");
}

}  // namespace
}  // namespace overlay
