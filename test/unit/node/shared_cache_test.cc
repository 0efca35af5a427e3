// Copyright 2026 The overlay Authors.
//
// The shared cache on the in-process overlay (fake clock, no sleeping):
// one segment per host group (mode, sizes, cleanup), a node that cannot
// attach runs without it, chunks of co-located owners pulled with no Fetch,
// a repeated query answered with no node scanning, `fresh` bypassing every
// lookup, an evicted chunk of a cached plan made anew exactly, a reloaded
// share invalidating what was cached for its old data, and two_hosts with
// two segments and no plan cached across hosts. Every answer is compared
// record for record with a direct scan.

#include <grpcpp/client_context.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"
#include "core/shmcache/shm_cache_options.h"
#include "core/store/canonical_filter.h"
#include "core/store/csv_loader.h"
#include "core/store/query_executor.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nodes/node_cache.h"
#include "test/test_util/generated_data.h"
#include "test/test_util/inprocess_overlay.h"
#include "test/test_util/overlay_calls.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::overlay::testing::GeneratedData;
using ::overlay::testing::InProcessOverlay;
using ::overlay::testing::PullAll;
using ::overlay::testing::RunQuery;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kCacheMb = 16;

void SmallCache(OverlayConfig& config) {
  config.strategy.shared_cache_mb = kCacheMb;
}

// Small chunks: every share of the generated data holds several.
v1::QueryRequest Pm25(int chunk_size = 5) {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->set_min_concentration(10);
  request.mutable_filter()->set_max_concentration(50);
  request.set_chunk_size(chunk_size);
  return request;
}

// The same query, spelled otherwise: the canonical key is the same.
v1::QueryRequest Pm25Respelled(int chunk_size = 5) {
  v1::QueryRequest request = Pm25(chunk_size);
  request.mutable_filter()->add_parameters(v1::PM25);  // a repeat
  request.mutable_filter()->set_prefix("");             // no prefix
  return request;
}

Filter FilterOf(const v1::QueryRequest& request) {
  absl::StatusOr<Filter> filter =
      FilterFromProto(request.filter(), request.limit());
  EXPECT_TRUE(filter.ok()) << filter.status();
  return filter.ok() ? *filter : Filter();
}

std::vector<Record> Expected(const v1::QueryRequest& request) {
  return GeneratedData::Get().DirectScan(FilterOf(request));
}

// Query, pull every chunk, release; the records.
absl::StatusOr<std::vector<Record>> QueryAndPull(
    InProcessOverlay& overlay, v1::QueryRequest request,
    const std::string& client_id = "",
    v1::QueryResponse* response_out = nullptr) {
  request.set_client_id(client_id);
  v1::QueryResponse response;
  grpc::Status status = RunQuery(overlay, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  if (!response.complete()) return absl::InternalError("incomplete");
  auto stub = overlay.PortalStub();
  absl::StatusOr<std::vector<Record>> records =
      PullAll(*stub, response, client_id);
  v1::ReleaseRequest release;
  release.set_query_id(response.query_id());
  release.set_client_id(client_id);
  v1::ReleaseResponse released;
  grpc::ClientContext context;
  (void)stub->Release(&context, release, &released);
  if (response_out != nullptr) *response_out = response;
  return records;
}

v1::SharedCacheMetrics CacheOf(const InProcessOverlay& overlay,
                               const std::string& id) {
  v1::SharedCacheMetrics metrics;
  overlay.node(id).services.cache->FillMetrics(&metrics);
  return metrics;
}

// Fetch calls served by every node (owners and relays) so far.
int64_t FetchesServed(const InProcessOverlay& overlay) {
  int64_t sum = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    sum += overlay.node(p.id).services.metrics->LatencyOf(RpcKind::kFetch)
               .count();
  }
  return sum;
}

int64_t Executed(const InProcessOverlay& overlay, const std::string& id) {
  return overlay.node(id).services.metrics->queries_executed.load();
}

int64_t ExecutedEverywhere(const InProcessOverlay& overlay) {
  int64_t sum = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    sum += Executed(overlay, p.id);
  }
  return sum;
}

