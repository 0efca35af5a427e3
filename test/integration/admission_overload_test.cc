// Copyright 2026 The overlay Authors.
//
// Overload, process level: a real overlay (overlay_node processes on
// loopback) with small admission pools takes bursts of concurrent queries
// from two client ids. Every answer is either a complete, exact result or a
// typed admission rejection (RESOURCE_EXHAUSTED or UNAVAILABLE) with a
// message and a grpc-retry-pushback-ms hint; afterwards the queues drain
// and the nodes keep serving both clients. No timing is asserted: bursts
// repeat until one was refused (the first one practically always is).

#include <grpcpp/client_context.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/wire/filter_codec.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

using ::overlay::testing::GeneratedData;
using ::overlay::testing::TestOverlay;

constexpr int kHeavyPerBurst = 40;
constexpr int kLightPerBurst = 8;
constexpr int kMaxBursts = 20;

v1::QueryRequest Pm25(const std::string& client) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_client_id(client);
  return request;
}

struct Answer {
  std::string client;
  grpc::Status status;
  int64_t pushback_ms = -1;  // -1: no hint
  v1::QueryResponse response;
};

Answer Ask(v1::QueryService::Stub& stub, const std::string& client) {
  Answer answer;
  answer.client = client;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  answer.status = stub.Query(&context, Pm25(client), &answer.response);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("grpc-retry-pushback-ms");
  int64_t ms = 0;
  if (it != trailers.end() &&
      absl::SimpleAtoi(
          absl::string_view(it->second.data(), it->second.size()), &ms)) {
    answer.pushback_ms = ms;
  }
  if (answer.status.ok()) {  // the result is not needed: free it
    v1::ReleaseRequest release;
    release.set_query_id(answer.response.query_id());
    release.set_client_id(client);
    v1::ReleaseResponse released;
    grpc::ClientContext release_context;
    release_context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(60));
    EXPECT_TRUE(stub.Release(&release_context, release, &released).ok());
  }
  return answer;
}

// One burst: every query of both clients at once, each on its own thread
// and channel-sharing stub.
std::vector<Answer> Burst(TestOverlay& overlay) {
  auto stub = overlay.PortalStub();
  std::vector<Answer> answers(kHeavyPerBurst + kLightPerBurst);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < answers.size(); ++i) {
    const std::string client = i < kHeavyPerBurst ? "heavy" : "light";
    threads.emplace_back(
        [&, i, client] { answers[i] = Ask(*stub, client); });
  }
  for (std::thread& thread : threads) thread.join();
  return answers;
}

absl::StatusOr<v1::MetricsResponse> Metrics(TestOverlay& overlay,
                                            const std::string& id) {
  auto stub = overlay.Stub(id);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::MetricsResponse metrics;
  grpc::Status status =
      stub->GetMetrics(&context, v1::MetricsRequest(), &metrics);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return metrics;
}

TEST(AdmissionOverloadTest, BurstsAreServedExactlyOrRefusedTypedWithHints) {
  TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json",
                          GeneratedData::Get().root(),
                          [](OverlayConfig& config) {
                            config.admission.max_concurrency = 2;
                            config.admission.max_concurrent_scans = 1;
                            config.admission.max_queue_total = 4;
                            config.admission.max_queue_per_client = 2;
                          }));
  auto filter = FilterFromProto(Pm25("").filter(), 0);
  ASSERT_TRUE(filter.ok());
  const int64_t expected =
      static_cast<int64_t>(GeneratedData::Get().DirectScan(*filter).size());
  ASSERT_GT(expected, 0);

  std::map<std::string, std::map<std::string, int>> codes;  // client, code
  int refused = 0;
  for (int burst = 0; burst < kMaxBursts && refused == 0; ++burst) {
    for (const Answer& answer : Burst(overlay)) {
      const grpc::StatusCode code = answer.status.error_code();
      ++codes[answer.client][absl::StatusCodeToString(
          static_cast<absl::StatusCode>(code))];
      if (answer.status.ok()) {
        EXPECT_TRUE(answer.response.complete());
        EXPECT_EQ(answer.response.total_records(), expected);
        continue;
      }
      ++refused;
      // Only admission refuses here, with its two overload codes.
      EXPECT_TRUE(code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                  code == grpc::StatusCode::UNAVAILABLE)
          << answer.status.error_message();
      EXPECT_THAT(answer.status.error_message(),
                  ::testing::HasSubstr("admission"));
      EXPECT_GT(answer.pushback_ms, 0) << answer.status.error_message();
    }
  }
  EXPECT_GT(refused, 0);
  for (const auto& [client, by_code] : codes) {
    for (const auto& [code, count] : by_code) {
      LOG(INFO) << client << " " << code << ": " << count;
    }
  }

  // Nothing is left waiting anywhere: a query answers only once every
  // Execute of its flood answered. And every node keeps serving.
  for (const ProcessConfig& p : overlay.config().processes) {
    absl::StatusOr<v1::MetricsResponse> m = Metrics(overlay, p.id);
    ASSERT_TRUE(m.ok()) << p.id << ": " << m.status();
    EXPECT_EQ(m->queue_depth(), 0) << p.id;
  }
  auto stub = overlay.PortalStub();
  for (const char* client : {"heavy", "light"}) {
    Answer answer = Ask(*stub, client);
    ASSERT_TRUE(answer.status.ok()) << answer.status.error_message();
    EXPECT_EQ(answer.response.total_records(), expected);
  }
  absl::StatusOr<v1::MetricsResponse> portal =
      Metrics(overlay, overlay.config().portal);
  ASSERT_TRUE(portal.ok());
  EXPECT_GE(portal->rejected(), 1);
  ASSERT_EQ(portal->admission_size(), 2);
  int64_t classes = 0;
  for (const v1::AdmissionClassMetrics& c : portal->admission(0).classes()) {
    if (c.client() == "heavy" || c.client() == "light") ++classes;
  }
  EXPECT_EQ(classes, 2);
  EXPECT_OK(overlay.Stop());
}

}  // namespace
}  // namespace overlay
