// Copyright 2026 The overlay Authors.
//
// RawCall: one unary call with the request given as bytes, as a hostile
// client sends them (no generated stub, no client-side validation), through
// a generic stub on its own completion queue. The call's status, and the
// reply's bytes when OK. Thread-compatible; blocking.
//
//   RawCaller caller(overlay.address("A"));
//   grpc::Status status = caller.Call("/overlay.v1.QueryService/Query",
//                                     bytes, &reply);

#ifndef OVERLAY_TEST_TEST_UTIL_RAW_CALL_H_
#define OVERLAY_TEST_TEST_UTIL_RAW_CALL_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace overlay::testing {

class RawCaller final {
 public:
  using Metadata = std::vector<std::pair<std::string, std::string>>;
  explicit RawCaller(const std::string& address,
                     std::shared_ptr<grpc::ChannelCredentials> credentials =
                         nullptr);
  RawCaller(const RawCaller&) = delete;
  RawCaller& operator=(const RawCaller&) = delete;

  // `method` is the full path, e.g. "/overlay.v1.PeerService/Fetch".
  grpc::Status Call(const std::string& method, const std::string& request,
                    std::string* reply = nullptr,
                    const Metadata& metadata = {},
                    std::chrono::milliseconds timeout =
                        std::chrono::seconds(30));

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_RAW_CALL_H_
