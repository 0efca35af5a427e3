// Copyright 2026 The overlay Authors.
//
// Snapshot: what one poll of an overlay saw, node by node: each node's
// GetMetrics reply, or the gRPC status of the call that failed. Produced by
// MetricsPoller, consumed by FrameRenderer; tests build them by hand.
// Plain data; thread-compatible.

#ifndef OVERLAY_TOOLS_TOP_SNAPSHOT_H_
#define OVERLAY_TOOLS_TOP_SNAPSHOT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protos/overlay.pb.h"

namespace overlay::top {

// One node at one poll.
struct NodeSample {
  std::string id;                              // process id from the config
  std::string address;                         // "host:port" that was dialled
  std::optional<v1::MetricsResponse> metrics;  // nullopt: down
  int status_code = 0;  // grpc::StatusCode of the failed call when down
  std::string error;    // its message when down
  double at_s = 0;      // when the answer (or failure) arrived, monotonic s
  bool up() const { return metrics.has_value(); }
};

struct Snapshot {
  double at_s = 0;                // when the poll started, monotonic s
  std::vector<NodeSample> nodes;  // in config order

  // The sample of node `id`, or nullptr.
  const NodeSample* Find(std::string_view id) const {
    for (const NodeSample& node : nodes) {
      if (node.id == id) return &node;
    }
    return nullptr;
  }
};

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_SNAPSHOT_H_