int64_t ExecutesServed(const InProcessOverlay& overlay) {
  int64_t sum = 0;
  for (const ProcessConfig& p : overlay.config().processes) {
    sum += overlay.node(p.id).services.metrics->LatencyOf(RpcKind::kExecute)
               .count();
  }
  return sum;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class SharedCacheTest : public ::testing::Test {
 protected:
  const std::string& root() { return GeneratedData::Get().root(); }
  InProcessOverlay overlay_;
};

// ------------------------------------------------------- the segment

TEST_F(SharedCacheTest, OneSegmentPerHostGroupPrivateSizedAndRemovedLast) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  const std::string path = overlay_.SegmentPath("host1");
  EXPECT_THAT(path, HasSubstr(overlay_.config().name));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, int64_t{kCacheMb} << 20);
  int created = 0;
  for (const ProcessConfig& p : overlay_.config().processes) {
    const v1::SharedCacheMetrics m = CacheOf(overlay_, p.id);
    EXPECT_TRUE(m.enabled()) << p.id << ": " << m.error();
    EXPECT_EQ(m.segment(), path);
    EXPECT_EQ(m.attach_errors(), 0);
    EXPECT_EQ(m.segment_bytes(), int64_t{kCacheMb} << 20);
    EXPECT_NE(m.data_generation(), 0u);
    created += m.attach_mode() == "created" ? 1 : 0;
    EXPECT_THAT(m.attach_mode(), ::testing::AnyOf("created", "attached"));
  }
  EXPECT_EQ(created, 1);
  // Each node vouches for its data to the others.
  NodeCache& a = *overlay_.node("A").services.cache;
  EXPECT_EQ(a.GenerationOf("F"), overlay_.node("F").env.data_generation);
  // A node stopping withdraws its generation; the segment stays while
  // others are attached, and goes with the last.
  overlay_.Kill("F");
  EXPECT_EQ(a.GenerationOf("F"), std::nullopt);
  EXPECT_TRUE(Exists(path));
  overlay_.Stop();
  EXPECT_FALSE(Exists(path));
}

TEST_F(SharedCacheTest, TwoHostsUseTwoSegments) {
  ASSERT_OK(overlay_.Start("configs/two_hosts.json", root(), SmallCache));
  const std::string host1 = overlay_.SegmentPath("host1");
  const std::string host2 = overlay_.SegmentPath("host2");
  EXPECT_NE(host1, host2);
  EXPECT_TRUE(Exists(host1));
  EXPECT_TRUE(Exists(host2));
  for (const ProcessConfig& p : overlay_.config().processes) {
    EXPECT_EQ(CacheOf(overlay_, p.id).segment(),
              p.host_group == "host1" ? host1 : host2)
        << p.id;
  }
  // What C publishes, E sees; A (another host) does not.
  const uint64_t c = overlay_.node("C").env.data_generation;
  EXPECT_EQ(overlay_.node("E").services.cache->GenerationOf("C"), c);
  EXPECT_EQ(overlay_.node("A").services.cache->GenerationOf("C"),
            std::nullopt);
  EXPECT_EQ(overlay_.node("A").services.cache->GenerationOf("B"),
            overlay_.node("B").env.data_generation);
  overlay_.Stop();
  EXPECT_FALSE(Exists(host1));
  EXPECT_FALSE(Exists(host2));
}

TEST_F(SharedCacheTest, NodesThatCannotAttachRunWithoutIt) {
  // A live segment of the same name but another size: every node refuses
  // it (FAILED_PRECONDITION), says why, counts it, and answers anyway.
  const std::string name = absl::StrCat("attach-test-", ::getpid());
  ShmCacheOptions other;
  other.name = ShmSegmentName(name, "host1");
  other.size_bytes = uint64_t{1} << 20;
  testing::FakeClock clock;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShmCache> squatter,
                       ShmCache::CreateOrAttach(other, PosixApi::Real(),
                                                &clock));
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [&](OverlayConfig& config) {
                             SmallCache(config);
                             config.name = name;
                           }));
  for (const ProcessConfig& p : overlay_.config().processes) {
    const v1::SharedCacheMetrics m = CacheOf(overlay_, p.id);
    EXPECT_FALSE(m.enabled()) << p.id;
    EXPECT_EQ(m.attach_errors(), 1) << p.id;
    EXPECT_THAT(m.error(), HasSubstr("this process expects")) << p.id;
  }
  auto stub = overlay_.PortalStub();
  v1::MetricsResponse metrics;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok());
  EXPECT_EQ(metrics.shared_cache().attach_errors(), 1);
  EXPECT_FALSE(metrics.shared_cache().enabled());
  for (int round = 0; round < 2; ++round) {
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                         QueryAndPull(overlay_, Pm25()));
    EXPECT_EQ(records, Expected(Pm25()));
  }
  overlay_.Stop();
  ASSERT_OK(squatter->Detach());  // the last attacher: removes it
}

