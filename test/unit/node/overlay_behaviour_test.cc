// Copyright 2026 The overlay Authors.
//
// Node behaviour on the in-process overlay (fake clock, no sleeping):
// deadlines, the strict/partial contract for missing shares, routes around
// stalled nodes, cancellation freeing everything, owners dying mid-pull,
// per-client result caps, and the result TTL.

#include <grpcpp/client_context.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fanout/deadline.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/inprocess_overlay.h"
#include "test/test_util/overlay_calls.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::overlay::testing::ExpectedWithout;
using ::overlay::testing::GeneratedData;
using ::overlay::testing::InProcessOverlay;
using ::overlay::testing::PullAll;
using ::overlay::testing::Release;
using ::overlay::testing::RunQuery;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kHopCapMs = 1000;  // neighbor_timeout_ms of these tests

void ShortHops(OverlayConfig& config) {
  config.strategy.neighbor_timeout_ms = kHopCapMs;
}

// one_host without its D-E edge: a tree, so F's share has one route and the
// calls waiting on stalled F are always A->E and E->F. (On the cycle, which
// of D's paths wins decides which calls wait on F; when several hops' timers
// fire in one jump of the fake clock, shares on the losing path can miss
// their parent's deadline. The cycle has its own tests below.)
void ShortHopsTree(OverlayConfig& config) {
  ShortHops(config);
  for (ProcessConfig& p : config.processes) {
    auto& n = p.neighbors;
    const char* drop = p.id == "D" ? "E" : p.id == "E" ? "D" : nullptr;
    if (drop != nullptr) n.erase(std::remove(n.begin(), n.end(), drop), n.end());
  }
}

v1::QueryRequest Pm25(bool allow_partial, int chunk_size = 500) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(chunk_size);
  request.set_allow_partial(allow_partial);
  return request;
}

std::vector<std::string> MissingIds(const v1::QueryResponse& response) {
  std::vector<std::string> ids;
  for (const auto& m : response.missing()) ids.push_back(m.node_id());
  return ids;
}

std::vector<std::string> ShareIds(const v1::QueryResponse& response) {
  std::vector<std::string> ids;
  for (const auto& s : response.shares()) ids.push_back(s.node_id());
  return ids;
}

int64_t PeerCallsInFlight(const InProcessOverlay& overlay) {
  int64_t sum = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    sum += overlay.node(p.id).services.peers->in_flight();
  }
  return sum;
}

// No call or answer on its way, and no node busy: every outbound call has
// its server call at the callee, the other server calls are the client's
// Query at A until it is answered, and every node's server calls are each
// waiting for a neighbour or held by the test's hooks (a node still
// finishing its scan or its reply is busy). A reply not yet sent when the
// clock jumps could lose to its caller's deadline; under load it may take
// milliseconds.
bool AnswersSettled(const InProcessOverlay& overlay,
                    const testing::AsyncQuery& query) {
  int64_t served = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    const NodeServices& s = overlay.node(p.id).services;
    const int64_t here = s.gate->in_flight();
    if (here > s.peers->in_flight() + overlay.held(p.id)) return false;
    served += here;
  }
  return PeerCallsInFlight(overlay) == served - (query.finished() ? 0 : 1);
}

// F holds the query's Execute, every other node has scanned its share, and
// no answer is on its way. Which calls still wait on F depends on the
// order in which the query reached the nodes of the B-D-E cycle.
bool OnlyStalledFHolds(const InProcessOverlay& overlay,
                       const testing::AsyncQuery& query) {
  if (overlay.held("F") != 1) return false;
  for (const char* id : {"A", "B", "C", "D", "E"}) {
    if (overlay.node(id).services.metrics->queries_executed.load() < 1) {
      return false;
    }
  }
  return AnswersSettled(overlay, query);
}

// Waits until no node holds a call, a plan or rows.
bool EverythingFreed(InProcessOverlay& overlay) {
  return overlay.WaitFor([&] {
    return overlay.Quiet() && overlay.PlansHeld() == 0 &&
           overlay.ResultsHeld() == 0;
  });
}

// Moves the clock on by `ms` in steps of 10 ms, letting the answers each
// step released travel back before the next, as they would in real time:
// the hop margins exist so that a child's timeout reaches its parent before
// the parent's own deadline. One jump would expire every hop at once.
void AdvanceSteadily(InProcessOverlay& overlay, int64_t ms,
                     const testing::AsyncQuery& query) {
  for (int64_t done = 0; done < ms;) {
    const int64_t step = std::min<int64_t>(10, ms - done);
    overlay.AdvanceMillis(step);
    done += step;
    ASSERT_TRUE(overlay.WaitFor([&] {
      return overlay.TimersDelivering() == 0 && AnswersSettled(overlay, query);
    }))
        << overlay.Describe();
  }
}

