// Copyright 2026 The overlay Authors.

#include "nodes/admin_calls.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/metrics/process_stats.h"
#include "glog/logging.h"
#include "nodes/client_identity.h"
#include "nodes/releases.h"

namespace overlay {

bool IsLoopbackPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") ||
         absl::StartsWith(peer, "ipv6:[::1]") ||
         absl::StartsWith(peer, "ipv6:%5B::1%5D") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") ||
         absl::StartsWith(peer, "unix:");
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
  r.set_result_memory_bytes(services_.memory->used());
  r.set_result_memory_limit(services_.memory->limit());
  r.set_prefetched_bytes(services_.memory->used() -
                         services_.results->bytes_held());
  r.set_cpu_s(ProcessCpuSeconds());
  r.set_rss_bytes(ProcessRssBytes());
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
