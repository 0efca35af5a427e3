// Copyright 2026 The overlay Authors.

#include "tools/top/host_override.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay::top {
namespace {

using ::testing::HasSubstr;

OverlayConfig ThreeGroups() {
  OverlayConfig config;
  const char* groups[] = {"host1", "host2", "host2"};
  for (int i = 0; i < 3; ++i) {
    ProcessConfig p;
    p.id = std::string(1, static_cast<char>('A' + i));
    p.host = "127.0.0." + std::to_string(i + 1);
    p.port = 6000 + i;
    p.host_group = groups[i];
    config.processes.push_back(p);
  }
  return config;
}

TEST(HostOverrideTest, MovesEveryProcessOfTheGroup) {
  OverlayConfig config = ThreeGroups();
  ASSERT_OK(ApplyHostOverrides({"host2=10.0.0.7"}, config));
  EXPECT_EQ(config.processes[0].Address(), "127.0.0.1:6000");
  EXPECT_EQ(config.processes[1].Address(), "10.0.0.7:6001");
  EXPECT_EQ(config.processes[2].Address(), "10.0.0.7:6002");
  ASSERT_OK(ApplyHostOverrides({" host1 = far.example ", "host2=b"}, config));
  EXPECT_EQ(config.processes[0].host, "far.example");
  EXPECT_EQ(config.processes[2].host, "b");
  ASSERT_OK(ApplyHostOverrides({}, config));
}

TEST(HostOverrideTest, RejectsBadSpecsAndLeavesTheConfig) {
  for (const char* spec : {"host2", "=x", "host2=", "nogroup=x"}) {
    OverlayConfig config = ThreeGroups();
    const absl::Status status = ApplyHostOverrides({spec}, config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(std::string(status.message()), HasSubstr(spec));
    EXPECT_EQ(config.processes[1].host, "127.0.0.2") << spec;
  }
  OverlayConfig config = ThreeGroups();
  const absl::Status twice =
      ApplyHostOverrides({"host1=a", "host2=b", "host1=c"}, config);
  EXPECT_THAT(std::string(twice.message()), HasSubstr("given twice"));
  EXPECT_EQ(config.processes[0].host, "127.0.0.1");
  EXPECT_EQ(config.processes[1].host, "127.0.0.2");
}

}  // namespace
}  // namespace overlay::top
