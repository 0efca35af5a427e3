// Copyright 2026 The overlay Authors.
//
// What a call object of a node may use, in three parts, all owned by
// NodeServer and alive until every call is gone (see its shutdown order):
//   NodeEnv       the immutable environment: config, self, the share and
//                 its table, the overlay map, the client table, the clock
//                 and its timers;
//   NodeServices  the node's services, each a class with its own narrow,
//                 thread-safe interface (admission, outbound calls,
//                 executions, results, plans, scan workers, gate, metrics,
//                 hooks, the shared cache);
//   GrpcServices  the async gRPC services calls are requested from.
// Calls receive a `const Node*`; they never own or replace a service.

#ifndef OVERLAY_NODES_NODE_RUNTIME_H_
#define OVERLAY_NODES_NODE_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <string>

#include "core/admission/admission_controller.h"
#include "core/admission/client_table.h"
#include "core/common/clock.h"
#include "core/config/overlay_config.h"
#include "core/fanout/peer_client.h"
#include "core/security/peer_credential.h"
#include "core/reactor/done_tags.h"
#include "core/reactor/inflight_gate.h"
#include "core/reactor/timer.h"
#include "core/reactor/worker_pool.h"
#include "core/results/execution_registry.h"
#include "core/results/overlay_map.h"
#include "core/results/query_plan.h"
#include "core/results/result_memory.h"
#include "core/results/result_store.h"
#include "core/store/csv_loader.h"
#include "core/store/table.h"
#include "nodes/node_cache.h"
#include "nodes/node_hooks.h"
#include "nodes/node_metrics.h"
#include "nodes/query_ids.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {

// Every method is served raw (grpc::ByteBuffer in and out): UnaryCall
// parses and validates each request itself (wire::ParseAndValidateRequest),
// so a hostile request never reaches protobuf's own parser (INTERNAL and a
// log line per message), and a chunk relayed from its owner is never
// parsed by the portal.
using QueryAsyncService = v1::QueryService::WithRawMethod_Query<
    v1::QueryService::WithRawMethod_GetChunk<
        v1::QueryService::WithRawMethod_Release<
            v1::QueryService::WithRawMethod_GetMetrics<
                v1::QueryService::WithRawMethod_Shutdown<
                    v1::QueryService::Service>>>>>;
using PeerAsyncService = v1::PeerService::WithRawMethod_Execute<
    v1::PeerService::WithRawMethod_Fetch<
        v1::PeerService::WithRawMethod_ReleaseResult<
            v1::PeerService::Service>>>;
using HealthAsyncService = grpc::health::v1::Health::WithRawMethod_Check<
    grpc::health::v1::Health::WithRawMethod_Watch<
        grpc::health::v1::Health::Service>>;

class HealthStatus;  // nodes/health_calls.h

struct NodeEnv {
  const OverlayConfig* config = nullptr;
  const ProcessConfig* self = nullptr;
  const OverlayMap* map = nullptr;
  const ClientTable* clients = nullptr;  // admission classes
  const ShareInfo* share = nullptr;  // null: this node holds no data
  const Table* table = nullptr;      // empty when share is null
  const LoadStats* load_stats = nullptr;
  double load_seconds = 0;
  // LoadStats::generation of the share (0: no share).
  uint64_t data_generation = 0;
  // No share of the config precedes this node's in result order.
  bool owns_first_share = false;
  Clock* clock = nullptr;
  TimerService* timers = nullptr;
  int64_t start_nanos = 0;
  int64_t default_deadline_nanos = 0;  // default_query_deadline_ms
  int64_t result_ttl_nanos = 0;
  int64_t result_claim_grace_nanos = 0;  // result_claim_grace_ms
  int64_t hop_cap_nanos = 0;           // neighbor_timeout_ms
  // Mutual TLS: every caller has a verified certificate, and results are
  // bound to its identity too (nodes/client_identity.h).
  bool tls_identities = false;

  const std::string& id() const { return self->id; }
};

struct NodeServices {
  // Admission pools. Queries: client Queries this node is portal for (each
  // holds its slot for its whole fan-out), and the follow-ups of their
  // results (GetChunk, Release). Executes: this node's runs of queries on
  // its own share (each holds its slot for its local scan only), and the
  // follow-ups that serve its rows (Fetch, ReleaseResult).
  AdmissionController* query_admission = nullptr;
  AdmissionController* execute_admission = nullptr;
  PeerClient* peers = nullptr;
  ExecutionRegistry* executions = nullptr;
  ResultStore* results = nullptr;
  QueryRegistry* plans = nullptr;
  ResultMemory* memory = nullptr;
  WorkerPool* workers = nullptr;
  InflightGate* gate = nullptr;
  NodeMetrics* metrics = nullptr;
  QueryIds* ids = nullptr;
  NodeHooks* hooks = nullptr;  // never null (NoHooks)
  const PeerCredential* peer_credential = nullptr;  // never null
  HealthStatus* health = nullptr;  // serving status (Check, Watch)
  DoneTagOrphans* orphans = nullptr;
  NodeCache* cache = nullptr;  // never null; enabled() when attached
  std::function<void()> request_shutdown;  // thread-safe; returns at once
};

struct GrpcServices {
  QueryAsyncService* query = nullptr;
  PeerAsyncService* peer = nullptr;
  HealthAsyncService* health = nullptr;
};

struct Node {
  NodeEnv env;
  NodeServices services;
  GrpcServices grpc;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_RUNTIME_H_
