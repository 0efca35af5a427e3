// Copyright 2026 The overlay Authors.
//
// Hostile input and untrusted callers against real in-process nodes: every
// RPC is parsed and validated before work (exact codes and messages, no
// INTERNAL), PeerService needs the peer secret and does no work without it,
// result handles are capabilities of their client, Shutdown's rule, and the
// standard health service (Check, Watch with NOT_SERVING at shutdown).

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/security/peer_credential.h"
#include "core/wire/request_limits.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "nodes/admin_calls.h"
#include "nodes/client_identity.h"
#include "nodes/health_calls.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/inprocess_overlay.h"
#include "test/test_util/raw_call.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

using ::overlay::testing::GeneratedData;
using ::overlay::testing::InProcessOverlay;
using ::overlay::testing::kTestPeerSecret;
using ::overlay::testing::RawCaller;
using ::testing::HasSubstr;

constexpr char kQuery[] = "/overlay.v1.QueryService/Query";
constexpr char kGetChunk[] = "/overlay.v1.QueryService/GetChunk";
constexpr char kRelease[] = "/overlay.v1.QueryService/Release";
constexpr char kGetMetrics[] = "/overlay.v1.QueryService/GetMetrics";
constexpr char kShutdown[] = "/overlay.v1.QueryService/Shutdown";
constexpr char kExecute[] = "/overlay.v1.PeerService/Execute";
constexpr char kFetch[] = "/overlay.v1.PeerService/Fetch";
constexpr char kReleaseResult[] = "/overlay.v1.PeerService/ReleaseResult";
constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

#define EXPECT_GRPC_OK(expr)                                 \
  do {                                                       \
    const grpc::Status grpc_status_ = (expr);                \
    EXPECT_TRUE(grpc_status_.ok()) << grpc_status_.error_code() \
                                   << ": " << grpc_status_.error_message(); \
  } while (false)

const RawCaller::Metadata& WithSecret() {
  static const RawCaller::Metadata* m =
      new RawCaller::Metadata{{kPeerSecretKey, kTestPeerSecret}};
  return *m;
}

v1::QueryRequest Pm25(const std::string& client_id, int chunk_size = 50) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(chunk_size);
  request.set_client_id(client_id);
  return request;
}

// The serialized message with one string field replaced by `bytes` (so
// that non-UTF-8 reaches the wire: the generated setters do not check).
template <typename Message>
std::string WithField(const Message& message, const std::string& placeholder,
                      const std::string& bytes) {
  std::string wire = message.SerializeAsString();
  EXPECT_EQ(placeholder.size(), bytes.size());
  const size_t at = wire.find(placeholder);
  EXPECT_NE(at, std::string::npos);
  wire.replace(at, placeholder.size(), bytes);
  return wire;
}

class NodeSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(overlay_.Start("configs/one_host.json",
                             GeneratedData::Get().root()));
    portal_ = std::make_unique<RawCaller>(overlay_.address("A"));
  }
  const NodeMetrics& metrics(const std::string& id) {
    return *overlay_.node(id).services.metrics;
  }
  // A query of `client_id` that answers with several chunks.
  v1::QueryResponse RunQuery(const std::string& client_id) {
    std::string reply;
    grpc::Status status =
        portal_->Call(kQuery, Pm25(client_id).SerializeAsString(), &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::QueryResponse response;
    EXPECT_TRUE(response.ParseFromString(reply));
    EXPECT_GT(response.total_chunks(), 1);
    return response;
  }
  grpc::Status GetChunk(const std::string& id, int32_t index,
                        const std::string& client_id) {
    v1::ChunkRequest request;
    request.set_query_id(id);
    request.set_chunk_index(index);
    request.set_client_id(client_id);
    return portal_->Call(kGetChunk, request.SerializeAsString());
  }
  grpc::Status Release(const std::string& id, const std::string& client_id) {
    v1::ReleaseRequest request;
    request.set_query_id(id);
    request.set_client_id(client_id);
    return portal_->Call(kRelease, request.SerializeAsString());
  }

  InProcessOverlay overlay_;
  std::unique_ptr<RawCaller> portal_;
};

// ------------------------------------------------- validation before work

