// Copyright 2026 The overlay Authors.

#include "core/fanout/peer_call.h"

#include <grpcpp/completion_queue.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/fanout/neighbor_table.h"
#include "protos/overlay.grpc.pb.h"
#include "test/test_util/cq_verifier.h"

namespace overlay {
namespace {

using ::overlay::testing::CqVerifier;

// A neighbour: Fetch answers `count` records starting at `offset` (as utc
// values); Execute always fails.
class FakePeer final : public v1::PeerService::Service {
 public:
  grpc::Status Fetch(grpc::ServerContext*, const v1::FetchRequest* request,
                     v1::FetchResponse* response) override {
    for (int i = 0; i < request->count(); ++i) {
      response->mutable_records()->add_utc_seconds(request->offset() + i);
    }
    return grpc::Status::OK;
  }
  grpc::Status Execute(grpc::ServerContext*, const v1::ExecuteRequest*,
                       v1::ExecuteResponse*) override {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no share");
  }
};

// What a finished call left behind; `done` deletes the call.
struct Outcome {
  int done_calls = 0;
  grpc::Status status;
  v1::FetchResponse fetch;
};

class PeerCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&peer_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    neighbors_ =
        std::make_unique<NeighborTable>(std::vector<NeighborTable::Neighbor>{
            {"P", "127.0.0.1:" + std::to_string(port_)}});
  }

  void TearDown() override {
    CqVerifier::ShutdownAndDrain(&cq_);
    server_->Shutdown(std::chrono::system_clock::now());
  }

  static std::chrono::system_clock::time_point Deadline() {
    return std::chrono::system_clock::now() + std::chrono::seconds(20);
  }

  int port_ = 0;
  FakePeer peer_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<NeighborTable> neighbors_;
  grpc::CompletionQueue cq_;
};

TEST_F(PeerCallTest, FetchCompletesOnTheQueueWithTheResponse) {
  Outcome outcome;
  auto* call = new PeerCall<v1::FetchResponse>(
      [&outcome](PeerCall<v1::FetchResponse>* done) {
        ++outcome.done_calls;
        outcome.status = done->status;
        outcome.fetch = done->response;
        delete done;
      });
  call->context.set_deadline(Deadline());
  v1::FetchRequest request;
  request.set_query_id("q");
  request.set_offset(100);
  request.set_count(3);
  call->Start(&v1::PeerService::Stub::PrepareAsyncFetch, neighbors_->Stub("P"),
              request, &cq_);
  EXPECT_EQ(outcome.done_calls, 0);  // nothing runs outside the queue
  CqVerifier().Expect(call, true).Verify(&cq_);
  EXPECT_EQ(outcome.done_calls, 1);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  ASSERT_EQ(outcome.fetch.records().utc_seconds_size(), 3);
  EXPECT_EQ(outcome.fetch.records().utc_seconds(0), 100);
  EXPECT_EQ(outcome.fetch.records().utc_seconds(2), 102);
}

TEST_F(PeerCallTest, ServerErrorArrivesAsTheCallStatus) {
  int done_calls = 0;
  grpc::Status status;
  auto* call = new PeerCall<v1::ExecuteResponse>(
      [&](PeerCall<v1::ExecuteResponse>* done) {
        ++done_calls;
        status = done->status;
        neighbors_->RecordCall("P", done->status);
        delete done;
      });
  call->context.set_deadline(Deadline());
  call->Start(&v1::PeerService::Stub::PrepareAsyncExecute,
              neighbors_->Stub("P"), v1::ExecuteRequest(), &cq_);
  CqVerifier().Expect(call, true).Verify(&cq_);
  EXPECT_EQ(done_calls, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "no share");
  std::vector<NeighborStats> stats = neighbors_->Stats();
  EXPECT_EQ(stats[0].calls, 1);
  EXPECT_EQ(stats[0].failures, 1);
  EXPECT_EQ(stats[0].last_error, "no share");
}

TEST_F(PeerCallTest, ExpiredDeadlineEndsTheCall) {
  grpc::Status status;
  auto* call = new PeerCall<v1::FetchResponse>(
      [&status](PeerCall<v1::FetchResponse>* done) {
        status = done->status;
        delete done;
      });
  call->context.set_deadline(std::chrono::system_clock::now() -
                             std::chrono::seconds(1));
  call->Start(&v1::PeerService::Stub::PrepareAsyncFetch, neighbors_->Stub("P"),
              v1::FetchRequest(), &cq_);
  CqVerifier().Expect(call, true).Verify(&cq_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(PeerCallTest, UnreachableNeighbourIsUnavailable) {
  // A port that just stopped listening.
  int dead_port = 0;
  {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &dead_port);
    FakePeer unused;
    builder.RegisterService(&unused);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    server->Shutdown(std::chrono::system_clock::now());
  }
  NeighborTable table(std::vector<NeighborTable::Neighbor>{
      {"D", "127.0.0.1:" + std::to_string(dead_port)}});
  grpc::Status status;
  auto* call = new PeerCall<v1::FetchResponse>(
      [&status](PeerCall<v1::FetchResponse>* done) {
        status = done->status;
        delete done;
      });
  call->context.set_deadline(Deadline());
  call->Start(&v1::PeerService::Stub::PrepareAsyncFetch, table.Stub("D"),
              v1::FetchRequest(), &cq_);
  CqVerifier().Expect(call, true).Verify(&cq_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(PeerCallTest, CancelledCallEndsCancelled) {
  grpc::Status status;
  auto* call = new PeerCall<v1::FetchResponse>(
      [&status](PeerCall<v1::FetchResponse>* done) {
        status = done->status;
        delete done;
      });
  call->context.set_deadline(Deadline());
  call->context.TryCancel();
  call->Start(&v1::PeerService::Stub::PrepareAsyncFetch, neighbors_->Stub("P"),
              v1::FetchRequest(), &cq_);
  CqVerifier().Expect(call, true).Verify(&cq_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
}

TEST(PeerCallProceedTest, NotOkBecomesUnavailable) {
  int done_calls = 0;
  grpc::Status status;
  PeerCall<v1::FetchResponse> call([&](PeerCall<v1::FetchResponse>* done) {
    ++done_calls;
    status = done->status;
  });
  CompletionTag* tag = &call;
  tag->Proceed(false);
  EXPECT_EQ(done_calls, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace overlay
