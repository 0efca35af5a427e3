// Copyright 2026 The overlay Authors.
//
// Admission on the in-process overlay (fake clock, no sleeping): typed
// rejections with retry hints end to end, queue bounds, a queued request
// that is cancelled or runs out of time frees its place, shutdown with a
// full queue, the class travelling to the workers (a heavy client does not
// starve a light one there either), a worker's rejection surfacing as a
// missing share at the portal, chunk pulls never starved by new queries,
// repeat arrivals never queued, and no deadlock with one scan slot per node.
// Slots are held deterministically by parking admitted calls
// (InProcessOverlay::StallAdmitted) or by stalling a node.

#include <grpcpp/client_context.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/fanout/deadline.h"
#include "core/security/peer_credential.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/inprocess_overlay.h"
#include "test/test_util/overlay_calls.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

using ::overlay::testing::AsyncQuery;
using ::overlay::testing::ExpectedWithout;
using ::overlay::testing::GeneratedData;
using ::overlay::testing::InProcessOverlay;
using ::overlay::testing::PullAll;
using ::overlay::testing::Release;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPushback[] = "grpc-retry-pushback-ms";

v1::QueryRequest Pm25(const std::string& client, bool allow_partial = false,
                      int chunk_size = 500) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(chunk_size);
  request.set_allow_partial(allow_partial);
  request.set_client_id(client);
  return request;
}

// Small pools: `queries` Query slots, `scans` Execute slots, and queue
// bounds per pool.
std::function<void(OverlayConfig&)> Pools(int queries, int scans, int total,
                                          int per_client,
                                          int hop_cap_ms = 600'000) {
  return [=](OverlayConfig& config) {
    config.admission.max_concurrency = queries;
    config.admission.max_concurrent_scans = scans;
    config.admission.max_queue_total = total;
    config.admission.max_queue_per_client = per_client;
    config.strategy.neighbor_timeout_ms = hop_cap_ms;
  };
}

AdmissionMetrics QueryPool(const InProcessOverlay& overlay,
                           const std::string& id) {
  return overlay.node(id).services.query_admission->GetMetrics();
}
AdmissionMetrics ExecutePool(const InProcessOverlay& overlay,
                             const std::string& id) {
  return overlay.node(id).services.execute_admission->GetMetrics();
}

// The metrics row of `client` (in any team), or an empty row.
ClassAdmissionMetrics ClassRow(const AdmissionMetrics& metrics,
                               const std::string& client) {
  for (const ClassAdmissionMetrics& row : metrics.classes) {
    if (row.client == client) return row;
  }
  return ClassAdmissionMetrics();
}

int64_t Rejected(const AdmissionMetrics& metrics, RejectReason reason) {
  return metrics.rejected[static_cast<int>(reason)];
}

int64_t PushbackMs(const AsyncQuery& query) {
  int64_t ms = 0;
  return absl::SimpleAtoi(query.Trailer(kPushback), &ms) ? ms : -1;
}

// A Query whose deadline, on the overlay's fake clock, is `millis` from now.
grpc::Status QueryWithFakeDeadline(InProcessOverlay& overlay,
                                   const v1::QueryRequest& request,
                                   int64_t millis,
                                   v1::QueryResponse* response) {
  auto stub = overlay.PortalStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  context.AddMetadata(
      kFakeDeadlineKey,
      std::to_string(overlay.clock().NowNanos() + millis * 1'000'000));
  return stub->Query(&context, request, response);
}

class AdmissionBehaviourTest : public ::testing::Test {
 protected:
  const std::string& root() { return GeneratedData::Get().root(); }

  // Waits until `id`'s Query (or Execute) pool has `queued` waiting.
  bool WaitQueued(const std::string& id, int64_t queued, bool query = true) {
    return overlay_.WaitFor([&] {
      const AdmissionMetrics m =
          query ? QueryPool(overlay_, id) : ExecutePool(overlay_, id);
      return m.queued == queued;
    });
  }

