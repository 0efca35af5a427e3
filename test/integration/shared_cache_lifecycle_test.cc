// Copyright 2026 The overlay Authors.
//
// The shared cache segment's lifecycle with real overlay_node processes:
// the nodes of one host group create one segment (mode 0600, its size from
// the config) and the last to stop gracefully removes it; after every node
// of the host was SIGKILLed the segment is left behind, and the next start
// reclaims it (a new, empty segment) and answers correctly from it.

#include <grpcpp/client_context.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

using ::overlay::testing::GeneratedData;
using ::overlay::testing::TestOverlay;
using ::testing::HasSubstr;

constexpr int kCacheMb = 16;

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
}

v1::QueryRequest Pm25() {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(5);
  return request;
}

// Query, pull every chunk, release: the records.
absl::StatusOr<std::vector<Record>> QueryAndPull(TestOverlay& overlay,
                                                 const v1::QueryRequest& request) {
  auto stub = overlay.PortalStub();
  v1::QueryResponse response;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status = stub->Query(&context, request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
  }
  std::vector<Record> records;
  for (int i = 0; i < response.total_chunks(); ++i) {
    v1::ChunkRequest chunk_request;
    chunk_request.set_query_id(response.query_id());
    chunk_request.set_chunk_index(i);
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status = stub->GetChunk(&context, chunk_request, &chunk);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    auto decoded = DecodeChunk(chunk.records());
    if (!decoded.ok()) return decoded.status();
    for (Record& r : *decoded) records.push_back(std::move(r));
  }
  v1::ReleaseRequest release;
  release.set_query_id(response.query_id());
  v1::ReleaseResponse released;
  grpc::ClientContext context;
  SetDeadline(context);
  (void)stub->Release(&context, release, &released);
  return records;
}

std::vector<Record> Expected(const v1::QueryRequest& request) {
  absl::StatusOr<Filter> filter =
      FilterFromProto(request.filter(), request.limit());
  EXPECT_TRUE(filter.ok());
  return GeneratedData::Get().DirectScan(*filter);
}

v1::SharedCacheMetrics CacheOf(TestOverlay& overlay, const std::string& id) {
  auto stub = overlay.Stub(id);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::MetricsResponse metrics;
  EXPECT_TRUE(stub->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
  return metrics.shared_cache();
}

TEST(SharedCacheLifecycleTest, KilledHostIsReclaimedAndLastStopRemoves) {
  const std::string root = GeneratedData::Get().root();
  // One name for both overlays: the second starts where the first died.
  const std::string name = absl::StrCat("lifecycle-", ::getpid());
  const auto edit = [&](OverlayConfig& config) {
    config.name = name;
    config.strategy.shared_cache_mb = kCacheMb;
  };
  const v1::QueryRequest request = Pm25();

  TestOverlay first;
  ASSERT_OK(first.Start("configs/one_host.json", root, edit));
  const std::string path = first.SegmentPath("host1");
  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0) << path;
  EXPECT_EQ(before.st_mode & 0777, 0600u);
  EXPECT_EQ(before.st_size, int64_t{kCacheMb} << 20);
  int creators = 0;
  for (const ProcessConfig& p : first.config().processes) {
    const v1::SharedCacheMetrics m = CacheOf(first, p.id);
    EXPECT_TRUE(m.enabled()) << p.id << ": " << m.error();
    EXPECT_EQ(m.segment(), path);
    creators += m.attach_mode() == "created" ? 1 : 0;
  }
  EXPECT_EQ(creators, 1);
  for (int round = 0; round < 2; ++round) {  // the second from the cache
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                         QueryAndPull(first, request));
    EXPECT_EQ(records, Expected(request));
  }
  EXPECT_EQ(CacheOf(first, "A").plan_hits(), 1);
  EXPECT_GT(CacheOf(first, "A").entries(), 0);

  // Every node of the host dies at once: nobody removes the segment.
  for (const ProcessConfig& p : first.config().processes) {
    first.process(p.id).Signal(SIGKILL);
  }
  for (const ProcessConfig& p : first.config().processes) {
    ASSERT_OK_AND_ASSIGN(int code, first.process(p.id).Wait(20));
    EXPECT_EQ(code, -SIGKILL) << p.id;
  }
  struct stat stale;
  ASSERT_EQ(::stat(path.c_str(), &stale), 0) << "the killed nodes' segment";
  EXPECT_EQ(stale.st_ino, before.st_ino);

  // The next start finds no live attacher: it reclaims the segment (a new
  // file, nothing of the old entries) and answers from it.
  TestOverlay second;
  ASSERT_OK(second.Start("configs/one_host.json", root, edit));
  ASSERT_EQ(second.SegmentPath("host1"), path);
  EXPECT_THAT(second.Logs(),
              HasSubstr(absl::StrCat("reclaimed stale segment ", path)));
  struct stat reclaimed;
  ASSERT_EQ(::stat(path.c_str(), &reclaimed), 0);
  EXPECT_NE(reclaimed.st_ino, before.st_ino);
  int made = 0;
  for (const ProcessConfig& p : second.config().processes) {
    const v1::SharedCacheMetrics m = CacheOf(second, p.id);
    EXPECT_TRUE(m.enabled()) << p.id << ": " << m.error();
    EXPECT_EQ(m.attach_errors(), 0);
    made += m.attach_mode() == "reclaimed" || m.attach_mode() == "created";
  }
  EXPECT_EQ(made, 1);
  // Nothing cached before the kill is there: the first query fans out.
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       QueryAndPull(second, request));
  EXPECT_EQ(records, Expected(request));
  EXPECT_EQ(CacheOf(second, "A").plan_hits(), 0);
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(second, request));
  EXPECT_EQ(records, Expected(request));
  EXPECT_EQ(CacheOf(second, "A").plan_hits(), 1);

  // Graceful stop: the last node removes it.
  ASSERT_OK(second.Stop());
  struct stat gone;
  EXPECT_NE(::stat(path.c_str(), &gone), 0) << path << " left behind";
}

}  // namespace
}  // namespace overlay
