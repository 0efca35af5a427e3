// Copyright 2026 The overlay Authors.

#include <cerrno>

#include "core/common/clock.h"
#include "core/common/grpc_status.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int n) {
  RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  ASSERT_OK_AND_ASSIGN(int quarter, Quarter(8));
  EXPECT_EQ(quarter, 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_OK(CheckEven(4));
  EXPECT_EQ(CheckEven(3).message(), "odd");
}

TEST(GrpcStatusTest, CodesAndMessagesRoundTrip) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "why");
    grpc::Status converted = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    absl::Status back = FromGrpcStatus(converted);
    EXPECT_EQ(back.code(), status.code());
    if (code != 0) {
      EXPECT_EQ(back.message(), "why");
    }
  }
}

TEST(PosixErrorTest, MapsErrnoToCanonicalCodes) {
  EXPECT_EQ(PosixError("open x", ENOENT).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PosixError("open x", EACCES).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(PosixError("write", ENOSPC).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(PosixError("x", EIO).code(), absl::StatusCode::kInternal);
  EXPECT_THAT(PosixError("open /data", ENOENT).message(),
              HasSubstr("open /data: No such file"));
}

TEST(ClockTest, RealClockIsMonotonicAndFakeClockObeys) {
  const int64_t a = RealClock::Get()->NowNanos();
  const int64_t b = RealClock::Get()->NowNanos();
  EXPECT_LE(a, b);
  testing::FakeClock fake(100);
  fake.AdvanceMillis(2);
  EXPECT_EQ(fake.NowNanos(), 100 + 2'000'000);
}

}  // namespace
}  // namespace overlay
