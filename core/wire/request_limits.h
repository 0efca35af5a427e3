// Copyright 2026 The overlay Authors.
//
// The one place that says what a node accepts from the wire. For every
// request message a node receives it gives the receive-size cap (the node
// applies it to the serialized bytes before parsing) and a ValidateRequest
// overload that checks every field before any work is done: each integer that
// sizes, offsets or indexes something is range-checked without overflow,
// every repeated field and string has a bounded size, every string is valid
// UTF-8. Over-limit fields are INVALID_ARGUMENT with a message that names the
// field and the limit; an over-size message is RESOURCE_EXHAUSTED. Checks
// that need node state (is the query id known, is a chunk index below the
// plan's chunk count) stay with the handler; CheckSlice does the arithmetic
// for it. Stateless; thread-safe.
//
//   RETURN_IF_ERROR(wire::CheckReceiveSize(bytes.Length(),
//                                          wire::kMaxQueryRequestBytes,
//                                          "QueryRequest"));
//   ... parse (request_parser.h does both steps and this one) ...
//   RETURN_IF_ERROR(wire::ValidateRequest(request));

#ifndef OVERLAY_CORE_WIRE_REQUEST_LIMITS_H_
#define OVERLAY_CORE_WIRE_REQUEST_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "protos/overlay.pb.h"

