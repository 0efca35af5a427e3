// Copyright 2026 The overlay Authors.
//
// NeighborTable: one channel and PeerService stub per configured neighbour,
// plus per-neighbour call statistics (calls, failures, last error) for the
// metrics RPC. Owns the channels, made with the given credentials
// (insecure by default; TLS from core/security/tls_credentials.h). Channels
// connect lazily and reconnect by themselves. Thread-safe.

#ifndef OVERLAY_CORE_FANOUT_NEIGHBOR_TABLE_H_
#define OVERLAY_CORE_FANOUT_NEIGHBOR_TABLE_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {

struct NeighborStats {
  std::string id;
  std::string address;
  bool connected = false;
  int64_t calls = 0;
  int64_t failures = 0;
  int64_t deadline_exceeded = 0;  // failures that ran out of time
  std::string last_error;
};

class NeighborTable final {
 public:
  struct Neighbor {
    std::string id;
    std::string address;
  };
  explicit NeighborTable(
      const std::vector<Neighbor>& neighbors,
      std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  NeighborTable(const NeighborTable&) = delete;
  NeighborTable& operator=(const NeighborTable&) = delete;

  const std::vector<std::string>& ids() const { return ids_; }
  // The neighbour's position in ids(), or -1.
  int IndexOf(const std::string& id) const;
  // Null if `id` is not a neighbour.
  v1::PeerService::Stub* Stub(const std::string& id) const;
  // The same channel without generated types (requests and replies as
  // bytes). REQUIRES: 0 <= index < ids().size().
  grpc::GenericStub* Generic(int index) const {
    return entries_[index].generic.get();
  }
  void RecordCall(int index, const grpc::Status& status);
  void RecordCall(const std::string& id, const grpc::Status& status);
  std::vector<NeighborStats> Stats() const;

 private:
  struct Entry {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::PeerService::Stub> stub;
    std::unique_ptr<grpc::GenericStub> generic;
  };
  std::vector<std::string> ids_;
  std::vector<Entry> entries_;  // parallel to ids_

  mutable absl::Mutex mu_;
  std::vector<NeighborStats> stats_ ABSL_GUARDED_BY(mu_);  // parallel to ids_
};

}  // namespace overlay

#endif  // OVERLAY_CORE_FANOUT_NEIGHBOR_TABLE_H_
