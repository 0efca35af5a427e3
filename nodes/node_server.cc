// Copyright 2026 The overlay Authors.

#include "nodes/node_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/status_macros.h"
#include "core/reactor/timer.h"
#include "core/security/tls_credentials.h"
#include "core/wire/request_limits.h"
#include "glog/logging.h"
#include "nodes/admin_calls.h"
#include "nodes/chunk_calls.h"
#include "nodes/health_calls.h"
#include "nodes/query_calls.h"
#include "nodes/releases.h"

namespace overlay {

const char* RpcName(RpcKind kind) {
  switch (kind) {
    case RpcKind::kQuery:
      return "Query";
    case RpcKind::kGetChunk:
      return "GetChunk";
    case RpcKind::kRelease:
      return "Release";
    case RpcKind::kGetMetrics:
      return "GetMetrics";
    case RpcKind::kShutdown:
      return "Shutdown";
    case RpcKind::kExecute:
      return "Execute";
    case RpcKind::kFetch:
      return "Fetch";
    case RpcKind::kReleaseResult:
      return "ReleaseResult";
    case RpcKind::kHealthCheck:
      return "HealthCheck";
    case RpcKind::kCount:
      break;
  }
  return "?";
}

// Once a second (on the node's clock) on queue 0: expires idle results,
// plans (telling their owners) and remembered query ids; republishes this
// node's data generation in the shared cache and sweeps it.
class NodeServer::Janitor final : public CompletionTag {
 public:
  Janitor(const Node* node, grpc::CompletionQueue* cq)
      : node_(node), cq_(cq), timer_(node->env.timers, this) {}

  void Start() {
    absl::MutexLock lock(&mu_);
    Arm();
  }
  // Returns once the timer's last wake-up came back.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    timer_.Cancel();
    mu_.Await(absl::Condition(
        +[](bool* armed) { return !*armed; }, &armed_));
  }
  // The timer's wake-up (ok == false once cancelled).
  void Proceed(bool ok) override {
    absl::MutexLock lock(&mu_);
    armed_ = false;
    if (stopped_ || !ok) return;
    const NodeServices& services = node_->services;
    services.cache->Tick();
    services.results->ExpireIdle();
    services.executions->Expire();
    for (const std::shared_ptr<QueryPlan>& plan :
         services.plans->TakeExpired()) {
      ReleasePlan(node_, cq_, *plan);
    }
    Arm();
  }

 private:
  void Arm() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    armed_ = true;
    timer_.Set(cq_, node_->env.clock->NowNanos() + 1'000'000'000);
  }

