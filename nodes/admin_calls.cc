// Copyright 2026 The overlay Authors.

#include "nodes/admin_calls.h"

#include <unistd.h>

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/metrics/process_stats.h"
#include "glog/logging.h"
#include "nodes/client_identity.h"
#include "nodes/releases.h"

namespace overlay {
namespace {

// The non-zero counts of `rejected`, in RejectReason order.
template <typename Counts>
void AddRejections(const std::array<int64_t, kNumRejectReasons>& rejected,
                   Counts* out) {
  for (int r = 0; r < kNumRejectReasons; ++r) {
    if (rejected[r] == 0) continue;
    v1::RejectionCount* count = out->Add();
    count->set_reason(
        std::string(RejectReasonName(static_cast<RejectReason>(r))));
    count->set_count(rejected[r]);
  }
}

// One admission pool's snapshot as the wire reports it.
void FillPool(const char* name, const AdmissionMetrics& m,
              v1::AdmissionPoolMetrics* out) {
  out->set_pool(name);
  out->set_strategy(std::string(AdmissionStrategyName(m.strategy)));
  out->set_limit(m.limit);
  out->set_in_flight(m.in_flight);
  out->set_queued(m.queued);
  out->set_max_queue_total(m.max_queue_total);
  out->set_max_queue_per_client(m.max_queue_per_client);
  out->set_overloaded(m.overloaded);
  out->set_expected_service_ms(m.expected_service_ms);
  out->set_admitted(m.admitted);
  out->set_cancelled(m.cancelled);
  int64_t rejected = 0;
  for (int64_t count : m.rejected) rejected += count;
  out->set_rejected(rejected);
  AddRejections(m.rejected, out->mutable_rejected_by_reason());
  out->set_queue_wait_p50_ms(m.queue_wait.PercentileMs(0.50));
  out->set_queue_wait_p90_ms(m.queue_wait.PercentileMs(0.90));
  out->set_queue_wait_p99_ms(m.queue_wait.PercentileMs(0.99));
  v1::QueueWaitHistogram* histogram = out->mutable_queue_wait();
  for (int64_t bound : QueueWaitHistogram::kBoundsUs) {
    histogram->add_bounds_us(bound);
  }
  for (int64_t count : m.queue_wait.counts) histogram->add_counts(count);
  for (const TeamAdmissionMetrics& t : m.teams) {
    v1::AdmissionTeamMetrics* team = out->add_teams();
    team->set_name(t.name);
    team->set_weight(t.weight);
    team->set_max_slots(t.max_slots);
    team->set_min_slots(t.min_slots);
    team->set_in_flight(t.in_flight);
    team->set_queued(t.queued);
    team->set_admitted(t.admitted);
    team->set_rejected(t.rejected);
  }
  for (const ClassAdmissionMetrics& c : m.classes) {
    v1::AdmissionClassMetrics* row = out->add_classes();
    row->set_team(c.team);
    row->set_client(c.client);
    row->set_admitted(c.admitted);
    row->set_cancelled(c.cancelled);
    row->set_rejected(c.rejected_total());
    AddRejections(c.rejected, row->mutable_rejected_by_reason());
    row->set_queued(c.queued);
    row->set_in_flight(c.in_flight);
    row->set_queue_wait_p50_ms(c.queue_wait.PercentileMs(0.50));
    row->set_queue_wait_p99_ms(c.queue_wait.PercentileMs(0.99));
  }
}

}  // namespace

bool IsLoopbackPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") ||
         absl::StartsWith(peer, "ipv6:[::1]") ||
         absl::StartsWith(peer, "ipv6:%5B::1%5D") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") ||
         absl::StartsWith(peer, "unix:");
}

RequestClass OverlayInternalClass(const ClientTable& clients) {
  RequestClass cls;
  cls.team = clients.default_team();
  cls.client = "(overlay)";
  return cls;
}

AdmissionStep ReleaseCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.query_admission;
  step.request.cls =
      env_.clients->Classify(request_.client_id(), PeerHost(context_.peer()));
  step.request.priority = AdmissionPriority::kFollowUp;
  return step;
}

bool ShutdownAllowed(const std::string& token, const std::string& peer,
                     bool presents_peer_credential,
                     const std::string& shutdown_token,
                     bool peer_secret_configured) {
  if (!shutdown_token.empty() && ConstantTimeEquals(token, shutdown_token)) {
    return true;
  }
  if (peer_secret_configured) return presents_peer_credential;
  return IsLoopbackPeer(peer);
}

void ReleaseCall::OnRequest() {
  std::shared_ptr<QueryPlan> plan = services_.plans->Remove(
      request_.query_id(),
      ClientKey(request_.client_id(), context_, env_.tls_identities));
  if (plan == nullptr) {
    Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown query id '", request_.query_id(),
                                   "' (never issued, released or expired)")));
    return;
  }
  ReleasePlan(node_, cq_, *plan);
  v1::ReleaseResponse response;
  response.set_released(true);
  Reply(response);
}

AdmissionStep ReleaseResultCall::AdmissionFor() {
  AdmissionStep step;
  step.pool = services_.execute_admission;
  step.request.cls = OverlayInternalClass(*env_.clients);
  step.request.priority = AdmissionPriority::kFollowUp;
  return step;
}

void ReleaseResultCall::OnRequest() {
  v1::ReleaseResponse response;
  if (request_.flood()) {
    std::vector<std::string> path(request_.path().begin(),
                                  request_.path().end());
    path.push_back(env_.id());
    ReleaseEverywhere(node_, cq_, request_.query_id(), std::move(path),
                      request_.hops_left());
    response.set_released(true);
  } else if (request_.route_size() == 0) {
    response.set_released(services_.results->Release(request_.query_id()));
  } else {
    std::vector<std::string> route;
    route.push_back(env_.id());
    route.insert(route.end(), request_.route().begin(),
                 request_.route().end());
    ReleaseAlongRoute(node_, cq_, request_.query_id(), route);
    response.set_released(true);
  }
  Reply(response);
}

