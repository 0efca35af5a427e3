// Copyright 2026 The overlay Authors.

#include "tools/top/frame_renderer.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace overlay::top {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

// A..E as in configs/five_nodes.json: A-B, B-C, B-D, C-E, D-E (lists kept
// symmetric, as LoadOverlayConfig leaves them).
OverlayConfig FiveNodes() {
  OverlayConfig config;
  config.name = "five";
  config.path = "five.json";
  config.portal = "A";
  const char* ids[] = {"A", "B", "C", "D", "E"};
  const std::vector<std::vector<std::string>> neighbors = {
      {"B"}, {"A", "C", "D"}, {"B", "E"}, {"B", "E"}, {"C", "D"}};
  for (int i = 0; i < 5; ++i) {
    ProcessConfig p;
    p.id = ids[i];
    p.role = i == 0 ? Role::kLeader : Role::kWorker;
    p.team = i == 0 ? "" : (i < 3 ? "green" : "pink");
    p.host = "127.0.0.1";
    p.port = 50051 + i;
    p.neighbors = neighbors[i];
    config.processes.push_back(p);
  }
  return config;
}

NodeSample Up(const std::string& id, int64_t queries, double cpu_s,
              double uptime_s, double at_s) {
  NodeSample node;
  node.id = id;
  node.address = "127.0.0.1:1";
  node.at_s = at_s;
  v1::MetricsResponse m;
  m.set_node_id(id);
  m.set_pid(7);
  m.set_uptime_s(uptime_s);
  m.set_queries_received(queries);
  m.set_cpu_s(cpu_s);
  m.set_rows_loaded(1167525);
  m.set_in_flight(3);
  m.set_queue_depth(4);
  m.set_rss_bytes(int64_t{50} * 1024 * 1024);
  v1::LatencySummary* execute = m.add_latency();
  execute->set_rpc("Execute");
  execute->set_count(5);
  execute->set_p99_ms(9.0);
  v1::LatencySummary* query = m.add_latency();
  query->set_rpc("Query");
  query->set_count(5);
  query->set_p99_ms(2.5);
  node.metrics = m;
  return node;
}

NodeSample Down(const std::string& id, absl::StatusCode code,
                const std::string& message) {
  NodeSample node;
  node.id = id;
  node.address = "127.0.0.1:2";
  node.status_code = static_cast<int>(code);
  node.error = message;
  return node;
}

// The row of `id` (rows start with the id and two blanks of padding).
std::string Row(const std::vector<std::string>& lines, const std::string& id) {
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, id + " ")) return line;
  }
  return "";
}

TEST(FrameRendererTest, ListsEveryNodeWithItsColumns) {
  FrameRenderer renderer(FiveNodes());
  Snapshot now;
  for (const char* id : {"A", "B", "C", "D", "E"}) {
    now.nodes.push_back(Up(id, 10, 1.0, 61, 100));
  }
  const std::vector<std::string> lines = renderer.Render(nullptr, now);
  EXPECT_THAT(lines[0], HasSubstr("overlay five  5/5 up"));
  EXPECT_THAT(lines[0], Not(HasSubstr("DOWN")));
  EXPECT_THAT(absl::StrJoin(lines, "\n"),
              ContainsRegex("ID +ROLE +TEAM +HOST +STATE +QPS +INFL +QUEUE "
                            "+P99ms +ROWS +RSS +CPU% +UPTIME"));
  for (const char* id : {"A", "B", "C", "D", "E"}) {
    const std::string row = Row(lines, id);
    ASSERT_FALSE(row.empty()) << id;
    EXPECT_THAT(row, HasSubstr(" up "));
    EXPECT_THAT(row, HasSubstr("127.0.0.1:1"));  // the address dialled
    EXPECT_THAT(row, HasSubstr("1,167,525"));
    EXPECT_THAT(row, HasSubstr("50.0M"));
    EXPECT_THAT(row, HasSubstr("2.50"));  // Query's p99, not Execute's
    EXPECT_THAT(row, HasSubstr("1m01s"));
    // in-flight 3, queue 4
    EXPECT_THAT(row, ContainsRegex(" 3 +4 +2\\.50 "));
  }
  EXPECT_THAT(Row(lines, "A"), ContainsRegex("^A +leader +- +"));
  EXPECT_THAT(Row(lines, "D"), ContainsRegex("^D +worker +pink +"));
  // Without a previous poll the rates are unknown, not zero.
  EXPECT_THAT(Row(lines, "A"), ContainsRegex(" up +- +3 "));
  EXPECT_THAT(Row(lines, "A"), ContainsRegex(" - +1m01s$"));
}