// ------------------------------------------------------------ chunks

TEST_F(SharedCacheTest, CoLocatedChunksArePulledWithNoFetch) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, Pm25(), &response).ok());
  ASSERT_TRUE(response.complete());
  for (const v1::ShareResult& share : response.shares()) {
    EXPECT_GT(share.chunks(), 1) << share.node_id();  // none inline
  }
  // Every owner encoded its chunks into the segment before it answered.
  const int64_t fetches = FetchesServed(overlay_);
  EXPECT_EQ(fetches, 0);
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       PullAll(*stub, response, ""));
  EXPECT_EQ(records, Expected(Pm25()));
  EXPECT_EQ(FetchesServed(overlay_), fetches);
  const v1::SharedCacheMetrics portal = CacheOf(overlay_, "A");
  EXPECT_EQ(portal.chunk_hits(), response.total_chunks());
  EXPECT_EQ(portal.chunk_misses(), 0);
  int64_t preencoded = 0;
  for (const ProcessConfig& p : overlay_.config().processes) {
    preencoded += CacheOf(overlay_, p.id).chunks_preencoded();
  }
  EXPECT_EQ(preencoded, response.total_chunks());
}

TEST_F(SharedCacheTest, ChunksOfADeadCoLocatedOwnerAreStillServed) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, Pm25(), &response).ok());
  overlay_.Kill("F");
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       PullAll(*stub, response, ""));
  EXPECT_EQ(records, Expected(Pm25()));
  // F stopped, so it no longer vouches for its data: a repeated query is
  // not answered from the cache, and, strict, fails naming F.
  v1::QueryResponse again;
  grpc::Status status = RunQuery(overlay_, Pm25(), &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("F (2020-09-13..2020-09-24)"));
}

// ------------------------------------------------------------- plans

TEST_F(SharedCacheTest, PartialAnswersAreNeverCached) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  overlay_.Kill("F");
  v1::QueryRequest request = Pm25();
  request.set_allow_partial(true);
  for (int round = 0; round < 2; ++round) {
    v1::QueryResponse response;
    ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
    EXPECT_FALSE(response.complete());
    ASSERT_EQ(response.missing_size(), 1);
    EXPECT_EQ(response.missing(0).node_id(), "F");
  }
  const v1::SharedCacheMetrics portal = CacheOf(overlay_, "A");
  EXPECT_EQ(portal.plans_stored(), 0);
  EXPECT_EQ(portal.plan_hits(), 0);
  EXPECT_EQ(portal.plan_misses(), 2);
}

TEST_F(SharedCacheTest, RepeatedQueryIsAnsweredWithNoNodeScanning) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  v1::QueryResponse first;
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       QueryAndPull(overlay_, Pm25(), "alice", &first));
  EXPECT_EQ(records, Expected(Pm25()));
  EXPECT_EQ(CacheOf(overlay_, "A").plans_stored(), 1);

  const int64_t executed = ExecutedEverywhere(overlay_);
  const int64_t executes = ExecutesServed(overlay_);
  const int64_t fetches = FetchesServed(overlay_);
  // Another client, another spelling of the same query.
  v1::QueryResponse second;
  ASSERT_OK_AND_ASSIGN(
      std::vector<Record> again,
      QueryAndPull(overlay_, Pm25Respelled(), "bob", &second));
  EXPECT_EQ(again, records);
  EXPECT_NE(second.query_id(), first.query_id());
  EXPECT_TRUE(second.complete());
  EXPECT_EQ(second.total_records(), first.total_records());
  ASSERT_EQ(second.shares_size(), first.shares_size());
  for (int i = 0; i < first.shares_size(); ++i) {
    EXPECT_EQ(second.shares(i).DebugString(), first.shares(i).DebugString());
  }
  EXPECT_EQ(ExecutedEverywhere(overlay_), executed);
  EXPECT_EQ(ExecutesServed(overlay_), executes);
  EXPECT_EQ(FetchesServed(overlay_), fetches);
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 1);
  // The plan is bound to its client like any other.
  v1::QueryResponse third;
  ASSERT_TRUE(RunQuery(overlay_, Pm25(), &third).ok());
  auto stub = overlay_.PortalStub();
  EXPECT_EQ(PullAll(*stub, third, "mallory").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(overlay_.WaitFor([&] { return overlay_.ResultsHeld() == 0; }));
}