  InProcessOverlay overlay_;
};

// --------------------------------------------------- typed rejections

TEST_F(AdmissionBehaviourTest, PortalRejectionsAreTypedAndCarryRetryHints) {
  // One Query slot, three places, two per client.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(1, 8, 3, 2)));
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto q0 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  auto h1 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(WaitQueued("A", 1));
  auto h2 = overlay_.StartQuery(Pm25("heavy"));  // heavy's newest
  ASSERT_TRUE(WaitQueued("A", 2)) << overlay_.Describe();

  // Over its own bound: RESOURCE_EXHAUSTED at once, with a hint.
  auto h3 = overlay_.StartQuery(Pm25("heavy"));
  grpc::Status status = h3->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("client 'heavy' (team 'default') already has 2 "
                        "requests queued"));
  EXPECT_GT(PushbackMs(*h3), 0) << h3->Trailer(kPushback);

  // light fills the queue; a third client pushes out heavy's newest.
  auto l1 = overlay_.StartQuery(Pm25("light"));
  ASSERT_TRUE(WaitQueued("A", 3));
  auto o1 = overlay_.StartQuery(Pm25("other"));
  status = h2->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("pushed out of the full queue"));
  EXPECT_GT(PushbackMs(*h2), 0);
  ASSERT_TRUE(WaitQueued("A", 3));

  // The queue is full with every class at its share: the node as a whole
  // is overloaded, UNAVAILABLE.
  auto l2 = overlay_.StartQuery(Pm25("light"));
  status = l2->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("the queue is full"));
  EXPECT_GT(PushbackMs(*l2), 0);

  const AdmissionMetrics m = QueryPool(overlay_, "A");
  EXPECT_EQ(m.limit, 1);
  EXPECT_EQ(m.queued, 3);
  EXPECT_EQ(Rejected(m, RejectReason::kClientQueueFull), 1);
  EXPECT_EQ(Rejected(m, RejectReason::kDisplaced), 1);
  EXPECT_EQ(Rejected(m, RejectReason::kQueueFull), 1);
  EXPECT_EQ(ClassRow(m, "heavy").rejected_total(), 2);
  EXPECT_EQ(ClassRow(m, "light").rejected_total(), 1);

  // GetMetrics carries it.
  {
    auto stub = overlay_.PortalStub();
    grpc::ClientContext context;
    v1::MetricsResponse metrics;
    ASSERT_TRUE(
        stub->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
    EXPECT_EQ(metrics.queue_depth(), 3);
    EXPECT_EQ(metrics.rejected(), 3);
    EXPECT_EQ(metrics.admission_limit(), 1);
    EXPECT_EQ(metrics.scan_admission_limit(), 8);
    ASSERT_EQ(metrics.admission_size(), 2);
    const v1::AdmissionPoolMetrics& query = metrics.admission(0);
    EXPECT_EQ(query.pool(), "Query");
    EXPECT_EQ(query.queued(), 3);
    EXPECT_EQ(query.in_flight(), 1);
    std::vector<std::string> reasons;
    for (const v1::RejectionCount& count : query.rejected_by_reason()) {
      reasons.push_back(absl::StrCat(count.reason(), "=", count.count()));
    }
    EXPECT_THAT(reasons, ElementsAre("client_queue_full=1", "displaced=1",
                                     "queue_full=1"));
    EXPECT_EQ(metrics.admission(1).pool(), "Execute");
    EXPECT_EQ(query.queue_wait().counts_size(),
              query.queue_wait().bounds_us_size() + 1);
  }

  // Everything admitted or queued is served once the slot frees.
  overlay_.Resume("A");
  for (auto* query : {q0.get(), h1.get(), l1.get(), o1.get()}) {
    EXPECT_TRUE(query->Wait().ok());
    EXPECT_TRUE(query->response().complete());
  }
  EXPECT_EQ(QueryPool(overlay_, "A").queued, 0);
}

