// Copyright 2026 The overlay Authors.
//
// overlay_bench against a real overlay (six node processes on loopback, on
// generated data): its JSON parses and its counts add up.

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/datagen/dataset_generator.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay {
namespace {

TEST(BenchEnd2EndTest, JsonOfARunAgainstARealOverlayAddsUp) {
  const std::string dir = testing::MakeTempDir("overlay-bench-e2e");
  GeneratorOptions options;
  options.root = dir + "/data";
  options.sites = 60;
  options.scale = 0.05;
  ASSERT_OK(GenerateDataset(options).status());
  testing::TestOverlay overlay;
  ASSERT_OK(overlay.Start("configs/one_host.json", options.root));
  const std::string json = dir + "/bench.json";
  const std::string svg = dir + "/bench.svg";
  const std::string command = absl::StrCat(
      testing::BinaryDir(), "/overlay_bench --config ", overlay.config_path(),
      " --requests 300 --concurrency 8 --progress=false --json ", json,
      " --svg ", svg,
      " --query 'query --param PM2.5 --min 5 --max 80 --chunk-size 50'",
      " > ", dir, "/bench.out 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(doc["requests"].GetInt64(), 300);
  EXPECT_EQ(doc["concurrency"].GetInt(), 8);
  const int64_t ok = doc["ok"].GetInt64();
  const int64_t errors = doc["errors"].GetInt64();
  EXPECT_EQ(ok + errors, 300);
  EXPECT_EQ(errors, 0);
  EXPECT_GT(doc["wall_s"].GetDouble(), 0);
  EXPECT_GT(doc["qps"].GetDouble(), 0);
  for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
    ASSERT_TRUE(doc["latency_ms"].HasMember(key)) << key;
  }
  EXPECT_LE(doc["latency_ms"]["p50"].GetDouble(),
            doc["latency_ms"]["max"].GetDouble());
  int64_t histogram = 0;
  for (const auto& count : doc["histogram"]["counts"].GetArray()) {
    histogram += count.GetInt64();
  }
  EXPECT_EQ(histogram, ok);
  EXPECT_EQ(doc["histogram"]["total"].GetInt64(), ok);
  // Every node was scraped.
  ASSERT_TRUE(doc.HasMember("nodes"));
  EXPECT_EQ(doc["nodes"].Size(), 6u);
  std::ifstream chart(svg);
  std::string first_line;
  std::getline(chart, first_line);
  EXPECT_NE(first_line.find("<svg"), std::string::npos) << first_line;
  ASSERT_OK(overlay.Stop());
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace overlay