class OverlayBehaviourTest : public ::testing::Test {
 protected:
  const std::string& root() { return GeneratedData::Get().root(); }
  InProcessOverlay overlay_;
};

// --------------------------------------------------------- a stalled leaf

// F stalls; the query waits for it until E's call to F runs out of time
// (E's deadline is the hop cap, F's a margin earlier).
void StallFAndRunOut(InProcessOverlay& overlay,
                     std::unique_ptr<testing::AsyncQuery>& query,
                     const v1::QueryRequest& request) {
  overlay.Stall("F");
  query = overlay.StartQuery(request);
  ASSERT_TRUE(
      overlay.WaitFor([&] { return OnlyStalledFHolds(overlay, *query); }))
      << overlay.Describe();
  AdvanceSteadily(overlay, kHopCapMs - 25, *query);  // past F's, not E's
}

TEST_F(OverlayBehaviourTest, StalledLeafStrictFailsNamingOnlyTheMissingShare) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHopsTree));
  std::unique_ptr<testing::AsyncQuery> query;
  StallFAndRunOut(overlay_, query, Pm25(/*allow_partial=*/false));
  grpc::Status status = query->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("F (2020-09-13..2020-09-24)"));
  for (const char* other : {"A (", "B (", "C (", "D (", "E ("}) {
    EXPECT_THAT(status.error_message(), Not(HasSubstr(other)));
  }
  // F's parked Execute was cancelled by E, and what the other owners held
  // was released; E's release of the query waits on stalled F until E's
  // hop cap.
  EXPECT_TRUE(overlay_.WaitFor([&] {
    return overlay_.ResultsHeld() == 0 && overlay_.PlansHeld() == 0 &&
           overlay_.held("F") == 1 &&
           overlay_.held("F", RpcKind::kReleaseResult) == 1 &&
           PeerCallsInFlight(overlay_) == 1;
  })) << overlay_.Describe();
  overlay_.AdvanceMillis(kHopCapMs);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

TEST_F(OverlayBehaviourTest, StalledLeafPartialAnswersEveryOtherShareExactly) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHopsTree));
  const v1::QueryRequest request = Pm25(/*allow_partial=*/true);
  std::unique_ptr<testing::AsyncQuery> query;
  StallFAndRunOut(overlay_, query, request);
  ASSERT_TRUE(query->Wait().ok());
  const v1::QueryResponse& response = query->response();
  EXPECT_FALSE(response.complete());
  ASSERT_EQ(response.missing_size(), 1) << response.ShortDebugString();
  EXPECT_EQ(response.missing(0).node_id(), "F");
  EXPECT_EQ(response.missing(0).share(), "2020-09-13..2020-09-24");
  EXPECT_EQ(response.missing(0).reason(), v1::MissingShare::DEADLINE_EXCEEDED);
  EXPECT_THAT(ShareIds(response), ElementsAre("A", "B", "C", "D", "E"));
  const std::vector<Record> expected =
      ExpectedWithout(overlay_, request, {"F"});
  EXPECT_EQ(response.total_records(), static_cast<int64_t>(expected.size()));
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records, expected);
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// ------------------------------------------------------------ a dead leaf

TEST_F(OverlayBehaviourTest, DeadLeafStrictAndPartial) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHops));
  overlay_.Kill("F");
  v1::QueryResponse response;
  grpc::Status status = RunQuery(overlay_, Pm25(false), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("F (2020-09-13..2020-09-24)"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("E (")));

  const v1::QueryRequest request = Pm25(true);
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  EXPECT_FALSE(response.complete());
  EXPECT_THAT(MissingIds(response), ElementsAre("F"));
  EXPECT_EQ(response.missing(0).reason(), v1::MissingShare::UNAVAILABLE);
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {"F"}));
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// ------------------------------------------------- a stalled middle node

