// Copyright 2026 The overlay Authors.
//
// Every request a node receives, from hostile bytes: parse with the receive
// cap and the UTF-8 walk (request_parser.h), validate (request_limits.h),
// then run what a handler runs first (FilterFromProto, CheckSlice).
// Input: byte 0 picks the request type, byte 1 the slice size of the
// grpc::ByteBuffer copy, the rest is the serialized request. Checks that
// the string and ByteBuffer paths agree exactly, that nothing refused for
// UTF-8 would have parsed, and that a valid Query always fits in an Execute.

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/wire/filter_codec.h"
#include "core/wire/request_limits.h"
#include "core/wire/request_parser.h"
#include "glog/logging.h"
#include "protos/overlay.pb.h"

namespace overlay {
namespace {

grpc::ByteBuffer Sliced(std::string_view bytes, size_t slice_size) {
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i < bytes.size(); i += slice_size) {
    const std::string_view part = bytes.substr(i, slice_size);
    slices.emplace_back(part.data(), part.size());
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

void CheckFilter(const v1::Filter& proto, int64_t limit) {
  absl::StatusOr<Filter> filter = FilterFromProto(proto, limit);
  if (!filter.ok()) {
    CHECK(filter.status().code() == absl::StatusCode::kInvalidArgument)
        << filter.status();
    return;
  }
  // What came in valid goes out valid (the portal forwards it).
  absl::StatusOr<Filter> again = FilterFromProto(FilterToProto(*filter), limit);
  CHECK(again.ok()) << again.status();
  CHECK(again->site_keys == filter->site_keys);
}

// A valid Query becomes an Execute with the largest envelope a node adds.
void CheckQueryFitsInExecute(const v1::QueryRequest& query) {
  v1::ExecuteRequest execute;
  execute.set_query_id(std::string(wire::kMaxQueryIdBytes, 'q'));
  *execute.mutable_filter() = query.filter();
  execute.set_limit(query.limit());
  for (int i = 0; i < wire::kMaxPathLength; ++i) {
    execute.add_path(std::string(wire::kMaxNodeIdBytes, 'n'));
  }
  execute.mutable_request_class()->set_team(
      std::string(wire::kMaxTeamBytes, 't'));
  execute.mutable_request_class()->set_client(query.client_id());
  execute.set_chunk_size(query.chunk_size());
  CHECK_LE(execute.ByteSizeLong(), wire::kMaxExecuteRequestBytes);
  const absl::Status status = wire::ValidateRequest(execute);
  CHECK(status.ok()) << status;
}

template <typename Request>
void Run(std::string_view bytes, size_t slice_size) {
  Request request;
  const absl::Status status = wire::ParseAndValidateRequest(bytes, &request);
  Request from_buffer;
  const absl::Status buffer_status =
      wire::ParseAndValidateRequest(Sliced(bytes, slice_size), &from_buffer);
  CHECK(status == buffer_status) << status << " vs " << buffer_status;
  if (!status.ok()) {
    CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
          status.code() == absl::StatusCode::kResourceExhausted)
        << status;
    if (status.message().find("not valid UTF-8") != std::string_view::npos) {
      Request plain;  // protobuf refuses it too: we refuse nothing valid
      CHECK(
          !plain.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    }
    return;
  }
  CHECK(request.SerializeAsString() == from_buffer.SerializeAsString());
  if constexpr (std::is_same_v<Request, v1::QueryRequest>) {
    CheckFilter(request.filter(), request.limit());
    CheckQueryFitsInExecute(request);
  } else if constexpr (std::is_same_v<Request, v1::ExecuteRequest>) {
    CheckFilter(request.filter(), request.limit());
  } else if constexpr (std::is_same_v<Request, v1::FetchRequest>) {
    for (int64_t held : {int64_t{0}, int64_t{1000}, wire::kMaxRecordOffset}) {
      const absl::Status slice =
          wire::CheckSlice(request.offset(), request.count(), held);
      CHECK(slice.ok() == (request.offset() + request.count() <= held));
    }
  }
}

}  // namespace
}  // namespace overlay

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);  // protobuf's own parse errors
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace overlay;  // NOLINT: the entry point only
  if (size < 2) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2,
                               size - 2);
  const size_t slice_size = 1 + data[1] % 64;
  switch (data[0] % 8) {
    case 0:
      Run<v1::QueryRequest>(bytes, slice_size);
      break;
    case 1:
      Run<v1::ChunkRequest>(bytes, slice_size);
      break;
    case 2:
      Run<v1::ReleaseRequest>(bytes, slice_size);
      break;
    case 3:
      Run<v1::MetricsRequest>(bytes, slice_size);
      break;
    case 4:
      Run<v1::ShutdownRequest>(bytes, slice_size);
      break;
    case 5:
      Run<v1::ExecuteRequest>(bytes, slice_size);
      break;
    case 6:
      Run<v1::FetchRequest>(bytes, slice_size);
      break;
    case 7:
      Run<v1::ReleaseResultRequest>(bytes, slice_size);
      break;
  }
  return 0;
}
