// Copyright 2026 The overlay Authors.
//
// NodeMetrics: the counters and latency histograms a node reports through
// GetMetrics. Plain atomics (relaxed: statistics only, nothing is ordered by
// them). Thread-safe.

#ifndef OVERLAY_NODES_NODE_METRICS_H_
#define OVERLAY_NODES_NODE_METRICS_H_

#include <atomic>
#include <cstdint>

#include "core/metrics/latency_histogram.h"

namespace overlay {

enum class RpcKind {
  kQuery,
  kGetChunk,
  kRelease,
  kGetMetrics,
  kShutdown,
  kExecute,
  kFetch,
  kReleaseResult,
  kHealthCheck,
  kCount,
};
const char* RpcName(RpcKind kind);

struct NodeMetrics {
  std::atomic<int64_t> queries_received{0};
  std::atomic<int64_t> queries_executed{0};
  std::atomic<int64_t> queries_forwarded{0};
  std::atomic<int64_t> duplicates_ignored{0};
  std::atomic<int64_t> chunks_served{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> bytes_in{0};
  std::atomic<int64_t> bytes_out{0};
  // Calls whose caller went away (cancelled, or its deadline passed)
  // before they answered.
  std::atomic<int64_t> calls_cancelled{0};
  // Client queries answered incomplete (allow_partial) / failed because
  // a share was missing (strict).
  std::atomic<int64_t> queries_incomplete{0};
  std::atomic<int64_t> queries_failed_missing{0};
  // Release floods this node started or forwarded.
  std::atomic<int64_t> release_floods{0};
  // Requests refused before any work: malformed or over a limit
  // (wire::ParseAndValidateRequest), and PeerService calls without the
  // peer credential.
  std::atomic<int64_t> requests_refused{0};
  std::atomic<int64_t> peer_calls_refused{0};
  LatencyHistogram latency[static_cast<int>(RpcKind::kCount)];

  void Add(std::atomic<int64_t>& counter, int64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  LatencyHistogram& LatencyOf(RpcKind kind) {
    return latency[static_cast<int>(kind)];
  }
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_METRICS_H_