TEST_F(OverlayBehaviourTest, StalledMiddleNodeCostsOnlyWhatNeedsIt) {
  // one_host: E stalls; D is also reached through B and still answers;
  // F can only be reached through E.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHops));
  overlay_.Stall("E");
  const v1::QueryRequest request = Pm25(true);
  auto query = overlay_.StartQuery(request);
  // E holds A's call and D's (D, reached through B, forwards to E).
  ASSERT_TRUE(overlay_.WaitFor([&] {
    return overlay_.held("E") == 2 && PeerCallsInFlight(overlay_) == 4;
  })) << overlay_.Describe();
  // D's call to E runs out first (D's deadline is a margin inside B's):
  // D answers B, B answers A; only A's call to E is left.
  overlay_.AdvanceMillis(kHopCapMs - 75);
  ASSERT_TRUE(overlay_.WaitFor([&] { return PeerCallsInFlight(overlay_) == 1; }))
      << overlay_.Describe();
  overlay_.AdvanceMillis(100);
  ASSERT_TRUE(query->Wait().ok());
  const v1::QueryResponse& response = query->response();
  EXPECT_THAT(ShareIds(response), ElementsAre("A", "B", "C", "D"));
  EXPECT_THAT(MissingIds(response), ElementsAre("E", "F"));
  for (const auto& m : response.missing()) {
    EXPECT_EQ(m.reason(), v1::MissingShare::DEADLINE_EXCEEDED);
  }
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {"E", "F"}));
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

TEST_F(OverlayBehaviourTest, FiveNodesCycleRoutesAroundAStalledNode) {
  // five_nodes: E is reached through C and through D.
  for (const char* stalled : {"C", "D"}) {
    InProcessOverlay overlay;
    ASSERT_OK(overlay.Start("configs/five_nodes.json", root(), ShortHops));
    overlay.Stall(stalled);
    const v1::QueryRequest request = Pm25(true);
    auto query = overlay.StartQuery(request);
    // The stalled node holds B's call and E's (E, reached through the
    // other one, forwards to it); B's other child waits on E.
    ASSERT_TRUE(overlay.WaitFor([&] {
      return overlay.held(stalled) == 2 && PeerCallsInFlight(overlay) == 5;
    })) << stalled << "\n" << overlay.Describe();
    // E's call runs out first (two margins inside B's deadline): E answers
    // with its share, and so does the node between B and E.
    overlay.AdvanceMillis(kHopCapMs - 125);
    ASSERT_TRUE(overlay.WaitFor([&] {
      return PeerCallsInFlight(overlay) == 2;  // A->B, B->stalled
    })) << stalled << "\n" << overlay.Describe();
    overlay.AdvanceMillis(100);  // then B's call to the stalled node
    ASSERT_TRUE(query->Wait().ok()) << stalled;
    const v1::QueryResponse& response = query->response();
    EXPECT_THAT(MissingIds(response), ElementsAre(stalled));
    EXPECT_EQ(response.shares_size(), 3) << stalled;
    auto stub = overlay.PortalStub();
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                         PullAll(*stub, response));
    EXPECT_EQ(records, ExpectedWithout(overlay, request, {stalled}));
    EXPECT_TRUE(Release(*stub, response.query_id()).ok());
    EXPECT_TRUE(overlay.WaitFor([&] { return overlay.Quiet(); })) << stalled;
  }
}

TEST_F(OverlayBehaviourTest, ShareFirstAnsweredAlongAStalledPathStillCounts) {
  // D is first reached through E (B is held back), answers E, and then E
  // stalls with its answer. D must still answer through B.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHops));
  overlay_.Stall("B");
  overlay_.HoldReplies("E");
  const v1::QueryRequest request = Pm25(true);
  auto query = overlay_.StartQuery(request);
  // B holds A's call and D's (D, first reached through E, forwards to B).
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("B") == 2; }))
      << overlay_.Describe();
  // D's call to B runs out: D answers E, and E keeps its answer.
  overlay_.AdvanceMillis(kHopCapMs - 75);
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("E") == 1; }))
      << overlay_.Describe();
  overlay_.Resume("B");  // B now forwards to C and D: D is a repeat
  ASSERT_TRUE(overlay_.WaitFor([&] { return PeerCallsInFlight(overlay_) == 1; }))
      << "only A->E (held) left\n" << overlay_.Describe();
  overlay_.AdvanceMillis(100);
  ASSERT_TRUE(query->Wait().ok());
  const v1::QueryResponse& response = query->response();
  EXPECT_THAT(ShareIds(response), ElementsAre("A", "B", "C", "D"));
  EXPECT_THAT(MissingIds(response), ElementsAre("E", "F"));
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {"E", "F"}));
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  // F answered E, whose answer was lost: nobody knows F holds rows, and
  // they go with the TTL.
  overlay_.AdvanceMillis(
      int64_t{overlay_.config().strategy.result_ttl_seconds} * 1000 + 2000);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// --------------------------------------------------- all neighbours down

