// Copyright 2026 The overlay Authors.

#include "core/fanout/neighbor_table.h"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace overlay {
namespace {

// Channels connect lazily: nothing here ever dials these addresses.
using Neighbors = std::vector<NeighborTable::Neighbor>;

TEST(NeighborTableTest, IdsInConfiguredOrder) {
  NeighborTable table(Neighbors{{"C", "127.0.0.1:1"}, {"A", "127.0.0.1:2"}});
  EXPECT_EQ(table.ids(), std::vector<std::string>({"C", "A"}));
}

TEST(NeighborTableTest, StubForKnownIdsOnly) {
  NeighborTable table(
      Neighbors{{"B", "127.0.0.1:50001"}, {"C", "localhost:50002"}});
  v1::PeerService::Stub* b = table.Stub("B");
  v1::PeerService::Stub* c = table.Stub("C");
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(b, c);
  EXPECT_EQ(table.Stub("B"), b);  // stable
  EXPECT_EQ(table.Stub("X"), nullptr);
  EXPECT_EQ(table.Stub(""), nullptr);
  EXPECT_EQ(table.Stub("b"), nullptr);  // ids are case-sensitive
}

TEST(NeighborTableTest, EmptyTable) {
  NeighborTable table(Neighbors{});
  EXPECT_TRUE(table.ids().empty());
  EXPECT_EQ(table.Stub("B"), nullptr);
  EXPECT_TRUE(table.Stats().empty());
  table.RecordCall("B", grpc::Status::OK);  // ignored
}

TEST(NeighborTableTest, StatsStartEmptyAndDisconnected) {
  NeighborTable table(
      Neighbors{{"B", "127.0.0.1:50001"}, {"C", "localhost:50002"}});
  std::vector<NeighborStats> stats = table.Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].id, "B");
  EXPECT_EQ(stats[0].address, "127.0.0.1:50001");
  EXPECT_EQ(stats[1].id, "C");
  EXPECT_EQ(stats[1].address, "localhost:50002");
  for (const NeighborStats& s : stats) {
    EXPECT_FALSE(s.connected);  // never dialled
    EXPECT_EQ(s.calls, 0);
    EXPECT_EQ(s.failures, 0);
    EXPECT_EQ(s.last_error, "");
  }
}

TEST(NeighborTableTest, RecordCallCountsCallsAndFailures) {
  NeighborTable table(
      Neighbors{{"B", "127.0.0.1:50001"}, {"C", "localhost:50002"}});
  table.RecordCall("B", grpc::Status::OK);
  table.RecordCall(
      "B", grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  table.RecordCall("B", grpc::Status::OK);
  table.RecordCall(
      "C", grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline"));
  table.RecordCall("nobody", grpc::Status(grpc::StatusCode::INTERNAL, "x"));

  std::vector<NeighborStats> stats = table.Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].calls, 3);
  EXPECT_EQ(stats[0].failures, 1);
  // The last error is kept after later successes, for the operator.
  EXPECT_EQ(stats[0].last_error, "connection refused");
  EXPECT_EQ(stats[1].calls, 1);
  EXPECT_EQ(stats[1].failures, 1);
  EXPECT_EQ(stats[1].last_error, "deadline");
}

TEST(NeighborTableTest, LastErrorIsTheLatestFailure) {
  NeighborTable table(Neighbors{{"B", "127.0.0.1:50001"}});
  table.RecordCall("B", grpc::Status(grpc::StatusCode::UNAVAILABLE, "first"));
  table.RecordCall("B", grpc::Status(grpc::StatusCode::UNAVAILABLE, "second"));
  EXPECT_EQ(table.Stats()[0].last_error, "second");
  EXPECT_EQ(table.Stats()[0].failures, 2);
}

TEST(NeighborTableTest, RecordCallFromManyThreads) {
  NeighborTable table(
      Neighbors{{"B", "127.0.0.1:50001"}, {"C", "localhost:50002"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&table, t] {
      for (int i = 0; i < 500; ++i) {
        table.RecordCall(t % 2 == 0 ? "B" : "C",
                         i % 5 == 0
                             ? grpc::Status(grpc::StatusCode::INTERNAL, "boom")
                             : grpc::Status::OK);
        if (i % 100 == 0) table.Stats();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<NeighborStats> stats = table.Stats();
  EXPECT_EQ(stats[0].calls, 1000);
  EXPECT_EQ(stats[0].failures, 200);
  EXPECT_EQ(stats[1].calls, 1000);
  EXPECT_EQ(stats[1].failures, 200);
}

}  // namespace
}  // namespace overlay
