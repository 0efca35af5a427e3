// Copyright 2026 The overlay Authors.

#include "core/results/overlay_map.h"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/config/overlay_config.h"
#include "core/results/share_order.h"
#include "protos/overlay.pb.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

v1::NodeFailure Failure(const std::string& node, grpc::StatusCode code,
                        const std::string& message) {
  v1::NodeFailure failure;
  failure.set_node_id(node);
  failure.set_code(code);
  failure.set_message(message);
  return failure;
}

std::vector<std::string> Owners(const OverlayMap& map) {
  std::vector<std::string> owners;
  for (const ShareInfo& share : map.shares()) owners.push_back(share.node_id);
  return owners;
}

// Tests run from the repository root (see overlay_cc_test).
class OverlayMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<OverlayConfig> one_host =
        LoadOverlayConfig("configs/one_host.json");
    ASSERT_OK(one_host);
    one_host_ = *std::move(one_host);
    absl::StatusOr<OverlayConfig> five_nodes =
        LoadOverlayConfig("configs/five_nodes.json");
    ASSERT_OK(five_nodes);
    five_nodes_ = *std::move(five_nodes);
  }

  const ShareInfo& ShareOf(const OverlayMap& map, const std::string& id) {
    const ShareInfo* share = map.ShareOf(id);
    EXPECT_NE(share, nullptr) << id;
    static const ShareInfo* const kNone = new ShareInfo();
    return share != nullptr ? *share : *kNone;
  }

  OverlayConfig one_host_;
  OverlayConfig five_nodes_;
};

TEST_F(OverlayMapTest, SharesInResultOrderWithTheirConfigDays) {
  OverlayMap map(one_host_);
  EXPECT_EQ(Owners(map),
            std::vector<std::string>({"A", "B", "C", "D", "E", "F"}));
  for (size_t i = 0; i < map.shares().size(); ++i) {
    const ShareInfo& share = map.shares()[i];
    const ProcessConfig* owner = one_host_.Find(share.node_id);
    ASSERT_NE(owner, nullptr);
    ASSERT_TRUE(owner->share.has_value());
    EXPECT_EQ(share.days, *owner->share);
    EXPECT_EQ(share.first_day, owner->share->FirstDay());
    EXPECT_EQ(share.description, owner->share->DebugString());
    if (i > 0) {
      const ShareInfo& before = map.shares()[i - 1];
      EXPECT_TRUE(ShareBefore(before.first_day, before.node_id, share.first_day,
                              share.node_id))
          << before.node_id << " / " << share.node_id;
    }
  }
  EXPECT_EQ(ShareOf(map, "A").description, "2020-08-10..2020-08-13");
  EXPECT_EQ(ShareOf(map, "F").description, "2020-09-13..2020-09-24");
}

TEST_F(OverlayMapTest, SharesFollowTheDaysNotTheConfigOrder) {
  // Reverse the processes: the shares still come out by first day.
  OverlayConfig reversed = one_host_;
  std::reverse(reversed.processes.begin(), reversed.processes.end());
  EXPECT_EQ(Owners(OverlayMap(reversed)),
            std::vector<std::string>({"A", "B", "C", "D", "E", "F"}));
}

TEST_F(OverlayMapTest, APortalWithoutDataHasNoShare) {
  OverlayMap map(five_nodes_);
  EXPECT_EQ(Owners(map), std::vector<std::string>({"B", "C", "D", "E"}));
  EXPECT_EQ(map.ShareOf("A"), nullptr);
  EXPECT_EQ(map.ShareOf("Z"), nullptr);
  ASSERT_NE(map.ShareOf("E"), nullptr);
  EXPECT_EQ(map.ShareOf("E")->description, "2020-09-14..2020-09-24");
}

TEST_F(OverlayMapTest, NeighboursAsConfigured) {
  OverlayMap map(one_host_);
  EXPECT_EQ(map.NeighborsOf("A"), std::vector<std::string>({"B", "E"}));
  EXPECT_EQ(map.NeighborsOf("E"), std::vector<std::string>({"A", "D", "F"}));
  EXPECT_TRUE(map.NeighborsOf("Z").empty());
}

