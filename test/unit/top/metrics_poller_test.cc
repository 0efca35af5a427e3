// Copyright 2026 The overlay Authors.

#include "tools/top/metrics_poller.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/node_process.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/top/fake_metrics_server.h"

namespace overlay::top {
namespace {

using ::overlay::top::testing::CallGate;
using ::overlay::top::testing::FakeMetricsServer;
using ::overlay::top::testing::MetricsFor;

std::string ClosedAddress() {
  return "127.0.0.1:" + std::to_string(overlay::testing::PickFreePorts(1)[0]);
}

TEST(MetricsPollerTest, UpRefusedAndHungNodesInOnePoll) {
  FakeMetricsServer a(MetricsFor("A"));
  ASSERT_OK(a.Start());
  auto hang = std::make_shared<CallGate>(1 << 30);  // never enough calls
  FakeMetricsServer hung(MetricsFor("H"), hang);
  ASSERT_OK(hung.Start());
  const std::string closed = ClosedAddress();

  overlay::testing::FakeClock clock(7'000'000'000);
  PollerOptions options;
  options.deadline_ms = 300;
  MetricsPoller poller(
      {{"A", a.address()}, {"R", closed}, {"H", hung.address()}}, options,
      &clock);
  const Snapshot snapshot = poller.Poll();
  EXPECT_DOUBLE_EQ(snapshot.at_s, 7.0);
  ASSERT_EQ(snapshot.nodes.size(), 3u);

  const NodeSample& up = snapshot.nodes[0];
  EXPECT_EQ(up.id, "A");
  EXPECT_EQ(up.address, a.address());
  ASSERT_TRUE(up.up()) << up.error;
  EXPECT_EQ(up.metrics->node_id(), "A");
  EXPECT_EQ(up.metrics->rows_loaded(), 1234);
  EXPECT_DOUBLE_EQ(up.at_s, 7.0);

  const NodeSample& refused = snapshot.nodes[1];
  EXPECT_EQ(refused.id, "R");
  EXPECT_EQ(refused.address, closed);
  EXPECT_FALSE(refused.up());
  EXPECT_EQ(refused.status_code, grpc::StatusCode::UNAVAILABLE);

  const NodeSample& slow = snapshot.nodes[2];
  EXPECT_FALSE(slow.up());
  EXPECT_EQ(slow.status_code, grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(hang->arrived(), 1);

  // The poller is reusable: the next poll sees the same.
  hang->Open();
  const Snapshot again = poller.Poll();
  EXPECT_TRUE(again.nodes[0].up());
  EXPECT_FALSE(again.nodes[1].up());
  EXPECT_TRUE(again.nodes[2].up());
  EXPECT_EQ(a.calls(), 2);
}

TEST(MetricsPollerTest, PollsEveryNodeConcurrently) {
  // Each fake holds its call until all three have arrived: a poller that
  // asked one node after the other would time out on the first.
  auto all_three = std::make_shared<CallGate>(3);
  std::vector<std::unique_ptr<FakeMetricsServer>> fakes;
  std::vector<PollTarget> targets;
  for (const char* id : {"A", "B", "C"}) {
    fakes.push_back(
        std::make_unique<FakeMetricsServer>(MetricsFor(id), all_three));
    ASSERT_OK(fakes.back()->Start());
    targets.push_back({id, fakes.back()->address()});
  }
  PollerOptions options;
  options.deadline_ms = 10'000;  // generous: the gate opens at once
  MetricsPoller poller(targets, options);
  const Snapshot snapshot = poller.Poll();
  ASSERT_EQ(snapshot.nodes.size(), 3u);
  for (const NodeSample& node : snapshot.nodes) {
    EXPECT_TRUE(node.up()) << node.id << ": " << node.error;
    EXPECT_EQ(node.metrics->node_id(), node.id);
  }
  EXPECT_EQ(all_three->arrived(), 3);
}

TEST(MetricsPollerTest, TargetsFromConfigKeepsOrderAndAddresses) {
  OverlayConfig config;
  ProcessConfig b;
  b.id = "B";
  b.host = "10.0.0.2";
  b.port = 7002;
  ProcessConfig a;
  a.id = "A";
  a.port = 7001;
  config.processes = {b, a};
  const std::vector<PollTarget> targets = TargetsFromConfig(config);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].id, "B");
  EXPECT_EQ(targets[0].address, "10.0.0.2:7002");
  EXPECT_EQ(targets[1].id, "A");
  EXPECT_EQ(targets[1].address, "127.0.0.1:7001");
}

TEST(MetricsPollerTest, NoTargetsIsAnEmptySnapshot) {
  MetricsPoller poller({}, PollerOptions{});
  EXPECT_TRUE(poller.Poll().nodes.empty());
}

}  // namespace
}  // namespace overlay::top
