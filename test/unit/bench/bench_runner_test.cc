// Copyright 2026 The overlay Authors.
//
// End-to-end runs of the bench library against the in-process fake
// QueryService: the counts add up, the JSON parses and agrees with them,
// the open loop issues its timetable, --no-chunks sends no GetChunk, the
// node scrapes give per-CPU throughput, --parallel keeps that many GetChunk
// in flight, incomplete answers count as partial, several clients are
// counted apart (with their rejection codes and retry hints). No test
// depends on timing.

#include "tools/bench/bench_runner.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/bench/fake_query_service.h"
#include "tools/bench/report_json.h"

namespace overlay::bench {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

int64_t SumValues(const rapidjson::Value& object) {
  int64_t sum = 0;
  for (const auto& member : object.GetObject()) sum += member.value.GetInt64();
  return sum;
}

FakeServiceOptions Fake(int chunks, int records, int fail_every) {
  FakeServiceOptions options;
  options.chunks_per_query = chunks;
  options.records_per_chunk = records;
  options.fail_every_nth_query = fail_every;
  return options;
}

// Rejects every `every`th Query of `client` with RESOURCE_EXHAUSTED and a
// `pushback_ms` retry hint, as admission would.
FakeServiceOptions Rejecting(FakeServiceOptions options, std::string client,
                             int every, int pushback_ms) {
  options.reject_client = std::move(client);
  options.reject_every_nth = every;
  options.reject_pushback_ms = pushback_ms;
  return options;
}

class BenchRunnerTest : public ::testing::Test {
 protected:
  void StartFake(FakeServiceOptions fake_options) {
    fake_ = std::make_unique<FakeQueryService>(fake_options);
    ASSERT_OK(fake_->Start());
  }

  BenchOptions Options() const {
    BenchOptions options;
    options.target = fake_->address();
    options.requests = 100;
    options.concurrency = 8;
    options.channels = 2;
    options.cq_threads = 2;
    return options;
  }

