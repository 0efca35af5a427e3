// Copyright 2026 The overlay Authors.
//
// Client calls the node tests make against an InProcessOverlay (or any
// portal stub): a Query, pulling every chunk, Release, and the records a
// direct scan of the generated data set expects without some shares.
// Blocking; any thread.

#ifndef OVERLAY_TEST_TEST_UTIL_OVERLAY_CALLS_H_
#define OVERLAY_TEST_TEST_UTIL_OVERLAY_CALLS_H_

#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/store/record.h"
#include "protos/overlay.grpc.pb.h"
#include "test/test_util/inprocess_overlay.h"

namespace overlay::testing {

// Query at the overlay's portal, with a 60 s deadline.
grpc::Status RunQuery(InProcessOverlay& overlay,
                      const v1::QueryRequest& request,
                      v1::QueryResponse* response);

// Pulls every chunk of `response` in order (chunk 0 from the answer when it
// came inline), as `client_id`; the first
// failure ("chunk i: ...", with the call's code), or a chunk that does not
// start where the previous one ended, is returned.
absl::StatusOr<std::vector<Record>> PullAll(v1::QueryService::Stub& stub,
                                            const v1::QueryResponse& response,
                                            const std::string& client_id = "");

grpc::Status Release(v1::QueryService::Stub& stub, const std::string& id,
                     const std::string& client_id = "");

// The records of the generated data set's direct scan for `request` whose
// day is in none of `missing`'s shares.
std::vector<Record> ExpectedWithout(const InProcessOverlay& overlay,
                                    const v1::QueryRequest& request,
                                    const std::vector<std::string>& missing);

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_OVERLAY_CALLS_H_