TEST(FrameRendererTest, SharedCacheSegmentsOnePerHostGroup) {
  OverlayConfig config = FiveNodes();
  for (ProcessConfig& p : config.processes) {
    p.host_group = p.id == "A" || p.id == "B" ? "host1" : "host2";
  }
  FrameRenderer renderer(config);
  Snapshot now;
  for (const char* id : {"A", "B", "C", "D", "E"}) {
    now.nodes.push_back(Up(id, 10, 1.0, 61, 100));
  }
  // Without cache metrics, no cache lines.
  EXPECT_THAT(absl::StrJoin(renderer.Render(nullptr, now), "\n"),
              Not(HasSubstr("cache ")));
  for (NodeSample& node : now.nodes) {
    v1::SharedCacheMetrics* cache = node.metrics->mutable_shared_cache();
    if (node.id == "E") {  // could not attach
      cache->set_attach_errors(1);
      cache->set_error("FAILED_PRECONDITION: segment size");
      continue;
    }
    const bool host1 = node.id == "A" || node.id == "B";
    cache->set_enabled(true);
    cache->set_segment_bytes(int64_t{256} << 20);
    cache->set_bytes_used(int64_t{12} << 20);
    cache->set_entries(host1 ? 1500 : 20);
    cache->mutable_segment_counters()->set_hits(host1 ? 3000 : 1);
    cache->mutable_segment_counters()->set_misses(host1 ? 1000 : 0);
    cache->mutable_segment_counters()->set_inserts(1600);
    cache->mutable_segment_counters()->set_evictions(7);
    cache->mutable_segment_counters()->set_torn_read_retries(2);
    cache->set_plan_hits(node.id == "A" ? 42 : 0);
  }
  const std::vector<std::string> lines = renderer.Render(nullptr, now);
  std::vector<std::string> cache_lines;
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "cache ")) cache_lines.push_back(line);
  }
  ASSERT_EQ(cache_lines.size(), 2u) << absl::StrJoin(lines, "\n");
  EXPECT_EQ(cache_lines[0],
            "cache host1  2/2 attached  12.0M/256.0M  entries 1,500  hits "
            "3,000 (75%)  misses 1,000  inserts 1,600  evicted 7  expired 0  "
            "torn 2  plans hit 42");
  EXPECT_THAT(cache_lines[1], HasSubstr("cache host2  2/3 attached"));
  EXPECT_THAT(cache_lines[1], HasSubstr("entries 20  hits 1 (100%)"));
  EXPECT_THAT(cache_lines[1], HasSubstr("attach errors 1"));
}

TEST(FrameRendererTest, RatesComeFromTwoSnapshots) {
  FrameRenderer renderer(FiveNodes());
  Snapshot before;
  Snapshot now;
  // A: 200 queries and 0.5 CPU s over 2 s of its uptime: 100 qps, 25 %.
  before.nodes.push_back(Up("A", 100, 1.0, 10.0, 50));
  now.nodes.push_back(Up("A", 300, 1.5, 12.0, 53));
  // B reports no uptime: the local arrival times (4 s) are used.
  before.nodes.push_back(Up("B", 0, 2.0, 0, 50));
  now.nodes.push_back(Up("B", 40, 3.0, 0, 54));
  const std::vector<std::string> lines = renderer.Render(&before, now);
  EXPECT_THAT(Row(lines, "A"), ContainsRegex(" up +100\\.0 .* 25\\.0 +12s$"));
  EXPECT_THAT(Row(lines, "B"), ContainsRegex(" up +10\\.0 .* 25\\.0 +0s$"));

  NodeRates a = ComputeRates(&before.nodes[0], now.nodes[0]);
  ASSERT_TRUE(a.qps && a.cpu_percent);
  EXPECT_DOUBLE_EQ(*a.qps, 100.0);
  EXPECT_DOUBLE_EQ(*a.cpu_percent, 25.0);
}

