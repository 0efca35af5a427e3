// Copyright 2026 The overlay Authors.
//
// Turns the serialized bytes of a request into a validated message, so that
// every way a hostile request can be wrong is an INVALID_ARGUMENT (or, for
// its size, RESOURCE_EXHAUSTED) with a message naming the field, before the
// node does any work. In order:
//   1. the size cap of the request type (request_limits.h);
//   2. a walk over the wire format that checks every proto3 `string` field,
//      nested ones included, for valid UTF-8. protobuf's own parser rejects
//      bad UTF-8 too, but only as "parse failed" (gRPC's generated handlers
//      then answer INTERNAL) and with an ERROR log line per message; here it
//      is "QueryRequest.filter.site_keys[3] is not valid UTF-8: at byte 5:
//      0xC3 0x28 (...)" and no log;
//   3. the parse itself (anything else malformed: INVALID_ARGUMENT);
//   4. ValidateRequest (ParseAndValidateRequest only).
// Stateless; thread-safe. For a node, register the RPC with a raw
// grpc::ByteBuffer request (as GetChunk already does) and:
//
//   v1::QueryRequest request;
//   absl::Status status = wire::ParseAndValidateRequest(raw_request_,
//   &request); if (!status.ok()) return Fail(ToGrpcStatus(status));

#ifndef OVERLAY_CORE_WIRE_REQUEST_PARSER_H_
#define OVERLAY_CORE_WIRE_REQUEST_PARSER_H_

#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "core/common/status_macros.h"
#include "core/wire/request_limits.h"

namespace overlay::wire {

// Step 2 alone: INVALID_ARGUMENT naming the first string field (as
// "Type.field[index].sub") that holds invalid UTF-8, or a malformed wire
// format. Unknown fields are skipped. OK says nothing else about `bytes`.
[[nodiscard]] absl::Status CheckWireUtf8(
    const google::protobuf::Descriptor& descriptor, std::string_view bytes);

// Steps 1-3 into `out` (cleared first). `max_bytes` is the receive cap.
[[nodiscard]] absl::Status ParseRequest(std::string_view bytes,
                                        size_t max_bytes,
                                        google::protobuf::Message* out);
[[nodiscard]] absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                                        size_t max_bytes,
                                        google::protobuf::Message* out);

// Steps 1-4 for one of the request types of request_limits.h.
template <typename Request, typename Bytes>
[[nodiscard]] absl::Status ParseAndValidateRequest(const Bytes& bytes,
                                                   Request* out) {
  RETURN_IF_ERROR(ParseRequest(bytes, RequestTraits<Request>::kMaxBytes, out));
  return ValidateRequest(*out);
}

}  // namespace overlay::wire

#endif  // OVERLAY_CORE_WIRE_REQUEST_PARSER_H_
