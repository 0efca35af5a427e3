// Copyright 2026 The overlay Authors.

#include "core/fanout/neighbor_table.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace overlay {

NeighborTable::NeighborTable(
    const std::vector<Neighbor>& neighbors,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (credentials == nullptr) {
    credentials = grpc::InsecureChannelCredentials();
  }
  for (const Neighbor& neighbor : neighbors) {
    grpc::ChannelArguments args;
    // Reconnect quickly after a neighbour restarts.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
    Entry entry;
    entry.address = neighbor.address;
    entry.channel = grpc::CreateCustomChannel(
        neighbor.address, credentials, args);
    entry.stub = v1::PeerService::NewStub(entry.channel);
    entry.generic = std::make_unique<grpc::GenericStub>(entry.channel);
    ids_.push_back(neighbor.id);
    entries_.push_back(std::move(entry));
    NeighborStats stats;
    stats.id = neighbor.id;
    stats.address = neighbor.address;
    stats_.push_back(std::move(stats));
  }
}

v1::PeerService::Stub* NeighborTable::Stub(const std::string& id) const {
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return entries_[i].stub.get();
  }
  return nullptr;
}

int NeighborTable::IndexOf(const std::string& id) const {
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return static_cast<int>(i);
  }
  return -1;
}

void NeighborTable::RecordCall(int index, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  NeighborStats& stats = stats_[index];
  ++stats.calls;
  if (!status.ok()) {
    ++stats.failures;
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      ++stats.deadline_exceeded;
    }
    stats.last_error = status.error_message();
  }
}

void NeighborTable::RecordCall(const std::string& id,
                               const grpc::Status& status) {
  const int index = IndexOf(id);
  if (index >= 0) RecordCall(index, status);
}

std::vector<NeighborStats> NeighborTable::Stats() const {
  std::vector<NeighborStats> stats;
  {
    absl::MutexLock lock(&mu_);
    stats = stats_;
  }
  for (size_t i = 0; i < stats.size(); ++i) {
    stats[i].connected = entries_[i].channel->GetState(false) ==
                         GRPC_CHANNEL_READY;
  }
  return stats;
}

}  // namespace overlay