// Admission of `node`: Query pool (16 slots) and Execute pool (4), with
// `admitted` / `rejected` cumulative counts.
void SetAdmission(NodeSample& node, int64_t admitted, int64_t rejected) {
  v1::MetricsResponse& m = *node.metrics;
  m.clear_admission();
  v1::AdmissionPoolMetrics* query = m.add_admission();
  query->set_pool("Query");
  query->set_limit(16);
  query->set_in_flight(5);
  query->set_queued(2);
  v1::RejectionCount* over_share = query->add_rejected_by_reason();
  over_share->set_reason("over_share");
  over_share->set_count(rejected - 1);
  v1::RejectionCount* overloaded = query->add_rejected_by_reason();
  overloaded->set_reason("overloaded");
  overloaded->set_count(1);
  v1::AdmissionPoolMetrics* execute = m.add_admission();
  execute->set_pool("Execute");
  execute->set_limit(4);
  execute->set_in_flight(1);
  m.set_admitted(admitted);
  m.set_rejected(rejected);
  m.set_queue_wait_p99_ms(2.5);
}

TEST(FrameRendererTest, AdmissionRowsShowPoolsRatesAndReasons) {
  FrameRenderer renderer(FiveNodes());
  Snapshot before;
  Snapshot now;
  before.nodes.push_back(Up("A", 100, 1.0, 10.0, 50));
  now.nodes.push_back(Up("A", 300, 1.5, 12.0, 53));
  SetAdmission(before.nodes[0], 1000, 100);
  SetAdmission(now.nodes[0], 1200, 1100);  // 2 s: 100/s in, 500/s out
  now.nodes.push_back(Up("B", 1, 1, 5, 1));  // no admission reported
  now.nodes.push_back(Down("C", absl::StatusCode::kUnavailable, "refused"));
  const std::vector<std::string> lines = renderer.Render(&before, now);
  const std::string text = absl::StrJoin(lines, "\n");
  EXPECT_THAT(text, ContainsRegex("ADMISSION +SLOTS q/e +BUSY q/e +QUEUED q/e "
                                  "+ADM/s +REJ/s +WAITp99ms +REJECTED"));
  // The admission row of A comes after its row in the node table.
  std::vector<std::string> a_rows;
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "A ")) a_rows.push_back(line);
  }
  ASSERT_EQ(a_rows.size(), 2u);
  EXPECT_THAT(a_rows[1],
              ContainsRegex("^A +16/4 +5/1 +2/0 +100\\.0 +500\\.0 +2\\.50 "
                            "+over_share 1,099, overloaded 1$"));
  EXPECT_THAT(text, ContainsRegex("\nB +-/- +-/- +-/- +- +- +0\\.00 +-\n"));
  EXPECT_THAT(text, ContainsRegex("\nC +- +- +- +- +- +- +-\n"));
  // The node table's QUEUE is the admission queue depth.
  EXPECT_THAT(Row(lines, "A"), ContainsRegex(" 3 +4 +2\\.50 "));
}

TEST(FrameRendererTest, NoRateAcrossARestartOrWithoutTime) {
  NodeSample before = Up("A", 100, 1.0, 100, 10);
  NodeSample restarted = Up("A", 5, 0.1, 1, 11);
  restarted.metrics->set_pid(8);
  NodeRates rates = ComputeRates(&before, restarted);
  EXPECT_FALSE(rates.qps.has_value());
  EXPECT_FALSE(rates.cpu_percent.has_value());

  NodeSample same_pid_counter_back = Up("A", 50, 1.0, 101, 11);
  EXPECT_FALSE(ComputeRates(&before, same_pid_counter_back).qps);

  NodeSample no_time = Up("A", 120, 1.0, 100, 10);
  EXPECT_FALSE(ComputeRates(&before, no_time).qps);

  EXPECT_FALSE(ComputeRates(nullptr, before).qps);
  NodeSample was_down = Down("A", absl::StatusCode::kUnavailable, "x");
  EXPECT_FALSE(ComputeRates(&was_down, before).qps);
}

TEST(FrameRendererTest, DownNodesAreMarkedWithTheReason) {
  FrameRenderer renderer(FiveNodes());
  Snapshot now;
  now.nodes.push_back(Up("A", 1, 1, 5, 1));
  now.nodes.push_back(Up("B", 1, 1, 5, 1));
  now.nodes.push_back(
      Down("C", absl::StatusCode::kUnavailable,
           "failed to connect to all addresses; last error: UNKNOWN: "
           "ipv4:127.0.0.1:50053: Failed to connect to remote host: Connection "
           "refused"));
  now.nodes.push_back(
      Down("D", absl::StatusCode::kDeadlineExceeded, "Deadline Exceeded"));
  // E has no sample at all.
  const std::vector<std::string> lines = renderer.Render(nullptr, now);
  EXPECT_THAT(lines[0], HasSubstr("2/5 up  DOWN: C D E"));
  EXPECT_THAT(lines[0], HasSubstr("(five.json)"));
  EXPECT_THAT(Row(lines, "C"),
              ContainsRegex("^C +worker +green +127\\.0\\.0\\.1:2 +DOWN( +-)+ "
                            " connection refused$"));
  EXPECT_THAT(Row(lines, "D"), ContainsRegex(" DOWN .* no answer in time$"));
  // A process missing from the snapshot shows its configured address.
  EXPECT_THAT(Row(lines, "E"),
              ContainsRegex("127\\.0\\.0\\.1:50055 +DOWN .* not polled$"));
  EXPECT_THAT(Row(lines, "A"), HasSubstr(" up "));
}