TEST_F(AdmissionBehaviourTest, DeadlineShorterThanTheServiceTimeIsRefused) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           Pools(8, 8, 64, 32, /*hop_cap_ms=*/1000)));
  // A query that takes a second (F stalls until E's call to it runs out)
  // teaches the portal its service time.
  overlay_.Stall("F");
  auto slow = overlay_.StartQuery(Pm25("c"));
  // And every other scan is done: a slot held while the clock jumps would
  // teach its node a service time of a second too. Done, not merely not
  // started: E's call to D may still be on its way when F holds its own.
  ASSERT_TRUE(overlay_.WaitFor([&] {
    if (overlay_.held("F") != 1) return false;
    for (const char* id : {"B", "C", "D", "E"}) {
      const AdmissionMetrics pool = ExecutePool(overlay_, id);
      if (pool.admitted < 1 || pool.in_flight != 0) return false;
    }
    return ExecutePool(overlay_, "A").in_flight == 0;
  })) << overlay_.Describe();
  overlay_.AdvanceMillis(1000);
  EXPECT_EQ(slow->Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  overlay_.Resume("F");
  ASSERT_TRUE(overlay_.WaitFor(
      [&] { return QueryPool(overlay_, "A").expected_service_ms > 900; }));

  v1::QueryResponse response;
  grpc::Status status =
      QueryWithFakeDeadline(overlay_, Pm25("c"), 500, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("is shorter than the expected service time"));
  EXPECT_EQ(Rejected(QueryPool(overlay_, "A"),
                     RejectReason::kDeadlineTooShort),
            1);
  status = QueryWithFakeDeadline(overlay_, Pm25("c"), 5000, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// ------------------------------------------- leaving the queue early

TEST_F(AdmissionBehaviourTest, CancelledQueuedQueryFreesItsPlace) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(1, 8, 4, 1)));
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto q0 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  auto q1 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(WaitQueued("A", 1));
  auto refused = overlay_.StartQuery(Pm25("heavy"));  // its bound is 1
  EXPECT_EQ(refused->Wait().error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  q1->Cancel();
  EXPECT_EQ(q1->Wait().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitQueued("A", 0));
  EXPECT_EQ(QueryPool(overlay_, "A").cancelled, 1);
  // The place is free again: the next one queues instead of being refused.
  auto q2 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(WaitQueued("A", 1));
  overlay_.Resume("A");
  EXPECT_TRUE(q0->Wait().ok());
  EXPECT_TRUE(q2->Wait().ok());
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.CallsInFlight() == 0; }))
      << overlay_.Describe();
}

TEST_F(AdmissionBehaviourTest, QueuedQueryGivesUpAtItsDeadline) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(1, 8, 4, 4)));
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto q0 = overlay_.StartQuery(Pm25("a"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  auto q1 = overlay_.StartQuery(Pm25("b"), std::chrono::seconds(20));
  ASSERT_TRUE(WaitQueued("A", 1));
  overlay_.AdvanceMillis(20'000);
  EXPECT_EQ(q1->Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(WaitQueued("A", 0));
  EXPECT_EQ(QueryPool(overlay_, "A").cancelled, 1);
  EXPECT_EQ(QueryPool(overlay_, "A").admitted, 1);  // q0 only
  overlay_.Resume("A");
  EXPECT_TRUE(q0->Wait().ok());
}

TEST_F(AdmissionBehaviourTest, ShutdownWithAFullQueueAnswersEveryWaiter) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(1, 1, 3, 3)));
  // A's only slot is held by a query waiting on stalled E; three more wait.
  overlay_.Stall("E");
  auto q0 = overlay_.StartQuery(Pm25("a"));
  // E holds one or both of its arrivals (from A, and from D if D heard of
  // the query from B first).
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("E") >= 1; }));
  std::vector<std::unique_ptr<AsyncQuery>> queued;
  for (const char* client : {"a", "b", "c"}) {
    queued.push_back(overlay_.StartQuery(Pm25(client)));
  }
  ASSERT_TRUE(WaitQueued("A", 3));
  overlay_.Kill("A");  // returns: nothing waits for the queued calls
  for (auto& query : queued) {
    grpc::Status status = query->Wait();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  }
  EXPECT_NE(q0->Wait().error_code(), grpc::StatusCode::OK);
}

