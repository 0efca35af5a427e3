// Copyright 2026 The overlay Authors.
//
// EXPECT_OK / ASSERT_OK / ASSERT_OK_AND_ASSIGN, missing in abseil 20220623.

#ifndef OVERLAY_TEST_TEST_UTIL_STATUS_MATCHERS_H_
#define OVERLAY_TEST_TEST_UTIL_STATUS_MATCHERS_H_

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace overlay::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace overlay::testing

#define EXPECT_OK(expr) \
  EXPECT_TRUE(::overlay::testing::GetStatus(expr).ok()) \
      << ::overlay::testing::GetStatus(expr)
#define ASSERT_OK(expr) \
  ASSERT_TRUE(::overlay::testing::GetStatus(expr).ok()) \
      << ::overlay::testing::GetStatus(expr)

#define OVERLAY_TEST_CONCAT_INNER_(a, b) a##b
#define OVERLAY_TEST_CONCAT_(a, b) OVERLAY_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                  \
  auto OVERLAY_TEST_CONCAT_(statusor_, __LINE__) = (rexpr);               \
  ASSERT_TRUE(OVERLAY_TEST_CONCAT_(statusor_, __LINE__).ok())             \
      << OVERLAY_TEST_CONCAT_(statusor_, __LINE__).status();              \
  lhs = std::move(OVERLAY_TEST_CONCAT_(statusor_, __LINE__)).value()

#endif  // OVERLAY_TEST_TEST_UTIL_STATUS_MATCHERS_H_
