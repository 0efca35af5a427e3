// Copyright 2026 The overlay Authors.
//
// The report writers on a hand-made BenchResult: JSON escaping and shape,
// the SVG's structure and labels, the terminal histogram.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tools/bench/bench_result.h"
#include "tools/bench/report_json.h"
#include "tools/bench/report_svg.h"
#include "tools/bench/terminal_report.h"

namespace overlay::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

BenchResult MakeResult() {
  BenchResult r;
  r.started_at = "2026-05-01T12:00:00Z";
  r.target = "127.0.0.1:60051";
  r.rpc = "query";
  r.mode = "closed";
  r.workload = {{1, "get_by_prefix \"Crescent <City>\" & co"}};
  r.workload_text = r.workload[0].words;
  r.concurrency = 4;
  r.channels = 2;
  r.cq_threads = 2;
  for (int i = 0; i < 300; ++i) {
    r.latency_recorder.Record(200'000 + i * 10'000);  // 0.2 .. 3.2 ms
  }
  r.requests = 302;
  r.ok = 300;
  r.errors = 2;
  r.wall_s = 2.5;
  r.qps = 120;
  r.latency = Summarize(r.latency_recorder);
  r.histogram = r.latency_recorder.Bins(10);
  for (int s = 0; s < 3; ++s) {
    TimelinePoint p;
    p.t_s = s;
    p.width_s = s < 2 ? 1 : 0.5;
    p.ok = s < 2 ? 120 : 60;
    p.errors = s == 1 ? 2 : 0;
    p.qps = p.ok / p.width_s;
    p.p50_ms = 1 + s;
    p.p90_ms = 2 + s;
    p.p99_ms = 3 + s;
    p.max_ms = 4 + s;
    r.timeline.push_back(p);
  }
  r.errors_by_code = {{"DEADLINE_EXCEEDED", 2}};
  r.errors_by_message = {{"GetChunk: DEADLINE_EXCEEDED: \"late\"\n\t", 2}};
  NodeReport node;
  node.id = "A";
  node.address = "127.0.0.1:60051";
  node.reachable = true;
  node.queries_received = 302;
  node.cpu_s_used = 1.5;
  NodeSample sample;
  sample.phase = "before";
  sample.ok = true;
  sample.rss_bytes = 40 << 20;
  sample.rss_shmem_bytes = 8 << 20;
  node.samples = {sample};
  r.nodes = {node};
  r.server_cpu_s = 1.5;
  r.ok_per_server_cpu_s = 200;
  ClientReport only;
  only.name = "default";
  only.mode = "closed";
  only.requests = 302;
  only.ok = 300;
  only.errors = 2;
  only.success_rate = 300.0 / 302;
  only.latency = r.latency;
  only.errors_by_code = r.errors_by_code;
  only.errors_by_message = r.errors_by_message;
  r.clients = {only};
  return r;
}

// The same run as two --client clients, one of them rejected by admission.
BenchResult MakeTwoClientResult() {
  BenchResult r = MakeResult();
  r.mode = "mixed";
  r.explicit_clients = true;
  ClientReport heavy = r.clients[0];
  heavy.name = heavy.client_id = "heavy";
  heavy.mode = "open";
  heavy.rate = 3000;
  heavy.planned = 202;
  heavy.requests = 202;
  heavy.ok = 180;
  heavy.errors = 22;
  heavy.success_rate = 180.0 / 202;
  heavy.errors_by_code = {{"DEADLINE_EXCEEDED", 2}, {"RESOURCE_EXHAUSTED", 20}};
  heavy.errors_by_message = {{"Query: RESOURCE_EXHAUSTED: over share", 20},
                             {"GetChunk: DEADLINE_EXCEEDED: late", 2}};
  heavy.error_latency.count = 22;
  heavy.error_latency.p50_ms = 0.25;
  heavy.error_latency.p99_ms = 0.75;
  heavy.retry_pushback.count = 20;
  heavy.retry_pushback.max_ms = 25;
  ClientReport light = r.clients[0];
  light.name = light.client_id = "light";
  light.requests = 120;
  light.ok = 120;
  light.errors = 0;
  light.success_rate = 1;
  light.errors_by_code.clear();
  light.errors_by_message.clear();
  r.clients = {heavy, light};
  r.requests = 322;
  r.ok = 300;
  r.errors = 22;
  return r;
}