TEST(FrameRendererTest, EdgesAreListedOnceAndMarkedWhenAnEndIsDown) {
  FrameRenderer renderer(FiveNodes());
  Snapshot now;
  for (const char* id : {"A", "B", "C", "E"}) {
    now.nodes.push_back(Up(id, 1, 1, 5, 1));
  }
  now.nodes.push_back(Down("D", absl::StatusCode::kUnavailable, "refused"));
  const std::vector<std::string> lines = renderer.Render(nullptr, now);
  const std::string text = absl::StrJoin(lines, "\n");
  EXPECT_THAT(text, HasSubstr("edges (5):  A-B  B-C  B-D(x)  C-E  D-E(x)"));
  EXPECT_THAT(text, HasSubstr("(x): an end of the edge is DOWN"));
  for (const char* reversed : {"B-A", "C-B", "D-B", "E-C", "E-D"}) {
    EXPECT_THAT(text, Not(HasSubstr(reversed)));
  }
  // With every node up there is no mark and no legend.
  now.nodes.back() = Up("D", 1, 1, 5, 1);
  const std::string all_up = absl::StrJoin(renderer.Render(nullptr, now), "\n");
  EXPECT_THAT(all_up, Not(HasSubstr("(x)")));
  EXPECT_THAT(all_up, HasSubstr("edges (5):  A-B  B-C  B-D  C-E  D-E"));
}

TEST(FrameRendererTest, UndirectedEdgesOnceEvenFromOneSidedLists) {
  OverlayConfig config = FiveNodes();
  config.processes[0].neighbors = {"B", "E"};  // E does not list A
  config.processes[2].neighbors = {"E"};       // C does not list B
  EXPECT_THAT(UndirectedEdges(config),
              ElementsAre(Pair("A", "B"), Pair("A", "E"), Pair("B", "C"),
                          Pair("B", "D"), Pair("C", "E"), Pair("D", "E")));
}

TEST(FrameRendererTest, LongEdgeListsWrap) {
  OverlayConfig config;
  config.name = "star";
  ProcessConfig hub;
  hub.id = "H";
  for (int i = 0; i < 12; ++i) {
    ProcessConfig leaf;
    leaf.id = "L" + std::to_string(i);
    leaf.port = 2000 + i;
    hub.neighbors.push_back(leaf.id);
    config.processes.push_back(leaf);
  }
  hub.port = 1999;
  config.processes.push_back(hub);
  FrameRenderer renderer(config);
  const std::vector<std::string> lines = renderer.Render(nullptr, Snapshot());
  const std::string text = absl::StrJoin(lines, "\n");
  EXPECT_THAT(text, HasSubstr("edges (12):  H-L0(x)"));
  EXPECT_THAT(text, HasSubstr("\n        H-L10(x)  H-L11(x)"));
}

TEST(FrameRendererTest, DownReasons) {
  EXPECT_EQ(DownReason(static_cast<int>(absl::StatusCode::kDeadlineExceeded),
                       "Deadline Exceeded"),
            "no answer in time");
  EXPECT_EQ(DownReason(static_cast<int>(absl::StatusCode::kUnavailable),
                       "... Connection refused"),
            "connection refused");
  EXPECT_EQ(DownReason(static_cast<int>(absl::StatusCode::kUnavailable),
                       "DNS resolution failed for nohost:1"),
            "unknown host");
  EXPECT_EQ(DownReason(static_cast<int>(absl::StatusCode::kUnimplemented), ""),
            "unimplemented");
  EXPECT_EQ(
      DownReason(static_cast<int>(absl::StatusCode::kInternal), "bad\nthing"),
      "internal: bad thing");
}

}  // namespace
}  // namespace overlay::top