TEST_F(SharedCacheTest, RepeatedSmallAndLimitedQueriesToo) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  const Table& table = GeneratedData::Get().table();
  v1::QueryRequest by_key;  // get_by_key: every share answers inline
  by_key.mutable_filter()->add_site_keys(table.sites()[3].aqs_id);
  v1::QueryRequest limited = Pm25();
  limited.set_limit(8);  // cut inside the first shares
  v1::QueryRequest spanning = Pm25();
  // Met inside a later share: the earlier ones answer whole.
  spanning.set_limit(static_cast<int64_t>(Expected(Pm25()).size() / 2));
  for (const v1::QueryRequest* request : {&by_key, &limited, &spanning}) {
    SCOPED_TRACE(request->ShortDebugString());
    ASSERT_OK_AND_ASSIGN(std::vector<Record> first,
                         QueryAndPull(overlay_, *request));
    EXPECT_EQ(first, Expected(*request));
    EXPECT_FALSE(first.empty());
    const int64_t executed = ExecutedEverywhere(overlay_);
    v1::QueryRequest inline_first = *request;
    inline_first.set_inline_first_chunk(true);
    for (const v1::QueryRequest& repeat : {*request, inline_first}) {
      ASSERT_OK_AND_ASSIGN(std::vector<Record> again,
                           QueryAndPull(overlay_, repeat));
      EXPECT_EQ(again, first);
    }
    EXPECT_EQ(ExecutedEverywhere(overlay_), executed);
  }
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 6);
}

TEST_F(SharedCacheTest, FreshBypassesEveryLookupButStillStores) {
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(), SmallCache));
  v1::QueryRequest fresh = Pm25();
  fresh.set_fresh(true);
  // Fresh first: nothing looked up, nothing encoded ahead; the plan and
  // the chunks the owners encode for the pull are stored.
  const int64_t fetches = FetchesServed(overlay_);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       QueryAndPull(overlay_, fresh));
  EXPECT_EQ(records, Expected(Pm25()));
  v1::SharedCacheMetrics portal = CacheOf(overlay_, "A");
  EXPECT_EQ(portal.plan_hits() + portal.plan_misses(), 0);
  EXPECT_EQ(portal.chunk_hits() + portal.chunk_misses(), 0);
  EXPECT_EQ(portal.plans_stored(), 1);
  EXPECT_GT(FetchesServed(overlay_), fetches);  // remote chunks fetched
  for (const ProcessConfig& p : overlay_.config().processes) {
    EXPECT_EQ(CacheOf(overlay_, p.id).chunks_preencoded(), 0) << p.id;
  }
  // Now a normal query hits what the fresh one stored; fresh again scans.
  int64_t executed = ExecutedEverywhere(overlay_);
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(overlay_, Pm25()));
  EXPECT_EQ(records, Expected(Pm25()));
  EXPECT_EQ(ExecutedEverywhere(overlay_), executed);
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 1);
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(overlay_, fresh));
  EXPECT_EQ(records, Expected(Pm25()));
  EXPECT_EQ(ExecutedEverywhere(overlay_),
            executed + static_cast<int64_t>(overlay_.config().processes.size()));
  portal = CacheOf(overlay_, "A");
  EXPECT_EQ(portal.plan_hits(), 1);
  EXPECT_EQ(portal.plan_misses(), 0);
}