void MetricsCall::OnRequest() {
  NodeMetrics& m = *services_.metrics;
  v1::MetricsResponse r;
  r.set_node_id(env_.id());
  r.set_role(std::string(RoleName(env_.self->role)));
  r.set_team(env_.self->team);
  r.set_host_group(env_.self->host_group);
  r.set_address(env_.self->Address());
  r.set_pid(getpid());
  r.set_uptime_s((env_.clock->NowNanos() - env_.start_nanos) / 1e9);
  r.set_rows_loaded(env_.load_stats ? env_.load_stats->rows : 0);
  r.set_files_loaded(env_.load_stats ? env_.load_stats->files : 0);
  r.set_malformed_rows(env_.load_stats ? env_.load_stats->malformed_rows : 0);
  r.set_load_s(env_.load_seconds);
  if (env_.share != nullptr) r.set_share(env_.share->description);
  auto get = [](const std::atomic<int64_t>& v) {
    return v.load(std::memory_order_relaxed);
  };
  r.set_queries_received(get(m.queries_received));
  r.set_queries_executed(get(m.queries_executed));
  r.set_queries_forwarded(get(m.queries_forwarded));
  r.set_duplicates_ignored(get(m.duplicates_ignored));
  r.set_chunks_served(get(m.chunks_served));
  r.set_errors(get(m.errors));
  r.set_bytes_in(get(m.bytes_in));
  r.set_bytes_out(get(m.bytes_out));
  r.set_calls_cancelled(get(m.calls_cancelled));
  r.set_queries_incomplete(get(m.queries_incomplete));
  r.set_queries_failed_missing(get(m.queries_failed_missing));
  r.set_requests_refused(get(m.requests_refused));
  r.set_peer_calls_refused(get(m.peer_calls_refused));
  // This call itself is in flight: report the others.
  r.set_in_flight(std::max<int64_t>(0, services_.gate->in_flight() - 1));
  r.set_scan_queue_depth(services_.workers->queued());
  {
    const AdmissionMetrics queries = services_.query_admission->GetMetrics();
    const AdmissionMetrics executes =
        services_.execute_admission->GetMetrics();
    FillPool("Query", queries, r.add_admission());
    FillPool("Execute", executes, r.add_admission());
    QueueWaitHistogram waits = queries.queue_wait;
    waits.Add(executes.queue_wait);
    r.set_queue_depth(queries.queued + executes.queued);
    r.set_admitted(queries.admitted + executes.admitted);
    r.set_rejected(r.admission(0).rejected() + r.admission(1).rejected());
    r.set_admission_limit(queries.limit);
    r.set_scan_admission_limit(executes.limit);
    r.set_queue_wait_p99_ms(waits.PercentileMs(0.99));
  }
  r.set_peer_calls_in_flight(services_.peers->in_flight());
  r.set_executions_running(services_.executions->running());
  for (int k = 0; k < static_cast<int>(RpcKind::kCount); ++k) {
    const LatencyHistogram& h = m.latency[k];
    if (h.count() == 0) continue;
    v1::LatencySummary* s = r.add_latency();
    s->set_rpc(RpcName(static_cast<RpcKind>(k)));
    s->set_count(h.count());
    s->set_p50_ms(h.PercentileMs(0.50));
    s->set_p90_ms(h.PercentileMs(0.90));
    s->set_p99_ms(h.PercentileMs(0.99));
    s->set_max_ms(h.MaxMs());
  }
  for (const NeighborStats& stats : services_.peers->Stats()) {
    v1::NeighborMetrics* n = r.add_neighbors();
    n->set_node_id(stats.id);
    n->set_address(stats.address);
    n->set_connected(stats.connected);
    n->set_calls(stats.calls);
    n->set_failures(stats.failures);
    n->set_last_error(stats.last_error);
  }
  r.set_results_held(services_.results->results_held());
  r.set_result_bytes(services_.results->bytes_held());
  r.set_plans_held(services_.plans->size());
  r.set_results_abandoned(services_.plans->abandoned());
  r.set_result_memory_bytes(services_.memory->used());
  r.set_result_memory_limit(services_.memory->limit());
  r.set_prefetched_bytes(services_.memory->used() -
                         services_.results->bytes_held());
  r.set_cpu_s(ProcessCpuSeconds());
  r.set_rss_bytes(ProcessRssBytes());
  r.set_rss_shmem_bytes(ProcessShmemRssBytes());
  services_.cache->FillMetrics(r.mutable_shared_cache());
  Reply(r);
}

void ShutdownCall::OnRequest() {
  const bool allowed = ShutdownAllowed(
      request_.token(), context_.peer(),
      services_.peer_credential->required() &&
          services_.peer_credential->Accepts(context_.client_metadata()),
      env_.config->shutdown_token, services_.peer_credential->required());
  if (!allowed) {
    LOG_EVERY_N(WARNING, 100) << "refused Shutdown from " << context_.peer();
    Fail(grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        services_.peer_credential->required()
            ? "Shutdown needs the peer secret (overlay_client "
              "--peer-secret-file) or the config's shutdown token"
            : "Shutdown is accepted only from loopback callers or with the "
              "config's shutdown token"));
    return;
  }
  LOG(INFO) << "Shutdown requested by " << context_.peer();
  v1::ShutdownResponse response;
  response.set_accepted(true);
  Reply(response);
  services_.request_shutdown();
}

}  // namespace overlay