TEST_F(AdmissionBehaviourTest, ShutdownOfAWorkerWithAFullQueue) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(8, 1, 3, 3)));
  overlay_.StallAdmitted("F", RpcKind::kExecute);
  auto q0 = overlay_.StartQuery(Pm25("a"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("F") == 1; }));
  std::vector<std::unique_ptr<AsyncQuery>> queued;
  for (const char* client : {"a", "b", "c"}) {
    queued.push_back(overlay_.StartQuery(Pm25(client)));
  }
  ASSERT_TRUE(WaitQueued("F", 3, /*query=*/false));
  overlay_.KillBusy("F");  // its slot stays taken until the end
  for (auto& query : queued) {
    grpc::Status status = query->Wait();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(),
                HasSubstr("F (2020-09-13..2020-09-24)"));
    EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  }
  q0->Wait();
}

// ------------------------------------------------------ at the workers

TEST_F(AdmissionBehaviourTest, HeavyClientDoesNotStarveALightOneAtAWorker) {
  // One Execute slot per node. F's slot is held by heavy's first query;
  // heavy queues three more at F, then light queues one.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           Pools(16, 1, 16, 8)));
  overlay_.StallAdmitted("F", RpcKind::kExecute);
  std::vector<std::unique_ptr<AsyncQuery>> heavy;
  heavy.push_back(overlay_.StartQuery(Pm25("heavy")));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("F") == 1; }));
  for (int i = 0; i < 3; ++i) {
    heavy.push_back(overlay_.StartQuery(Pm25("heavy")));
  }
  ASSERT_TRUE(WaitQueued("F", 3, /*query=*/false)) << overlay_.Describe();
  auto light = overlay_.StartQuery(Pm25("light"));
  ASSERT_TRUE(WaitQueued("F", 4, /*query=*/false));

  // The class came with the Execute: F queues by the portal's clients.
  AdmissionMetrics f = ExecutePool(overlay_, "F");
  EXPECT_EQ(ClassRow(f, "heavy").queued, 3);
  EXPECT_EQ(ClassRow(f, "light").queued, 1);
  EXPECT_EQ(ClassRow(f, "heavy").in_flight, 1);

  // Let F's slot go to the next one, one at a time, until light has it.
  int64_t heavy_left = -1;
  for (int round = 0; round < 4 && heavy_left < 0; ++round) {
    const int64_t before = ExecutePool(overlay_, "F").queued;
    ASSERT_EQ(overlay_.ResumeAdmitted("F"), 1);
    ASSERT_TRUE(overlay_.WaitFor([&] {
      return overlay_.held("F") == 1 &&
             ExecutePool(overlay_, "F").queued == before - 1;
    })) << overlay_.Describe();
    f = ExecutePool(overlay_, "F");
    if (ClassRow(f, "light").in_flight == 1) {
      heavy_left = ClassRow(f, "heavy").queued;
    }
  }
  // Start-time fair queuing: light waits behind at most one of heavy's
  // three (FIFO would have made it wait for all three).
  EXPECT_GE(heavy_left, 2);

  overlay_.Resume("F");
  EXPECT_TRUE(light->Wait().ok());
  EXPECT_TRUE(light->response().complete());
  for (auto& query : heavy) {
    EXPECT_TRUE(query->Wait().ok());
    EXPECT_TRUE(query->response().complete());
  }
}

