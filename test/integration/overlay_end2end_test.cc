// Copyright 2026 The overlay Authors.
//
// End-to-end: real overlay_node processes on loopback for each shipped
// config, on a generated data set; every answer, pulled chunk by chunk, must
// equal record for record a direct scan of the same data.

#include <grpcpp/client_context.h>

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/datagen/dataset_generator.h"
#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

using ::overlay::testing::TestOverlay;
using ::testing::HasSubstr;

using ::overlay::testing::GeneratedData;

struct PulledResult {
  v1::QueryResponse response;
  std::vector<Record> records;
};

void SetDeadline(grpc::ClientContext& context, int seconds = 30) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(seconds));
}

absl::StatusOr<PulledResult> RunAndPull(v1::QueryService::Stub& stub,
                                        const v1::QueryRequest& request,
                                        bool release = true) {
  PulledResult result;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status = stub.Query(&context, request, &result.response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
  }
  for (int i = 0; i < result.response.total_chunks(); ++i) {
    v1::ChunkRequest chunk_request;
    chunk_request.set_query_id(result.response.query_id());
    chunk_request.set_chunk_index(i);
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status;
    if (i == 0 && result.response.has_first_chunk()) {
      chunk = result.response.first_chunk();
    } else {
      status = stub.GetChunk(&context, chunk_request, &chunk);
    }
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("chunk ", i, ": ",
                                       status.error_message()));
    }
    if (chunk.first_record() != static_cast<int64_t>(result.records.size())) {
      return absl::InternalError(absl::StrCat("chunk ", i, " starts at ",
                                              chunk.first_record()));
    }
    auto records = DecodeChunk(chunk.records());
    if (!records.ok()) return records.status();
    for (Record& r : *records) result.records.push_back(std::move(r));
  }
  // An answer that carried the whole result left nothing to release.
  if (release && !result.response.whole()) {
    v1::ReleaseRequest release_request;
    release_request.set_query_id(result.response.query_id());
    v1::ReleaseResponse released;
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status = stub.Release(&context, release_request, &released);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("release: ", status.error_message()));
    }
  }
  return result;
}

std::vector<Record> DirectScan(const Filter& filter) {
  return GeneratedData::Get().DirectScan(filter);
}

// A random but valid query, drawn to hit every filter kind and chunking.
v1::QueryRequest RandomQuery(std::mt19937_64& rng) {
  const Table& table = GeneratedData::Get().table();
  auto chance = [&rng](double p) {
    return std::uniform_real_distribution<double>(0, 1)(rng) < p;
  };
  auto uniform = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  Filter filter;
  if (chance(0.6)) {
    for (int p = 0; p < kNumKnownParameters; ++p) {
      if (chance(0.3)) filter.parameters.push_back(static_cast<Parameter>(p));
    }
  }
  if (chance(0.5)) {
    double lo = uniform(-5, 60);
    filter.min_concentration = lo;
    if (chance(0.7)) filter.max_concentration = lo + uniform(0, 80);
  }
  if (chance(0.2)) {
    int lo = static_cast<int>(uniform(0, 120));
    filter.min_aqi = lo;
    filter.max_aqi = lo + static_cast<int>(uniform(0, 100));
  }
  if (chance(0.15)) {
    for (int c = 1; c <= 6; ++c) {
      if (chance(0.4)) filter.categories.push_back(c);
    }
  }
  if (chance(0.3)) {
    const int64_t first = DaysFromCivil(2020, 8, 10) * 86400;
    const int64_t span = 46 * 86400;
    int64_t from = first + static_cast<int64_t>(uniform(0, span));
    filter.from_utc = from;
    filter.to_utc = from + static_cast<int64_t>(uniform(0, 10 * 86400));
  }
  if (chance(0.2)) {
    double lat = uniform(25, 48);
    double lon = uniform(-125, -70);
    filter.bbox = BoundingBox{lat, lon, lat + uniform(1, 15),
                              lon + uniform(1, 30)};
  }
  const auto& sites = table.sites();
  if (chance(0.15) && !sites.empty()) {
    int keys = 1 + static_cast<int>(uniform(0, 4));
    for (int k = 0; k < keys; ++k) {
      const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
      filter.site_keys.push_back(chance(0.5) ? s.aqs_id : s.full_aqs_id);
    }
    if (chance(0.3)) filter.site_keys.push_back("no-such-site");
  }
  if (chance(0.15) && !sites.empty()) {
    const Site& s = sites[static_cast<size_t>(uniform(0, sites.size()))];
    const std::string& source = chance(0.5) ? s.site_name : s.full_aqs_id;
    filter.prefix = source.substr(0, 1 + static_cast<size_t>(
                                          uniform(0, std::min<size_t>(
                                                         source.size(), 6))));
  }
  v1::QueryRequest request;
  *request.mutable_filter() = FilterToProto(filter);
  if (chance(0.4)) request.set_limit(1 + static_cast<int64_t>(uniform(0, 3000)));
  static constexpr int kChunkSizes[] = {0, 1, 7, 100, 999, 5000};
  request.set_chunk_size(kChunkSizes[static_cast<int>(uniform(0, 6))]);
  return request;
}

class OverlayConfigTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OverlayConfigTest, RandomQueriesEqualDirectScan) {
  const std::string& root = GeneratedData::Get().root();
  TestOverlay overlay;
  ASSERT_OK(overlay.Start(GetParam(), root));
  auto portal = overlay.PortalStub();
  std::mt19937_64 rng(std::hash<std::string>()(GetParam()));
  int nonempty = 0;
  for (int q = 0; q < 200; ++q) {
    v1::QueryRequest request = RandomQuery(rng);
    request.set_inline_first_chunk(q % 2 == 0);
    ASSERT_OK_AND_ASSIGN(Filter filter,
                         FilterFromProto(request.filter(), request.limit()));
    std::vector<Record> expected = DirectScan(filter);
    // Twice: the repeat is answered from the shared cache where it can be
    // (now and then bypassing it).
    for (int round = 0; round < 2; ++round) {
      request.set_fresh(round == 1 && q % 5 == 0);
      ASSERT_OK_AND_ASSIGN(PulledResult pulled, RunAndPull(*portal, request));
      ASSERT_EQ(pulled.response.failures_size(), 0)
          << pulled.response.DebugString();
      ASSERT_TRUE(pulled.response.complete())
          << pulled.response.DebugString();
      ASSERT_EQ(pulled.response.total_records(),
                static_cast<int64_t>(expected.size()))
          << request.DebugString();
      ASSERT_EQ(pulled.records.size(), expected.size())
          << request.DebugString();
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_EQ(pulled.records[i], expected[i])
            << "record " << i << " of " << request.DebugString()
            << " (round " << round << ")\n got "
            << DebugString(pulled.records[i]) << "\nwant "
            << DebugString(expected[i]);
      }
    }
    if (!expected.empty()) ++nonempty;
  }
  EXPECT_GT(nonempty, 50);  // the generator must exercise real results
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::MetricsResponse metrics;
    ASSERT_TRUE(
        portal->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
    const v1::SharedCacheMetrics& cache = metrics.shared_cache();
    EXPECT_TRUE(cache.enabled()) << cache.error();
    if (GetParam() == std::string("configs/one_host.json")) {
      // Every repeat but the fresh ones came from a cached plan (and any
      // query the generator drew twice).
      EXPECT_GE(cache.plan_hits(), 200 - 40) << cache.DebugString();
    }
  }
  ASSERT_OK(overlay.Stop());
}

INSTANTIATE_TEST_SUITE_P(
    ShippedConfigs, OverlayConfigTest,
    ::testing::Values("configs/one_host.json", "configs/two_hosts.json",
                      "configs/three_hosts.json", "configs/five_nodes.json"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name = info.param.substr(8);  // after "configs/"
      return name.substr(0, name.find('.'));
    });

