// Copyright 2026 The overlay Authors.
//
// NodeContext: what every call object of a node may use: the config, the
// node's own table, the result stores, the neighbours, the scan workers, the
// in-flight gate and the metrics. NodeServer owns every pointee and keeps
// them alive until all calls are gone (see its shutdown order). The pointees
// are thread-safe (or immutable), so calls on any reactor thread share them.

#ifndef OVERLAY_NODES_NODE_CONTEXT_H_
#define OVERLAY_NODES_NODE_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/common/clock.h"
#include "core/config/overlay_config.h"
#include "core/fanout/neighbor_table.h"
#include "core/fanout/peer_call.h"
#include "core/reactor/inflight_gate.h"
#include "core/reactor/worker_pool.h"
#include "core/results/query_plan.h"
#include "core/results/result_store.h"
#include "core/store/csv_loader.h"
#include "core/store/table.h"
#include "nodes/node_metrics.h"
#include "protos/health.grpc.pb.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {

// QueryService with GetChunk served raw (grpc::ByteBuffer in and out), so
// a chunk relayed from its owner is never parsed by the portal.
using QueryAsyncService = v1::QueryService::WithAsyncMethod_Query<
    v1::QueryService::WithRawMethod_GetChunk<
        v1::QueryService::WithAsyncMethod_Release<
            v1::QueryService::WithAsyncMethod_GetMetrics<
                v1::QueryService::WithAsyncMethod_Shutdown<
                    v1::QueryService::Service>>>>>;

struct NodeContext {
  const OverlayConfig* config = nullptr;
  const ProcessConfig* self = nullptr;
  const Table* table = nullptr;          // empty for a node with no share
  const LoadStats* load_stats = nullptr;
  double load_seconds = 0;
  std::string share;                     // description; empty: no data
  int64_t share_first_day = 0;           // orders shares in results
  bool owns_first_share = false;         // no share of the config precedes it
  Clock* clock = nullptr;
  ResultStore* results = nullptr;        // rows this node's share matched
  SeenQueries* seen = nullptr;           // dedupe for cyclic overlays
  QueryRegistry* plans = nullptr;        // queries this node is portal for
  NeighborTable* neighbors = nullptr;
  WorkerPool* workers = nullptr;
  InflightGate* gate = nullptr;
  NodeMetrics* metrics = nullptr;
  QueryAsyncService* query_service = nullptr;
  v1::PeerService::AsyncService* peer_service = nullptr;
  grpc::health::v1::Health::AsyncService* health_service = nullptr;
  int64_t start_nanos = 0;
  std::function<void()> request_shutdown;  // thread-safe; returns at once

  // A query id unique across the overlay and restarts: "<id>-<epoch>-<n>".
  std::string NextQueryId();
  std::atomic<int64_t> next_query{0};
  std::string incarnation;  // set at start
  // Deadline for a call to a neighbour.
  std::chrono::system_clock::time_point NeighborDeadline() const;

  // Client calls to neighbours not yet completed. Shutdown waits for zero
  // before it shuts the queues down: a late completion may post an alarm,
  // which must not reach a queue that is shutting down.
  std::atomic<int64_t> peer_calls{0};
  // A new call to a neighbour, counted in peer_calls until `done` returned;
  // null once the node is shutting down (no new outbound work then).
  template <typename Response>
  PeerCall<Response>* NewPeerCall(
      std::function<void(PeerCall<Response>*)> done) {
    if (gate->closed()) return nullptr;
    peer_calls.fetch_add(1, std::memory_order_relaxed);
    return new PeerCall<Response>(
        [this, done = std::move(done)](PeerCall<Response>* call) {
          done(call);
          peer_calls.fetch_sub(1, std::memory_order_release);
        });
  }
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_CONTEXT_H_
