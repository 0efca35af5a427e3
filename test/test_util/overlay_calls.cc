// Copyright 2026 The overlay Authors.

#include "test/test_util/overlay_calls.h"

#include <grpcpp/client_context.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/filter_codec.h"
#include "gtest/gtest.h"
#include "test/test_util/generated_data.h"

namespace overlay::testing {

grpc::Status RunQuery(InProcessOverlay& overlay,
                      const v1::QueryRequest& request,
                      v1::QueryResponse* response) {
  auto stub = overlay.PortalStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  return stub->Query(&context, request, response);
}

absl::StatusOr<std::vector<Record>> PullAll(v1::QueryService::Stub& stub,
                                            const v1::QueryResponse& response,
                                            const std::string& client_id) {
  std::vector<Record> records;
  for (int i = 0; i < response.total_chunks(); ++i) {
    v1::ChunkRequest request;
    request.set_query_id(response.query_id());
    request.set_chunk_index(i);
    request.set_client_id(client_id);
    v1::ChunkResponse chunk;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    grpc::Status status;
    if (i == 0 && response.has_first_chunk()) {
      chunk = response.first_chunk();  // it came with the answer
    } else {
      status = stub.GetChunk(&context, request, &chunk);
    }
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("chunk ", i, ": ",
                                       status.error_message()));
    }
    if (chunk.first_record() != static_cast<int64_t>(records.size())) {
      return absl::InternalError(
          absl::StrCat("chunk ", i, " starts at ", chunk.first_record()));
    }
    absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk.records());
    if (!decoded.ok()) return decoded.status();
    for (Record& r : *decoded) records.push_back(std::move(r));
  }
  return records;
}

grpc::Status Release(v1::QueryService::Stub& stub, const std::string& id,
                     const std::string& client_id) {
  v1::ReleaseRequest request;
  request.set_query_id(id);
  request.set_client_id(client_id);
  v1::ReleaseResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return stub.Release(&context, request, &response);
}

std::vector<Record> ExpectedWithout(const InProcessOverlay& overlay,
                                    const v1::QueryRequest& request,
                                    const std::vector<std::string>& missing) {
  absl::StatusOr<Filter> filter =
      FilterFromProto(request.filter(), request.limit());
  EXPECT_TRUE(filter.ok()) << filter.status();
  std::vector<Record> out;
  if (!filter.ok()) return out;
  for (Record& r : GeneratedData::Get().DirectScan(*filter)) {
    bool dropped = false;
    for (const std::string& id : missing) {
      const ProcessConfig* p = overlay.config().Find(id);
      if (p->share && p->share->Contains(r.utc / 86400)) dropped = true;
    }
    if (!dropped) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace overlay::testing
