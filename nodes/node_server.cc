// Copyright 2026 The overlay Authors.

#include "nodes/node_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/status_macros.h"
#include "core/reactor/notifier.h"
#include "glog/logging.h"
#include "nodes/admin_calls.h"
#include "nodes/chunk_calls.h"
#include "nodes/query_calls.h"

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

std::string NodeContext::NextQueryId() {
  return absl::StrCat(self->id, "-", incarnation, "-",
                      next_query.fetch_add(1, std::memory_order_relaxed));
}

std::chrono::system_clock::time_point NodeContext::NeighborDeadline() const {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(config->strategy.neighbor_timeout_ms);
}

// Expires idle results, plans and dedupe entries once a second on queue 0.
class NodeServer::Janitor final : public CompletionTag {
 public:
  Janitor(NodeContext* node, grpc::CompletionQueue* cq)
      : node_(node), cq_(cq), alarm_(this) {}

  void Start() {
    absl::MutexLock lock(&mu_);
    Arm();
  }
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    alarm_.Cancel();
  }
  void Proceed(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    node_->results->ExpireIdle();
    node_->seen->ExpireOld();
    node_->plans->TakeExpired();
    Arm();
  }

 private:
  void Arm() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    alarm_.NotifyAt(cq_, std::chrono::system_clock::now() +
                             std::chrono::seconds(1));
  }

  NodeContext* const node_;
  grpc::CompletionQueue* const cq_;
  absl::Mutex mu_;
  Notifier alarm_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