TEST_F(OverlayBehaviourTest, AllNeighboursDown) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHops));
  overlay_.Kill("B");
  overlay_.Kill("E");
  v1::QueryResponse response;
  grpc::Status status = RunQuery(overlay_, Pm25(false), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  for (const char* id : {"B (", "C (", "D (", "E (", "F ("}) {
    EXPECT_THAT(status.error_message(), HasSubstr(id));
  }
  // Partial: the portal's own share is all there is.
  const v1::QueryRequest request = Pm25(true);
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  EXPECT_THAT(ShareIds(response), ElementsAre("A"));
  EXPECT_THAT(MissingIds(response), ElementsAre("B", "C", "D", "E", "F"));
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records,
            ExpectedWithout(overlay_, request, {"B", "C", "D", "E", "F"}));
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
}

TEST_F(OverlayBehaviourTest, EveryShareMissingIsAnErrorEvenWhenPartial) {
  // five_nodes: the portal holds no data; with B down nothing answers.
  ASSERT_OK(overlay_.Start("configs/five_nodes.json", root(), ShortHops));
  overlay_.Kill("B");
  v1::QueryResponse response;
  grpc::Status status = RunQuery(overlay_, Pm25(true), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("no share answered"));
}

// ------------------------------------------------ cancel and deadlines

TEST_F(OverlayBehaviourTest, ClientCancelFreesEverythingEverywhere) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), ShortHops));
  overlay_.Stall("F");
  auto query = overlay_.StartQuery(Pm25(false));
  // ... and the portal holds its own rows (stored once its scan, and the
  // encoding of its chunks into the shared cache, ended on a worker).
  ASSERT_TRUE(overlay_.WaitFor([&] {
    return OnlyStalledFHolds(overlay_, *query) && overlay_.ResultsHeld() > 0;
  })) << overlay_.Describe();
  query->Cancel();
  EXPECT_EQ(query->Wait().error_code(), grpc::StatusCode::CANCELLED);
  // No time passes: cancellation alone frees every node. Only E's release
  // of the query waits on stalled F, until E's hop cap.
  EXPECT_TRUE(overlay_.WaitFor([&] {
    return overlay_.ResultsHeld() == 0 && overlay_.PlansHeld() == 0 &&
           overlay_.CallsInFlight() == 2 && overlay_.held("F") == 1 &&
           overlay_.held("F", RpcKind::kReleaseResult) == 1;
  })) << overlay_.Describe();
  overlay_.AdvanceMillis(kHopCapMs);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// An answer ready with less of the Query's time left than the margin an
// answer needs to travel (5% of 10 s, at most 100 ms, plus gRPC's rounding
// of the deadline, below) is not sent: the client would most likely have
// given up, and its result would stay held unused until the TTL. The Query
// fails and nothing stays anywhere.
TEST_F(OverlayBehaviourTest, AnswerTooCloseToTheDeadlineIsRefusedAndFreed) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto query = overlay_.StartQuery(Pm25(false), std::chrono::seconds(10));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  overlay_.AdvanceMillis(10'000 - 50);  // 50 ms left when it runs
  overlay_.Resume("A");
  grpc::Status status = query->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("too late to reach the client"));
  EXPECT_TRUE(EverythingFreed(overlay_)) << overlay_.Describe();
  // With time to spare, the same query is answered.
  auto again = overlay_.StartQuery(Pm25(false), std::chrono::seconds(10));
  EXPECT_TRUE(again->Wait().ok());
}

// The client's deadline may pass up to 1% (+1 ms) before the portal's copy
// of it, since gRPC rounds a timeout up: of 10 s, the copy may end 101 ms
// late. So an answer ready 150 ms before the copy's deadline (more than the
// 100 ms hop margin alone) would still most likely miss its client.
TEST_F(OverlayBehaviourTest, AnswerWithinTheDeadlinesRoundingIsRefused) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto query = overlay_.StartQuery(Pm25(false), std::chrono::seconds(10));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  overlay_.AdvanceMillis(10'000 - 150);
  overlay_.Resume("A");
  grpc::Status status = query->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("too late to reach the client"));
  EXPECT_TRUE(EverythingFreed(overlay_)) << overlay_.Describe();
}

