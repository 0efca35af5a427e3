// Copyright 2026 The overlay Authors.

#include "core/wire/request_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "test/test_util/status_matchers.h"

namespace overlay::wire {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

// Expects INVALID_ARGUMENT whose message holds every one of `parts`.
template <typename Message>
void ExpectInvalid(const Message& message,
                   const std::vector<std::string>& parts) {
  absl::Status status = ValidateRequest(message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  for (const std::string& part : parts) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(part));
  }
}

v1::QueryRequest GoodQuery() {
  v1::QueryRequest request;
  request.mutable_filter()->add_parameters(v1::PM25);
  request.mutable_filter()->add_site_keys("060371103");
  request.mutable_filter()->set_prefix("Cres");
  request.set_limit(10);
  request.set_chunk_size(500);
  request.set_client_id("alice");
  return request;
}

v1::ExecuteRequest GoodExecute() {
  v1::ExecuteRequest request;
  request.set_query_id("A-0123456789abcdef0123456789abcdef");
  *request.mutable_filter() = GoodQuery().filter();
  request.set_limit(10);
  request.add_path("A");
  request.add_path("B");
  request.set_hops_left(14);
  request.mutable_request_class()->set_team("green");
  request.mutable_request_class()->set_client("alice");
  request.set_chunk_size(500);
  return request;
}

v1::FetchRequest GoodFetch() {
  v1::FetchRequest request;
  request.set_query_id("A-1");
  request.add_route("B");
  request.add_route("D");
  request.set_offset(4000);
  request.set_count(500);
  request.mutable_request_class()->set_team("pink");
  return request;
}

v1::ReleaseResultRequest GoodReleaseResult() {
  v1::ReleaseResultRequest request;
  request.set_query_id("A-1");
  request.add_route("B");
  request.set_flood(true);
  request.add_path("A");
  request.set_hops_left(15);
  return request;
}

TEST(RequestLimitsTest, GoodRequestsPass) {
  EXPECT_OK(ValidateRequest(GoodQuery()));
  EXPECT_OK(ValidateRequest(v1::QueryRequest()));
  EXPECT_OK(ValidateRequest(GoodExecute()));
  EXPECT_OK(ValidateRequest(GoodFetch()));
  EXPECT_OK(ValidateRequest(GoodReleaseResult()));
  v1::ChunkRequest chunk;
  chunk.set_query_id("A-1");
  chunk.set_chunk_index(kInt32Max);  // the plan bounds it, not the wire
  EXPECT_OK(ValidateRequest(chunk));
  v1::ReleaseRequest release;
  release.set_query_id("A-1");
  EXPECT_OK(ValidateRequest(release));
  EXPECT_OK(ValidateRequest(v1::MetricsRequest()));
  EXPECT_OK(ValidateRequest(v1::ShutdownRequest()));
}

TEST(RequestLimitsTest, ReceiveSizeIsResourceExhausted) {
  EXPECT_OK(CheckReceiveSize(kMaxQueryRequestBytes, kMaxQueryRequestBytes,
                             "QueryRequest"));
  absl::Status status = CheckReceiveSize(kMaxQueryRequestBytes + 1,
                                         kMaxQueryRequestBytes, "QueryRequest");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "QueryRequest is 262145 bytes, over the 262144-byte limit");
}

TEST(RequestLimitsTest, CapsAreConsistent) {
  EXPECT_LT(kMaxQueryRequestBytes, size_t{1} << 20);  // well under 1 MiB
  // 10,000 twelve-digit full AQS ids fit in a Query.
  v1::QueryRequest request;
  for (int i = 0; i < kMaxSiteKeys; ++i) {
    request.mutable_filter()->add_site_keys(absl::StrCat(840060000000 + i));
  }
  EXPECT_LT(request.ByteSizeLong(), kMaxQueryRequestBytes);
  EXPECT_OK(ValidateRequest(request));
  // Every cap is at most the server-wide one.
  for (size_t cap : {kMaxQueryRequestBytes, kMaxChunkRequestBytes,
                     kMaxReleaseRequestBytes, kMaxMetricsRequestBytes,
                     kMaxShutdownRequestBytes, kMaxExecuteRequestBytes,
                     kMaxFetchRequestBytes, kMaxReleaseResultRequestBytes}) {
    EXPECT_LE(cap, kMaxAnyRequestBytes);
  }
  EXPECT_EQ(RequestTraits<v1::FetchRequest>::kMaxBytes, kMaxFetchRequestBytes);
  EXPECT_EQ(RequestTraits<v1::FetchRequest>::kName, "FetchRequest");
}