int64_t MetricSum(TestOverlay& overlay,
                  int64_t (v1::MetricsResponse::*field)() const) {
  int64_t sum = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    auto stub = overlay.Stub(p.id);
    grpc::ClientContext context;
    SetDeadline(context);
    v1::MetricsResponse metrics;
    EXPECT_TRUE(stub->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
    sum += (metrics.*field)();
  }
  return sum;
}

TEST(FiveNodesTest, CycleCountsEveryShareExactlyOnce) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/five_nodes.json",
                          GeneratedData::Get().root()));
  auto portal = overlay.PortalStub();
  v1::QueryRequest request;  // get_all
  request.set_chunk_size(5000);
  ASSERT_OK_AND_ASSIGN(PulledResult pulled, RunAndPull(*portal, request));
  EXPECT_EQ(pulled.response.total_records(),
            static_cast<int64_t>(GeneratedData::Get().table().num_rows()));
  std::vector<std::string> owners;
  for (const auto& share : pulled.response.shares()) {
    owners.push_back(share.node_id());
  }
  EXPECT_THAT(owners, ::testing::ElementsAre("B", "C", "D", "E"));
  // E is reached through C and through D; it scanned once.
  EXPECT_EQ(MetricSum(overlay, &v1::MetricsResponse::queries_executed), 4);
  EXPECT_GE(MetricSum(overlay, &v1::MetricsResponse::duplicates_ignored), 1);
  ASSERT_OK(overlay.Stop());
}

// Waits (bounded) until no node holds result rows, then checks that the
// portal no longer knows `query_id`.
void ExpectResultGone(TestOverlay& overlay, v1::QueryService::Stub& portal,
                      const std::string& query_id, int max_seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(max_seconds);
  while (MetricSum(overlay, &v1::MetricsResponse::results_held) != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(MetricSum(overlay, &v1::MetricsResponse::results_held), 0);
  v1::ChunkRequest chunk_request;
  chunk_request.set_query_id(query_id);
  v1::ChunkResponse chunk;
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::Status status = portal.GetChunk(&context, chunk_request, &chunk);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST(MetricsTest, NodesReportTheQueriesTheyServed) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root()));
  auto portal = overlay.PortalStub();
  constexpr int kQueries = 37;
  std::mt19937_64 rng(3);
  for (int q = 0; q < kQueries; ++q) {
    ASSERT_OK(RunAndPull(*portal, RandomQuery(rng)).status());
  }
  grpc::ClientContext context;
  SetDeadline(context);
  v1::MetricsResponse metrics;
  ASSERT_TRUE(portal->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
  EXPECT_EQ(metrics.node_id(), "A");
  EXPECT_EQ(metrics.role(), "leader");
  EXPECT_EQ(metrics.team(), "green");
  EXPECT_EQ(metrics.queries_received(), kQueries);
  EXPECT_GT(metrics.rows_loaded(), 0);
  EXPECT_GT(metrics.rss_bytes(), 0);
  int64_t query_latencies = 0;
  for (const auto& summary : metrics.latency()) {
    if (summary.rpc() == "Query") query_latencies = summary.count();
  }
  EXPECT_EQ(query_latencies, kQueries);
  ASSERT_EQ(metrics.neighbors_size(), 2);  // B and E
  EXPECT_EQ(MetricSum(overlay, &v1::MetricsResponse::queries_received),
            kQueries);  // only the portal takes client queries
  ASSERT_OK(overlay.Stop());
}

TEST(LifecycleTest, ReleaseFreesResultsEverywhere) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root()));
  auto portal = overlay.PortalStub();
  v1::QueryRequest request;
  request.set_chunk_size(100);
  ASSERT_OK_AND_ASSIGN(PulledResult pulled,
                       RunAndPull(*portal, request, /*release=*/false));
  EXPECT_EQ(MetricSum(overlay, &v1::MetricsResponse::results_held), 6);
  {
    v1::ReleaseRequest release;
    release.set_query_id(pulled.response.query_id());
    v1::ReleaseResponse released;
    grpc::ClientContext context;
    SetDeadline(context);
    ASSERT_TRUE(portal->Release(&context, release, &released).ok());
    EXPECT_TRUE(released.released());
  }
  // Releases to the owners are asynchronous: wait for them, bounded.
  ExpectResultGone(overlay, *portal, pulled.response.query_id(), 10);
  ASSERT_OK(overlay.Stop());
}

