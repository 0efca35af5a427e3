// Copyright 2026 The overlay Authors.

#include "core/wire/request_limits.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/wire/utf8.h"

namespace overlay::wire {
namespace {

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

template <typename... Parts>
absl::Status Invalid(const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(parts...));
}

// The fast path of CheckStringField: no message, no field name built. Loops
// over thousands of site keys build the name only for the one that fails.
bool StringOk(std::string_view value, size_t max_bytes) {
  return value.size() <= max_bytes && !FindInvalidUtf8(value).has_value();
}

// A field's name in two parts ("QueryRequest.filter." "site_keys"), joined
// only when a message is made: a valid request builds no string at all
// (each request of a query passes here at every hop).
struct Name {
  Name(std::string_view prefix, std::string_view field = {})  // NOLINT
      : prefix(prefix), field(field) {}
  std::string_view prefix;
  std::string_view field;
  std::string str() const { return absl::StrCat(View(prefix), View(field)); }
};

// `field` may be empty-checked too: ids that key state must be present.
absl::Status CheckId(const Name& field, const std::string& value,
                     size_t max_bytes) {
  if (value.empty()) return Invalid(field.str(), " is empty");
  if (StringOk(value, max_bytes)) return absl::OkStatus();
  return CheckStringField(field.str(), value, max_bytes);
}

absl::Status CheckString(const Name& field, std::string_view value,
                         size_t max_bytes) {
  if (StringOk(value, max_bytes)) return absl::OkStatus();
  return CheckStringField(field.str(), value, max_bytes);
}

absl::Status CheckCount(const Name& field, int count, int max_count) {
  if (count > max_count) {
    return Invalid(field.str(), " has ", count, " entries; the limit is ",
                   max_count);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status CheckRange(const Name& field, T value, T lo, T hi,
                        std::string_view note = {}) {
  if (value < lo || value > hi) {
    return Invalid(field.str(), " must be ", lo, "..", hi, View(note),
                   ", got ", value);
  }
  return absl::OkStatus();
}

// Node ids of a path or route: bounded count, each a bounded, non-empty,
// UTF-8 string.
absl::Status CheckNodeIds(
    const Name& field,
    const google::protobuf::RepeatedPtrField<std::string>& ids) {
  RETURN_IF_ERROR(CheckCount(field, ids.size(), kMaxPathLength));
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || !StringOk(ids[i], kMaxNodeIdBytes)) {
      const std::string indexed = absl::StrCat(field.str(), "[", i, "]");
      return CheckId({indexed}, ids[i], kMaxNodeIdBytes);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckHopBudget(std::string_view message, int path_size,
                            int32_t hops_left) {
  RETURN_IF_ERROR(
      CheckRange<int32_t>({message, ".hops_left"}, hops_left, 0, kMaxHops));
  // Both are bounded now: the sum cannot overflow.
  if (path_size + hops_left > kMaxPathLength) {
    return Invalid(View(message), ": path of ", path_size,
                   " nodes plus hops_left ", hops_left,
                   " exceeds the limit of ", kMaxPathLength, " hops");
  }
  return absl::OkStatus();
}

absl::Status CheckRequestClass(std::string_view message,
                               const v1::RequestClass& request_class) {
  RETURN_IF_ERROR(CheckString({message, ".request_class.team"},
                              request_class.team(), kMaxTeamBytes));
  return CheckString({message, ".request_class.client"},
                     request_class.client(), kMaxClientIdBytes);
}

absl::Status CheckFilter(std::string_view prefix, const v1::Filter& filter) {
  RETURN_IF_ERROR(CheckCount({prefix, "parameters"}, filter.parameters_size(),
                             kMaxFilterParameters));
  for (int i = 0; i < filter.parameters_size(); ++i) {
    const int value = filter.parameters(i);
    if (value == v1::PARAMETER_UNSPECIFIED || !v1::Parameter_IsValid(value)) {
      return Invalid(View(prefix), "parameters[", i,
                     "]: unknown parameter (enum value ", value,
                     "); known: OZONE, PM2.5, PM10, NO2, SO2, CO");
    }
  }
  RETURN_IF_ERROR(CheckCount({prefix, "categories"}, filter.categories_size(),
                             kMaxFilterCategories));
  if (filter.has_from_utc_seconds()) {
    RETURN_IF_ERROR(CheckRange<int64_t>(
        {prefix, "from_utc_seconds"}, filter.from_utc_seconds(),
        kMinUtcSeconds, kMaxUtcSeconds, " (years 0000..9999)"));
  }
  if (filter.has_to_utc_seconds()) {
    RETURN_IF_ERROR(CheckRange<int64_t>(
        {prefix, "to_utc_seconds"}, filter.to_utc_seconds(), kMinUtcSeconds,
        kMaxUtcSeconds, " (years 0000..9999)"));
  }
  RETURN_IF_ERROR(CheckCount({prefix, "site_keys"}, filter.site_keys_size(),
                             kMaxSiteKeys));
  for (int i = 0; i < filter.site_keys_size(); ++i) {
    if (!StringOk(filter.site_keys(i), kMaxSiteKeyBytes)) {
      return CheckStringField(
          absl::StrCat(View(prefix), "site_keys[", i, "]"),
          filter.site_keys(i), kMaxSiteKeyBytes);
    }
  }
  if (filter.has_prefix()) {
    RETURN_IF_ERROR(
        CheckString({prefix, "prefix"}, filter.prefix(), kMaxPrefixBytes));
  }
  return absl::OkStatus();
}

absl::Status CheckLimitAndChunkSize(std::string_view message, int64_t limit,
                                    int32_t chunk_size) {
  RETURN_IF_ERROR(CheckRange<int64_t>({message, ".limit"}, limit, 0, kMaxLimit,
                                      " (0: no limit)"));
  return CheckRange<int32_t>({message, ".chunk_size"}, chunk_size, 0,
                             kMaxChunkSize, " (0: the overlay's default)");
}

}  // namespace

absl::Status CheckReceiveSize(size_t bytes, size_t cap,
                              std::string_view message_name) {
  if (bytes > cap) {
    return absl::ResourceExhaustedError(absl::StrCat(View(message_name), " is ",
                                                     bytes, " bytes, over the ",
                                                     cap, "-byte limit"));
  }
  return absl::OkStatus();
}

absl::Status CheckStringField(std::string_view field, std::string_view value,
                              size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Invalid(View(field), " is ", value.size(), " bytes; the limit is ",
                   max_bytes);
  }
  if (std::optional<Utf8Error> bad = FindInvalidUtf8(value)) {
    return Invalid(View(field),
                   " is not valid UTF-8: ", DescribeUtf8Error(value, *bad));
  }
  return absl::OkStatus();
}

absl::Status CheckSlice(int64_t offset, int64_t count, int64_t size) {
  if (offset < 0 || count < 0) {
    return Invalid("offset and count must be >= 0, got offset ", offset,
                   " and count ", count);
  }
  // offset <= size first, then the subtraction cannot overflow.
  if (offset > size || count > size - offset) {
    return absl::OutOfRangeError(absl::StrCat(count, " rows from offset ",
                                              offset, " are past the ", size,
                                              " rows held"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFilterLimits(const v1::Filter& filter) {
  return CheckFilter("filter.", filter);
}

absl::Status ValidateRequest(const v1::QueryRequest& request) {
  RETURN_IF_ERROR(CheckFilter("QueryRequest.filter.", request.filter()));
  RETURN_IF_ERROR(CheckLimitAndChunkSize("QueryRequest", request.limit(),
                                         request.chunk_size()));
  return CheckStringField("QueryRequest.client_id", request.client_id(),
                          kMaxClientIdBytes);
}

absl::Status ValidateRequest(const v1::ChunkRequest& request) {
  RETURN_IF_ERROR(
      CheckId({"ChunkRequest.query_id"}, request.query_id(), kMaxQueryIdBytes));
  if (request.chunk_index() < 0) {
    return Invalid("ChunkRequest.chunk_index must be >= 0, got ",
                   request.chunk_index());
  }
  return CheckStringField("ChunkRequest.client_id", request.client_id(),
                          kMaxClientIdBytes);
}

absl::Status ValidateRequest(const v1::ReleaseRequest& request) {
  RETURN_IF_ERROR(CheckId({"ReleaseRequest.query_id"}, request.query_id(),
                          kMaxQueryIdBytes));
  return CheckStringField("ReleaseRequest.client_id", request.client_id(),
                          kMaxClientIdBytes);
}

absl::Status ValidateRequest(const v1::MetricsRequest& request) {
  return absl::OkStatus();  // no fields; the receive cap bounds the rest
}

absl::Status ValidateRequest(const v1::ShutdownRequest& request) {
  return CheckStringField("ShutdownRequest.token", request.token(),
                          kMaxTokenBytes);
}

absl::Status ValidateRequest(const v1::ExecuteRequest& request) {
  RETURN_IF_ERROR(
      CheckId({"ExecuteRequest.query_id"}, request.query_id(), kMaxQueryIdBytes));
  RETURN_IF_ERROR(CheckFilter("ExecuteRequest.filter.", request.filter()));
  RETURN_IF_ERROR(CheckLimitAndChunkSize("ExecuteRequest", request.limit(),
                                         request.chunk_size()));
  RETURN_IF_ERROR(CheckNodeIds({"ExecuteRequest.path"}, request.path()));
  RETURN_IF_ERROR(CheckHopBudget("ExecuteRequest", request.path_size(),
                                 request.hops_left()));
  return CheckRequestClass("ExecuteRequest", request.request_class());
}

absl::Status ValidateRequest(const v1::FetchRequest& request) {
  RETURN_IF_ERROR(
      CheckId({"FetchRequest.query_id"}, request.query_id(), kMaxQueryIdBytes));
  RETURN_IF_ERROR(CheckNodeIds({"FetchRequest.route"}, request.route()));
  RETURN_IF_ERROR(CheckRange<int64_t>({"FetchRequest.offset"}, request.offset(),
                                      0, kMaxRecordOffset));
  RETURN_IF_ERROR(CheckRange<int32_t>({"FetchRequest.count"}, request.count(), 0,
                                      kMaxChunkSize));
  RETURN_IF_ERROR(CheckFilter("FetchRequest.filter.", request.filter()));
  RETURN_IF_ERROR(CheckLimitAndChunkSize("FetchRequest", request.limit(),
                                         request.chunk_size()));
  RETURN_IF_ERROR(CheckRange<int64_t>({"FetchRequest.segment_records"},
                                      request.segment_records(), 0,
                                      kMaxLimit));
  return CheckRequestClass("FetchRequest", request.request_class());
}

absl::Status ValidateRequest(const v1::ReleaseResultRequest& request) {
  RETURN_IF_ERROR(CheckId({"ReleaseResultRequest.query_id"}, request.query_id(),
                          kMaxQueryIdBytes));
  RETURN_IF_ERROR(CheckNodeIds({"ReleaseResultRequest.route"}, request.route()));
  RETURN_IF_ERROR(CheckNodeIds({"ReleaseResultRequest.path"}, request.path()));
  return CheckHopBudget("ReleaseResultRequest", request.path_size(),
                        request.hops_left());
}

absl::Status ValidateExecuteAnswer(const v1::ExecuteResponse& answer) {
  RETURN_IF_ERROR(CheckCount({"ExecuteResponse.hits"}, answer.hits_size(),
                             kMaxAnswerEntries));
  RETURN_IF_ERROR(CheckCount({"ExecuteResponse.failures"},
                             answer.failures_size(), kMaxAnswerEntries));
  for (int i = 0; i < answer.hits_size(); ++i) {
    const v1::ShareHit& hit = answer.hits(i);
    const bool ok = !hit.node_id().empty() &&
                    StringOk(hit.node_id(), kMaxNodeIdBytes) &&
                    hit.records() >= 0 && hit.records() <= kMaxShareRecords &&
                    CheckNodeIds({"route"}, hit.route()).ok();
    if (ok) continue;  // the name below is built for a bad hit only
    const std::string name = absl::StrCat("ExecuteResponse.hits[", i, "]");
    RETURN_IF_ERROR(CheckId({name, ".node_id"}, hit.node_id(), kMaxNodeIdBytes));
    RETURN_IF_ERROR(CheckRange<int64_t>({name, ".records"}, hit.records(), 0,
                                        kMaxShareRecords));
    RETURN_IF_ERROR(CheckNodeIds({name, ".route"}, hit.route()));
  }
  return absl::OkStatus();
}

}  // namespace overlay::wire
