// Copyright 2026 The overlay Authors.
//
// The handlers of real nodes from hostile bytes: every node of
// configs/one_host.json runs in this process (InProcessOverlay on a small
// generated data set), and each input is one call, as raw request bytes,
// to one RPC of one node. Checks that every call ends with a status (the
// call returns; a crash or a hang is the fuzzer's finding), that no status
// is INTERNAL or UNKNOWN, that PeerService refuses every call without the
// peer secret, and every few hundred inputs that the nodes still answer a
// real query exactly (then the fake clock jumps past the result TTL, so
// what hostile queries left behind expires).
//
// Input: byte 0 picks the RPC, byte 1 holds flags (bit 0: send the peer
// secret; bit 1: append the query_id of a live result, so chunk, release
// and fetch paths are reached; bits 2..4: the node), the rest is the
// request. Appending works because a later occurrence of a proto3 scalar
// field wins.

#include <grpcpp/support/status.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/security/peer_credential.h"
#include "glog/logging.h"
#include "protos/overlay.pb.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/inprocess_overlay.h"
#include "test/test_util/raw_call.h"
#include "test/test_util/test_overlay.h"

// No leak check at exit: the nodes live until the process ends.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

namespace overlay {
namespace {

using testing::RawCaller;

struct Method {
  const char* path;
  bool peer_only;
};
constexpr Method kMethods[] = {
    {"/overlay.v1.QueryService/Query", false},
    {"/overlay.v1.QueryService/GetChunk", false},
    {"/overlay.v1.QueryService/Release", false},
    {"/overlay.v1.QueryService/GetMetrics", false},
    {"/overlay.v1.QueryService/Shutdown", false},
    {"/overlay.v1.PeerService/Execute", true},
    {"/overlay.v1.PeerService/Fetch", true},
    {"/overlay.v1.PeerService/ReleaseResult", true},
    {"/grpc.health.v1.Health/Check", false},
};
constexpr size_t kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);
constexpr int kCheckEvery = 256;

class Harness {
 public:
  Harness() {
    absl::Status started = overlay_.Start(
        "configs/one_host.json", testing::GeneratedData::Get().root(),
        [](OverlayConfig& config) { config.strategy.shared_cache_mb = 16; });
    CHECK(started.ok()) << started;
    // The harness lives until the fuzzer exits (or crashes), so nothing
    // would remove the host's segment: every node has mapped it, and the
    // name goes now.
    ::unlink(overlay_.SegmentPath("host1").c_str());
    for (const ProcessConfig& p : overlay_.config().processes) {
      ids_.push_back(p.id);
      callers_.push_back(std::make_unique<RawCaller>(overlay_.address(p.id)));
    }
    reference_ = QueryCount();
    CHECK_GT(reference_, 0);
  }

  void Run(const uint8_t* data, size_t size) {
    if (size < 2) return;
    const Method& method = kMethods[data[0] % kMethodCount];
    const bool secret = (data[1] & 1) != 0;
    const bool live_id = (data[1] & 2) != 0;
    RawCaller& caller = *callers_[((data[1] >> 2) & 7) % callers_.size()];
    std::string request(reinterpret_cast<const char*>(data + 2), size - 2);
    if (live_id) AppendLiveId(&request);
    RawCaller::Metadata metadata;
    if (secret) metadata.emplace_back(kPeerSecretKey, testing::kTestPeerSecret);
    const grpc::Status status =
        caller.Call(method.path, request, nullptr, metadata,
                    std::chrono::seconds(20));
    const grpc::StatusCode code = status.error_code();
    CHECK(code != grpc::StatusCode::INTERNAL &&
          code != grpc::StatusCode::UNKNOWN &&
          code != grpc::StatusCode::DEADLINE_EXCEEDED)
        << method.path << ": " << code << " " << status.error_message();
    if (method.peer_only && !secret) {
      CHECK(code == grpc::StatusCode::UNAUTHENTICATED) << method.path;
    }
    // A release may have dropped the live result.
    if (live_id && (data[0] % kMethodCount == 2 ||
                    data[0] % kMethodCount == 7)) {
      live_.clear();
    }
    if (++runs_ % kCheckEvery == 0) {
      CHECK_EQ(QueryCount(), reference_);
      // Past every result's TTL: what hostile queries left behind expires
      // (the clock is the overlay's fake one).
      overlay_.AdvanceMillis(int64_t{400} * 1000);
      live_.clear();
    }
  }

 private:
  // A Query every node takes part in; its record count.
  int64_t QueryCount() {
    v1::QueryRequest query;
    query.mutable_filter()->add_parameters(v1::PM25);
    query.set_chunk_size(100);
    query.set_client_id("fuzz-check");
    std::string reply;
    const grpc::Status status =
        callers_[0]->Call(kMethods[0].path, query.SerializeAsString(), &reply);
    CHECK(status.ok()) << status.error_message();
    v1::QueryResponse response;
    CHECK(response.ParseFromString(reply));
    v1::ReleaseRequest release;
    release.set_query_id(response.query_id());
    release.set_client_id("fuzz-check");
    CHECK(callers_[0]
              ->Call(kMethods[2].path, release.SerializeAsString())
              .ok());
    return response.total_records();
  }

  // Field 1 (query_id in every request that has one) = a live result of
  // client "" at the portal.
  void AppendLiveId(std::string* request) {
    if (live_.empty()) {
      v1::QueryRequest query;
      query.mutable_filter()->add_parameters(v1::OZONE);
      query.set_chunk_size(20);
      std::string reply;
      if (!callers_[0]
               ->Call(kMethods[0].path, query.SerializeAsString(), &reply)
               .ok()) {
        return;
      }
      v1::QueryResponse response;
      if (!response.ParseFromString(reply)) return;
      live_ = response.query_id();
    }
    v1::ReleaseRequest field;  // query_id = 1, as everywhere
    field.set_query_id(live_);
    request->append(field.SerializeAsString());
  }

  testing::InProcessOverlay overlay_;
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<RawCaller>> callers_;
  std::string live_;
  int64_t reference_ = 0;
  int64_t runs_ = 0;
};

Harness* harness = nullptr;

}  // namespace
}  // namespace overlay

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  FLAGS_minloglevel = 2;  // the nodes' lifecycle lines: errors only
  overlay::harness = new overlay::Harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  overlay::harness->Run(data, size);
  return 0;
}