TEST_F(NodeSecurityTest, NonUtf8IsInvalidArgumentNamingTheFieldNeverInternal) {
  v1::QueryRequest query = Pm25("");
  query.mutable_filter()->add_site_keys("@@");
  grpc::Status status = portal_->Call(kQuery, WithField(query, "@@", "\xC3("));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("QueryRequest.filter.site_keys[0] is not valid UTF-8"));
  // Every RPC, the same way.
  struct Case {
    const char* method;
    std::string bytes;
    const char* field;
  };
  v1::ChunkRequest chunk;
  chunk.set_query_id("@@");
  v1::ReleaseRequest release;
  release.set_query_id("q");
  release.set_client_id("@@");
  v1::ShutdownRequest shutdown;
  shutdown.set_token("@@");
  v1::ExecuteRequest execute;
  execute.set_query_id("q");
  execute.add_path("@@");
  v1::FetchRequest fetch;
  fetch.set_query_id("@@");
  v1::ReleaseResultRequest release_result;
  release_result.set_query_id("@@");
  grpc::health::v1::HealthCheckRequest health;
  health.set_service("@@");
  const std::vector<Case> cases = {
      {kGetChunk, WithField(chunk, "@@", "\xFF\xFE"), "ChunkRequest.query_id"},
      {kRelease, WithField(release, "@@", "\xED\xA0"),
       "ReleaseRequest.client_id"},
      {kShutdown, WithField(shutdown, "@@", "\x80\x80"),
       "ShutdownRequest.token"},
      {kExecute, WithField(execute, "@@", "\xC0\xAF"), "ExecuteRequest.path[0]"},
      {kFetch, WithField(fetch, "@@", "\xF8\x88"), "FetchRequest.query_id"},
      {kReleaseResult, WithField(release_result, "@@", "\xE2\x28"),
       "ReleaseResultRequest.query_id"},
      {kHealthCheck, WithField(health, "@@", "\xC3\x28"),
       "HealthCheckRequest.service"},
  };
  for (const Case& c : cases) {
    grpc::Status s = portal_->Call(c.method, c.bytes, nullptr, WithSecret());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.method;
    EXPECT_THAT(s.error_message(),
                HasSubstr(absl::StrCat(c.field, " is not valid UTF-8")))
        << c.method;
  }
  // Malformed wire format, for the one RPC without fields too.
  grpc::Status malformed = portal_->Call(kGetMetrics, "\x0a\x05x");
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(malformed.error_message(), HasSubstr("MetricsRequest"));
  EXPECT_EQ(metrics("A").requests_refused.load(),
            static_cast<int64_t>(1 + cases.size() + 1));
  EXPECT_EQ(metrics("A").queries_received.load(), 0) << "no work was done";
}

TEST_F(NodeSecurityTest, OverSizeIsResourceExhaustedNamingTheLimit) {
  // Over the Query cap but under the server's: the call's own check.
  v1::QueryRequest query = Pm25("");
  query.mutable_filter()->set_prefix(
      std::string(wire::kMaxQueryRequestBytes, 'x'));
  grpc::Status status = portal_->Call(kQuery, query.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("QueryRequest is ", query.ByteSizeLong(),
                                     " bytes, over the ",
                                     wire::kMaxQueryRequestBytes,
                                     "-byte limit")));
  // A 4 KiB cap: GetChunk.
  v1::ChunkRequest chunk;
  chunk.set_query_id(std::string(8000, 'q'));
  status = portal_->Call(kGetChunk, chunk.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("4096-byte limit"));
  // Over every cap: gRPC refuses it before buffering it.
  status = portal_->Call(kQuery, std::string(wire::kMaxAnyRequestBytes + 1,
                                             '\0'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat(wire::kMaxAnyRequestBytes)));
}

