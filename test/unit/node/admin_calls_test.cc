// Copyright 2026 The overlay Authors.

#include "nodes/admin_calls.h"

#include "gtest/gtest.h"

namespace overlay {
namespace {

TEST(IsLoopbackPeerTest, AcceptsLoopbackOnly) {
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.1:41234"));
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.2:5"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::1]:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:%5B::1%5D:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::ffff:127.0.0.1]:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:10.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:192.168.1.127:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv6:[::2]:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv6:[2001:db8::1]:5000"));
  EXPECT_FALSE(IsLoopbackPeer(""));
}

}  // namespace
}  // namespace overlay
