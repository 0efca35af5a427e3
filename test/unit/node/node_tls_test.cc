// Copyright 2026 The overlay Authors.
//
// TLS on every port of in-process nodes, with certificates this test makes
// with openssl in a temp dir (removed after): a CA, one node certificate
// (SAN 127.0.0.1 and localhost, for server and client use) every node
// presents, and two client certificates. A TLS overlay answers; a
// plaintext client is refused; mutual TLS refuses callers (clients, and a
// "node" holding the peer secret) without a certificate; under mutual TLS
// a result is bound to the certificate, so another certificate holder
// with the same client_id is told NOT_FOUND.

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "core/security/peer_credential.h"
#include "core/security/tls_credentials.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

// A CA and certificates signed by it, made once for the test program.
class Certificates {
 public:
  static const Certificates& Get() {
    static const Certificates* certificates = new Certificates();
    return *certificates;
  }
  ~Certificates() = default;

  bool ok() const { return ok_; }
  const std::string& log() const { return log_; }
  std::string path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  void Remove() const {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  Certificates() {
    char tmpl[] = "/tmp/overlay-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    ok_ = Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
              "-subj /CN=overlay-test-ca -keyout ca.key -out ca.pem") &&
          Sign("node", "/CN=overlay-node",
               "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
               "extendedKeyUsage=serverAuth,clientAuth\n") &&
          Sign("client1", "/CN=client-one",
               "extendedKeyUsage=clientAuth\n") &&
          Sign("client2", "/CN=client-two", "extendedKeyUsage=clientAuth\n");
  }

  bool Sign(const std::string& name, const std::string& subject,
            const std::string& extensions) {
    const std::string ext = path(name + ".ext");
    FILE* f = std::fopen(ext.c_str(), "w");
    if (f == nullptr) return false;
    std::fputs(extensions.c_str(), f);
    std::fclose(f);
    return Run(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj ",
                            subject, " -keyout ", name, ".key -out ", name,
                            ".csr")) &&
           Run(absl::StrCat("openssl x509 -req -in ", name,
                            ".csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                            "-days 2 -extfile ",
                            name, ".ext -out ", name, ".pem"));
  }

  bool Run(const std::string& command) {
    const std::string full = absl::StrCat("cd ", dir_, " && ", command,
                                          " >>openssl.log 2>&1");
    if (std::system(full.c_str()) != 0) {
      log_ = absl::StrCat("failed: ", command);
      return false;
    }
    return true;
  }

  std::string dir_;
  bool ok_ = false;
  std::string log_;
};

class CertificateEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Certificates::Get().Remove(); }
};
[[maybe_unused]] const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new CertificateEnvironment);

std::shared_ptr<grpc::ChannelCredentials> Client(const std::string& name) {
  const Certificates& c = Certificates::Get();
  ClientTlsFiles files;
  files.ca_file = c.path("ca.pem");
  if (!name.empty()) {
    files.cert_file = c.path(name + ".pem");
    files.key_file = c.path(name + ".key");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientChannelCredentials(files);
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  return credentials.ok() ? *credentials : nullptr;
}

v1::QueryRequest Pm25(const std::string& client_id) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(100);
  request.set_client_id(client_id);
  return request;
}

grpc::Status Query(v1::QueryService::Stub& stub, const v1::QueryRequest& request,
                   v1::QueryResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return stub.Query(&context, request, response);
}

grpc::Status GetChunk(v1::QueryService::Stub& stub, const std::string& id,
                      int32_t index, const std::string& client_id) {
  v1::ChunkRequest request;
  request.set_query_id(id);
  request.set_chunk_index(index);
  request.set_client_id(client_id);
  v1::ChunkResponse chunk;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return stub.GetChunk(&context, request, &chunk);
}

class NodeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Certificates::Get().ok()) << Certificates::Get().log();
  }
  void StartWith(bool mutual) {
    const Certificates& c = Certificates::Get();
    ASSERT_OK(overlay_.Start(
        "configs/one_host.json", GeneratedData::Get().root(),
        [&](OverlayConfig& config) {
          config.tls.cert_file = c.path("node.pem");
          config.tls.key_file = c.path("node.key");
          config.tls.ca_file = c.path("ca.pem");
          config.tls.mutual = mutual;
        }));
  }
  // The same query in plaintext on an open overlay, for the count.
  int64_t PlainCount() {
    InProcessOverlay plain;
    EXPECT_OK(plain.Start("configs/one_host.json",
                          GeneratedData::Get().root()));
    v1::QueryResponse response;
    EXPECT_TRUE(Query(*plain.PortalStub(), Pm25("c"), &response).ok());
    return response.total_records();
  }

  InProcessOverlay overlay_;
};

TEST_F(NodeTlsTest, TlsOverlayAnswersAndRefusesPlaintext) {
  const int64_t expected = PlainCount();
  StartWith(/*mutual=*/false);
  auto stub = overlay_.Stub("A", Client(""));
  v1::QueryResponse response;
  grpc::Status status = Query(*stub, Pm25("c"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.complete());
  EXPECT_EQ(response.total_records(), expected);
  ASSERT_GT(response.total_chunks(), 1);
  // Chunks owned by other nodes come over TLS between the nodes.
  for (int i = 0; i < response.total_chunks(); ++i) {
    EXPECT_TRUE(GetChunk(*stub, response.query_id(), i, "c").ok()) << i;
  }
  // A plaintext client does not get through.
  auto plain = overlay_.Stub("A", grpc::InsecureChannelCredentials());
  status = Query(*plain, Pm25("c"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
}

TEST_F(NodeTlsTest, MutualTlsRefusesCallersWithoutACertificate) {
  StartWith(/*mutual=*/true);
  v1::QueryResponse response;
  // A client with the CA but no certificate.
  auto anonymous = overlay_.Stub("A", Client(""));
  EXPECT_EQ(Query(*anonymous, Pm25("c"), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A would-be node holding the peer secret but no certificate.
  RawCaller node(overlay_.address("E"), Client(""));
  v1::ExecuteRequest execute;
  execute.set_query_id("A-x");
  execute.add_path("A");
  grpc::Status status =
      node.Call("/overlay.v1.PeerService/Execute", execute.SerializeAsString(),
                nullptr, {{kPeerSecretKey, kTestPeerSecret}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(overlay_.node("E").services.metrics->queries_executed.load(), 0);
  // With a certificate: the whole overlay answers (nodes dial each other
  // with theirs).
  auto client = overlay_.Stub("A", Client("client1"));
  status = Query(*client, Pm25("c"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.complete());
  EXPECT_EQ(response.shares_size(), 6);
}

TEST_F(NodeTlsTest, ResultIsBoundToTheCertificate) {
  StartWith(/*mutual=*/true);
  auto one = overlay_.Stub("A", Client("client1"));
  auto two = overlay_.Stub("A", Client("client2"));
  v1::QueryResponse response;
  ASSERT_TRUE(Query(*one, Pm25("same-id"), &response).ok());
  const grpc::Status stolen =
      GetChunk(*two, response.query_id(), 0, "same-id");
  EXPECT_EQ(stolen.error_code(), grpc::StatusCode::NOT_FOUND);
  const grpc::Status unknown = GetChunk(*two, "A-nope", 0, "same-id");
  EXPECT_EQ(stolen.error_message(),
            std::string(unknown.error_message())
                .replace(unknown.error_message().find("A-nope"), 6,
                         response.query_id()));
  EXPECT_TRUE(GetChunk(*one, response.query_id(), 0, "same-id").ok());
}

}  // namespace
}  // namespace overlay
