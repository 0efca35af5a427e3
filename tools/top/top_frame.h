// Copyright 2026 The overlay Authors.
//
// The text of one overlay_top frame, as a pure function of two polls of
// every node's GetMetrics, so tests can check it without a terminal.
// NodePoll is plain data; RenderFrame is stateless and thread-safe.

#ifndef OVERLAY_TOOLS_TOP_TOP_FRAME_H_
#define OVERLAY_TOOLS_TOP_TOP_FRAME_H_

#include <optional>
#include <string>
#include <vector>

#include "core/config/overlay_config.h"
#include "protos/overlay.pb.h"

namespace overlay::top {

// One node at one poll: its metrics, or why it did not answer.
struct NodePoll {
  std::string id;
  std::optional<v1::MetricsResponse> metrics;  // nullopt: down
  std::string error;                           // when down
  double at_s = 0;                             // poll time, seconds
};

// Lines of a frame: a title, one row per process of `config` (id, role,
// team, host, up/down, qps, in-flight, queue, Query p99, rows, RSS, CPU%),
// then the overlay's edges, each once, marked when an end is down. Rates
// (qps, CPU%) come from the difference between `previous` and `current`;
// without a previous poll of a node they show as "-".
std::vector<std::string> RenderFrame(const OverlayConfig& config,
                                     const std::vector<NodePoll>& previous,
                                     const std::vector<NodePoll>& current);

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_TOP_FRAME_H_