// The largest valid Query becomes an Execute within the Execute cap.
TEST(RequestLimitsTest, AValidQueryAlwaysFitsInAnExecute) {
  v1::QueryRequest query;
  query.set_client_id(std::string(kMaxClientIdBytes, 'c'));
  query.set_limit(kMaxLimit);
  query.mutable_filter()->set_prefix(std::string(kMaxPrefixBytes, 'p'));
  while (query.ByteSizeLong() + kMaxSiteKeyBytes + 2 <= kMaxQueryRequestBytes) {
    query.mutable_filter()->add_site_keys(std::string(kMaxSiteKeyBytes, 'k'));
  }
  v1::ExecuteRequest execute;
  execute.set_query_id(std::string(kMaxQueryIdBytes, 'q'));
  *execute.mutable_filter() = query.filter();
  execute.set_limit(kMaxLimit);
  for (int i = 0; i < kMaxPathLength; ++i) {
    execute.add_path(std::string(kMaxNodeIdBytes, 'n'));
  }
  execute.mutable_request_class()->set_team(std::string(kMaxTeamBytes, 't'));
  execute.mutable_request_class()->set_client(
      std::string(kMaxClientIdBytes, 'c'));
  execute.set_chunk_size(kMaxChunkSize);
  EXPECT_LE(execute.ByteSizeLong(), kMaxExecuteRequestBytes);
}

TEST(RequestLimitsTest, SiteKeys) {
  v1::QueryRequest request;
  for (int i = 0; i < kMaxSiteKeys; ++i) {
    request.mutable_filter()->add_site_keys("k");
  }
  EXPECT_OK(ValidateRequest(request));
  request.mutable_filter()->add_site_keys("k");
  ExpectInvalid(request, {"QueryRequest.filter.site_keys has 10001 entries",
                          "the limit is 10000"});

  v1::QueryRequest long_key;
  long_key.mutable_filter()->add_site_keys("ok");
  long_key.mutable_filter()->add_site_keys(std::string(kMaxSiteKeyBytes, '1'));
  EXPECT_OK(ValidateRequest(long_key));
  long_key.mutable_filter()->add_site_keys(
      std::string(kMaxSiteKeyBytes + 1, '1'));
  ExpectInvalid(long_key, {"QueryRequest.filter.site_keys[2] is 33 bytes",
                           "the limit is 32"});
}

TEST(RequestLimitsTest, Prefix) {
  v1::QueryRequest request;
  request.mutable_filter()->set_prefix(std::string(kMaxPrefixBytes, 'a'));
  EXPECT_OK(ValidateRequest(request));
  request.mutable_filter()->set_prefix(std::string(kMaxPrefixBytes + 1, 'a'));
  ExpectInvalid(
      request, {"QueryRequest.filter.prefix is 257 bytes", "the limit is 256"});
  // The 8 MiB string of the issue.
  request.mutable_filter()->set_prefix(std::string(8 << 20, 'a'));
  ExpectInvalid(request, {"prefix is 8388608 bytes"});
}