TEST(LifecycleTest, TtlExpiryFreesResults) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root(),
                          [](OverlayConfig& config) {
                            config.strategy.result_ttl_seconds = 1;
                          }));
  auto portal = overlay.PortalStub();
  v1::QueryRequest request;
  request.set_chunk_size(100);  // many chunks: the owners hold rows
  ASSERT_OK_AND_ASSIGN(PulledResult pulled,
                       RunAndPull(*portal, request, /*release=*/false));
  ASSERT_GT(pulled.response.total_records(), 0);
  ASSERT_GT(MetricSum(overlay, &v1::MetricsResponse::results_held), 0);
  // The janitor runs every second; the TTL is one second. Metrics do not
  // touch results, so polling them does not keep the result alive; the
  // portal's plan expires too.
  ExpectResultGone(overlay, *portal, pulled.response.query_id(), 15);
  ASSERT_OK(overlay.Stop());
}

grpc::Status QueryStatus(v1::QueryService::Stub& stub,
                         const v1::QueryRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::QueryResponse response;
  return stub.Query(&context, request, &response);
}

TEST(ErrorsTest, BadRequestsGetTheRightStatusAndTheNodeKeepsServing) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root()));
  auto portal = overlay.PortalStub();
  {  // unknown query id
    v1::ChunkRequest request;
    request.set_query_id("no-such-query");
    v1::ChunkResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status = portal->GetChunk(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("unknown query id"));
  }
  {  // chunk index out of range
    v1::QueryRequest request;
    request.set_limit(10);
    v1::QueryResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    ASSERT_TRUE(portal->Query(&context, request, &response).ok());
    for (int index : {-1, response.total_chunks()}) {
      v1::ChunkRequest chunk_request;
      chunk_request.set_query_id(response.query_id());
      chunk_request.set_chunk_index(index);
      v1::ChunkResponse chunk;
      grpc::ClientContext chunk_context;
      SetDeadline(chunk_context);
      grpc::Status status = portal->GetChunk(&chunk_context, chunk_request,
                                             &chunk);
      if (index < 0) {  // refused by the wire validation, before any lookup
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        EXPECT_THAT(status.error_message(),
                    HasSubstr("chunk_index must be >= 0"));
        continue;
      }
      EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
      EXPECT_THAT(status.error_message(), HasSubstr("out of range"));
    }
  }
  {  // min > max
    v1::QueryRequest request;
    request.mutable_filter()->set_min_concentration(35);
    request.mutable_filter()->set_max_concentration(5);
    grpc::Status status = QueryStatus(*portal, request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("min"));
  }
  {  // unknown parameter
    v1::QueryRequest request;
    request.mutable_filter()->add_parameters(static_cast<v1::Parameter>(42));
    grpc::Status status = QueryStatus(*portal, request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("unknown parameter"));
  }
  {  // negative limit
    v1::QueryRequest request;
    request.set_limit(-1);
    grpc::Status status = QueryStatus(*portal, request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("limit"));
  }
  {  // release of an unknown id
    v1::ReleaseRequest request;
    request.set_query_id("nope");
    v1::ReleaseResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    EXPECT_EQ(portal->Release(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Still serving, correctly.
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  ASSERT_OK_AND_ASSIGN(Filter filter, FilterFromProto(request.filter(), 0));
  ASSERT_OK_AND_ASSIGN(PulledResult pulled, RunAndPull(*portal, request));
  EXPECT_EQ(pulled.records, DirectScan(filter));
  ASSERT_OK(overlay.Stop());
}

// A real SIGSTOP'ed node: a strict query fails naming its share by the
// client's deadline, a partial one answers everything else exactly, and
// once the node runs again nothing is left held anywhere.
TEST(FailureTest, StoppedNodeCostsOnlyItsShare) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root()));
  auto portal = overlay.PortalStub();
  overlay.process("F").Signal(SIGSTOP);
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.set_chunk_size(100);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(1));
    v1::QueryResponse response;
    grpc::Status status = portal->Query(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("F (2020-09-13..2020-09-24)"));
  }
  request.set_allow_partial(true);
  v1::QueryResponse response;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(1));
    ASSERT_TRUE(portal->Query(&context, request, &response).ok());
  }
  EXPECT_FALSE(response.complete());
  ASSERT_EQ(response.missing_size(), 1);
  EXPECT_EQ(response.missing(0).node_id(), "F");
  EXPECT_EQ(response.missing(0).reason(), v1::MissingShare::DEADLINE_EXCEEDED);
  ASSERT_OK_AND_ASSIGN(Filter filter, FilterFromProto(request.filter(), 0));
  std::vector<Record> expected;
  const DataShare& f_share = *overlay.config().Find("F")->share;
  for (Record& r : DirectScan(filter)) {
    if (!f_share.Contains(r.utc / 86400)) expected.push_back(std::move(r));
  }
  EXPECT_EQ(response.total_records(), static_cast<int64_t>(expected.size()));
  std::vector<Record> records;
  for (int i = 0; i < response.total_chunks(); ++i) {
    v1::ChunkRequest chunk_request;
    chunk_request.set_query_id(response.query_id());
    chunk_request.set_chunk_index(i);
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    SetDeadline(context);
    ASSERT_TRUE(portal->GetChunk(&context, chunk_request, &chunk).ok()) << i;
    ASSERT_OK_AND_ASSIGN(std::vector<Record> part, DecodeChunk(chunk.records()));
    for (Record& r : part) records.push_back(std::move(r));
  }
  EXPECT_EQ(records, expected);
  overlay.process("F").Signal(SIGCONT);
  {
    v1::ReleaseRequest release;
    release.set_query_id(response.query_id());
    v1::ReleaseResponse released;
    grpc::ClientContext context;
    SetDeadline(context);
    ASSERT_TRUE(portal->Release(&context, release, &released).ok());
  }
  ExpectResultGone(overlay, *portal, response.query_id(), 10);
  ASSERT_OK(overlay.Stop());
}