  // Parses the JSON of `result` and checks the invariants every run keeps.
  void CheckJson(const BenchResult& result, rapidjson::Document& doc) {
    const std::string json = RenderJsonReport(result);
    doc.Parse(json.c_str());
    ASSERT_FALSE(doc.HasParseError()) << json;
    ASSERT_TRUE(doc.IsObject());
    EXPECT_STREQ(doc["schema"].GetString(), "overlay_bench/1");
    for (const char* key : {"requests", "concurrency", "ok", "errors"}) {
      ASSERT_TRUE(doc.HasMember(key) && doc[key].IsInt64()) << key;
    }
    for (const char* key : {"wall_s", "qps"}) {
      ASSERT_TRUE(doc.HasMember(key) && doc[key].IsNumber()) << key;
    }
    EXPECT_EQ(doc["requests"].GetInt64(), result.requests);
    EXPECT_EQ(doc["ok"].GetInt64() + doc["errors"].GetInt64(),
              doc["requests"].GetInt64());
    EXPECT_GT(doc["wall_s"].GetDouble(), 0);

    const rapidjson::Value& latency = doc["latency_ms"];
    EXPECT_STREQ(latency["includes"].GetString(), "successes");
    EXPECT_EQ(latency["count"].GetInt64(), doc["ok"].GetInt64());
    double previous = 0;
    for (const char* key : {"min", "p50", "p90", "p99", "p999", "max"}) {
      ASSERT_TRUE(latency.HasMember(key) && latency[key].IsNumber()) << key;
      EXPECT_GE(latency[key].GetDouble(), previous) << key;
      previous = latency[key].GetDouble();
    }

    const rapidjson::Value& histogram = doc["histogram"];
    const auto& bounds = histogram["bounds"].GetArray();
    const auto& counts = histogram["counts"].GetArray();
    int64_t histogram_total = 0;
    for (const auto& count : counts) histogram_total += count.GetInt64();
    EXPECT_EQ(histogram_total, doc["ok"].GetInt64());
    EXPECT_EQ(histogram["total"].GetInt64(), doc["ok"].GetInt64());
    if (counts.Size() > 0) {
      EXPECT_EQ(bounds.Size(), counts.Size() + 1);
    }
    for (rapidjson::SizeType i = 1; i < bounds.Size(); ++i) {
      EXPECT_LT(bounds[i - 1].GetDouble(), bounds[i].GetDouble());
    }

    int64_t timeline_ok = 0;
    int64_t timeline_errors = 0;
    for (const auto& second : doc["timeline"].GetArray()) {
      timeline_ok += second["ok"].GetInt64();
      timeline_errors += second["errors"].GetInt64();
      for (const char* key : {"t_s", "qps", "p50_ms", "p99_ms"}) {
        EXPECT_TRUE(second[key].IsNumber()) << key;
      }
    }
    EXPECT_EQ(timeline_ok, doc["ok"].GetInt64());
    EXPECT_EQ(timeline_errors, doc["errors"].GetInt64());
    EXPECT_EQ(SumValues(doc["errors_by_code"]), doc["errors"].GetInt64());
    EXPECT_EQ(SumValues(doc["errors_by_message"]), doc["errors"].GetInt64());
    EXPECT_TRUE(doc["nodes"].IsArray());
    ASSERT_TRUE(doc.HasMember("partial") && doc["partial"].IsInt64());
    EXPECT_LE(doc["partial"].GetInt64(), doc["ok"].GetInt64());
    ASSERT_TRUE(doc["retry_pushback_ms"].IsObject());

    // Every client's counts keep the same invariants, and sum to the run's.
    ASSERT_TRUE(doc["clients"].IsArray());
    ASSERT_GE(doc["clients"].Size(), 1u);
    ASSERT_EQ(doc["clients"].Size(), result.clients.size());
    int64_t sums[5] = {0, 0, 0, 0, 0};
    for (const auto& client : doc["clients"].GetArray()) {
      const int64_t ok = client["ok"].GetInt64();
      const int64_t errors = client["errors"].GetInt64();
      const int64_t requests = client["requests"].GetInt64();
      EXPECT_EQ(ok + errors, requests) << client["name"].GetString();
      EXPECT_EQ(client["latency_ms"]["count"].GetInt64(), ok);
      EXPECT_EQ(client["error_latency_ms"]["count"].GetInt64(), errors);
      EXPECT_EQ(SumValues(client["errors_by_code"]), errors);
      EXPECT_EQ(SumValues(client["errors_by_message"]), errors);
      EXPECT_LE(client["partial"].GetInt64(), ok);
      EXPECT_DOUBLE_EQ(client["success_rate"].GetDouble(),
                       requests > 0 ? static_cast<double>(ok) / requests : 0);
      sums[0] += requests;
      sums[1] += ok;
      sums[2] += errors;
      sums[3] += client["partial"].GetInt64();
      sums[4] += client["release_failures"].GetInt64();
    }
    EXPECT_EQ(sums[0], doc["requests"].GetInt64());
    EXPECT_EQ(sums[1], doc["ok"].GetInt64());
    EXPECT_EQ(sums[2], doc["errors"].GetInt64());
    EXPECT_EQ(sums[3], doc["partial"].GetInt64());
    EXPECT_EQ(sums[4], doc["release_failures"].GetInt64());
  }

  std::unique_ptr<FakeQueryService> fake_;
  Workload workload_ = Workload::FromRequest(v1::QueryRequest(), "get_all");
};

TEST_F(BenchRunnerTest, ClosedLoopCountsAddUp) {
  StartFake(Fake(3, 4, 7));
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(Options(), workload_));
  fake_->Shutdown();