TEST_F(NodeSecurityTest, FieldLimitsAreInvalidArgumentAndTheNodeServesOn) {
  v1::QueryRequest keys = Pm25("");
  for (int i = 0; i <= wire::kMaxSiteKeys; ++i) {
    keys.mutable_filter()->add_site_keys(absl::StrCat(60000000 + i));
  }
  grpc::Status status = portal_->Call(kQuery, keys.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("site_keys has 10001 entries; the limit is 10000"));
  // 10,000 keys are fine.
  keys.mutable_filter()->mutable_site_keys()->RemoveLast();
  std::string reply;
  EXPECT_GRPC_OK((
      portal_->Call(kQuery, keys.SerializeAsString(), &reply)));
  v1::QueryResponse answered;
  ASSERT_TRUE(answered.ParseFromString(reply));
  if (!answered.whole()) EXPECT_GRPC_OK((Release(answered.query_id(), "")));

  v1::QueryRequest prefix = Pm25("");
  prefix.mutable_filter()->set_prefix(std::string(300, 'p'));
  status = portal_->Call(kQuery, prefix.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("prefix is 300 bytes; the limit is 256"));

  v1::ChunkRequest negative;
  negative.set_query_id("q");
  negative.set_chunk_index(-5);
  status = portal_->Call(kGetChunk, negative.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Fetch near 2^63: refused by the limits, never an overflow.
  v1::FetchRequest fetch;
  fetch.set_query_id("q");
  fetch.set_offset(INT64_MAX - 3);
  fetch.set_count(wire::kMaxChunkSize);
  status = portal_->Call(kFetch, fetch.SerializeAsString(), nullptr,
                         WithSecret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("FetchRequest.offset"));
  fetch.set_offset(0);
  fetch.set_count(-1);
  status = portal_->Call(kFetch, fetch.SerializeAsString(), nullptr,
                         WithSecret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ExecuteRequest execute;
  execute.set_query_id("q");
  execute.set_hops_left(INT32_MAX);
  status = portal_->Call(kExecute, execute.SerializeAsString(), nullptr,
                         WithSecret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("hops_left"));

  // A real result: a huge but in-range offset and chunk index.
  const v1::QueryResponse response = RunQuery("c");
  fetch.set_query_id(response.query_id());
  fetch.set_offset(wire::kMaxRecordOffset);
  fetch.set_count(wire::kMaxChunkSize);
  status = portal_->Call(kFetch, fetch.SerializeAsString(), nullptr,
                         WithSecret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << status.error_message();
  status = GetChunk(response.query_id(), INT32_MAX, "c");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  // And the node still answers correctly.
  EXPECT_GRPC_OK((GetChunk(response.query_id(), 1, "c")));
  EXPECT_GRPC_OK((Release(response.query_id(), "c")));
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

// ------------------------------------------------------- peer credential

TEST_F(NodeSecurityTest, PeerServiceWithoutTheSecretIsRefusedAndDoesNoWork) {
  // A spoofed Execute for a query id about to be used: it must not be
  // registered (the real query would then be taken for a duplicate).
  v1::ExecuteRequest execute;
  execute.set_query_id("A-spoofed");
  *execute.mutable_filter() = Pm25("").filter();
  execute.add_path("A");
  execute.set_hops_left(3);
  v1::FetchRequest fetch;
  fetch.set_query_id("A-spoofed");
  fetch.set_count(10);
  v1::ReleaseResultRequest release;
  release.set_query_id("A-spoofed");
  release.set_flood(true);
  release.set_hops_left(3);
  const std::vector<RawCaller::Metadata> callers = {
      {},
      {{kPeerSecretKey, "wrong-secret-wrong-secret-0123456"}},
      {{kPeerSecretKey, std::string(kTestPeerSecret) + "x"}},
      {{kPeerSecretKey, kTestPeerSecret}, {kPeerSecretKey, "second"}},
  };
  RawCaller worker(overlay_.address("E"));
  int refused = 0;
  for (const RawCaller::Metadata& metadata : callers) {
    for (auto [method, bytes] :
         {std::pair{kExecute, execute.SerializeAsString()},
          std::pair{kFetch, fetch.SerializeAsString()},
          std::pair{kReleaseResult, release.SerializeAsString()}}) {
      grpc::Status status = worker.Call(method, bytes, nullptr, metadata);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << method;
      EXPECT_THAT(status.error_message(), HasSubstr("peer credential"));
      ++refused;
    }
  }
  EXPECT_EQ(metrics("E").peer_calls_refused.load(), refused);
  EXPECT_EQ(metrics("E").queries_executed.load(), 0);
  EXPECT_EQ(metrics("E").queries_forwarded.load(), 0);
  EXPECT_EQ(overlay_.node("E").services.executions->running(), 0);
  // With the secret the same Execute runs (E scans and forwards).
  std::string reply;
  EXPECT_GRPC_OK((worker.Call(kExecute, execute.SerializeAsString(),
                                       &reply, WithSecret())));
  EXPECT_EQ(metrics("E").queries_executed.load(), 1);
  // Queries between the nodes carry it: the overlay answers.
  const v1::QueryResponse response = RunQuery("c");
  EXPECT_TRUE(response.complete());
  EXPECT_EQ(response.shares_size(), 6);
}

TEST(PeerCredentialTest, ComparesExactly) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), "a"));
  PeerCredential open;
  EXPECT_FALSE(open.required());
  EXPECT_TRUE(open.Accepts({}));
}

// ------------------------------------------------- results are capabilities