TEST_F(OverlayBehaviourTest, ClientDeadlineBoundsEveryHop) {
  // A long hop cap: only the client's deadline bounds the query.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             config.strategy.neighbor_timeout_ms = 600000;
                           }));
  overlay_.Stall("F");
  auto query = overlay_.StartQuery(Pm25(false), std::chrono::seconds(30));
  ASSERT_TRUE(
      overlay_.WaitFor([&] { return OnlyStalledFHolds(overlay_, *query); }))
      << overlay_.Describe();
  overlay_.AdvanceMillis(30'000);
  grpc::Status status = query->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // F still stalls, so E's release of the query waits on F until E's hop
  // cap; everything else is free at once. (Waiting for F to hold the
  // release itself: until it does, the release's hop deadline may not be
  // set yet, and advancing the clock first would not reach it.)
  EXPECT_TRUE(overlay_.WaitFor([&] {
    return overlay_.ResultsHeld() == 0 && overlay_.PlansHeld() == 0 &&
           overlay_.CallsInFlight() == 2 &&
           overlay_.held("F", RpcKind::kReleaseResult) == 1;
  })) << overlay_.Describe();
  overlay_.AdvanceMillis(600'000);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// ------------------------------------------------------------ small results

TEST_F(OverlayBehaviourTest, SmallResultTravelsAsOneChunkAndNobodyHoldsRows) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  v1::QueryRequest request = Pm25(false, /*chunk_size=*/20000);
  request.set_inline_first_chunk(true);
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  ASSERT_EQ(response.total_chunks(), 1);
  ASSERT_TRUE(response.has_first_chunk());
  EXPECT_EQ(overlay_.ResultsHeld(), 0);  // every share sent its records
  // Every share is listed with its own count; all are in chunk 0.
  EXPECT_EQ(response.shares_size(), 6);
  int64_t sum = 0;
  for (const v1::ShareResult& share : response.shares()) sum += share.records();
  EXPECT_EQ(sum, response.total_records());
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       DecodeChunk(response.first_chunk().records()));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {}));
  for (const ProcessConfig& p : overlay_.config().processes) {
    EXPECT_EQ(overlay_.node(p.id).services.metrics->LatencyOf(RpcKind::kFetch)
                  .count(),
              0)
        << p.id;
  }
  // The answer was the whole result: the portal keeps nothing for it.
  EXPECT_TRUE(response.whole());
  EXPECT_EQ(overlay_.PlansHeld(), 0);
  auto stub = overlay_.PortalStub();
  EXPECT_EQ(Release(*stub, response.query_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }));
  // Without chunk 0 inline, the same result is held until pulled.
  request.set_inline_first_chunk(false);
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  EXPECT_FALSE(response.whole());
  ASSERT_OK_AND_ASSIGN(std::vector<Record> pulled, PullAll(*stub, response));
  EXPECT_EQ(pulled, records);
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }));
}

// ------------------------------------------------- results nobody will pull

int64_t Abandoned(const InProcessOverlay& overlay) {
  return overlay.node(overlay.config().portal).services.plans->abandoned();
}

// An answer lost on its way (its client gave up as it arrived) is never
// pulled or released: the result goes at the claim grace, not the TTL.
TEST_F(OverlayBehaviourTest, AResultNobodyPullsIsFreedAfterTheClaimGrace) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  v1::QueryResponse response;
  // Chunks of 3: the owners hold rows (nothing fits in one chunk).
  ASSERT_TRUE(RunQuery(overlay_, Pm25(false, 3), &response).ok());
  EXPECT_FALSE(response.whole());
  EXPECT_EQ(response.claim_within_ms(), 1000);
  EXPECT_GT(overlay_.ResultsHeld(), 0);
  overlay_.AdvanceMillis(900);  // not yet: the janitor runs every second
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  overlay_.AdvanceMillis(1'100);
  EXPECT_TRUE(EverythingFreed(overlay_)) << overlay_.Describe();
  EXPECT_EQ(Abandoned(overlay_), 1);
  auto stub = overlay_.PortalStub();
  EXPECT_EQ(PullAll(*stub, response).status().code(),
            absl::StatusCode::kNotFound);
}