TEST_F(AdmissionBehaviourTest, WorkerRejectionIsAMissingShareWithItsHint) {
  // F: one Execute slot, one place per client.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           Pools(16, 1, 4, 1)));
  overlay_.StallAdmitted("F", RpcKind::kExecute);
  auto h0 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("F") == 1; }));
  auto h1 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(WaitQueued("F", 1, /*query=*/false));

  // Strict: the query fails RESOURCE_EXHAUSTED naming F's share, with F's
  // retry hint.
  auto strict = overlay_.StartQuery(Pm25("heavy"));
  grpc::Status status = strict->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("F (2020-09-13..2020-09-24)"));
  EXPECT_THAT(status.error_message(), HasSubstr("'F' did not answer"));
  EXPECT_THAT(status.error_message(), HasSubstr("admission: client 'heavy'"));
  for (const char* other : {"A (", "B (", "C (", "D (", "E ("}) {
    EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr(other)));
  }
  EXPECT_GT(PushbackMs(*strict), 0);

  // Partial: every other share, F missing with the reason and the hint.
  const v1::QueryRequest request = Pm25("heavy", /*allow_partial=*/true);
  auto partial = overlay_.StartQuery(request);
  ASSERT_TRUE(partial->Wait().ok());
  const v1::QueryResponse& response = partial->response();
  EXPECT_FALSE(response.complete());
  ASSERT_EQ(response.missing_size(), 1);
  const v1::MissingShare& missing = response.missing(0);
  EXPECT_EQ(missing.node_id(), "F");
  EXPECT_EQ(missing.reason(), v1::MissingShare::ERROR);
  EXPECT_THAT(missing.message(), HasSubstr("RESOURCE_EXHAUSTED: admission"));
  EXPECT_GT(missing.retry_after_ms(), 0);
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       PullAll(*stub, response, "heavy"));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {"F"}));
  EXPECT_TRUE(Release(*stub, response.query_id(), "heavy").ok());

  EXPECT_EQ(Rejected(ExecutePool(overlay_, "F"),
                     RejectReason::kClientQueueFull),
            2);
  overlay_.Resume("F");
  EXPECT_TRUE(h0->Wait().ok());
  EXPECT_TRUE(h1->Wait().ok());
}

// ------------------------------------------------------- follow-ups

TEST_F(AdmissionBehaviourTest, ChunkPullsAreNeverStarvedByNewQueries) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), Pools(1, 1, 2, 2)));
  // A result with chunks at every owner, answered before the overload.
  const v1::QueryRequest request = Pm25("reader", false, /*chunk_size=*/7);
  auto answered = overlay_.StartQuery(request);
  ASSERT_TRUE(answered->Wait().ok());
  const v1::QueryResponse response = answered->response();
  ASSERT_GT(response.total_chunks(), 6);

  // The portal's only Query slot is taken and its queue is full.
  overlay_.StallAdmitted("A", RpcKind::kQuery);
  auto q0 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("A") == 1; }));
  auto q1 = overlay_.StartQuery(Pm25("heavy"));
  auto q2 = overlay_.StartQuery(Pm25("heavy"));
  ASSERT_TRUE(WaitQueued("A", 2));
  auto refused = overlay_.StartQuery(Pm25("heavy"));
  EXPECT_EQ(refused->Wait().error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Every chunk still comes, record for record, and the release works.
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       PullAll(*stub, response, "reader"));
  EXPECT_EQ(records, ExpectedWithout(overlay_, request, {}));
  EXPECT_TRUE(Release(*stub, response.query_id(), "reader").ok());
  const AdmissionMetrics a = QueryPool(overlay_, "A");
  EXPECT_EQ(ClassRow(a, "reader").rejected_total(), 0);
  EXPECT_GE(ClassRow(a, "reader").admitted, 1 + response.total_chunks());
  EXPECT_EQ(a.queued, 2);  // the new queries still wait

  overlay_.Resume("A");
  for (auto* query : {q0.get(), q1.get(), q2.get()}) {
    EXPECT_TRUE(query->Wait().ok());
  }
}