TEST_F(OverlayMapTest, DistanceIsHopsOverTheGraph) {
  // one_host: A-B, A-E, B-C, B-D, D-E, E-F.
  OverlayMap map(one_host_);
  EXPECT_EQ(map.Distance("A", "A"), 0);
  EXPECT_EQ(map.Distance("A", "B"), 1);
  EXPECT_EQ(map.Distance("A", "E"), 1);
  EXPECT_EQ(map.Distance("A", "C"), 2);
  EXPECT_EQ(map.Distance("A", "D"), 2);
  EXPECT_EQ(map.Distance("A", "F"), 2);
  EXPECT_EQ(map.Distance("C", "E"), 3);
  EXPECT_EQ(map.Distance("C", "F"), 4);
  EXPECT_EQ(map.Distance("B", "F"), 3);
  EXPECT_EQ(map.Distance("D", "F"), 2);
  for (const char* from : {"A", "B", "C", "D", "E", "F"}) {
    for (const char* to : {"A", "B", "C", "D", "E", "F"}) {
      EXPECT_EQ(map.Distance(from, to), map.Distance(to, from))
          << from << " " << to;
    }
  }
  EXPECT_EQ(map.Distance("A", "Z"), -1);
  EXPECT_EQ(map.Distance("Z", "A"), -1);
  EXPECT_EQ(map.Distance("Z", "Z"), -1);

  // five_nodes: A-B, B-C, B-D, C-E, D-E.
  OverlayMap five(five_nodes_);
  EXPECT_EQ(five.Distance("A", "E"), 3);
  EXPECT_EQ(five.Distance("C", "D"), 2);
  EXPECT_EQ(five.Distance("B", "E"), 2);
  EXPECT_EQ(five.Distance("E", "C"), 1);
}

TEST_F(OverlayMapTest, TheOwnersOwnFailureExplainsItsShare) {
  OverlayMap map(one_host_);
  const std::vector<v1::NodeFailure> failures = {
      Failure("E", grpc::StatusCode::DEADLINE_EXCEEDED, "E timed out"),
      Failure("F", grpc::StatusCode::UNAVAILABLE, "connection refused")};
  v1::MissingShare missing =
      map.ExplainMissing(ShareOf(map, "F"), failures, "A");
  EXPECT_EQ(missing.node_id(), "F");
  EXPECT_EQ(missing.share(), "2020-09-13..2020-09-24");
  EXPECT_EQ(missing.reason(), v1::MissingShare::UNAVAILABLE);
  EXPECT_EQ(missing.message(),
            "'F' did not answer: UNAVAILABLE: connection refused");
  EXPECT_EQ(missing.retry_after_ms(), 0);
  // Whatever order the failures were collected in.
  const std::vector<v1::NodeFailure> reversed(failures.rbegin(),
                                              failures.rend());
  EXPECT_EQ(map.ExplainMissing(ShareOf(map, "F"), reversed, "A").message(),
            missing.message());
}

TEST_F(OverlayMapTest, AnAdmissionRejectionKeepsItsCodeAndRetryHint) {
  OverlayMap map(one_host_);
  v1::NodeFailure rejected =
      Failure("F", grpc::StatusCode::RESOURCE_EXHAUSTED,
              "admission: client 'heavy' (team 'default') already has 4 "
              "requests queued, its bound");
  rejected.set_retry_after_ms(40);
  v1::MissingShare missing = map.ExplainMissing(ShareOf(map, "F"), {rejected},
                                                "A");
  EXPECT_EQ(missing.reason(), v1::MissingShare::ERROR);
  EXPECT_EQ(missing.message(),
            "'F' did not answer: RESOURCE_EXHAUSTED: admission: client "
            "'heavy' (team 'default') already has 4 requests queued, its "
            "bound");
  EXPECT_EQ(missing.retry_after_ms(), 40);
  // An overloaded middle node: the shares behind it, with its hint.
  v1::NodeFailure overloaded =
      Failure("E", grpc::StatusCode::UNAVAILABLE, "admission: overloaded");
  overloaded.set_retry_after_ms(100);
  v1::MissingShare behind =
      map.ExplainMissing(ShareOf(map, "F"), {overloaded}, "A");
  EXPECT_EQ(behind.reason(), v1::MissingShare::UNAVAILABLE);
  EXPECT_EQ(behind.retry_after_ms(), 100);
}

TEST_F(OverlayMapTest, ElseTheFailedNodeClosestToTheOwner) {
  OverlayMap map(one_host_);
  // F is behind E (1 hop) and far from B (3 hops).
  const std::vector<v1::NodeFailure> failures = {
      Failure("B", grpc::StatusCode::UNAVAILABLE, "B is down"),
      Failure("E", grpc::StatusCode::DEADLINE_EXCEEDED, "E stalled")};
  v1::MissingShare missing =
      map.ExplainMissing(ShareOf(map, "F"), failures, "A");
  EXPECT_EQ(missing.node_id(), "F");
  EXPECT_EQ(missing.reason(), v1::MissingShare::DEADLINE_EXCEEDED);
  EXPECT_EQ(missing.message(),
            "not reached: 'E' on the way did not answer: DEADLINE_EXCEEDED: "
            "E stalled");
  // C is behind B (1 hop); E is 3 hops from it.
  v1::MissingShare c = map.ExplainMissing(ShareOf(map, "C"), failures, "A");
  EXPECT_EQ(c.reason(), v1::MissingShare::UNAVAILABLE);
  EXPECT_EQ(c.message(),
            "not reached: 'B' on the way did not answer: UNAVAILABLE: "
            "B is down");
  const std::vector<v1::NodeFailure> reversed(failures.rbegin(),
                                              failures.rend());
  EXPECT_EQ(map.ExplainMissing(ShareOf(map, "C"), reversed, "A").message(),
            c.message());

  // five_nodes: E is one hop from C, two from B.
  OverlayMap five(five_nodes_);
  v1::MissingShare e = five.ExplainMissing(
      ShareOf(five, "E"),
      {Failure("B", grpc::StatusCode::DEADLINE_EXCEEDED, "slow"),
       Failure("C", grpc::StatusCode::UNAVAILABLE, "C is down")},
      "A");
  EXPECT_EQ(e.reason(), v1::MissingShare::UNAVAILABLE);
  EXPECT_EQ(e.message(),
            "not reached: 'C' on the way did not answer: UNAVAILABLE: "
            "C is down");
}