// The client's deadline bounds its whole query: a result it is pulling is
// freed at that deadline too (it could not pull past it).
TEST_F(OverlayBehaviourTest, TheClientsDeadlineBoundsItsResult) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  auto query = overlay_.StartQuery(Pm25(false, 3), std::chrono::seconds(10));
  ASSERT_TRUE(query->Wait().ok());
  const v1::QueryResponse& response = query->response();
  auto stub = overlay_.PortalStub();
  v1::ChunkRequest first;
  first.set_query_id(response.query_id());
  first.set_chunk_index(0);
  for (int step = 0; step < 9; ++step) {  // in use, second by second
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    ASSERT_TRUE(stub->GetChunk(&context, first, &chunk).ok()) << step;
    overlay_.AdvanceMillis(1'000);
  }
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  overlay_.AdvanceMillis(2'000);
  EXPECT_TRUE(EverythingFreed(overlay_)) << overlay_.Describe();
  EXPECT_EQ(Abandoned(overlay_), 1);
}

// A fresh query's result (F's chunks then come from F, not the shared
// cache), and a GetChunk of F's first chunk on a thread of its own, started
// once F is stalled and waiting on F when Start() returns.
class PullFromStalledF {
 public:
  explicit PullFromStalledF(InProcessOverlay& overlay)
      : overlay_(overlay), stub_(overlay.PortalStub()) {}
  ~PullFromStalledF() {
    if (!thread_.joinable()) return;
    context_.TryCancel();  // a failed test does not wait for the deadline
    thread_.join();
  }

  // `deadline`: from now on the nodes' fake clock.
  void Start(std::chrono::milliseconds deadline) {
    v1::QueryRequest request = Pm25(false, 3);
    request.set_fresh(true);
    ASSERT_TRUE(RunQuery(overlay_, request, &response_).ok());
    int32_t f_chunk = -1;
    for (const v1::ShareResult& share : response_.shares()) {
      if (share.node_id() == "F" && share.chunks() > 0) {
        f_chunk = share.first_chunk();
      }
    }
    ASSERT_GE(f_chunk, 0);
    overlay_.Stall("F");
    // Exactly `deadline` on the nodes' fake clock (see AsyncQuery: gRPC
    // rounds a 20 s timeout up to the next 100 ms); the real deadline after
    // it only bounds a failing test.
    context_.set_deadline(std::chrono::system_clock::now() + deadline +
                          std::chrono::seconds(10));
    context_.AddMetadata(
        kFakeDeadlineKey,
        std::to_string(
            overlay_.clock().NowNanos() +
            std::chrono::duration_cast<std::chrono::nanoseconds>(deadline)
                .count()));
    thread_ = std::thread([this, f_chunk] {
      v1::ChunkRequest request;
      request.set_query_id(response_.query_id());
      request.set_chunk_index(f_chunk);
      v1::ChunkResponse chunk;
      status_ = stub_->GetChunk(&context_, request, &chunk);
    });
    // The portal must have read the GetChunk (and taken its deadline), not
    // only F be holding a Fetch of its chunk: prefetches sent with the
    // Query's answer park at F too, and moving the clock (or cancelling)
    // before the portal has the GetChunk tests something else.
    ASSERT_TRUE(overlay_.WaitFor([&] {
      return overlay_.arrived("A", RpcKind::kGetChunk) > 0 &&
             overlay_.held("F", RpcKind::kFetch) > 0;
    })) << overlay_.Describe();
  }
  void Cancel() { context_.TryCancel(); }
  grpc::Status Wait() {
    thread_.join();
    return status_;
  }
  const v1::QueryResponse& response() const { return response_; }
  v1::QueryService::Stub& stub() { return *stub_; }

 private:
  InProcessOverlay& overlay_;
  std::unique_ptr<v1::QueryService::Stub> stub_;
  v1::QueryResponse response_;
  grpc::ClientContext context_;
  grpc::Status status_;
  std::thread thread_;
};

// Once F is back, `pull`'s result can be pulled from (its first chunk) and
// released, and then nothing is left anywhere.
void ExpectTheResultIsStillThere(InProcessOverlay& overlay,
                                 PullFromStalledF& pull) {
  overlay.Resume("F");
  v1::ChunkRequest first;
  first.set_query_id(pull.response().query_id());
  v1::ChunkResponse chunk;
  grpc::ClientContext context;
  EXPECT_TRUE(pull.stub().GetChunk(&context, first, &chunk).ok());
  EXPECT_TRUE(Release(pull.stub(), pull.response().query_id()).ok());
  EXPECT_TRUE(EverythingFreed(overlay)) << overlay.Describe();
}

// A GetChunk that runs out of time leaves the result: its client may ask
// for the chunk again.
TEST_F(OverlayBehaviourTest, AGetChunkPastItsDeadlineKeepsTheResult) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  PullFromStalledF pull(overlay_);
  ASSERT_NO_FATAL_FAILURE(pull.Start(std::chrono::seconds(20)));
  overlay_.AdvanceMillis(20'000);
  EXPECT_EQ(pull.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  EXPECT_EQ(Abandoned(overlay_), 0);
  ExpectTheResultIsStillThere(overlay_, pull);
}

// A client's own deadline ends its GetChunk before the portal's copy of it
// passes: gRPC rounded the timeout up (a 20 s deadline reaches the portal
// as up to 20.1 s). That cancel is the deadline, not a client that left:
// the result stays, to be pulled again. (With a slack of only the transit
// time, 5 ms, the portal freed the result here.)
TEST_F(OverlayBehaviourTest, AGetChunkEndedByTheClientsDeadlineKeepsTheResult) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  PullFromStalledF pull(overlay_);
  ASSERT_NO_FATAL_FAILURE(pull.Start(std::chrono::milliseconds(20'100)));
  overlay_.AdvanceMillis(20'000);  // the client's 20 s are up...
  pull.Cancel();                   // ...and gRPC cancels its call
  EXPECT_EQ(pull.Wait().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  EXPECT_EQ(Abandoned(overlay_), 0);
  ExpectTheResultIsStillThere(overlay_, pull);
}

// A client that cancels a GetChunk (it stopped pulling, or it was killed
// and its connection went) will not pull the rest: the result is freed at
// once, its owners' rows too.
TEST_F(OverlayBehaviourTest, ACancelledGetChunkFreesTheResult) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  PullFromStalledF pull(overlay_);
  ASSERT_NO_FATAL_FAILURE(pull.Start(std::chrono::seconds(60)));
  pull.Cancel();
  EXPECT_EQ(pull.Wait().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.PlansHeld() == 0; }))
      << overlay_.Describe();
  EXPECT_EQ(Abandoned(overlay_), 1);
  EXPECT_EQ(Release(pull.stub(), pull.response().query_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  overlay_.Resume("F");
  EXPECT_TRUE(overlay_.WaitFor([&] {
    return overlay_.Quiet() && overlay_.ResultsHeld() == 0;
  })) << overlay_.Describe();
}

// ---------------------------------------------------------------- pruning

TEST_F(OverlayBehaviourTest, TimeWindowScansAndAsksOnlySharesThatCanMatch) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root()));
  v1::QueryRequest request = Pm25(false);
  // 2020-09-13T00:00 onwards: only F's days (09-13..09-24).
  request.mutable_filter()->set_from_utc_seconds(
      DaysFromCivil(2020, 9, 13) * 86400);
  // B stalls: F is also reachable behind B (B-D-E-F), but once F answered
  // through E the answer is complete; no time passes here at all.
  overlay_.Stall("B");
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  overlay_.Resume("B");
  EXPECT_TRUE(response.complete());
  EXPECT_THAT(ShareIds(response), ElementsAre("A", "B", "C", "D", "E", "F"));
  for (const v1::ShareResult& share : response.shares()) {
    if (share.node_id() != "F") {
      EXPECT_EQ(share.records(), 0) << share.node_id();
    }
  }
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {}));
  EXPECT_FALSE(records.empty());
  for (const ProcessConfig& p : overlay_.config().processes) {
    const NodeMetrics& m = *overlay_.node(p.id).services.metrics;
    EXPECT_EQ(m.queries_executed.load(), p.id == "F" ? 1 : 0) << p.id;
  }
  // The call to stalled B was cancelled once the answer was complete.
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.CallsInFlight() == 0; }))
      << overlay_.Describe();
  // C's share cannot match and nothing lies behind C: it is never asked.
  EXPECT_EQ(overlay_.node("C").services.metrics->LatencyOf(RpcKind::kExecute)
                .count(),
            0);
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
}