TEST(RequestLimitsTest, Utf8InEveryStringField) {
  const std::string bad = "S\xC3\x28o";  // 0xC3 needs a continuation byte
  const std::string why = "is not valid UTF-8: at byte 1: 0xC3 0x28";
  {
    v1::QueryRequest r = GoodQuery();
    r.set_client_id(bad);
    ExpectInvalid(r, {"QueryRequest.client_id " + why});
  }
  {
    v1::QueryRequest r = GoodQuery();
    r.mutable_filter()->add_site_keys(bad);
    ExpectInvalid(r, {"QueryRequest.filter.site_keys[1] " + why});
  }
  {
    v1::QueryRequest r = GoodQuery();
    r.mutable_filter()->set_prefix(bad);
    ExpectInvalid(r, {"QueryRequest.filter.prefix " + why});
  }
  {
    v1::ChunkRequest r;
    r.set_query_id(bad);
    ExpectInvalid(r, {"ChunkRequest.query_id " + why});
  }
  {
    v1::ReleaseRequest r;
    r.set_query_id(bad);
    ExpectInvalid(r, {"ReleaseRequest.query_id " + why});
  }
  {
    v1::ShutdownRequest r;
    r.set_token(bad);
    ExpectInvalid(r, {"ShutdownRequest.token " + why});
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.set_query_id(bad);
    ExpectInvalid(r, {"ExecuteRequest.query_id " + why});
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.mutable_filter()->set_prefix(bad);
    ExpectInvalid(r, {"ExecuteRequest.filter.prefix " + why});
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.set_path(1, bad);
    ExpectInvalid(r, {"ExecuteRequest.path[1] " + why});
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.mutable_request_class()->set_team(bad);
    ExpectInvalid(r, {"ExecuteRequest.request_class.team " + why});
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.mutable_request_class()->set_client(bad);
    ExpectInvalid(r, {"ExecuteRequest.request_class.client " + why});
  }
  {
    v1::FetchRequest r = GoodFetch();
    r.set_query_id(bad);
    ExpectInvalid(r, {"FetchRequest.query_id " + why});
  }
  {
    v1::FetchRequest r = GoodFetch();
    r.set_route(0, bad);
    ExpectInvalid(r, {"FetchRequest.route[0] " + why});
  }
  {
    v1::FetchRequest r = GoodFetch();
    r.mutable_request_class()->set_client(bad);
    ExpectInvalid(r, {"FetchRequest.request_class.client " + why});
  }
  {
    v1::ReleaseResultRequest r = GoodReleaseResult();
    r.set_query_id(bad);
    ExpectInvalid(r, {"ReleaseResultRequest.query_id " + why});
  }
  {
    v1::ReleaseResultRequest r = GoodReleaseResult();
    r.set_route(0, bad);
    ExpectInvalid(r, {"ReleaseResultRequest.route[0] " + why});
  }
  {
    v1::ReleaseResultRequest r = GoodReleaseResult();
    r.set_path(0, bad);
    ExpectInvalid(r, {"ReleaseResultRequest.path[0] " + why});
  }
}

TEST(RequestLimitsTest, StringLengths) {
  struct Case {
    std::string field;
    size_t limit;
    std::function<absl::Status(const std::string&)> validate;
  };
  const std::vector<Case> cases = {
      {"QueryRequest.client_id", kMaxClientIdBytes,
       [](const std::string& s) {
         v1::QueryRequest r;
         r.set_client_id(s);
         return ValidateRequest(r);
       }},
      {"ChunkRequest.query_id", kMaxQueryIdBytes,
       [](const std::string& s) {
         v1::ChunkRequest r;
         r.set_query_id(s);
         return ValidateRequest(r);
       }},
      {"ReleaseRequest.query_id", kMaxQueryIdBytes,
       [](const std::string& s) {
         v1::ReleaseRequest r;
         r.set_query_id(s);
         return ValidateRequest(r);
       }},
      {"ShutdownRequest.token", kMaxTokenBytes,
       [](const std::string& s) {
         v1::ShutdownRequest r;
         r.set_token(s);
         return ValidateRequest(r);
       }},
      {"ExecuteRequest.query_id", kMaxQueryIdBytes,
       [](const std::string& s) {
         v1::ExecuteRequest r = GoodExecute();
         r.set_query_id(s);
         return ValidateRequest(r);
       }},
      {"ExecuteRequest.path[0]", kMaxNodeIdBytes,
       [](const std::string& s) {
         v1::ExecuteRequest r = GoodExecute();
         r.set_path(0, s);
         return ValidateRequest(r);
       }},
      {"ExecuteRequest.request_class.team", kMaxTeamBytes,
       [](const std::string& s) {
         v1::ExecuteRequest r = GoodExecute();
         r.mutable_request_class()->set_team(s);
         return ValidateRequest(r);
       }},
      {"ExecuteRequest.request_class.client", kMaxClientIdBytes,
       [](const std::string& s) {
         v1::ExecuteRequest r = GoodExecute();
         r.mutable_request_class()->set_client(s);
         return ValidateRequest(r);
       }},
      {"FetchRequest.query_id", kMaxQueryIdBytes,
       [](const std::string& s) {
         v1::FetchRequest r = GoodFetch();
         r.set_query_id(s);
         return ValidateRequest(r);
       }},
      {"FetchRequest.route[1]", kMaxNodeIdBytes,
       [](const std::string& s) {
         v1::FetchRequest r = GoodFetch();
         r.set_route(1, s);
         return ValidateRequest(r);
       }},
      {"ReleaseResultRequest.query_id", kMaxQueryIdBytes,
       [](const std::string& s) {
         v1::ReleaseResultRequest r = GoodReleaseResult();
         r.set_query_id(s);
         return ValidateRequest(r);
       }},
      {"ReleaseResultRequest.route[0]", kMaxNodeIdBytes,
       [](const std::string& s) {
         v1::ReleaseResultRequest r = GoodReleaseResult();
         r.set_route(0, s);
         return ValidateRequest(r);
       }},
      {"ReleaseResultRequest.path[0]", kMaxNodeIdBytes,
       [](const std::string& s) {
         v1::ReleaseResultRequest r = GoodReleaseResult();
         r.set_path(0, s);
         return ValidateRequest(r);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    EXPECT_OK(c.validate(std::string(c.limit, 'x')));
    absl::Status status = c.validate(std::string(c.limit + 1, 'x'));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), absl::StrCat(c.field, " is ", c.limit + 1,
                                             " bytes; the limit is ", c.limit));
  }
}