TEST_F(OverlayMapTest, ThePortalsOwnFailureExplainsOnlyItsOwnShare) {
  OverlayMap map(one_host_);
  const std::vector<v1::NodeFailure> portal_failed = {
      Failure("A", grpc::StatusCode::INTERNAL, "scan failed")};
  // The portal's scan failing says nothing about the other shares.
  v1::MissingShare f =
      map.ExplainMissing(ShareOf(map, "F"), portal_failed, "A");
  EXPECT_EQ(f.reason(), v1::MissingShare::ERROR);
  EXPECT_EQ(f.message(), "share of 'F' was not reached");
  v1::MissingShare f2 = map.ExplainMissing(
      ShareOf(map, "F"),
      {portal_failed[0],
       Failure("E", grpc::StatusCode::UNAVAILABLE, "E is down")},
      "A");
  EXPECT_EQ(f2.message(),
            "not reached: 'E' on the way did not answer: UNAVAILABLE: "
            "E is down");
  // It does explain the portal's own share.
  v1::MissingShare a =
      map.ExplainMissing(ShareOf(map, "A"), portal_failed, "A");
  EXPECT_EQ(a.node_id(), "A");
  EXPECT_EQ(a.reason(), v1::MissingShare::ERROR);
  EXPECT_EQ(a.message(), "'A' did not answer: INTERNAL: scan failed");
}

TEST_F(OverlayMapTest, NothingExplainsItIsAnError) {
  OverlayMap map(one_host_);
  v1::MissingShare none = map.ExplainMissing(ShareOf(map, "C"), {}, "A");
  EXPECT_EQ(none.node_id(), "C");
  EXPECT_EQ(none.share(), "2020-08-18..2020-08-20");
  EXPECT_EQ(none.reason(), v1::MissingShare::ERROR);
  EXPECT_EQ(none.message(), "share of 'C' was not reached");
  // A failure of a node the map does not know explains nothing either.
  v1::MissingShare unknown = map.ExplainMissing(
      ShareOf(map, "C"), {Failure("Z", grpc::StatusCode::UNAVAILABLE, "who?")},
      "A");
  EXPECT_EQ(unknown.reason(), v1::MissingShare::ERROR);
  EXPECT_EQ(unknown.message(), "share of 'C' was not reached");
}

TEST(OverlayMapReasonTest, ReasonForMapsCallCodes) {
  using Reason = v1::MissingShare;
  EXPECT_EQ(OverlayMap::ReasonFor(grpc::StatusCode::DEADLINE_EXCEEDED),
            Reason::DEADLINE_EXCEEDED);
  EXPECT_EQ(OverlayMap::ReasonFor(grpc::StatusCode::UNAVAILABLE),
            Reason::UNAVAILABLE);
  // A call cancelled on the way (the node on the route went away) did not
  // reach the share: unavailable, not an error of the owner.
  EXPECT_EQ(OverlayMap::ReasonFor(grpc::StatusCode::CANCELLED),
            Reason::UNAVAILABLE);
  for (grpc::StatusCode code :
       {grpc::StatusCode::OK, grpc::StatusCode::UNKNOWN,
        grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::NOT_FOUND,
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        grpc::StatusCode::FAILED_PRECONDITION, grpc::StatusCode::INTERNAL,
        grpc::StatusCode::UNIMPLEMENTED, grpc::StatusCode::DATA_LOSS}) {
    EXPECT_EQ(OverlayMap::ReasonFor(code), Reason::ERROR) << code;
  }
  // Codes no gRPC version sends (they come from peers' answers).
  EXPECT_EQ(OverlayMap::ReasonFor(17), Reason::ERROR);
  EXPECT_EQ(OverlayMap::ReasonFor(-1), Reason::ERROR);
}

}  // namespace
}  // namespace overlay