// ---------------------------------------------------------- pulling chunks

TEST_F(OverlayBehaviourTest, OwnerDyingMidPullFailsOnlyItsChunks) {
  // Without the shared cache: with it, F's chunks are in the segment and
  // outlive F (shared_cache_test.cc).
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             ShortHops(config);
                             config.strategy.shared_cache_mb = 0;
                           }));
  // Small chunks: every share holds more than one, so none travels with
  // the answer and F's must be fetched from F.
  const v1::QueryRequest request = Pm25(false, /*chunk_size=*/3);
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  ASSERT_TRUE(response.complete());
  overlay_.Kill("F");
  auto stub = overlay_.PortalStub();
  const std::vector<Record> expected = ExpectedWithout(overlay_, request, {});
  int failed = 0;
  for (const v1::ShareResult& share : response.shares()) {
    for (int i = share.first_chunk(); i < share.first_chunk() + share.chunks();
         ++i) {
      v1::ChunkRequest chunk_request;
      chunk_request.set_query_id(response.query_id());
      chunk_request.set_chunk_index(i);
      v1::ChunkResponse chunk;
      grpc::ClientContext context;
      grpc::Status status = stub->GetChunk(&context, chunk_request, &chunk);
      if (share.node_id() == "F") {
        ++failed;
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
        EXPECT_THAT(status.error_message(),
                    HasSubstr("owner 'F' (share 2020-09-13..2020-09-24)"));
        continue;
      }
      ASSERT_TRUE(status.ok()) << share.node_id() << ": "
                               << status.error_message();
      ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                           DecodeChunk(chunk.records()));
      for (size_t k = 0; k < records.size(); ++k) {
        ASSERT_EQ(records[k], expected[chunk.first_record() + k]);
      }
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_TRUE(Release(*stub, response.query_id()).ok());
}