  const Node* const node_;
  grpc::CompletionQueue* const cq_;
  absl::Mutex mu_;
  Timer timer_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = false;  // a wake-up is to come
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

NodeServer::NodeServer(OverlayConfig config, NodeOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

NodeServer::~NodeServer() { Shutdown(); }

absl::Status NodeServer::Start() {
  RETURN_IF_ERROR(Bind());
  return Serve();
}

absl::Status NodeServer::Bind() {
  const ProcessConfig* self = config_.Find(options_.id);
  if (self == nullptr) {
    return absl::NotFoundError(absl::StrCat("process '", options_.id,
                                            "' is not in ", config_.path));
  }
  TimerService* timers =
      options_.timers != nullptr ? options_.timers : RealTimerService::Get();
  Clock* clock = timers->clock();
  map_ = std::make_unique<OverlayMap>(config_);
  clients_ = std::make_unique<ClientTable>(config_);
  query_admission_ =
      std::make_unique<AdmissionController>(config_.admission, clock);
  execute_admission_ = std::make_unique<AdmissionController>(
      config_.admission.ScanPool(), clock);
  NodeEnv& env = node_.env;
  env.config = &config_;
  env.self = self;
  env.map = map_.get();
  env.clients = clients_.get();
  env.clock = clock;
  env.timers = timers;
  env.start_nanos = clock->NowNanos();
  const StrategyOptions& strategy = config_.strategy;
  env.default_deadline_nanos =
      int64_t{strategy.default_query_deadline_ms} * 1'000'000;
  env.result_ttl_nanos = int64_t{strategy.result_ttl_seconds} * 1'000'000'000;
  env.result_claim_grace_nanos =
      int64_t{strategy.result_claim_grace_ms} * 1'000'000;
  env.hop_cap_nanos = int64_t{strategy.neighbor_timeout_ms} * 1'000'000;
  env.tls_identities = config_.tls.enabled() && config_.tls.mutual;

  if (self->share.has_value()) {
    LoadOptions load;
    load.root = options_.data_root.empty() ? config_.data_root
                                           : options_.data_root;
    load.first_day = self->share->first_day;
    load.last_day = self->share->last_day;
    load.days = self->share->days;
    const int64_t t0 = RealClock::Get()->NowNanos();
    absl::StatusOr<LoadedTable> loaded = LoadDataRoot(load);
    if (!loaded.ok()) {
      return absl::Status(loaded.status().code(),
                          absl::StrCat("loading the share of '", self->id,
                                       "': ", loaded.status().message()));
    }
    table_ = std::move(loaded->table);
    load_stats_ = loaded->stats;
    env.load_seconds = (RealClock::Get()->NowNanos() - t0) / 1e9;
    env.share = map_->ShareOf(self->id);
    env.owns_first_share = map_->shares().front().node_id == self->id;
    env.data_generation = load_stats_.generation;
    LOG(INFO) << self->id << ": loaded " << load_stats_.rows << " rows from "
              << load_stats_.files << " files in " << env.load_seconds
              << " s (" << load_stats_.malformed_rows << " malformed)";
  }
  env.table = &table_;
  env.load_stats = &load_stats_;

  memory_ = std::make_unique<ResultMemory>(int64_t{strategy.max_result_mb}
                                           << 20);
  results_ = std::make_unique<InMemoryResultStore>(
      clock, env.result_ttl_nanos, strategy.max_results_held, memory_.get());
  executions_ = std::make_unique<ExecutionRegistry>(clock);
  plans_ = std::make_unique<QueryRegistry>(
      clock, env.result_ttl_nanos, strategy.max_results_held,
      strategy.max_results_per_client, memory_.get());
  ids_ = std::make_unique<QueryIds>(self->id);
  std::string secret = config_.peer_secret;
  if (!options_.peer_secret.empty()) {
    RETURN_IF_ERROR(ValidatePeerSecret(options_.peer_secret));
    secret = options_.peer_secret;
  }
  if (secret.empty()) {
    LOG(WARNING) << self->id << ": no peer secret configured: PeerService "
                 << "(Execute, Fetch, ReleaseResult) accepts any caller";
  }
  peer_credential_ = std::make_unique<PeerCredential>(std::move(secret));
  workers_ = std::make_unique<WorkerPool>(strategy.scan_threads);
  NodeCacheOptions cache_options;
  cache_options.config = &config_;
  cache_options.self = self->id;
  cache_options.generation = env.data_generation;
  cache_options.directory = options_.shm_directory;
  cache_ = std::make_unique<NodeCache>(std::move(cache_options), clock);
  NodeServices& services = node_.services;
  services.query_admission = query_admission_.get();
  services.execute_admission = execute_admission_.get();
  services.executions = executions_.get();
  services.results = results_.get();
  services.plans = plans_.get();
  services.memory = memory_.get();
  services.workers = workers_.get();
  services.gate = &gate_;
  services.metrics = &metrics_;
  services.ids = ids_.get();
  services.hooks = options_.hooks != nullptr ? options_.hooks : NoHooks::Get();
  services.orphans = &orphans_;
  services.cache = cache_.get();
  services.peer_credential = peer_credential_.get();
  services.health = &health_;
  services.request_shutdown = [this] { RequestShutdown(); };
  node_.grpc.query = &query_service_;
  node_.grpc.peer = &peer_service_;
  node_.grpc.health = &health_service_;

  // Health is answered by our own call objects on the reactor: gRPC's
  // default health service runs on the callback API and brings threads of
  // its own that compete with the reactor on every event.
  grpc::EnableDefaultHealthCheckService(false);
  if (options_.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  // Reflection is a sync service: keep its pool to one polling thread.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS,
                              1);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 1);
  const std::string host =
      options_.listen_host.empty() ? self->host : options_.listen_host;
  const int port = options_.listen_port >= 0 ? options_.listen_port
                                             : self->port;
  const std::string address = absl::StrCat(host, ":", port);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(config_.tls);
  if (!credentials.ok()) return credentials.status();
  builder.AddListeningPort(address, *credentials, &port_);
  builder.RegisterService(&query_service_);
  builder.RegisterService(&peer_service_);
  builder.RegisterService(&health_service_);
  // The largest request cap: gRPC refuses anything bigger itself
  // (RESOURCE_EXHAUSTED) before it is buffered; each RPC's own, smaller cap
  // is checked when its call parses the request (request_limits.h).
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(wire::kMaxAnyRequestBytes));
  builder.SetMaxSendMessageSize(16 * 1024 * 1024);
  reactor_ = std::make_unique<CqReactor>(builder, strategy.reactor_threads);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (in use?)"));
  }
  bound_ = true;
  return absl::OkStatus();
}