TEST(ReportJsonTest, EscapesStringsAndKeepsTheSchema) {
  const BenchResult r = MakeResult();
  const std::string json = RenderJsonReport(r);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_STREQ(doc["workload"][0]["words"].GetString(),
               "get_by_prefix \"Crescent <City>\" & co");
  EXPECT_EQ(doc["errors_by_message"]["GetChunk: DEADLINE_EXCEEDED: "
                                     "\"late\"\n\t"]
                .GetInt64(),
            2);
  EXPECT_EQ(doc["histogram"]["total"].GetInt64(), 300);
  EXPECT_EQ(doc["timeline"].Size(), 3u);
  EXPECT_DOUBLE_EQ(doc["timeline"][2]["width_s"].GetDouble(), 0.5);
  EXPECT_DOUBLE_EQ(doc["server"]["ok_per_cpu_s"].GetDouble(), 200);
  EXPECT_DOUBLE_EQ(doc["server"]["cores_busy"].GetDouble(), 0.6);
  EXPECT_EQ(doc["nodes"][0]["samples"].Size(), 1u);
  EXPECT_EQ(doc["nodes"][0]["samples"][0]["rss_bytes"].GetInt64(), 40 << 20);
  EXPECT_EQ(doc["nodes"][0]["samples"][0]["rss_shmem_bytes"].GetInt64(),
            8 << 20);
  for (const char* key : {"requests", "concurrency", "ok", "errors", "wall_s",
                          "qps", "latency_ms", "histogram", "timeline", "nodes",
                          "errors_by_code", "errors_by_message"}) {
    EXPECT_TRUE(doc.HasMember(key)) << key;
  }
  for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
    EXPECT_TRUE(doc["latency_ms"].HasMember(key)) << key;
  }
}

TEST(ReportJsonTest, ClientsAreAnAdditionToTheSchema) {
  const std::string json = RenderJsonReport(MakeTwoClientResult());
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_STREQ(doc["schema"].GetString(), "overlay_bench/1");
  EXPECT_STREQ(doc["mode"].GetString(), "mixed");
  ASSERT_TRUE(doc["clients"].IsArray());
  ASSERT_EQ(doc["clients"].Size(), 2u);
  const rapidjson::Value& heavy = doc["clients"][0];
  for (const char* key : {"name",
                          "client_id",
                          "mode",
                          "workload",
                          "planned",
                          "concurrency",
                          "rate",
                          "duration_s",
                          "deadline_ms",
                          "channels",
                          "parallel",
                          "requests",
                          "ok",
                          "errors",
                          "partial",
                          "release_failures",
                          "success_rate",
                          "wall_s",
                          "qps",
                          "attempted_qps",
                          "latency_ms",
                          "error_latency_ms",
                          "latency_split_ms",
                          "open_loop",
                          "retry_pushback_ms",
                          "errors_by_code",
                          "errors_by_message"}) {
    EXPECT_TRUE(heavy.HasMember(key)) << key;
  }
  EXPECT_STREQ(heavy["name"].GetString(), "heavy");
  EXPECT_EQ(heavy["errors_by_code"]["RESOURCE_EXHAUSTED"].GetInt64(), 20);
  EXPECT_NEAR(heavy["success_rate"].GetDouble(), 180.0 / 202, 1e-6);
  EXPECT_EQ(heavy["open_loop"]["scheduled"].GetInt64(), 202);
  EXPECT_EQ(heavy["retry_pushback_ms"]["count"].GetInt64(), 20);
  EXPECT_TRUE(doc["clients"][1]["open_loop"].IsNull());
  EXPECT_TRUE(doc["clients"][1]["errors_by_code"].ObjectEmpty());
  // Every field of before is still there.
  for (const char* key : {"schema",
                          "started_at",
                          "target",
                          "rpc",
                          "workload",
                          "fetch_chunks",
                          "planned",
                          "requests",
                          "concurrency",
                          "rate",
                          "duration_s",
                          "warmup",
                          "deadline_ms",
                          "channels",
                          "cq_threads",
                          "ok",
                          "errors",
                          "partial",
                          "release_failures",
                          "wall_s",
                          "qps",
                          "attempted_qps",
                          "latency_ms",
                          "error_latency_ms",
                          "latency_split_ms",
                          "open_loop",
                          "per_query",
                          "histogram",
                          "timeline",
                          "errors_by_code",
                          "errors_by_message",
                          "client",
                          "server",
                          "nodes"}) {
    EXPECT_TRUE(doc.HasMember(key)) << key;
  }
}

