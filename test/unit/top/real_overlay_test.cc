// Copyright 2026 The overlay Authors.
//
// overlay_top --once against real overlay_node processes (configs/
// five_nodes.json on a generated data set), one of them stopped: checks
// that the real GetMetrics fills the columns the fakes stand in for.

#include <signal.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/datagen/dataset_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/node_process.h"
#include "test/test_util/status_matchers.h"
#include "test/test_util/test_overlay.h"

namespace overlay::top {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(OverlayTopRealOverlayTest, ListsEveryNodeAndTheStoppedOne) {
  const std::string dir = overlay::testing::MakeTempDir("overlay-top-real");
  ASSERT_FALSE(dir.empty());
  GeneratorOptions options;
  options.root = dir + "/data";
  options.sites = 40;
  options.scale = 0.02;
  options.threads = 1;
  ASSERT_OK(GenerateDataset(options).status());
  std::string out;
  int code = -1;
  {
    overlay::testing::TestOverlay overlay;
    ASSERT_OK(overlay.Start("configs/five_nodes.json", options.root));
    overlay.process("D").Signal(SIGTERM);
    ASSERT_OK(overlay.process("D").Wait(20).status());
    overlay::testing::NodeProcess top;
    ASSERT_OK(top.Start({overlay::testing::BinaryDir() + "/overlay_top",
                         "--once", "--config", overlay.config_path()},
                        dir + "/top.log"));
    absl::StatusOr<int> exit = top.Wait(60);
    ASSERT_OK(exit.status());
    code = *exit;
    out = top.ReadLog();
  }
  overlay::testing::RemoveTree(dir);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("4/5 up  DOWN: D")) << out;
  std::set<char> seen;  // a node's first row is in the node table
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (line.size() < 2 || line[1] != ' ') continue;
    if (line[0] < 'A' || line[0] > 'E') continue;
    if (!seen.insert(line[0]).second) {  // its admission row
      EXPECT_THAT(std::string(line),
                  ContainsRegex(line[0] == 'D' ? "^D +- +- +- "
                                               : "^. +[0-9]+/[0-9]+ +0/0 "))
          << out;
      continue;
    }
    if (line[0] == 'D') {
      EXPECT_THAT(std::string(line), HasSubstr(" DOWN ")) << out;
      continue;
    }
    // Real figures: role from the config, rows loaded (but A, which holds
    // no share), an RSS in MB and an uptime.
    EXPECT_THAT(std::string(line), ContainsRegex(" up +- +[0-9]+ +[0-9]+ "))
        << out;
    EXPECT_THAT(std::string(line), ContainsRegex("[0-9.]+M +- +[0-9]+s$"))
        << out;
    if (line[0] != 'A') {
      EXPECT_THAT(std::string(line), Not(ContainsRegex(" 0 +[0-9.]+M"))) << out;
    }
  }
  EXPECT_THAT(out, HasSubstr("edges (5):  A-B  B-C  B-D(x)  C-E  D-E(x)"));
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
}

}  // namespace
}  // namespace overlay::top
