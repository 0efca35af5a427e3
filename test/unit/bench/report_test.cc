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
  node.samples = {sample};
  r.nodes = {node};
  r.server_cpu_s = 1.5;
  r.ok_per_server_cpu_s = 200;
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
  for (const char* key : {"requests", "concurrency", "ok", "errors", "wall_s",
                          "qps", "latency_ms", "histogram", "timeline", "nodes",
                          "errors_by_code", "errors_by_message"}) {
    EXPECT_TRUE(doc.HasMember(key)) << key;
  }
  for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
    EXPECT_TRUE(doc["latency_ms"].HasMember(key)) << key;
  }
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