absl::Status NodeServer::Serve(
    const std::map<std::string, std::string>& addresses) {
  if (!bound_) return absl::FailedPreconditionError("Serve() before Bind()");
  const ProcessConfig& self = *node_.env.self;
  std::vector<NeighborTable::Neighbor> neighbors;
  for (const std::string& id : self.neighbors) {
    auto it = addresses.find(id);
    neighbors.push_back({id, it != addresses.end()
                                 ? it->second
                                 : config_.Find(id)->Address()});
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      NodeChannelCredentials(config_.tls);
  if (!credentials.ok()) return credentials.status();
  PeerClientOptions peer_options;
  peer_options.budget.cap_nanos = node_.env.hop_cap_nanos;
  if (peer_credential_->required()) {
    peer_options.metadata.emplace_back(kPeerSecretKey,
                                       peer_credential_->secret());
  }
  NodeHooks* hooks = node_.services.hooks;
  peer_options.on_call_end = [hooks] { hooks->Changed(); };
  peers_ = std::make_unique<PeerClient>(
      std::make_unique<NeighborTable>(neighbors, *credentials),
      node_.env.timers,
      std::move(peer_options));
  node_.services.peers = peers_.get();

  for (int q = 0; q < reactor_->size(); ++q) {
    grpc::ServerCompletionQueue* cq = reactor_->queue(q);
    for (int i = 0; i < options_.listeners_per_rpc; ++i) {
      QueryCall::Listen(&node_, cq);
      GetChunkCall::Listen(&node_, cq);
      ReleaseCall::Listen(&node_, cq);
      MetricsCall::Listen(&node_, cq);
      ShutdownCall::Listen(&node_, cq);
      ExecuteCall::Listen(&node_, cq);
      FetchCall::Listen(&node_, cq);
      ReleaseResultCall::Listen(&node_, cq);
      HealthCheckCall::Listen(&node_, cq);
    }
    HealthWatchCall::Listen(&node_, cq);  // re-armed as each watcher comes
  }
  reactor_->Start();
  janitor_ = std::make_unique<Janitor>(&node_, reactor_->queue(0));
  janitor_->Start();
  started_ = true;
  LOG(INFO) << self.id << " (" << RoleName(self.role) << ") serving on port "
            << port_;
  return absl::OkStatus();
}

void NodeServer::WaitForShutdownRequest() {
  shutdown_requested_.WaitForNotification();
}

void NodeServer::RequestShutdown() {
  if (!shutdown_requested_.HasBeenNotified()) shutdown_requested_.Notify();
}

void NodeServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (!started_) {
    // Bind() or Serve() failed part way: a built server still owns tags on
    // our queues, so it goes down first and the queues drain before either
    // dies.
    if (server_) server_->Shutdown();
    if (workers_) workers_->Stop();
    if (reactor_) {
      reactor_->ShutdownQueues();
      reactor_->Join();
    }
    DetachCache();
    return;
  }
  LOG(INFO) << node_.env.id() << ": shutting down";
  // 1. No new work.
  gate_.Close();
  health_.SetNotServing();  // Check answers it; Watch streams get it, end
  // 2. Queued calls fail now (their wake-ups reach live queues).
  query_admission_->Shutdown();
  execute_admission_->Shutdown();
  // 3. The janitor's timer.
  janitor_->Stop();
  // 4. Drain in-flight calls, cancelling what is left at the deadline.
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(
                        options_.shutdown_grace_s * 1000)));
  // 5. Scans still queued post to queues that are still alive.
  workers_->Stop();
  // 6. Outbound calls left (prefetches, releases): cancelled, then waited
  // for; their completions need live queues.
  peers_->Shutdown();
  if (!peers_->WaitDrained(absl::Seconds(10))) {
    LOG(ERROR) << node_.env.id() << ": " << peers_->in_flight()
               << " outbound calls did not end";
  }
  // 7. Server calls still answering: the cancel of each reaches it as its
  // done notification, which it answers with an operation on its queue,
  // and an operation started on a queue already shut down aborts the
  // process (gRPC asserts).
  if (!gate_.WaitDrained(absl::Seconds(10))) {
    LOG(ERROR) << node_.env.id() << ": " << gate_.in_flight()
               << " calls did not end";
  }
  // 8. Queues, then their threads, which free every remaining call.
  reactor_->ShutdownQueues();
  reactor_->Join();
  // 9. The shared cache: nothing uses it any more.
  DetachCache();
  LOG(INFO) << node_.env.id() << ": stopped";
}

void NodeServer::DetachCache() {
  if (cache_ == nullptr) return;
  if (absl::Status detached = cache_->Detach(); !detached.ok()) {
    LOG(ERROR) << node_.env.id() << ": detaching the shared cache: "
               << detached;
  }
}

}  // namespace overlay