// An entry of the segment as another attacher sees it: the test's own
// mapping of the overlay's segment, on the overlay's clock.
std::unique_ptr<ShmCache> Attach(InProcessOverlay& overlay,
                                 const std::string& host_group) {
  ShmCacheOptions options;
  options.name = ShmSegmentName(overlay.config().name, host_group);
  options.size_bytes =
      uint64_t{static_cast<uint64_t>(overlay.config().strategy.shared_cache_mb)}
      << 20;
  absl::StatusOr<std::unique_ptr<ShmCache>> cache =
      ShmCache::CreateOrAttach(options, PosixApi::Real(), &overlay.clock());
  EXPECT_TRUE(cache.ok()) << cache.status();
  EXPECT_TRUE(!cache.ok() || (*cache)->attach_mode() == AttachMode::kAttached);
  return cache.ok() ? *std::move(cache) : nullptr;
}

std::string ChunkKeyOf(const InProcessOverlay& overlay,
                       const v1::QueryRequest& request,
                       const v1::ShareResult& share, int64_t index) {
  return NodeCache::ChunkKey(
      share.node_id(), overlay.node(share.node_id()).env.data_generation,
      request.chunk_size(), index, share.records(),
      CanonicalFilterKey(FilterOf(request)));
}

TEST_F(SharedCacheTest, EvictedChunksOfACachedPlanAreMadeAnewExactly) {
  // No prefetching: chunks are asked for one by one, in order.
  ASSERT_OK(overlay_.Start("configs/one_host.json", root(),
                           [](OverlayConfig& config) {
                             SmallCache(config);
                             config.strategy.prefetch_chunks = 0;
                           }));
  const v1::QueryRequest request = Pm25();
  ASSERT_OK(QueryAndPull(overlay_, request).status());
  std::unique_ptr<ShmCache> segment = Attach(overlay_, "host1");
  ASSERT_NE(segment, nullptr);
  // Answered from the cached plan; then chunks of F (remote, behind E) and
  // of A (the portal's own) are gone from the segment.
  v1::QueryResponse response;
  ASSERT_TRUE(RunQuery(overlay_, request, &response).ok());
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 1);
  int erased = 0;
  for (const v1::ShareResult& share : response.shares()) {
    if (share.node_id() != "A" && share.node_id() != "F") continue;
    ASSERT_GE(share.chunks(), 2);
    for (int64_t index : {int64_t{0}, int64_t{share.chunks() - 1}}) {
      const std::string key = ChunkKeyOf(overlay_, request, share, index);
      ASSERT_TRUE(segment->Contains(key)) << key;
      erased += segment->Erase(key) ? 1 : 0;
    }
  }
  ASSERT_EQ(erased, 4);
  const int64_t fetches = FetchesServed(overlay_);
  auto stub = overlay_.PortalStub();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       PullAll(*stub, response, ""));
  EXPECT_EQ(records, Expected(request));
  // F made its first missing chunk from the query (one Fetch, via E: two
  // served Fetch calls) and, before answering, encoded the rest of its
  // share ahead, so its other missing chunk came from the segment (or, if
  // the portal asked before that encoding was in, F served it from the
  // rows of that same scan: one Fetch more); A did the same on a worker,
  // with no call at all. One scan each.
  EXPECT_GE(FetchesServed(overlay_), fetches + 2);
  EXPECT_LE(FetchesServed(overlay_), fetches + 4);
  EXPECT_EQ(CacheOf(overlay_, "F").stateless_chunks(), 1);
  EXPECT_EQ(CacheOf(overlay_, "A").stateless_chunks(), 1);
  for (const v1::ShareResult& share : response.shares()) {
    if (share.node_id() != "A" && share.node_id() != "F") continue;
    EXPECT_TRUE(segment->Contains(ChunkKeyOf(overlay_, request, share, 0)));
  }
  ASSERT_OK(segment->Detach());
}

// ------------------------------------------------------- invalidation