TEST(LifecycleTest, ShutdownWithCallsInFlightIsClean) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", GeneratedData::Get().root()));
  std::atomic<bool> stop{false};
  std::atomic<int> ok_calls{0};
  std::atomic<int> bad_statuses{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      auto stub = overlay.PortalStub();
      std::mt19937_64 rng(c);
      while (!stop.load()) {
        absl::StatusOr<PulledResult> pulled = RunAndPull(*stub, RandomQuery(rng));
        if (pulled.ok()) {
          ++ok_calls;
        } else if (pulled.status().code() != absl::StatusCode::kUnavailable &&
                   pulled.status().code() != absl::StatusCode::kCancelled &&
                   pulled.status().code() != absl::StatusCode::kNotFound) {
          // NOT_FOUND: a chunk's owner left before the client pulled it.
          ++bad_statuses;
          ADD_FAILURE() << pulled.status();
        } else {
          return;  // the overlay is going away
        }
      }
    });
  }
  const auto busy_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ok_calls.load() < 20 &&
         std::chrono::steady_clock::now() < busy_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(ok_calls.load(), 20) << overlay.Logs();
  // SIGTERM the portal and one worker while clients are busy, then the rest.
  overlay.process("A").Signal(SIGTERM);
  overlay.process("C").Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int a_code, overlay.process("A").Wait(20));
  ASSERT_OK_AND_ASSIGN(int c_code, overlay.process("C").Wait(20));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(a_code, 0) << overlay.process("A").ReadLog();
  EXPECT_EQ(c_code, 0) << overlay.process("C").ReadLog();
  EXPECT_EQ(bad_statuses.load(), 0);
  ASSERT_OK(overlay.Stop());
}

}  // namespace
}  // namespace overlay
