// Copyright 2026 The overlay Authors.
//
// Freeing what nodes hold for a query, through the PeerClient, without
// waiting for answers (best effort: everything also expires by its TTL):
//   ReleasePlan         a finished result: the owners that hold its rows,
//                       along each segment's route; cancels its fetches;
//   ReleaseEverywhere   an abandoned query, whose holders are unknown:
//                       this node and, flooded like Execute, every node
//                       reachable (each drops its rows and stops the
//                       query's work);
//   ReleaseAlongRoute   one hop of a routed release.
// Reactor-thread only (calls start on `cq`).

#ifndef OVERLAY_NODES_RELEASES_H_
#define OVERLAY_NODES_RELEASES_H_

#include <grpcpp/completion_queue.h>

#include <string>
#include <vector>

#include "core/results/query_plan.h"
#include "nodes/node_runtime.h"

namespace overlay {

void ReleasePlan(const Node* node, grpc::CompletionQueue* cq,
                 QueryPlan& plan);
// `path` ends with this node (the flood's route so far); its neighbours
// not on it are asked while `hops_left` > 0.
void ReleaseEverywhere(const Node* node, grpc::CompletionQueue* cq,
                       const std::string& query_id,
                       std::vector<std::string> path, int hops_left);
// `route` = [this node, ..., holder].
void ReleaseAlongRoute(const Node* node, grpc::CompletionQueue* cq,
                       const std::string& query_id,
                       const std::vector<std::string>& route);
// Drops this node's part of `query_id` and marks it released, so a late
// arrival of the query is refused. True if it was not released here yet.
bool ReleaseHere(const Node* node, const std::string& query_id);

}  // namespace overlay

#endif  // OVERLAY_NODES_RELEASES_H_