TEST_F(SharedCacheTest, ReloadedShareIsNeverServedStale) {
  // F's share on data of its own: a copy of the generated root.
  const std::string copy = absl::StrCat(::testing::TempDir(), "/reload-",
                                        ::getpid());
  struct RemoveOnExit {
    const std::string& path;
    ~RemoveOnExit() { std::filesystem::remove_all(path); }
  } remove_on_exit{copy};
  std::filesystem::remove_all(copy);
  std::filesystem::copy(root(), copy, std::filesystem::copy_options::recursive);
  ASSERT_OK(overlay_.Start("configs/one_host.json", copy, SmallCache));
  const v1::QueryRequest request = Pm25();
  ASSERT_OK_AND_ASSIGN(std::vector<Record> before,
                       QueryAndPull(overlay_, request));
  EXPECT_EQ(before, Expected(request));
  const uint64_t old_generation = overlay_.node("F").env.data_generation;

  // One of F's days loses a file; F restarts on it.
  const std::string day = absl::StrCat(copy, "/20200920");
  ASSERT_TRUE(std::filesystem::is_directory(day)) << day;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(day)) {
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  std::filesystem::remove(files.front());
  ASSERT_OK(overlay_.Restart("F", copy));
  EXPECT_NE(overlay_.node("F").env.data_generation, old_generation);

  LoadOptions load;
  load.root = copy;
  ASSERT_OK_AND_ASSIGN(LoadedTable reloaded, LoadDataRoot(load));
  ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> rows,
                       ExecuteFilter(reloaded.table, FilterOf(request)));
  std::vector<Record> expected;
  for (uint32_t row : rows) expected.push_back(reloaded.table.GetRecord(row));
  ASSERT_LT(expected.size(), before.size());  // the file held matches

  // The cached plan names F's old generation: the query fans out again,
  // and every record comes from the new data.
  const int64_t f_executed = Executed(overlay_, "F");
  ASSERT_OK_AND_ASSIGN(std::vector<Record> after,
                       QueryAndPull(overlay_, request));
  EXPECT_EQ(after, expected);
  EXPECT_EQ(Executed(overlay_, "F"), f_executed + 1);
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 0);
  // And the new plan is cached in turn.
  ASSERT_OK_AND_ASSIGN(after, QueryAndPull(overlay_, request));
  EXPECT_EQ(after, expected);
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 1);
  overlay_.Stop();
}

// ------------------------------------------------------------ two hosts

TEST_F(SharedCacheTest, TwoHostsCacheChunksButNoPlanAcrossHosts) {
  ASSERT_OK(overlay_.Start("configs/two_hosts.json", root(), SmallCache));
  const v1::QueryRequest request = Pm25();
  // First pull: host1's owners (A, B, D) encoded ahead into the portal's
  // segment; C, E and F (host2) are fetched, and the portal keeps them.
  v1::QueryResponse first;
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       QueryAndPull(overlay_, request, "", &first));
  EXPECT_EQ(records, Expected(request));
  // (B and D relay Fetch calls for host2's shares, but serve none of their
  // own.)
  for (const char* id : {"B", "D"}) {
    EXPECT_EQ(overlay_.node(id).services.metrics->chunks_served.load(), 0)
        << id;
  }
  EXPECT_GT(overlay_.node("C").services.metrics->LatencyOf(RpcKind::kFetch)
                .count(),
            0);
  EXPECT_EQ(CacheOf(overlay_, "A").plans_stored(), 0);
  // Again: host2's shares cannot be vouched for from host1, so every node
  // scans again, but no chunk is fetched: they all come from host1's
  // segment, keyed by the generations the owners just reported.
  const int64_t executed = ExecutedEverywhere(overlay_);
  const int64_t fetches = FetchesServed(overlay_);
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(overlay_, request));
  EXPECT_EQ(records, Expected(request));
  EXPECT_EQ(ExecutedEverywhere(overlay_),
            executed + static_cast<int64_t>(overlay_.config().processes.size()));
  EXPECT_EQ(FetchesServed(overlay_), fetches);
  // A query only host1's shares can answer is cached.
  v1::QueryRequest host1_only = request;
  host1_only.mutable_filter()->set_to_utc_seconds(
      DaysFromCivil(2020, 8, 17) * 86400);  // A's and B's days
  v1::QueryResponse h1;
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(overlay_, host1_only, "", &h1));
  EXPECT_EQ(records, Expected(host1_only));
  const int64_t executed_host1 = ExecutedEverywhere(overlay_);
  ASSERT_OK_AND_ASSIGN(records, QueryAndPull(overlay_, host1_only));
  EXPECT_EQ(records, Expected(host1_only));
  EXPECT_EQ(ExecutedEverywhere(overlay_), executed_host1);
  EXPECT_EQ(CacheOf(overlay_, "A").plan_hits(), 1);
}

}  // namespace
}  // namespace overlay
