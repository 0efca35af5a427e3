// Copyright 2026 The overlay Authors.
//
// NodeServer: one overlay process. Owns its table, result stores, neighbour
// channels, scan workers, the grpc::Server with its completion queues and
// reactor threads, and the janitor that expires results. Wires core/
// libraries together; nothing else does.
//
// Shutdown order (Shutdown(), also run by the destructor):
//   1. close the in-flight gate: new calls get UNAVAILABLE and health
//      answers NOT_SERVING;
//   2. stop the janitor (its alarm is cancelled and comes back ok == false);
//   3. server_->Shutdown(deadline): in-flight calls finish, or are cancelled
//      at the deadline; listeners come back ok == false and free themselves;
//   4. stop the scan workers (queued scans still post to live queues), then
//      wait for calls to neighbours to end (their completions may post
//      alarms, which must not reach a queue being shut down);
//   5. shut the completion queues down and join the reactor threads, which
//      drain every remaining tag (neighbour calls end by their deadline);
//   6. destroy members in reverse order of construction.
// Start/Shutdown/Wait from the control thread; RequestShutdown from any.

#ifndef OVERLAY_NODES_NODE_SERVER_H_
#define OVERLAY_NODES_NODE_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "core/config/overlay_config.h"
#include "core/fanout/neighbor_table.h"
#include "core/reactor/cq_reactor.h"
#include "core/reactor/inflight_gate.h"
#include "core/reactor/worker_pool.h"
#include "core/results/query_plan.h"
#include "core/results/result_store.h"
#include "core/store/table.h"
#include "nodes/node_context.h"
#include "nodes/node_metrics.h"

namespace overlay {

struct NodeOptions {
  std::string id;             // the process of the config to be
  std::string data_root;      // overrides the config's data_root if set
  std::string listen_host;    // overrides the bind host (default: config)
  int listeners_per_rpc = 4;  // armed listeners per RPC and queue
  double shutdown_grace_s = 3;
  bool reflection = true;     // serve grpc.reflection (a sync service)
};

class NodeServer final {
 public:
  NodeServer(OverlayConfig config, NodeOptions options);
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Loads the share, then starts serving. Errors: unknown id, unreadable
  // data, port in use.
  [[nodiscard]] absl::Status Start();
  // Blocks until RequestShutdown() (Shutdown RPC, signal).
  void WaitForShutdownRequest();
  void RequestShutdown();
  // Runs the shutdown order above. Idempotent.
  void Shutdown();

  int port() const { return port_; }
  const NodeContext& context() const { return context_; }

 private:
  class Janitor;

  const OverlayConfig config_;
  const NodeOptions options_;
  Table table_;
  LoadStats load_stats_;
  NodeMetrics metrics_;
  InflightGate gate_;
  std::unique_ptr<InMemoryResultStore> results_;
  std::unique_ptr<SeenQueries> seen_;
  std::unique_ptr<QueryRegistry> plans_;
  std::unique_ptr<NeighborTable> neighbors_;
  std::unique_ptr<WorkerPool> workers_;
  QueryAsyncService query_service_;
  v1::PeerService::AsyncService peer_service_;
  grpc::health::v1::Health::AsyncService health_service_;
  std::unique_ptr<CqReactor> reactor_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Janitor> janitor_;
  NodeContext context_;
  absl::Notification shutdown_requested_;
  int port_ = 0;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_SERVER_H_