TEST_F(NodeSecurityTest, AnotherClientsResultIsNotFoundExactlyAsAnUnknownOne) {
  const v1::QueryResponse response = RunQuery("alice");
  const std::string& id = response.query_id();
  // The message for an id that was never issued, with the id swapped in.
  const std::string unknown = "A-00000000000000000000000000000000";
  const grpc::Status never = GetChunk(unknown, 0, "alice");
  ASSERT_EQ(never.error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string expected =
      absl::StrReplaceAll(never.error_message(), {{unknown, id}});
  for (const std::string thief : {"mallory", "", "alice ", "Alice"}) {
    grpc::Status status = GetChunk(id, 0, thief);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << thief;
    EXPECT_EQ(status.error_message(), expected) << thief;
    status = Release(id, thief);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << thief;
    const grpc::Status never_released = Release(unknown, thief);
    EXPECT_EQ(status.error_message(),
              absl::StrReplaceAll(never_released.error_message(),
                                  {{unknown, id}}))
        << thief;
  }
  // Guessed ids: the owner's prefix with other random bits.
  std::string guess = id;
  guess.back() = guess.back() == '0' ? '1' : '0';
  EXPECT_EQ(GetChunk(guess, 0, "alice").error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The owner still has every chunk, and releases it.
  for (int i = 0; i < response.total_chunks(); ++i) {
    EXPECT_GRPC_OK((GetChunk(id, i, "alice")));
  }
  EXPECT_GRPC_OK((Release(id, "alice")));
  EXPECT_EQ(GetChunk(id, 0, "alice").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.Quiet(); }))
      << overlay_.Describe();
}

TEST(ClientKeyTest, BindsClientIdPeerHostAndTlsIdentity) {
  EXPECT_EQ(ClientKey("a", "ipv4:10.0.0.1:5000"), "id:a");
  EXPECT_EQ(ClientKey("", "ipv4:10.0.0.1:5000"), "peer:ipv4:10.0.0.1");
  EXPECT_EQ(ClientKey("", "ipv6:[::1]:5000"), "peer:ipv6:[::1]");
  EXPECT_EQ(ClientKey("a", "ipv4:10.0.0.1:1", "x509_common_name=one"),
            "id:a|tls:x509_common_name=one");
  EXPECT_NE(ClientKey("a", "p", "x509_common_name=one"),
            ClientKey("a", "p", "x509_common_name=two"));
}

// ------------------------------------------------------------- Shutdown

TEST(ShutdownAllowedTest, TokenOrSecretOnceASecretIsSet) {
  const std::string loopback = "ipv4:127.0.0.1:4000";
  const std::string remote = "ipv4:192.0.2.7:4000";
  // An open overlay: loopback, or the token from anywhere.
  EXPECT_TRUE(ShutdownAllowed("", loopback, false, "", false));
  EXPECT_FALSE(ShutdownAllowed("", remote, false, "", false));
  EXPECT_TRUE(ShutdownAllowed("tok", remote, false, "tok", false));
  EXPECT_FALSE(ShutdownAllowed("tok", remote, false, "", false));
  // With a peer secret: loopback alone is not enough.
  EXPECT_FALSE(ShutdownAllowed("", loopback, false, "", true));
  EXPECT_TRUE(ShutdownAllowed("", remote, true, "", true));
  EXPECT_TRUE(ShutdownAllowed("tok", remote, false, "tok", true));
  EXPECT_FALSE(ShutdownAllowed("bad", loopback, false, "tok", true));
}

TEST_F(NodeSecurityTest, ShutdownNeedsTheSecretOrTheToken) {
  grpc::Status status =
      portal_->Call(kShutdown, v1::ShutdownRequest().SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_GRPC_OK((portal_->Call(
      kShutdown, v1::ShutdownRequest().SerializeAsString(), nullptr,
      WithSecret())));
}

// ---------------------------------------------------------------- health

TEST_F(NodeSecurityTest, HealthCheckAndWatchSeeShutdown) {
  auto channel = grpc::CreateChannel(overlay_.address("F"),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    grpc::health::v1::HealthCheckRequest unknown;
    unknown.set_service("nope");
    grpc::ClientContext context2;
    EXPECT_EQ(health->Check(&context2, unknown, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // A watcher that leaves early is freed.
  {
    grpc::ClientContext context;
    auto reader = health->Watch(&context, request);
    ASSERT_TRUE(reader->Read(&response));
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  const HealthStatus& status = *overlay_.node("F").services.health;
  EXPECT_TRUE(overlay_.WaitFor([&] { return status.watchers() == 0; }));
  // Two watchers (one of an unknown service) see F shut down.
  grpc::ClientContext context;
  auto reader = health->Watch(&context, request);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  grpc::health::v1::HealthCheckRequest unknown;
  unknown.set_service("nope");
  grpc::ClientContext unknown_context;
  auto unknown_reader = health->Watch(&unknown_context, unknown);
  ASSERT_TRUE(unknown_reader->Read(&response));
  EXPECT_EQ(response.status(),
            grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN);
  EXPECT_TRUE(overlay_.WaitFor([&] { return status.watchers() == 2; }));
  overlay_.Kill("F");
  for (auto* r : {reader.get(), unknown_reader.get()}) {
    ASSERT_TRUE(r->Read(&response));
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    EXPECT_FALSE(r->Read(&response));
    grpc::Status end = r->Finish();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
}

}  // namespace
}  // namespace overlay