NodeServer::NodeServer(OverlayConfig config, NodeOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

NodeServer::~NodeServer() { Shutdown(); }

absl::Status NodeServer::Start() {
  const ProcessConfig* self = config_.Find(options_.id);
  if (self == nullptr) {
    return absl::NotFoundError(absl::StrCat("process '", options_.id,
                                            "' is not in ", config_.path));
  }
  Clock* clock = RealClock::Get();
  context_.config = &config_;
  context_.self = self;
  context_.clock = clock;
  context_.start_nanos = clock->NowNanos();
  std::random_device random;
  context_.incarnation = absl::StrCat(
      absl::Hex(std::chrono::system_clock::now().time_since_epoch().count() ^
                random()));

  // Load the share.
  if (self->share.has_value()) {
    LoadOptions load;
    load.root = options_.data_root.empty() ? config_.data_root
                                           : options_.data_root;
    load.first_day = self->share->first_day;
    load.last_day = self->share->last_day;
    load.days = self->share->days;
    const int64_t t0 = clock->NowNanos();
    absl::StatusOr<LoadedTable> loaded = LoadDataRoot(load);
    if (!loaded.ok()) {
      return absl::Status(loaded.status().code(),
                          absl::StrCat("loading the share of '", self->id,
                                       "': ", loaded.status().message()));
    }
    table_ = std::move(loaded->table);
    load_stats_ = loaded->stats;
    context_.load_seconds = (clock->NowNanos() - t0) / 1e9;
    context_.share = self->share->DebugString();
    context_.share_first_day = self->share->FirstDay();
    context_.owns_first_share = true;
    for (const ProcessConfig& p : config_.processes) {
      if (p.id != self->id && p.share &&
          (p.share->FirstDay() < context_.share_first_day ||
           (p.share->FirstDay() == context_.share_first_day && p.id < self->id))) {
        context_.owns_first_share = false;
      }
    }
    LOG(INFO) << self->id << ": loaded " << load_stats_.rows << " rows from "
              << load_stats_.files << " files in " << context_.load_seconds
              << " s (" << load_stats_.malformed_rows << " malformed)";
  }
  context_.table = &table_;
  context_.load_stats = &load_stats_;

  const StrategyOptions& strategy = config_.strategy;
  const int64_t ttl = int64_t{strategy.result_ttl_seconds} * 1'000'000'000;
  results_ = std::make_unique<InMemoryResultStore>(
      clock, ttl, strategy.max_results_held,
      int64_t{strategy.max_result_mb} << 20);
  // A query id needs remembering only while the query can still be on its
  // way through the overlay: a hop deadline per hop it may take, at most.
  const int64_t dedupe_ttl =
      std::min<int64_t>(ttl, (int64_t{strategy.neighbor_timeout_ms} *
                                  std::min(strategy.max_hops, 4) +
                              1000) *
                                 1'000'000);
  seen_ = std::make_unique<SeenQueries>(clock, dedupe_ttl);
  plans_ = std::make_unique<QueryRegistry>(clock, ttl,
                                           strategy.max_results_held);
  std::vector<NeighborTable::Neighbor> neighbors;
  for (const std::string& id : self->neighbors) {
    neighbors.push_back({id, config_.Find(id)->Address()});
  }
  neighbors_ = std::make_unique<NeighborTable>(neighbors);
  workers_ = std::make_unique<WorkerPool>(strategy.scan_threads);
  context_.results = results_.get();
  context_.seen = seen_.get();
  context_.plans = plans_.get();
  context_.neighbors = neighbors_.get();
  context_.workers = workers_.get();
  context_.gate = &gate_;
  context_.metrics = &metrics_;
  context_.query_service = &query_service_;
  context_.peer_service = &peer_service_;
  context_.health_service = &health_service_;
  context_.request_shutdown = [this] { RequestShutdown(); };

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
  const std::string address = absl::StrCat(host, ":", self->port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&query_service_);
  builder.RegisterService(&peer_service_);
  builder.RegisterService(&health_service_);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  builder.SetMaxSendMessageSize(16 * 1024 * 1024);
  reactor_ = std::make_unique<CqReactor>(builder, strategy.reactor_threads);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (in use?)"));
  }
  for (int q = 0; q < reactor_->size(); ++q) {
    grpc::ServerCompletionQueue* cq = reactor_->queue(q);
    for (int i = 0; i < options_.listeners_per_rpc; ++i) {
      QueryCall::Listen(&context_, cq);
      GetChunkCall::Listen(&context_, cq);
      ReleaseCall::Listen(&context_, cq);
      MetricsCall::Listen(&context_, cq);
      ShutdownCall::Listen(&context_, cq);
      ExecuteCall::Listen(&context_, cq);
      FetchCall::Listen(&context_, cq);
      ReleaseResultCall::Listen(&context_, cq);
      HealthCheckCall::Listen(&context_, cq);
    }
  }
  reactor_->Start();
  janitor_ = std::make_unique<Janitor>(&context_, reactor_->queue(0));
  janitor_->Start();
  started_ = true;
  LOG(INFO) << self->id << " (" << RoleName(self->role) << ") serving on "
            << address;
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
    // Start() failed part way: a built server still owns tags on our
    // queues, so it goes down first and the queues drain before either dies.
    if (server_) server_->Shutdown();
    if (workers_) workers_->Stop();
    if (reactor_) {
      reactor_->ShutdownQueues();
      reactor_->Join();
    }
    return;
  }
  LOG(INFO) << context_.self->id << ": shutting down";
  // 1. No new work.
  gate_.Close();  // health answers NOT_SERVING from here on
  // 2. The janitor's alarm.
  janitor_->Stop();
  // 3. Drain in-flight calls, cancelling what is left at the deadline.
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(
                        options_.shutdown_grace_s * 1000)));
  // 4. Scans still queued post to queues that are still alive.
  workers_->Stop();
  // 4b. Calls to neighbours end by their deadline at the latest; their
  // completions may post alarms, so the queues must still be up.
  const int64_t wait_until =
      context_.clock->NowNanos() +
      (int64_t{config_.strategy.neighbor_timeout_ms} + 1000) * 1'000'000;
  while (context_.peer_calls.load(std::memory_order_acquire) > 0 &&
         context_.clock->NowNanos() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // 5. Queues, then their threads, which free every remaining call.
  reactor_->ShutdownQueues();
  reactor_->Join();
  LOG(INFO) << context_.self->id << ": stopped";
}

}  // namespace overlay