TEST(RequestLimitsTest, IdsThatKeyStateMustBePresent) {
  ExpectInvalid(v1::ChunkRequest(), {"ChunkRequest.query_id is empty"});
  ExpectInvalid(v1::ReleaseRequest(), {"ReleaseRequest.query_id is empty"});
  v1::ExecuteRequest execute = GoodExecute();
  execute.clear_query_id();
  ExpectInvalid(execute, {"ExecuteRequest.query_id is empty"});
  v1::FetchRequest fetch = GoodFetch();
  fetch.clear_query_id();
  ExpectInvalid(fetch, {"FetchRequest.query_id is empty"});
  v1::ReleaseResultRequest release = GoodReleaseResult();
  release.clear_query_id();
  ExpectInvalid(release, {"ReleaseResultRequest.query_id is empty"});
  v1::FetchRequest empty_hop = GoodFetch();
  empty_hop.set_route(1, "");
  ExpectInvalid(empty_hop, {"FetchRequest.route[1] is empty"});
}

TEST(RequestLimitsTest, LimitAndChunkSize) {
  for (int64_t limit : {int64_t{0}, int64_t{1}, kMaxLimit}) {
    v1::QueryRequest q;
    q.set_limit(limit);
    EXPECT_OK(ValidateRequest(q));
  }
  for (int64_t limit : {int64_t{-1}, kMaxLimit + 1, kInt64Max, kInt64Min}) {
    v1::QueryRequest q;
    q.set_limit(limit);
    ExpectInvalid(q, {"QueryRequest.limit must be 0..1099511627776 (0: no "
                      "limit), got " +
                      std::to_string(limit)});
    v1::ExecuteRequest e = GoodExecute();
    e.set_limit(limit);
    ExpectInvalid(e, {"ExecuteRequest.limit must be 0..1099511627776"});
  }
  for (int32_t size : {0, 1, kMaxChunkSize}) {
    v1::QueryRequest q;
    q.set_chunk_size(size);
    EXPECT_OK(ValidateRequest(q));
  }
  for (int32_t size : {-1, kMaxChunkSize + 1, kInt32Max, kInt32Min}) {
    v1::QueryRequest q;
    q.set_chunk_size(size);
    ExpectInvalid(q, {"QueryRequest.chunk_size must be 0..20000 (0: the "
                      "overlay's default), got " +
                      std::to_string(size)});
    v1::ExecuteRequest e = GoodExecute();
    e.set_chunk_size(size);
    ExpectInvalid(e, {"ExecuteRequest.chunk_size must be 0..20000"});
  }
}

TEST(RequestLimitsTest, ChunkIndex) {
  v1::ChunkRequest r;
  r.set_query_id("A-1");
  r.set_chunk_index(0);
  EXPECT_OK(ValidateRequest(r));
  for (int32_t index : {-1, kInt32Min}) {
    r.set_chunk_index(index);
    ExpectInvalid(r, {"ChunkRequest.chunk_index must be >= 0, got " +
                      std::to_string(index)});
  }
}