  EXPECT_EQ(result.mode, "closed");
  EXPECT_EQ(result.requests, 100);
  EXPECT_EQ(result.errors, 100 / 7);
  EXPECT_EQ(result.ok, 100 - 100 / 7);
  EXPECT_EQ(fake_->queries(), 100);
  EXPECT_EQ(fake_->chunks(), result.ok * 3);
  EXPECT_EQ(fake_->releases(), result.ok);
  EXPECT_EQ(result.chunks_total, result.ok * 3);
  EXPECT_EQ(result.records_total, result.ok * 12);
  EXPECT_EQ(result.records_min, 12);
  EXPECT_EQ(result.records_max, 12);
  EXPECT_GT(result.bytes_total, 0);
  EXPECT_EQ(result.latency.count, result.ok);
  EXPECT_EQ(result.query.count, result.ok);
  EXPECT_EQ(result.chunk.count, result.ok * 3);
  EXPECT_EQ(result.release.count, result.ok);
  EXPECT_EQ(result.error_latency.count, result.errors);
  EXPECT_THAT(result.errors_by_code,
              UnorderedElementsAre(Pair("UNAVAILABLE", 100 / 7)));
  EXPECT_THAT(result.errors_by_message,
              UnorderedElementsAre(
                  Pair("Query: UNAVAILABLE: fake: injected failure", 100 / 7)));

  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_EQ(doc["concurrency"].GetInt64(), 8);
  EXPECT_EQ(doc["errors"].GetInt64(), 14);
  EXPECT_EQ(doc["errors_by_code"]["UNAVAILABLE"].GetInt64(), 14);
  EXPECT_TRUE(doc["open_loop"].IsNull());
  EXPECT_EQ(doc["per_query"]["records_total"].GetInt64(), 86 * 12);
  EXPECT_EQ(doc["latency_split_ms"]["chunk"]["count"].GetInt64(), 86 * 3);
}

TEST_F(BenchRunnerTest, NoChunksSendsNoGetChunk) {
  StartFake(Fake(5, 2, 0));
  BenchOptions options = Options();
  options.fetch_chunks = false;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();

  EXPECT_EQ(result.ok, 100);
  EXPECT_EQ(fake_->queries(), 100);
  EXPECT_EQ(fake_->chunks(), 0);
  EXPECT_EQ(fake_->releases(), 100);
  EXPECT_EQ(result.chunk.count, 0);
  EXPECT_EQ(result.chunks_total, 0);
  EXPECT_EQ(result.records_total, 100 * 10);  // total_records, as announced
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_FALSE(doc["fetch_chunks"].GetBool());
}

TEST_F(BenchRunnerTest, OpenLoopIssuesTheScheduledNumber) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.requests = 0;
  options.rate = 400;
  options.duration_s = 0.25;  // a timetable of 100 requests
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();

  EXPECT_EQ(result.mode, "open");
  EXPECT_EQ(result.planned, 100);
  EXPECT_EQ(result.requests, 100);
  EXPECT_EQ(result.ok + result.errors, 100);
  EXPECT_EQ(fake_->queries(), 100);
  EXPECT_EQ(result.start_lag.count, 100);
  // The last request is not due before 99/400 s.
  EXPECT_GE(result.wall_s, 99.0 / 400);
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_STREQ(doc["mode"].GetString(), "open");
  EXPECT_EQ(doc["open_loop"]["scheduled"].GetInt64(), 100);
  EXPECT_EQ(doc["open_loop"]["start_lag_ms"]["count"].GetInt64(), 100);
}

TEST_F(BenchRunnerTest, OpenLoopHonoursARequestsCap) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.requests = 30;
  options.rate = 1000;
  options.duration_s = 10;  // would be 10,000 without the cap
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.requests, 30);
  EXPECT_EQ(fake_->queries(), 30);
}

TEST_F(BenchRunnerTest, MetricsRpcSendsOnlyGetMetrics) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.rpc = RpcKind::kMetrics;
  options.requests = 300;
  options.concurrency = 32;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.ok, 300);
  EXPECT_EQ(fake_->metrics(), 300);
  EXPECT_EQ(fake_->queries(), 0);
  EXPECT_EQ(result.query.count, 0);
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_STREQ(doc["rpc"].GetString(), "metrics");
}

TEST_F(BenchRunnerTest, WarmupIsSentButNotCounted) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.warmup = 20;
  options.requests = 30;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(fake_->queries(), 50);
  EXPECT_EQ(result.requests, 30);
  EXPECT_EQ(result.ok, 30);
}

