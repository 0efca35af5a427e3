// Copyright 2026 The overlay Authors.

#include "tools/top/top_frame.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/datagen/dataset_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay::top {
namespace {

using ::testing::HasSubstr;

OverlayConfig ThreeNodes() {
  OverlayConfig config;
  config.name = "t";
  config.portal = "A";
  for (const char* id : {"A", "B", "C"}) {
    ProcessConfig p;
    p.id = id;
    p.port = 1000 + (id[0] - 'A');
    config.processes.push_back(p);
  }
  config.processes[0].neighbors = {"B", "C"};
  config.processes[1].neighbors = {"A"};
  config.processes[2].neighbors = {"A"};
  return config;
}

NodePoll Up(const std::string& id, int64_t queries, double cpu_s, double at) {
  NodePoll poll;
  poll.id = id;
  poll.at_s = at;
  v1::MetricsResponse m;
  m.set_pid(7);
  m.set_role("worker");
  m.set_queries_received(queries);
  m.set_cpu_s(cpu_s);
  m.set_rows_loaded(1234);
  m.set_rss_bytes(50 * 1048576);
  v1::LatencySummary* q = m.add_latency();
  q->set_rpc("Query");
  q->set_p99_ms(2.5);
  poll.metrics = m;
  return poll;
}

TEST(TopFrameTest, RatesFromTwoPollsDownNodesAndEdgesOnce) {
  OverlayConfig config = ThreeNodes();
  NodePoll down;
  down.id = "C";
  down.error = "connection refused";
  std::vector<NodePoll> before = {Up("A", 100, 1.0, 10), Up("B", 0, 2.0, 10)};
  std::vector<NodePoll> now = {Up("A", 300, 1.5, 12), Up("B", 0, 2.2, 12),
                               down};
  std::vector<std::string> lines = RenderFrame(config, before, now);
  const std::string text = absl::StrJoin(lines, "\n");
  EXPECT_THAT(text, HasSubstr("2/3 nodes up"));
  // A: 200 queries in 2 s = 100 qps; 0.5 CPU s in 2 s = 25%.
  EXPECT_THAT(lines[2], HasSubstr("100.0"));
  EXPECT_THAT(lines[2], HasSubstr("25.0"));
  EXPECT_THAT(lines[2], HasSubstr("2.500"));
  EXPECT_THAT(lines[2], HasSubstr("1234"));
  EXPECT_THAT(lines[3], HasSubstr("10.0"));  // B: 10% CPU
  EXPECT_THAT(lines[4], HasSubstr("DOWN"));
  EXPECT_THAT(lines[4], HasSubstr("connection refused"));
  EXPECT_THAT(text, HasSubstr("edges: A-B A-C(x)"));
  EXPECT_FALSE(absl::StrContains(text, "B-A"));
  // Without a previous poll, rates are unknown, not zero.
  std::vector<std::string> first = RenderFrame(config, {}, now);
  EXPECT_THAT(first[2], HasSubstr(" - "));
}

TEST(TopFrameTest, RestartedNodeHasNoRate) {
  OverlayConfig config = ThreeNodes();
  NodePoll before = Up("A", 100, 1.0, 10);
  NodePoll now = Up("A", 5, 0.1, 11);
  now.metrics->set_pid(8);  // a new process: counters started again
  std::vector<std::string> lines = RenderFrame(config, {before}, {now});
  EXPECT_THAT(lines[2], HasSubstr(" - "));
}

TEST(OverlayTopOnceTest, ListsEveryNodeOfARealOverlayAndTheDownOnes) {
  const std::string dir = overlay::testing::MakeTempDir("overlay-top");
  GeneratorOptions options;
  options.root = dir + "/data";
  options.sites = 40;
  options.scale = 0.02;
  options.first_day = "2020-08-10";
  options.last_day = "2020-09-24";
  ASSERT_OK(GenerateDataset(options).status());
  {
    overlay::testing::TestOverlay overlay;
    ASSERT_OK(overlay.Start("configs/five_nodes.json", options.root));
    overlay.process("D").Signal(SIGTERM);
    ASSERT_OK(overlay.process("D").Wait(20).status());
    const std::string command =
        absl::StrCat(overlay::testing::BinaryDir(),
                     "/overlay_top --once --config ", overlay.config_path());
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0);
    for (const char* id : {"A ", "B ", "C ", "D ", "E "}) {
      EXPECT_THAT(out, HasSubstr(std::string("\n") + id)) << out;
    }
    EXPECT_THAT(out, HasSubstr("4/5 nodes up"));
    EXPECT_THAT(out, ::testing::ContainsRegex("D +worker.*DOWN|D +team_leader.*DOWN"));
    EXPECT_THAT(out, HasSubstr("B-D(x)"));
    EXPECT_FALSE(absl::StrContains(out, "\x1b"));  // plain text
  }
  overlay::testing::RemoveTree(dir);
}

}  // namespace
}  // namespace overlay::top