TEST(RequestLimitsTest, FetchOffsetAndCount) {
  v1::FetchRequest r = GoodFetch();
  r.set_offset(kMaxRecordOffset);
  r.set_count(kMaxChunkSize);
  EXPECT_OK(ValidateRequest(r));
  r.set_count(0);
  EXPECT_OK(ValidateRequest(r));
  // The offset of the remote crash: near 2^63.
  for (int64_t offset : {kInt64Max, kInt64Max - 5, kMaxRecordOffset + 1,
                         int64_t{-1}, kInt64Min}) {
    v1::FetchRequest bad = GoodFetch();
    bad.set_offset(offset);
    ExpectInvalid(bad, {"FetchRequest.offset must be 0..1099511627776, got " +
                        std::to_string(offset)});
  }
  for (int32_t count : {-1, kMaxChunkSize + 1, kInt32Max, kInt32Min}) {
    v1::FetchRequest bad = GoodFetch();
    bad.set_count(count);
    ExpectInvalid(bad, {"FetchRequest.count must be 0..20000, got " +
                        std::to_string(count)});
  }
}

// A Fetch carries its query (for the owner's shared cache): the filter's
// limits and the chunking fields are checked as in Execute, and the
// largest valid filter fits.
TEST(RequestLimitsTest, FetchCarriesItsQuery) {
  v1::FetchRequest r = GoodFetch();
  r.set_chunk_size(kMaxChunkSize);
  r.set_limit(kMaxLimit);
  r.set_segment_records(kMaxLimit);
  r.set_generation(~uint64_t{0});
  for (int i = 0; i < kMaxSiteKeys; ++i) {
    r.mutable_filter()->add_site_keys(absl::StrCat(840060000000 + i));
  }
  EXPECT_OK(ValidateRequest(r));
  EXPECT_LT(r.ByteSizeLong(), kMaxFetchRequestBytes);
  v1::FetchRequest bad = GoodFetch();
  bad.set_chunk_size(kMaxChunkSize + 1);
  ExpectInvalid(bad, {"FetchRequest.chunk_size must be 0..20000"});
  bad = GoodFetch();
  bad.set_segment_records(-1);
  ExpectInvalid(bad, {"FetchRequest.segment_records must be 0.."});
  bad = GoodFetch();
  bad.set_limit(-1);
  ExpectInvalid(bad, {"FetchRequest.limit must be 0.."});
  bad = GoodFetch();
  bad.mutable_filter()->set_prefix(std::string(kMaxPrefixBytes + 1, 'p'));
  ExpectInvalid(bad, {"FetchRequest.filter.prefix"});
}

TEST(RequestLimitsTest, PathsRoutesAndHops) {
  {
    v1::ExecuteRequest r = GoodExecute();
    r.clear_path();
    r.set_hops_left(kMaxHops);
    EXPECT_OK(ValidateRequest(r));
    for (int32_t hops : {-1, kMaxHops + 1, kInt32Max, kInt32Min}) {
      r.set_hops_left(hops);
      ExpectInvalid(r, {"ExecuteRequest.hops_left must be 0..64, got " +
                        std::to_string(hops)});
    }
  }
  {
    v1::ExecuteRequest r = GoodExecute();
    r.clear_path();
    r.set_hops_left(0);
    for (int i = 0; i < kMaxPathLength; ++i) r.add_path("N");
    EXPECT_OK(ValidateRequest(r));
    r.add_path("N");
    ExpectInvalid(r, {"ExecuteRequest.path has 66 entries", "the limit is 65"});
  }
  {
    // path + hops_left: the hop budget cannot be reset on the way.
    v1::ExecuteRequest r = GoodExecute();
    r.clear_path();
    for (int i = 0; i < 10; ++i) r.add_path("N");
    r.set_hops_left(kMaxPathLength - 10);
    EXPECT_OK(ValidateRequest(r));
    r.set_hops_left(kMaxPathLength - 9);
    ExpectInvalid(r, {"ExecuteRequest: path of 10 nodes plus hops_left 56 "
                      "exceeds the limit of 65 hops"});
  }
  {
    v1::FetchRequest r = GoodFetch();
    r.clear_route();
    for (int i = 0; i < kMaxPathLength; ++i) r.add_route("N");
    EXPECT_OK(ValidateRequest(r));
    r.add_route("N");
    ExpectInvalid(r, {"FetchRequest.route has 66 entries", "the limit is 65"});
  }
  {
    v1::ReleaseResultRequest r = GoodReleaseResult();
    r.clear_route();
    for (int i = 0; i <= kMaxPathLength; ++i) r.add_route("N");
    ExpectInvalid(r, {"ReleaseResultRequest.route has 66 entries"});
    r.clear_route();
    r.clear_path();
    for (int i = 0; i <= kMaxPathLength; ++i) r.add_path("N");
    ExpectInvalid(r, {"ReleaseResultRequest.path has 66 entries"});
    r.clear_path();
    r.set_hops_left(kMaxHops + 1);
    ExpectInvalid(r, {"ReleaseResultRequest.hops_left must be 0..64"});
    r.set_hops_left(-1);
    ExpectInvalid(r, {"ReleaseResultRequest.hops_left must be 0..64, got -1"});
  }
}

