// Copyright 2026 The overlay Authors.

#include "core/wire/request_parser.h"

#include <gmock/gmock.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/test_util/status_matchers.h"

namespace overlay::wire {
namespace {

using ::testing::HasSubstr;

constexpr char kPlaceholder[] = "@@@@";  // replaced by bad bytes on the wire

// Serializes `message` and overwrites the first `kPlaceholder` with `bytes`
// (same length): protobuf itself never serializes invalid UTF-8 quietly.
std::string WithBytes(const google::protobuf::Message& message,
                      const std::string& bytes) {
  std::string wire = message.SerializeAsString();
  const size_t at = wire.find(kPlaceholder);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(bytes.size(), 4u);
  if (at != std::string::npos) wire.replace(at, bytes.size(), bytes);
  return wire;
}

// The same bytes as a ByteBuffer of slices of `slice_size` bytes, so that
// strings span slices.
grpc::ByteBuffer Sliced(const std::string& bytes, size_t slice_size) {
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i < bytes.size(); i += slice_size) {
    const std::string part = bytes.substr(i, slice_size);
    slices.emplace_back(part.data(), part.size());
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

v1::QueryRequest Query() {
  v1::QueryRequest request;
  request.mutable_filter()->add_site_keys("060371103");
  request.mutable_filter()->add_site_keys("840060150007");
  request.mutable_filter()->add_site_keys("060150007");
  request.mutable_filter()->add_site_keys(kPlaceholder);
  request.set_limit(5);
  request.set_client_id("bob");
  return request;
}

TEST(RequestParserTest, ParsesAValidRequest) {
  const std::string wire = Query().SerializeAsString();
  v1::QueryRequest request;
  ASSERT_OK(ParseAndValidateRequest(wire, &request));
  EXPECT_EQ(request.filter().site_keys_size(), 4);
  EXPECT_EQ(request.client_id(), "bob");
  for (size_t slice : {size_t{1}, size_t{3}, size_t{7}, wire.size()}) {
    SCOPED_TRACE(slice);
    v1::QueryRequest from_buffer;
    ASSERT_OK(ParseAndValidateRequest(Sliced(wire, slice), &from_buffer));
    EXPECT_EQ(from_buffer.SerializeAsString(), wire);
  }
}

TEST(RequestParserTest, NamesTheFieldAndBytesOfBadUtf8) {
  const std::string wire = WithBytes(Query(), "ab\xC3(");
  // What protobuf alone would do: fail, saying nothing (and log).
  v1::QueryRequest plain;
  EXPECT_FALSE(plain.ParseFromString(wire));

  const std::string want =
      "QueryRequest.filter.site_keys[3] is not valid UTF-8: at byte 2: 0xC3 "
      "0x28 (a sequence cut short by a byte that is not a continuation byte "
      "(0x80..0xBF))";
  v1::QueryRequest request;
  absl::Status status = ParseAndValidateRequest(wire, &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), want);
  for (size_t slice : {size_t{1}, size_t{2}, size_t{5}}) {
    SCOPED_TRACE(slice);
    absl::Status sliced =
        ParseAndValidateRequest(Sliced(wire, slice), &request);
    EXPECT_EQ(sliced.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(sliced.message(), want);
  }
  EXPECT_EQ(CheckWireUtf8(*v1::QueryRequest::descriptor(), wire).message(),
            want);
}

TEST(RequestParserTest, TopLevelAndDeeplyNestedStrings) {
  {
    v1::QueryRequest query;
    query.set_client_id(kPlaceholder);
    v1::QueryRequest out;
    absl::Status status = ParseAndValidateRequest(WithBytes(query,
                                                            "\xFF"
                                                            "abc"),
                                                  &out);
    EXPECT_EQ(status.message(),
              "QueryRequest.client_id is not valid UTF-8: at byte 0: 0xFF (a "
              "byte that never appears in UTF-8 (0xC0, 0xC1, 0xF5..0xFF))");
  }
  {
    v1::ExecuteRequest execute;
    execute.set_query_id("q");
    execute.add_path("A");
    execute.add_path(kPlaceholder);
    v1::ExecuteRequest out;
    EXPECT_THAT(std::string(ParseAndValidateRequest(
                                WithBytes(execute, "x\xED\xA0\x80"), &out)
                                .message()),
                HasSubstr("ExecuteRequest.path[1] is not valid UTF-8: at byte "
                          "1: 0xED 0xA0 (a UTF-16 surrogate"));
  }
  {
    v1::ExecuteRequest execute;
    execute.set_query_id("q");
    execute.mutable_request_class()->set_team("green");
    execute.mutable_request_class()->set_client(kPlaceholder);
    v1::ExecuteRequest out;
    EXPECT_THAT(std::string(ParseAndValidateRequest(
                                WithBytes(execute, "ok\xE2\x82"), &out)
                                .message()),
                HasSubstr("ExecuteRequest.request_class.client is not valid "
                          "UTF-8: at byte 2: 0xE2 0x82 (a sequence cut short "
                          "by the end of the string)"));
  }
  {
    v1::ExecuteRequest execute;
    execute.set_query_id("q");
    execute.mutable_filter()->set_prefix(kPlaceholder);
    v1::ExecuteRequest out;
    EXPECT_THAT(std::string(ParseAndValidateRequest(
                                WithBytes(execute, "\xC0\x80zz"), &out)
                                .message()),
                HasSubstr("ExecuteRequest.filter.prefix is not valid UTF-8"));
  }
  {
    v1::ShutdownRequest shutdown;
    shutdown.set_token(kPlaceholder);
    v1::ShutdownRequest out;
    EXPECT_THAT(std::string(ParseAndValidateRequest(
                                WithBytes(shutdown, "\x80@@@"), &out)
                                .message()),
                HasSubstr("ShutdownRequest.token is not valid UTF-8"));
  }
}

TEST(RequestParserTest, UnknownFieldsAreSkippedNotChecked) {
  // Field 99 (unknown) holding invalid UTF-8: protobuf keeps it as unknown
  // bytes, so it is no reason to refuse the request.
  v1::ReleaseRequest release;
  release.set_query_id("A-1");
  std::string wire = release.SerializeAsString();
  wire += std::string("\x9A\x06\x02\xC3\x28", 5);  // tag 99, LEN, 2 bytes
  wire += std::string("\xA0\x06\x05", 3);          // tag 100, varint 5
  v1::ReleaseRequest out;
  ASSERT_OK(ParseAndValidateRequest(wire, &out));
  EXPECT_EQ(out.query_id(), "A-1");
}

TEST(RequestParserTest, OverTheCapIsResourceExhausted) {
  v1::QueryRequest query;
  query.mutable_filter()->set_prefix(std::string(kMaxQueryRequestBytes, 'a'));
  const std::string wire = query.SerializeAsString();
  v1::QueryRequest out;
  absl::Status status = ParseAndValidateRequest(wire, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "QueryRequest is " + std::to_string(wire.size()) +
                                  " bytes, over the 262144-byte limit");
  EXPECT_EQ(ParseAndValidateRequest(Sliced(wire, 4096), &out).code(),
            absl::StatusCode::kResourceExhausted);
  // The cap is the request type's own: the same bytes as a ChunkRequest.
  v1::ChunkRequest chunk;
  chunk.set_query_id(std::string(kMaxChunkRequestBytes, 'q'));
  v1::ChunkRequest chunk_out;
  EXPECT_EQ(
      ParseAndValidateRequest(chunk.SerializeAsString(), &chunk_out).code(),
      absl::StatusCode::kResourceExhausted);
}

TEST(RequestParserTest, MalformedBytesAreInvalidArgument) {
  const std::string wire = Query().SerializeAsString();
  const std::vector<std::string> broken = {
      std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 11),
      std::string("\x0A\x7F", 2),           // filter: 127 bytes announced, none
      wire.substr(0, wire.size() - 3),      // cut inside the last field
      std::string("\x0A\x03\x52\x05x", 5),  // a key longer than its filter
      std::string("\x07", 1),               // wire type 7 does not exist
      std::string("\x00", 1),               // field number 0
      std::string("\x0C", 1),               // an end-group with no group
  };
  for (const std::string& bytes : broken) {
    SCOPED_TRACE(::testing::PrintToString(bytes));
    v1::QueryRequest out;
    absl::Status status = ParseAndValidateRequest(bytes, &out);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("QueryRequest"));
    EXPECT_EQ(ParseAndValidateRequest(Sliced(bytes, 2), &out).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(RequestParserTest, ValidationRunsAfterTheParse) {
  v1::FetchRequest fetch;
  fetch.set_query_id("A-1");
  fetch.set_offset(INT64_MAX - 3);
  fetch.set_count(100);
  v1::FetchRequest out;
  absl::Status status =
      ParseAndValidateRequest(fetch.SerializeAsString(), &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("FetchRequest.offset must be 0..1099511627776"));
  // ParseRequest alone parses and leaves validation to the caller.
  EXPECT_OK(
      ParseRequest(fetch.SerializeAsString(), kMaxFetchRequestBytes, &out));
  EXPECT_EQ(out.offset(), INT64_MAX - 3);
}

TEST(RequestParserTest, EmptyInputIsTheEmptyMessage) {
  v1::MetricsRequest metrics;
  EXPECT_OK(ParseAndValidateRequest(std::string(), &metrics));
  EXPECT_OK(ParseAndValidateRequest(grpc::ByteBuffer(), &metrics));
  v1::ChunkRequest chunk;
  chunk.set_query_id("left over");
  // Cleared first: an empty ChunkRequest has no query id.
  EXPECT_THAT(
      std::string(ParseAndValidateRequest(std::string(), &chunk).message()),
      HasSubstr("ChunkRequest.query_id is empty"));
  EXPECT_EQ(chunk.query_id(), "");
}

}  // namespace
}  // namespace overlay::wire
