// Copyright 2026 The overlay Authors.

#include "test/test_util/raw_call.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

namespace overlay::testing {
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  args.SetMaxSendMessageSize(64 * 1024 * 1024);  // hostile sizes go out
  return grpc::CreateCustomChannel(
      address,
      credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(),
      args);
}

}  // namespace

RawCaller::RawCaller(const std::string& address,
                     std::shared_ptr<grpc::ChannelCredentials> credentials)
    : channel_(MakeChannel(address, std::move(credentials))),
      stub_(channel_) {}

grpc::Status RawCaller::Call(const std::string& method,
                             const std::string& request, std::string* reply,
                             const Metadata& metadata,
                             std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer bytes(&slice, 1);
  grpc::ByteBuffer answer;
  grpc::Status status;
  grpc::CompletionQueue cq;
  auto call = stub_.PrepareUnaryCall(&context, method, bytes, &cq);
  call->StartCall();
  int finished = 0;  // the queue carries this one operation
  call->Finish(&answer, &status, &finished);
  void* tag = nullptr;
  bool ok = false;
  (void)cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (status.ok() && reply != nullptr) {
    std::vector<grpc::Slice> slices;
    (void)answer.Dump(&slices);
    reply->clear();
    for (const grpc::Slice& s : slices) {
      reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

}  // namespace overlay::testing