TEST_F(BenchRunnerTest, DurationBoundClosedLoopCompletesWhatItIssued) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.requests = 0;
  options.duration_s = 0.2;
  options.concurrency = 4;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.planned, -1);
  EXPECT_GE(result.requests, 4);  // the first wave is always issued
  EXPECT_EQ(result.ok + result.errors, result.requests);
  EXPECT_EQ(fake_->queries(), result.requests);
  rapidjson::Document doc;
  CheckJson(result, doc);
}

TEST_F(BenchRunnerTest, ScrapesNodesForThroughputPerServerCpu) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.requests = 50;
  options.scrape_targets = {{"A", fake_->address()}};
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();

  ASSERT_EQ(result.nodes.size(), 1u);
  const NodeReport& node = result.nodes[0];
  EXPECT_EQ(node.id, "A");
  EXPECT_TRUE(node.reachable);
  EXPECT_EQ(node.queries_received, 50);
  EXPECT_NEAR(node.cpu_s_used, 0.050, 1e-9);  // the fake: 1 ms a Query
  EXPECT_NEAR(result.server_cpu_s, 0.050, 1e-9);
  EXPECT_NEAR(result.ok_per_server_cpu_s, 1000, 1e-6);
  ASSERT_GE(node.samples.size(), 2u);
  EXPECT_EQ(node.samples.front().phase, "before");
  EXPECT_EQ(node.samples.back().phase, "after");
  EXPECT_LE(node.samples.front().t_s, 0);

  rapidjson::Document doc;
  CheckJson(result, doc);
  const rapidjson::Value& json_node = doc["nodes"][0];
  EXPECT_STREQ(json_node["id"].GetString(), "A");
  EXPECT_EQ(json_node["queries_received"].GetInt64(), 50);
  EXPECT_TRUE(json_node["samples"].IsArray());
  EXPECT_NEAR(doc["server"]["ok_per_cpu_s"].GetDouble(), 1000, 1e-3);
}

TEST_F(BenchRunnerTest, UnreachableNodeIsReportedNotFatal) {
  StartFake(Fake(2, 5, 0));
  BenchOptions options = Options();
  options.requests = 10;
  options.scrape_timeout_ms = 200;
  options.scrape_targets = {{"gone", "127.0.0.1:1"}};
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  ASSERT_EQ(result.nodes.size(), 1u);
  EXPECT_FALSE(result.nodes[0].reachable);
  EXPECT_FALSE(result.nodes[0].samples.front().ok);
  EXPECT_EQ(result.server_cpu_s, 0);
  EXPECT_EQ(result.ok, 10);
}