// An Execute sent straight to `id` (as a neighbour would), answered on a
// thread of its own.
class DirectExecute final {
 public:
  DirectExecute(const InProcessOverlay& overlay, const std::string& id,
                const std::string& query_id)
      : stub_(overlay.PeerStub(id)) {
    request_.set_query_id(query_id);
    request_.mutable_filter()->add_parameters(v1::PM25);
    request_.add_path("A");
    request_.set_hops_left(0);  // this node's share only
    request_.mutable_request_class()->set_client("c");
    context_.AddMetadata(kPeerSecretKey, ::overlay::testing::kTestPeerSecret);
    thread_ = std::thread([this] {
      status_ = stub_->Execute(&context_, request_, &response_);
    });
  }
  ~DirectExecute() {
    if (thread_.joinable()) {
      context_.TryCancel();
      thread_.join();
    }
  }
  grpc::Status Wait() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  const v1::ExecuteResponse& response() const { return response_; }

 private:
  std::unique_ptr<v1::PeerService::Stub> stub_;
  v1::ExecuteRequest request_;
  grpc::ClientContext context_;
  v1::ExecuteResponse response_;
  grpc::Status status_;
  std::thread thread_;
};

TEST_F(AdmissionBehaviourTest, RepeatArrivalNeverQueues) {
  // E has one Execute slot. Query "q" ran at E; then another query holds
  // the slot. A second arrival of "q" (another path reaching E) only waits
  // for the run E has: it is admitted at once, never queued behind it.
  ASSERT_OK(overlay_.Start("configs/five_nodes.json", root(),
                           Pools(8, 1, 4, 4)));
  DirectExecute first(overlay_, "E", "q");
  ASSERT_TRUE(first.Wait().ok());
  overlay_.StallAdmitted("E", RpcKind::kExecute);
  DirectExecute other(overlay_, "E", "other");
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("E") == 1; }));
  DirectExecute again(overlay_, "E", "q");
  ASSERT_TRUE(overlay_.WaitFor([&] { return overlay_.held("E") == 2; }))
      << overlay_.Describe();
  const AdmissionMetrics e = ExecutePool(overlay_, "E");
  EXPECT_EQ(e.queued, 0);
  EXPECT_EQ(e.in_flight, 2);  // one slot, two holders: the repeat is a
                              // follow-up
  overlay_.Resume("E");
  ASSERT_TRUE(again.Wait().ok());
  ASSERT_EQ(again.response().hits_size(), 1);
  EXPECT_EQ(again.response().hits(0).node_id(), "E");
  EXPECT_EQ(overlay_.node("E").services.metrics->duplicates_ignored.load(),
            1);
  EXPECT_TRUE(other.Wait().ok());
}

TEST_F(AdmissionBehaviourTest, OneScanSlotPerNodeDoesNotDeadlockACycle) {
  // Many queries at once through the cycle of five_nodes, one Execute slot
  // per node and no deadline ever passing (the fake clock stands still):
  // every query must complete.
  ASSERT_OK(overlay_.Start("configs/five_nodes.json", root(),
                           Pools(16, 1, 64, 64)));
  std::vector<std::unique_ptr<AsyncQuery>> queries;
  for (int i = 0; i < 12; ++i) {
    queries.push_back(
        overlay_.StartQuery(Pm25(i % 2 == 0 ? "heavy" : "light")));
  }
  for (auto& query : queries) {
    grpc::Status status = query->Wait();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(query->response().complete());
  }
  EXPECT_THAT(std::vector<int64_t>({QueryPool(overlay_, "A").queued,
                                    ExecutePool(overlay_, "E").queued}),
              ElementsAre(0, 0));
}

}  // namespace
}  // namespace overlay