namespace overlay::wire {

// ---- Receive caps: whole serialized request, per RPC. ----
// A Query holds at most a filter with kMaxSiteKeys short keys (10,000 x 14
// bytes is ~140 KB) and a few small fields.
inline constexpr size_t kMaxQueryRequestBytes = 256 << 10;
inline constexpr size_t kMaxChunkRequestBytes = 4 << 10;
inline constexpr size_t kMaxReleaseRequestBytes = 4 << 10;
inline constexpr size_t kMaxMetricsRequestBytes = 1 << 10;
inline constexpr size_t kMaxShutdownRequestBytes = 4 << 10;
// Execute carries a Query's filter plus a path, a class and small fields: a
// valid Query always fits in a valid Execute.
inline constexpr size_t kMaxExecuteRequestBytes =
    kMaxQueryRequestBytes + (16 << 10);
// Fetch carries its query's filter too (for the owner's shared cache and
// stateless slices, nodes/chunk_cache.h): a valid Execute's filter always
// fits in a valid Fetch.
inline constexpr size_t kMaxFetchRequestBytes = kMaxExecuteRequestBytes;
inline constexpr size_t kMaxReleaseResultRequestBytes = 16 << 10;
// For grpc::ServerBuilder::SetMaxReceiveMessageSize: the largest cap above
// (gRPC itself then answers RESOURCE_EXHAUSTED for anything bigger).
inline constexpr size_t kMaxAnyRequestBytes = kMaxExecuteRequestBytes;

// ---- Field limits. ----
inline constexpr int kMaxSiteKeys = 10'000;      // Filter.site_keys entries
inline constexpr size_t kMaxSiteKeyBytes = 32;   // one site key
inline constexpr size_t kMaxPrefixBytes = 256;   // Filter.prefix
inline constexpr int kMaxFilterParameters = 64;  // Filter.parameters entries
inline constexpr int kMaxFilterCategories = 64;  // Filter.categories entries
inline constexpr size_t kMaxQueryIdBytes = 256;  // ids carry >= 128 random bits
inline constexpr size_t kMaxClientIdBytes = 128;  // QueryRequest.client_id
inline constexpr size_t kMaxNodeIdBytes = 64;     // path and route entries
inline constexpr size_t kMaxTeamBytes = 64;       // RequestClass.team
inline constexpr size_t kMaxTokenBytes = 256;     // ShutdownRequest.token
// Records per chunk (QueryRequest/ExecuteRequest.chunk_size, FetchRequest
// .count). 0 in chunk_size means "the overlay's default".
inline constexpr int32_t kMaxChunkSize = 20'000;
// Hop budget of a flooded request (hops_left); a node's config may use less.
inline constexpr int32_t kMaxHops = 64;
// Node ids on a path or route; also bounds path size + hops_left.
inline constexpr int kMaxPathLength = kMaxHops + 1;
// QueryRequest/ExecuteRequest.limit (0: no limit) and FetchRequest.offset:
// far above any data set, far below int64 overflow when added to a count.
inline constexpr int64_t kMaxLimit = int64_t{1} << 40;
inline constexpr int64_t kMaxRecordOffset = int64_t{1} << 40;
// Filter.from/to_utc_seconds: years 0000..9999, so that every time
// formatting and day arithmetic downstream stays in range.
inline constexpr int64_t kMinUtcSeconds = -62'167'219'200;  // 0000-01-01
inline constexpr int64_t kMaxUtcSeconds = 253'402'300'799;  // 9999-12-31

// RESOURCE_EXHAUSTED "QueryRequest is 300000 bytes, over the 262144-byte
// limit" when `bytes` > `cap`.
[[nodiscard]] absl::Status CheckReceiveSize(size_t bytes, size_t cap,
                                            std::string_view message_name);

// INVALID_ARGUMENT naming `field` (e.g. "client_id") when `value` is longer
// than `max_bytes` or is not valid UTF-8 (with the offending bytes).
[[nodiscard]] absl::Status CheckStringField(std::string_view field,
                                            std::string_view value,
                                            size_t max_bytes);

// Overflow-free check that rows [offset, offset + count) lie within `size`
// rows; OUT_OF_RANGE otherwise (INVALID_ARGUMENT for a negative argument).
// For Fetch's offset/count against the rows a node holds.
[[nodiscard]] absl::Status CheckSlice(int64_t offset, int64_t count,
                                      int64_t size);

// The filter part of Query and Execute: counts, lengths and UTF-8 of site
// keys and prefix, parameter enum values, the time range. Semantic checks
// (min <= max, categories 1..6, bbox) are ValidateFilter's (store/filter.h),
// which FilterFromProto runs after this.
[[nodiscard]] absl::Status ValidateFilterLimits(const v1::Filter& filter);

// One overload per request message a node receives.
[[nodiscard]] absl::Status ValidateRequest(const v1::QueryRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::ChunkRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::ReleaseRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::MetricsRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::ShutdownRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::ExecuteRequest& request);
[[nodiscard]] absl::Status ValidateRequest(const v1::FetchRequest& request);
[[nodiscard]] absl::Status ValidateRequest(
    const v1::ReleaseResultRequest& request);

// ---- Answers from neighbours (authenticated, but still checked: a bad
// answer is one neighbour's failure, never a crash or an overflow). ----
inline constexpr int kMaxAnswerEntries = 4096;  // hits, failures
// Records one share may report: row indexes of a share are 32-bit.
inline constexpr int64_t kMaxShareRecords = INT32_MAX;

// An ExecuteResponse: entry counts, each hit's node id, share, route and
// record count (0..kMaxShareRecords), failure texts bounded.
// INVALID_ARGUMENT naming the entry.
[[nodiscard]] absl::Status ValidateExecuteAnswer(
    const v1::ExecuteResponse& answer);

// The receive cap and name of each request type, for generic handlers.
template <typename Request>
struct RequestTraits;
#define OVERLAY_WIRE_REQUEST_TRAITS_(Type, cap)      \
  template <>                                        \
  struct RequestTraits<v1::Type> {                   \
    static constexpr size_t kMaxBytes = cap;         \
    static constexpr std::string_view kName = #Type; \
  }
OVERLAY_WIRE_REQUEST_TRAITS_(QueryRequest, kMaxQueryRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(ChunkRequest, kMaxChunkRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(ReleaseRequest, kMaxReleaseRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(MetricsRequest, kMaxMetricsRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(ShutdownRequest, kMaxShutdownRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(ExecuteRequest, kMaxExecuteRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(FetchRequest, kMaxFetchRequestBytes);
OVERLAY_WIRE_REQUEST_TRAITS_(ReleaseResultRequest,
                             kMaxReleaseResultRequestBytes);
#undef OVERLAY_WIRE_REQUEST_TRAITS_

}  // namespace overlay::wire

#endif  // OVERLAY_CORE_WIRE_REQUEST_LIMITS_H_