TEST(RequestLimitsTest, FilterCountsEnumsAndTimes) {
  {
    v1::QueryRequest r;
    for (int i = 0; i < kMaxFilterParameters; ++i) {
      r.mutable_filter()->add_parameters(v1::OZONE);
    }
    EXPECT_OK(ValidateRequest(r));
    r.mutable_filter()->add_parameters(v1::OZONE);
    ExpectInvalid(r, {"QueryRequest.filter.parameters has 65 entries",
                      "the limit is 64"});
  }
  for (int value : {0, 7, -1, kInt32Max}) {
    v1::QueryRequest r;
    r.mutable_filter()->add_parameters(v1::CO);
    r.mutable_filter()->add_parameters(static_cast<v1::Parameter>(value));
    ExpectInvalid(r, {"QueryRequest.filter.parameters[1]: unknown parameter "
                      "(enum value " +
                      std::to_string(value) + ")"});
  }
  {
    v1::QueryRequest r;
    for (int i = 0; i < kMaxFilterCategories; ++i) {
      r.mutable_filter()->add_categories(1);
    }
    EXPECT_OK(ValidateRequest(r));
    r.mutable_filter()->add_categories(1);
    ExpectInvalid(r, {"QueryRequest.filter.categories has 65 entries",
                      "the limit is 64"});
  }
  {
    v1::QueryRequest r;
    r.mutable_filter()->set_from_utc_seconds(kMinUtcSeconds);
    r.mutable_filter()->set_to_utc_seconds(kMaxUtcSeconds);
    EXPECT_OK(ValidateRequest(r));
    for (int64_t t :
         {kMinUtcSeconds - 1, kMaxUtcSeconds + 1, kInt64Min, kInt64Max}) {
      v1::QueryRequest from;
      from.mutable_filter()->set_from_utc_seconds(t);
      ExpectInvalid(from, {"QueryRequest.filter.from_utc_seconds must be "
                           "-62167219200..253402300799 (years 0000..9999), "
                           "got " +
                           std::to_string(t)});
      v1::ExecuteRequest to = GoodExecute();
      to.mutable_filter()->set_to_utc_seconds(t);
      ExpectInvalid(to, {"ExecuteRequest.filter.to_utc_seconds must be"});
    }
  }
  {
    v1::Filter filter;
    filter.set_prefix(std::string(kMaxPrefixBytes + 1, 'x'));
    absl::Status status = ValidateFilterLimits(filter);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("filter.prefix is 257 bytes"));
  }
}

TEST(RequestLimitsTest, CheckSliceNeverOverflows) {
  EXPECT_OK(CheckSlice(0, 0, 0));
  EXPECT_OK(CheckSlice(0, 10, 10));
  EXPECT_OK(CheckSlice(10, 0, 10));
  EXPECT_OK(CheckSlice(3, 7, 10));
  EXPECT_EQ(CheckSlice(3, 8, 10).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CheckSlice(11, 0, 10).code(), absl::StatusCode::kOutOfRange);
  // offset + count would wrap to a negative number and pass a naive check.
  absl::Status wrap = CheckSlice(kInt64Max - 5, 10, 100);
  EXPECT_EQ(wrap.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(wrap.message(),
            "10 rows from offset 9223372036854775802 are past the 100 rows "
            "held");
  EXPECT_EQ(CheckSlice(5, kInt64Max, 100).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CheckSlice(kInt64Max, kInt64Max, kInt64Max).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_OK(CheckSlice(kInt64Max, 0, kInt64Max));
  absl::Status negative = CheckSlice(-1, 5, 100);
  EXPECT_EQ(negative.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(negative.message()),
              AllOf(HasSubstr("offset -1"), HasSubstr("count 5")));
  EXPECT_EQ(CheckSlice(0, kInt64Min, 100).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace overlay::wire
