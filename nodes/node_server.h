// Copyright 2026 The overlay Authors.
//
// NodeServer: one overlay process. Owns its table, the node's services
// (admission, outbound calls, executions, results, plans, scan workers,
// gate, metrics), the grpc::Server with its completion queues and reactor
// threads, and the janitor that expires results. Wires core/ libraries
// together; nothing else does. Time comes from an injected TimerService
// (real by default), so tests run nodes on a fake clock.
//
// Start() = Bind() + Serve(): Bind loads the share and listens (port 0
// picks a free port); Serve connects the neighbours and starts the reactor.
// Tests running several nodes in one process Bind all first, then Serve
// each with the others' ports.
//
// The shared cache (NodeCache) is attached in Bind(), once the share is
// loaded (its data generation is part of the keys).
//
// Shutdown order (Shutdown(), also run by the destructor):
//   1. close the in-flight gate: new calls get UNAVAILABLE; health turns
//      NOT_SERVING (Check answers it, every Watch stream is sent it and
//      ended);
//   2. shut admission down: every queued call is woken at once and fails
//      UNAVAILABLE (its wake-up must reach a live queue, and the drain
//      below must not wait for calls that never started work); permits
//      still held go back as their calls end;
//   3. stop the janitor (its timer comes back ok == false);
//   4. server_->Shutdown(deadline): in-flight calls finish (their outbound
//      calls still run), or are cancelled at the deadline and then cancel
//      their children; listeners come back ok == false and free themselves;
//   5. stop the scan workers (queued scans still post to live queues, and
//      return their admission slots);
//   6. refuse and cancel the remaining outbound calls (prefetches,
//      releases) and wait for them to end (a condition, not a poll): their
//      completions must reach live queues;
//   7. shut the completion queues down and join the reactor threads, which
//      drain every remaining tag (the last permits and tickets go with
//      their calls); then free orphaned done tags;
//   8. detach from the shared cache segment (nothing uses it any more; the
//      last node of the host group removes it);
//   9. destroy members in reverse order of construction (the admission
//      controllers after every call and scan).
// Start/Shutdown/Wait from the control thread; RequestShutdown from any.

#ifndef OVERLAY_NODES_NODE_SERVER_H_
#define OVERLAY_NODES_NODE_SERVER_H_

#include <grpcpp/server.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "core/config/overlay_config.h"
#include "core/reactor/cq_reactor.h"
#include "core/security/peer_credential.h"
#include "nodes/health_calls.h"
#include "nodes/node_runtime.h"

namespace overlay {

struct NodeOptions {
  std::string id;             // the process of the config to be
  std::string data_root;      // overrides the config's data_root if set
  std::string listen_host;    // overrides the bind host (default: config)
  int listen_port = -1;       // overrides the config's port (0: any free)
  int listeners_per_rpc = 4;  // armed listeners per RPC and queue
  double shutdown_grace_s = 3;
  bool reflection = true;     // serve grpc.reflection (a sync service)
  // Overrides the config's peer secret when set (overlay_node
  // --peer-secret-file); must pass ValidatePeerSecret.
  std::string peer_secret;
  TimerService* timers = nullptr;  // null: real time
  NodeHooks* hooks = nullptr;      // null: none
  std::string shm_directory = "/dev/shm";  // of the shared cache segment
};

class NodeServer final {
 public:
  NodeServer(OverlayConfig config, NodeOptions options);
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Bind() then Serve() with the config's addresses.
  [[nodiscard]] absl::Status Start();
  // Loads the share and listens. Errors: unknown id, unreadable data, port
  // in use.
  [[nodiscard]] absl::Status Bind();
  // Serves, dialling neighbours at `addresses` (id -> host:port) where
  // given, else at the config's. REQUIRES: Bind() succeeded.
  [[nodiscard]] absl::Status Serve(
      const std::map<std::string, std::string>& addresses = {});
  // Blocks until RequestShutdown() (Shutdown RPC, signal).
  void WaitForShutdownRequest();
  void RequestShutdown();
  // Runs the shutdown order above. Idempotent.
  void Shutdown();

  int port() const { return port_; }
  const Node& node() const { return node_; }

 private:
  class Janitor;
  void DetachCache();

  const OverlayConfig config_;
  const NodeOptions options_;
  Table table_;
  LoadStats load_stats_;
  std::unique_ptr<OverlayMap> map_;
  std::unique_ptr<ClientTable> clients_;
  std::unique_ptr<AdmissionController> query_admission_;
  std::unique_ptr<AdmissionController> execute_admission_;
  NodeMetrics metrics_;
  InflightGate gate_;
  std::unique_ptr<PeerCredential> peer_credential_;
  HealthStatus health_;
  DoneTagOrphans orphans_;
  std::unique_ptr<ResultMemory> memory_;
  std::unique_ptr<InMemoryResultStore> results_;
  std::unique_ptr<ExecutionRegistry> executions_;
  std::unique_ptr<QueryRegistry> plans_;
  std::unique_ptr<QueryIds> ids_;
  std::unique_ptr<PeerClient> peers_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<NodeCache> cache_;
  QueryAsyncService query_service_;
  PeerAsyncService peer_service_;
  HealthAsyncService health_service_;
  std::unique_ptr<CqReactor> reactor_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Janitor> janitor_;
  Node node_;
  absl::Notification shutdown_requested_;
  int port_ = 0;
  bool bound_ = false;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_SERVER_H_
