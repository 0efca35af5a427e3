// Copyright 2026 The overlay Authors.
//
// NodeCache on its own (no servers, a FakeClock): the key layout, a cache
// that is off, and when a stored plan may be used: every share it needs
// co-located and still published with the plan's generation (a node that
// changes data, withdraws or stops renewing invalidates it; a share on
// another host group is never vouched for).

#include "nodes/node_cache.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/shmcache/shm_cache_options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000'000;

// A, B on host1; C on host2; A-B-C.
OverlayConfig ThreeNodes(int cache_mb) {
  OverlayConfig config;
  config.name = absl::StrCat("node-cache-test-", ::getpid());
  config.portal = "A";
  config.strategy.shared_cache_mb = cache_mb;
  config.strategy.shared_cache_ttl_seconds = 60;
  const char* groups[] = {"host1", "host1", "host2"};
  const std::vector<std::vector<std::string>> neighbors = {
      {"B"}, {"A", "C"}, {"B"}};
  for (int i = 0; i < 3; ++i) {
    ProcessConfig p;
    p.id = std::string(1, static_cast<char>('A' + i));
    p.port = 1000 + i;
    p.host_group = groups[i];
    p.neighbors = neighbors[i];
    DataShare share;
    share.first_day = share.last_day = 18484 + i;
    p.share = share;
    config.processes.push_back(p);
  }
  return config;
}

class NodeCacheTest : public ::testing::Test {
 protected:
  ~NodeCacheTest() override {
    for (const char* group : {"host1", "host2"}) {
      ::unlink(absl::StrCat("/dev/shm/", ShmSegmentName(config_.name, group))
                   .c_str());
    }
  }
  std::unique_ptr<NodeCache> Open(const std::string& id, uint64_t generation,
                                  const OverlayConfig* config = nullptr) {
    NodeCacheOptions options;
    options.config = config != nullptr ? config : &config_;
    options.self = id;
    options.generation = generation;
    return std::make_unique<NodeCache>(std::move(options), &clock_);
  }
  Segment Share(const std::string& id, int64_t records, uint64_t generation,
                std::vector<std::string> route) {
    Segment segment;
    segment.node_id = id;
    segment.share = "day of " + id;
    segment.records = records;
    segment.generation = generation;
    segment.route = std::move(route);
    return segment;
  }

  FakeClock clock_;
  OverlayConfig config_ = ThreeNodes(4);
};

TEST_F(NodeCacheTest, KeysAreStableTextFilterLast) {
  EXPECT_EQ(NodeCache::ChunkKey("D", 0xabc, 10000, 3, 40000, "f1;p=1"),
            "chunk/1|D|0000000000000abc|10000|3|40000|f1;p=1");
  EXPECT_EQ(NodeCache::GenerationKey("B"), "gen/1|B");
  auto a = Open("A", 1);
  const std::string key = a->PlanKey(500, "f1;x");
  EXPECT_THAT(key, ::testing::StartsWith("plan/1|A|"));
  EXPECT_THAT(key, ::testing::EndsWith("|500|f1;x"));
  EXPECT_NE(a->PlanKey(501, "f1;x"), key);
  // Another layout of the same name (one more edge) never shares plans.
  OverlayConfig other = config_;
  other.processes[0].neighbors.push_back("C");
  other.processes[2].neighbors.push_back("A");
  auto a_other = Open("A", 1, &other);
  EXPECT_NE(a_other->PlanKey(500, "f1;x"), key);
}

TEST_F(NodeCacheTest, OffIsAMissEverywhere) {
  const OverlayConfig off = ThreeNodes(0);
  auto a = Open("A", 1, &off);
  EXPECT_FALSE(a->enabled());
  a->PutChunk("k", "v");
  std::string out;
  EXPECT_FALSE(a->GetChunk("k", &out));
  EXPECT_FALSE(a->HasChunk("k"));
  a->StorePlan(10, "f", {Share("A", 5, 1, {"A"})});
  EXPECT_EQ(a->FindPlan(10, "f"), std::nullopt);
  v1::SharedCacheMetrics metrics;
  a->FillMetrics(&metrics);
  EXPECT_FALSE(metrics.enabled());
  EXPECT_EQ(metrics.attach_errors(), 0);
  EXPECT_THAT(metrics.error(), HasSubstr("shared_cache_mb is 0"));
}

