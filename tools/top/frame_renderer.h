// Copyright 2026 The overlay Authors.
//
// FrameRenderer: turns polls of an overlay into the plain-text lines of one
// overlay_top frame: a title, one row per process of the config (id, role,
// team, host, up/DOWN, qps, in-flight, admission queue, Query p99, rows,
// RSS, CPU%, uptime, and why a node is down), then one admission row per
// node (slots, busy and queued of its Query and Execute pools, admitted and
// rejected per second, queue wait p99, rejections by reason since start),
// then, when the nodes use a shared cache, one line per host group's
// segment (used and total bytes, entries, hits with their share of
// lookups, misses, inserts, evictions, expiries, torn-read retries, plans
// answered from it, attach errors), then the overlay's edges, each listed
// once and marked when an end is down. A pure function of (config, previous
// snapshot, current snapshot): no clock, no I/O, no escape codes, so tests
// check it on hand-made snapshots. Owns a copy of the config. Immutable after
// construction, so thread-safe.
//
//   FrameRenderer renderer(config);
//   for (const std::string& line : renderer.Render(&before, now)) ...

#ifndef OVERLAY_TOOLS_TOP_FRAME_RENDERER_H_
#define OVERLAY_TOOLS_TOP_FRAME_RENDERER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/overlay_config.h"
#include "tools/top/snapshot.h"

namespace overlay::top {

// Per-second rates of a node between two samples.
struct NodeRates {
  std::optional<double> qps;          // queries_received per second
  std::optional<double> cpu_percent;  // cpu_s per second * 100
  std::optional<double> admitted_per_s;  // admission, both pools
  std::optional<double> rejected_per_s;
};

// Rates between `before` and `now` of one node. The elapsed time is the
// node's own uptime difference when both samples carry one (no network
// jitter), else the difference of the local arrival times. Unknown (nullopt)
// without an earlier answer, when no time passed, or when the node restarted
// in between (pid changed, uptime or a counter went back).
NodeRates ComputeRates(const NodeSample* before, const NodeSample& now);

// A short, human reason for a failed poll, e.g. "connection refused",
// "no answer in time"; from the grpc status code and message.
std::string DownReason(int status_code, const std::string& message);

// The overlay's undirected edges, each once, in config order of their first
// end ("A","B" before "A","E" before "B","C"), whether or not the neighbour
// lists are symmetric.
std::vector<std::pair<std::string, std::string>> UndirectedEdges(
    const OverlayConfig& config);

class FrameRenderer final {
 public:
  // `config`: the processes to show, with their hosts as dialled (after any
  // --host_override).
  explicit FrameRenderer(OverlayConfig config);

  // The frame's lines, without line ends. `previous` (may be null) is the
  // poll before `current`; rates need it and show as "-" without it. A
  // process with no sample in `current` shows as DOWN ("not polled").
  std::vector<std::string> Render(const Snapshot* previous,
                                  const Snapshot& current) const;

 private:
  // The shared cache lines of `current`; none when no node uses one.
  std::vector<std::string> SharedCacheLines(const Snapshot& current) const;

  const OverlayConfig config_;
};

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_FRAME_RENDERER_H_