TEST_F(BenchRunnerTest, UnreachableTargetIsUnavailable) {
  BenchOptions options;
  options.target = "127.0.0.1:1";
  options.connect_timeout_ms = 200;
  absl::StatusOr<BenchResult> result = RunBench(options, workload_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(BenchRunnerTest, InvalidOptionsAreRejected) {
  BenchOptions options;
  options.concurrency = 0;
  EXPECT_EQ(RunBench(options, workload_).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = BenchOptions();
  options.requests = 0;  // and no duration
  EXPECT_EQ(RunBench(options, workload_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BenchRunnerTest, ParallelKeepsThatManyGetChunkInFlight) {
  // The fake holds a query's GetChunk calls until 3 of them wait (or all
  // its chunks not yet answered): a request with fewer in flight would
  // stall to its deadline and fail.
  FakeServiceOptions fake = Fake(7, 2, 0);
  fake.hold_chunks = 3;
  StartFake(fake);
  BenchOptions options = Options();
  options.requests = 20;
  options.concurrency = 4;
  options.parallel = 3;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();

  EXPECT_EQ(result.ok, 20);
  EXPECT_EQ(result.errors, 0);
  EXPECT_EQ(fake_->max_chunks_held(), 3);
  EXPECT_EQ(fake_->chunks(), 20 * 7);
  EXPECT_EQ(result.chunk.count, 20 * 7);
  EXPECT_EQ(result.chunks_total, 20 * 7);
  EXPECT_EQ(result.records_total, 20 * 14);
  EXPECT_EQ(fake_->releases(), 20);
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_EQ(doc["parallel"].GetInt64(), 3);
  EXPECT_EQ(doc["clients"][0]["parallel"].GetInt64(), 3);
}

TEST_F(BenchRunnerTest, SequentialPullsOneChunkAtATime) {
  FakeServiceOptions fake = Fake(4, 2, 0);
  fake.hold_chunks = 2;  // would need two in flight: the hold never fills
  StartFake(fake);
  BenchOptions options = Options();
  options.requests = 2;
  options.deadline_ms = 300;  // the held GetChunk fails, never hangs
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.ok, 0);
  EXPECT_EQ(result.errors, 2);
  EXPECT_EQ(fake_->max_chunks_held(), 1);
  EXPECT_THAT(result.errors_by_code,
              UnorderedElementsAre(Pair("DEADLINE_EXCEEDED", 2)));
  EXPECT_EQ(fake_->releases(), 2);  // released after the failed pull
}

TEST_F(BenchRunnerTest, FailedChunkInAWindowReleasesAndCountsOnce) {
  // Chunk 2 of every query fails while others of its window are in flight.
  FakeServiceOptions fake = Fake(6, 2, 0);
  fake.fail_chunk_index = 2;
  StartFake(fake);
  BenchOptions options = Options();
  options.requests = 10;
  options.parallel = 4;
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.ok, 0);
  EXPECT_EQ(result.errors, 10);  // one error a request, not one a chunk
  EXPECT_THAT(
      result.errors_by_message,
      UnorderedElementsAre(Pair("GetChunk: NOT_FOUND: fake: chunk gone", 10)));
  EXPECT_EQ(fake_->releases(), 10);  // released after the failed pull
  EXPECT_LE(fake_->chunks(), 10 * 6);
  rapidjson::Document doc;
  CheckJson(result, doc);
}

TEST_F(BenchRunnerTest, IncompleteAnswersArePartial) {
  FakeServiceOptions fake = Fake(2, 5, 0);
  fake.incomplete_every_nth_query = 4;
  StartFake(fake);
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(Options(), workload_));
  fake_->Shutdown();
  EXPECT_EQ(result.ok, 100);  // partial answers are ok answers
  EXPECT_EQ(result.partial, 25);
  EXPECT_EQ(fake_->incomplete_queries(), 25);
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_EQ(doc["partial"].GetInt64(), 25);
  EXPECT_EQ(doc["clients"][0]["partial"].GetInt64(), 25);
  EXPECT_STREQ(doc["clients"][0]["name"].GetString(), "default");
  EXPECT_STREQ(doc["clients"][0]["client_id"].GetString(), "");
}

TEST_F(BenchRunnerTest, SingleClientKeepsTheClientIdOfTheWords) {
  StartFake(Fake(1, 1, 0));
  v1::QueryRequest request;
  request.set_client_id("from-words");
  BenchOptions options = Options();
  options.requests = 5;
  ASSERT_OK_AND_ASSIGN(
      BenchResult result,
      RunBench(options, Workload::FromRequest(request, "get_all")));
  fake_->Shutdown();
  EXPECT_THAT(fake_->queries_by_client(),
              UnorderedElementsAre(Pair("from-words", 5)));
  EXPECT_FALSE(result.explicit_clients);
  ASSERT_EQ(result.clients.size(), 1u);
  EXPECT_EQ(result.clients[0].requests, 5);
}

TEST_F(BenchRunnerTest, ClientsAreCountedApartWithTheirRejections) {
  // Every second Query of "heavy" is rejected as admission would, with a
  // retry hint; "light" is never rejected.
  StartFake(Rejecting(Fake(2, 3, 0), "heavy", 2, 25));
  BenchOptions options = Options();
  ASSERT_OK_AND_ASSIGN(ClientSpec heavy,
                       ParseClientSpec("heavy:concurrency=4,requests=40"));
  ASSERT_OK_AND_ASSIGN(ClientSpec light,
                       ParseClientSpec("light:rate=400,requests=20"));
  options.clients = {heavy, light};
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();

  // Each client's id went out with its own requests.
  EXPECT_THAT(fake_->queries_by_client(),
              UnorderedElementsAre(Pair("heavy", 40), Pair("light", 20)));
  EXPECT_TRUE(result.explicit_clients);
  EXPECT_EQ(result.mode, "mixed");
  EXPECT_EQ(result.requests, 60);
  EXPECT_EQ(result.ok, 40);
  EXPECT_EQ(result.errors, 20);
  EXPECT_EQ(result.planned, 60);
  EXPECT_EQ(result.channels, 2 * options.channels);
  ASSERT_EQ(result.clients.size(), 2u);

  const ClientReport& h = result.clients[0];
  EXPECT_EQ(h.name, "heavy");
  EXPECT_EQ(h.client_id, "heavy");
  EXPECT_EQ(h.mode, "closed");
  EXPECT_EQ(h.concurrency, 4);
  EXPECT_EQ(h.requests, 40);
  EXPECT_EQ(h.ok, 20);
  EXPECT_EQ(h.errors, 20);
  EXPECT_DOUBLE_EQ(h.success_rate, 0.5);
  EXPECT_EQ(h.latency.count, 20);
  EXPECT_EQ(h.error_latency.count, 20);
  EXPECT_THAT(h.errors_by_code,
              UnorderedElementsAre(Pair("RESOURCE_EXHAUSTED", 20)));
  EXPECT_THAT(
      h.errors_by_message,
      UnorderedElementsAre(
          Pair("Query: RESOURCE_EXHAUSTED: fake: client over its share", 20)));
  EXPECT_EQ(h.retry_pushback.count, 20);
  EXPECT_DOUBLE_EQ(h.retry_pushback.max_ms, 25);
  EXPECT_DOUBLE_EQ(h.retry_pushback.min_ms, 25);

  const ClientReport& l = result.clients[1];
  EXPECT_EQ(l.name, "light");
  EXPECT_EQ(l.mode, "open");
  EXPECT_EQ(l.rate, 400);
  EXPECT_EQ(l.planned, 20);
  EXPECT_EQ(l.requests, 20);
  EXPECT_EQ(l.ok, 20);
  EXPECT_EQ(l.errors, 0);
  EXPECT_DOUBLE_EQ(l.success_rate, 1);
  EXPECT_TRUE(l.errors_by_code.empty());
  EXPECT_EQ(l.start_lag.count, 20);
  EXPECT_EQ(l.retry_pushback.count, 0);
  // The last light request is not due before 19/400 s.
  EXPECT_GE(l.wall_s, 19.0 / 400);

  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_STREQ(doc["mode"].GetString(), "mixed");
  const rapidjson::Value& json_heavy = doc["clients"][0];
  EXPECT_STREQ(json_heavy["name"].GetString(), "heavy");
  EXPECT_STREQ(json_heavy["client_id"].GetString(), "heavy");
  EXPECT_EQ(json_heavy["errors_by_code"]["RESOURCE_EXHAUSTED"].GetInt64(), 20);
  EXPECT_EQ(json_heavy["retry_pushback_ms"]["count"].GetInt64(), 20);
  EXPECT_DOUBLE_EQ(json_heavy["retry_pushback_ms"]["max"].GetDouble(), 25);
  EXPECT_TRUE(json_heavy["open_loop"].IsNull());
  const rapidjson::Value& json_light = doc["clients"][1];
  EXPECT_STREQ(json_light["mode"].GetString(), "open");
  EXPECT_EQ(json_light["open_loop"]["scheduled"].GetInt64(), 20);
  EXPECT_EQ(doc["retry_pushback_ms"]["count"].GetInt64(), 20);
}

TEST_F(BenchRunnerTest, AClosedLoopWaitsOutRetryHints) {
  // Every Query of "heavy" is rejected with a 60 ms hint. One slot, four
  // requests: the slot waits after each of the first three rejections (not
  // after the last: nothing is left to send), so the run cannot take less
  // than 3 x 60 ms. (A lower bound only: an alarm never fires early.)
  StartFake(Rejecting(Fake(1, 1, 0), "heavy", 1, 60));
  BenchOptions options = Options();
  options.requests = 4;
  options.concurrency = 1;
  options.client_id = "heavy";
  ASSERT_TRUE(options.honor_pushback);  // the default
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  EXPECT_EQ(result.errors, 4);
  EXPECT_EQ(result.retry_pushback.count, 4);
  EXPECT_GE(result.wall_s, 0.180);
  rapidjson::Document doc;
  CheckJson(result, doc);
  EXPECT_TRUE(doc["honor_pushback"].GetBool());

  // Told not to, it sends the next request at once: the same four
  // rejections, and the JSON says so.
  options.honor_pushback = false;
  ASSERT_OK_AND_ASSIGN(BenchResult eager, RunBench(options, workload_));
  fake_->Shutdown();
  EXPECT_EQ(eager.errors, 4);
  EXPECT_EQ(fake_->rejected_queries(), 8);
  rapidjson::Document eager_doc;
  CheckJson(eager, eager_doc);
  EXPECT_FALSE(eager_doc["honor_pushback"].GetBool());
}

TEST_F(BenchRunnerTest, ClientsMayHaveTheirOwnQueryAndDuration) {
  StartFake(Fake(1, 2, 0));
  BenchOptions options = Options();
  ASSERT_OK_AND_ASSIGN(
      ClientSpec keys,
      ParseClientSpec("keys:requests=6,query=get_by_key 060371103 --limit 9"));
  ASSERT_OK_AND_ASSIGN(ClientSpec timed,
                       ParseClientSpec("timed:concurrency=2,duration=0.1"));
  options.clients = {keys, timed};
  ASSERT_OK_AND_ASSIGN(BenchResult result, RunBench(options, workload_));
  fake_->Shutdown();
  ASSERT_EQ(result.clients.size(), 2u);
  EXPECT_EQ(result.clients[0].requests, 6);
  ASSERT_EQ(result.clients[0].workload.size(), 1u);
  EXPECT_EQ(result.clients[0].workload[0].words,
            "get_by_key 060371103 --limit 9");
  EXPECT_EQ(result.clients[1].workload[0].words, "get_all");
  EXPECT_EQ(result.clients[1].planned, -1);
  EXPECT_GE(result.clients[1].requests, 2);  // the first wave at least
  EXPECT_EQ(result.planned, -1);
  EXPECT_EQ(result.mode, "closed");
  // Both workloads, once each.
  EXPECT_EQ(result.workload.size(), 2u);
  EXPECT_EQ(fake_->queries(), result.requests);
  rapidjson::Document doc;
  CheckJson(result, doc);
}

TEST_F(BenchRunnerTest, BadClientQueryIsInvalidArgument) {
  StartFake(Fake(1, 1, 0));
  BenchOptions options = Options();
  ASSERT_OK_AND_ASSIGN(ClientSpec bad,
                       ParseClientSpec("bad:query=frobnicate now"));
  options.clients = {bad};
  absl::StatusOr<BenchResult> result = RunBench(options, workload_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_->queries(), 0);
}

TEST(PlannedRequestsTest, OpenAndClosedLoops) {
  BenchOptions options;
  options.requests = 500;
  EXPECT_EQ(PlannedRequests(options), 500);
  options.requests = 0;
  options.duration_s = 3;
  EXPECT_EQ(PlannedRequests(options), -1);
  options.rate = 100;
  EXPECT_EQ(PlannedRequests(options), 300);
  options.requests = 50;
  EXPECT_EQ(PlannedRequests(options), 50);
  options.duration_s = 0;
  EXPECT_EQ(PlannedRequests(options), 50);
}

}  // namespace
}  // namespace overlay::bench