// ------------------------------------------------------ memory of results

TEST_F(OverlayBehaviourTest, PerClientCapRefusesAndNeverEvicts) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             config.strategy.max_results_per_client = 2;
                           }));
  auto stub = overlay_.PortalStub();
  v1::QueryRequest request = Pm25(false);
  request.set_client_id("heavy");
  std::vector<v1::QueryResponse> held(2);
  for (v1::QueryResponse& response : held) {
    ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  }
  v1::QueryResponse refused;
  grpc::Status status = RunQuery(overlay_, request, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("max_results_per_client 2"));
  EXPECT_THAT(status.error_message(), HasSubstr(held[0].query_id()));
  // Another client is unaffected, and cannot see the first one's results.
  v1::QueryRequest light = Pm25(false);
  light.set_client_id("light");
  v1::QueryResponse light_response;
  ASSERT_TRUE(RunQuery(overlay_, light, &light_response).ok());
  EXPECT_EQ(PullAll(*stub, held[0], "light").status().code(),
            absl::StatusCode::kNotFound);
  // Both held results are intact, record for record.
  const std::vector<Record> expected = ExpectedWithout(overlay_, request, {});
  for (const v1::QueryResponse& response : held) {
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                         PullAll(*stub, response, "heavy"));
    EXPECT_EQ(records, expected);
  }
  EXPECT_TRUE(Release(*stub, held[0].query_id(), "heavy").ok());
  EXPECT_TRUE(RunQuery(overlay_, request, &refused).ok());
}

TEST_F(OverlayBehaviourTest, ResultMemoryBoundRefusesNewQueriesNotOldResults) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             config.strategy.max_result_mb = 1;
                           }));
  v1::QueryRequest request;  // everything: the most rows an owner can hold
  request.set_chunk_size(1000);
  // Computed anew every time: a plan from the shared cache holds no rows.
  request.set_fresh(true);
  std::vector<v1::QueryResponse> held;
  grpc::Status status;
  for (int i = 0; i < 400 && status.ok(); ++i) {
    v1::QueryResponse response;
    status = RunQuery(overlay_, request, &response);
    if (status.ok()) held.push_back(response);
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("max_result_mb"));
  ASSERT_GT(held.size(), 2u);
  auto stub = overlay_.PortalStub();
  const size_t total = GeneratedData::Get().table().num_rows();
  for (const v1::QueryResponse& response : {held.front(), held.back()}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records, PullAll(*stub, response));
    EXPECT_EQ(records.size(), total);
  }
  for (const v1::QueryResponse& response : held) {
    EXPECT_TRUE(Release(*stub, response.query_id()).ok());
  }
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

TEST_F(OverlayBehaviourTest, ResultsExpireAfterTheTtlOnTheFakeClock) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             config.strategy.result_ttl_seconds = 10;
                           }));
  v1::QueryResponse response;
  // Chunks of 3: the owners hold rows (nothing fits in one chunk).
  ASSERT_TRUE(RunQuery(overlay_, Pm25(false, 3), &response).ok());
  EXPECT_GT(overlay_.ResultsHeld(), 0);
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  auto puller = overlay_.PortalStub();
  {
    v1::ChunkRequest first;  // claims it: from now on only the TTL counts
    first.set_query_id(response.query_id());
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    ASSERT_TRUE(puller->GetChunk(&context, first, &chunk).ok());
  }
  overlay_.AdvanceMillis(9'000);  // not yet
  EXPECT_EQ(overlay_.PlansHeld(), 1);
  overlay_.AdvanceMillis(2'000);  // the janitor runs every second
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
  auto stub = overlay_.PortalStub();
  EXPECT_EQ(PullAll(*stub, response).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace overlay
