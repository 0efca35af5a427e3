// Copyright 2026 The overlay Authors.

#include "nodes/releases.h"

#include <algorithm>

namespace overlay {
namespace {

void Forget(const grpc::Status&, grpc::ByteBuffer*) {}

}  // namespace

bool ReleaseHere(const Node* node, const std::string& query_id) {
  const NodeEnv& env = node->env;
  // A released id is remembered as long as an Execute of it can still be
  // on its way: one hop cap per hop, bounded.
  const int64_t keep_until =
      env.clock->NowNanos() + 2 * env.hop_cap_nanos + 1'000'000'000;
  auto [execution, first] =
      node->services.executions->Release(query_id, keep_until);
  node->services.results->Release(query_id);
  return first;
}

void ReleaseAlongRoute(const Node* node, grpc::CompletionQueue* cq,
                       const std::string& query_id,
                       const std::vector<std::string>& route) {
  if (route.size() < 2) {  // this node holds the rows
    node->services.results->Release(query_id);
    return;
  }
  v1::ReleaseResultRequest request;
  request.set_query_id(query_id);
  for (size_t i = 2; i < route.size(); ++i) request.add_route(route[i]);
  node->services.peers->Call(route[1], PeerMethod::kReleaseResult, request,
                             cq, kNoDeadline, nullptr, &Forget);
}

void ReleaseEverywhere(const Node* node, grpc::CompletionQueue* cq,
                       const std::string& query_id,
                       std::vector<std::string> path, int hops_left) {
  if (!ReleaseHere(node, query_id) || hops_left <= 0) return;
  node->services.metrics->Add(node->services.metrics->release_floods);
  v1::ReleaseResultRequest request;
  request.set_query_id(query_id);
  request.set_flood(true);
  for (const std::string& id : path) request.add_path(id);
  request.set_hops_left(hops_left - 1);
  for (const std::string& id : node->services.peers->neighbors()) {
    if (std::find(path.begin(), path.end(), id) != path.end()) continue;
    node->services.peers->Call(id, PeerMethod::kReleaseResult, request, cq,
                               kNoDeadline, nullptr, &Forget);
  }
}

void ReleasePlan(const Node* node, grpc::CompletionQueue* cq,
                 QueryPlan& plan) {
  plan.fetches()->Cancel();
  for (const Segment& segment : plan.segments()) {
    if (segment.records == 0 || segment.has_inline_records ||
        segment.stateless || segment.route.empty()) {
      continue;  // nothing held for it
    }
    ReleaseAlongRoute(node, cq, plan.query_id(), segment.route);
  }
}

}  // namespace overlay