TEST_F(NodeCacheTest, APlanIsUsedOnlyWhileEveryOwnerVouchesForItsData) {
  auto a = Open("A", 11);
  auto b = Open("B", 22);
  auto c = Open("C", 33);  // host2: its own segment
  EXPECT_TRUE(a->CoLocated("B"));
  EXPECT_FALSE(a->CoLocated("C"));
  EXPECT_EQ(a->GenerationOf("B"), 22u);
  EXPECT_EQ(a->GenerationOf("C"), std::nullopt);

  // C was not asked (its day misses the window): no generation, no records.
  const std::vector<Segment> plan = {Share("A", 5, 11, {"A"}),
                                     Share("B", 7, 22, {"A", "B"}),
                                     Share("C", 0, 0, {})};
  a->StorePlan(10, "f", plan);
  std::optional<std::vector<Segment>> found = a->FindPlan(10, "f");
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[1].node_id, "B");
  EXPECT_EQ((*found)[1].records, 7);
  EXPECT_EQ((*found)[1].generation, 22u);
  EXPECT_THAT((*found)[1].route, ::testing::ElementsAre("A", "B"));
  EXPECT_TRUE((*found)[1].stateless);
  EXPECT_EQ(a->FindPlan(11, "f"), std::nullopt);  // another chunk size

  // B is restarted on other data: the plan names its old generation.
  b.reset();  // withdraws
  EXPECT_EQ(a->FindPlan(10, "f"), std::nullopt);
  b = Open("B", 23);
  EXPECT_EQ(a->FindPlan(10, "f"), std::nullopt);
  // Back on the plan's data; the one on other data ends after its
  // successor started, and leaves the successor's generation alone.
  std::unique_ptr<NodeCache> successor = Open("B", 22);
  b.reset();
  b = std::move(successor);
  EXPECT_TRUE(a->FindPlan(10, "f").has_value());
  // B dies (no withdrawal): its generation expires unless renewed.
  clock_.AdvanceNanos(4 * kSecond);
  b->Tick();
  clock_.AdvanceNanos(4 * kSecond);
  EXPECT_TRUE(a->FindPlan(10, "f").has_value());
  clock_.AdvanceNanos(2 * kSecond);  // no Tick for 6 s
  EXPECT_EQ(a->FindPlan(10, "f"), std::nullopt);
  b->Tick();
  EXPECT_TRUE(a->FindPlan(10, "f").has_value());

  // A share C answered (it has a generation) cannot be vouched for from
  // host1: such a plan is not stored.
  a->StorePlan(10, "g", {Share("A", 5, 11, {"A"}),
                         Share("C", 0, 33, {"A", "B", "C"})});
  EXPECT_EQ(a->FindPlan(10, "g"), std::nullopt);
  // Nor one with records of an unknown generation.
  a->StorePlan(10, "h", {Share("A", 5, 11, {"A"}), Share("B", 3, 0, {})});
  EXPECT_EQ(a->FindPlan(10, "h"), std::nullopt);
  v1::SharedCacheMetrics metrics;
  a->FillMetrics(&metrics);
  EXPECT_EQ(metrics.plans_stored(), 1);
  EXPECT_EQ(metrics.plan_hits(), 4);
}

TEST_F(NodeCacheTest, ChunksAreWrittenOnce) {
  auto a = Open("A", 11);
  auto b = Open("B", 22);
  const std::string key = NodeCache::ChunkKey("B", 22, 10, 0, 7, "f");
  b->PutChunk(key, "records");
  a->PutChunk(key, "records");  // already there: not written again
  std::string out;
  EXPECT_TRUE(a->GetChunk(key, &out));
  EXPECT_EQ(out, "records");
  v1::SharedCacheMetrics metrics;
  a->FillMetrics(&metrics);
  EXPECT_EQ(metrics.chunks_stored(), 0);
  EXPECT_EQ(metrics.chunk_hits(), 1);
  b->FillMetrics(&metrics);
  EXPECT_EQ(metrics.chunks_stored(), 1);
}

}  // namespace
}  // namespace overlay