TEST(TerminalReportTest, ShowsEachClientWithItsErrors) {
  const std::string text = RenderTextReport(MakeTwoClientResult());
  EXPECT_THAT(text, HasSubstr("mixed loop, 2 clients"));
  EXPECT_THAT(text, HasSubstr("clients (latency ms of successes"));
  EXPECT_THAT(text, HasSubstr("  heavy      open        202      180      22"
                              "   89.11%"));
  EXPECT_THAT(text, HasSubstr("  light      closed      120      120       0"
                              "  100.00%"));
  EXPECT_THAT(text, HasSubstr("errors:  DEADLINE_EXCEEDED 2  "
                              "RESOURCE_EXHAUSTED 20  (failed p50 0.250 p99 "
                              "0.750 ms)  retry hints 20 (max 25.0 ms)"));
  // A run without --client has no clients section.
  EXPECT_THAT(RenderTextReport(MakeResult()),
              Not(HasSubstr("clients (latency")));
}

TEST(ReportSvgTest, IsOneWellFormedChartWithLabels) {
  const std::string svg = RenderSvgReport(MakeResult());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(Count(svg, "<svg"), 1);
  EXPECT_EQ(Count(svg, "</svg>"), 1);
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
  EXPECT_EQ(Count(svg, "<"), Count(svg, ">"));
  EXPECT_THAT(svg, HasSubstr("Crescent &lt;City&gt;&quot; &amp; co"));
  EXPECT_THAT(svg, Not(HasSubstr("<City>")));
  EXPECT_THAT(svg, HasSubstr("Latency per second"));
  EXPECT_THAT(svg, HasSubstr("Throughput per second"));
  EXPECT_THAT(svg, HasSubstr("Latency histogram"));
  EXPECT_THAT(svg, HasSubstr("p99"));
  EXPECT_THAT(svg, HasSubstr("time since start (s)"));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
}

TEST(ReportSvgTest, EmptyRunStillRenders) {
  BenchResult r;
  r.rpc = "metrics";
  r.mode = "open";
  r.workload_text = "GetMetrics";
  const std::string svg = RenderSvgReport(r);
  EXPECT_EQ(Count(svg, "</svg>"), 1);
  EXPECT_THAT(svg, HasSubstr("no successful requests"));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
}

TEST(TerminalReportTest, EndsWithAHistogram) {
  const BenchResult r = MakeResult();
  const std::string text = RenderTextReport(r);
  EXPECT_THAT(text, HasSubstr("successes only"));
  EXPECT_THAT(text, HasSubstr("DEADLINE_EXCEEDED 2"));
  EXPECT_THAT(text, HasSubstr("200.0 ok requests per server CPU-second"));
  const std::string histogram = RenderTerminalHistogram(r.latency_recorder);
  EXPECT_EQ(text.substr(text.size() - histogram.size()), histogram);
  EXPECT_EQ(static_cast<size_t>(Count(histogram, "\n")),
            r.latency_recorder.Bins(5).size());
  EXPECT_THAT(histogram, HasSubstr("#"));
  EXPECT_THAT(histogram, HasSubstr(" ms |"));
}

}  // namespace
}  // namespace overlay::bench
