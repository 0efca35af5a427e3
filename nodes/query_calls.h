// Copyright 2026 The overlay Authors.
//
// QueryCall (client-facing QueryService.Query) and ExecuteCall
// (PeerService.Execute): the two calls that run a query over the overlay.
//
// Admission. A Query is admitted by the node's Query pool as its client's
// class (ClientTable::Classify of client_id, else the peer's host), at
// normal priority, and holds its slot until it answers: the pool's limit
// bounds the queries in flight through this portal, their whole fan-out
// included. The class travels in every Execute and Fetch (request_class),
// so deeper nodes queue the query's work by the same class.
//
// QueryCall states, after UnaryCall's admission step:
//   kScanningFirst  a limit query whose first share (in result order) is
//                   the portal's own: only that share runs; if it fills the
//                   limit no other share can contribute and none is asked;
//   kFanningOut     the query is flooded (ExecuteFanout) to every share;
//   kCancelling     the client went away: children are cancelled and the
//                   call waits for them, then frees what the query holds
//                   everywhere;
//   kAnswered       the answer (or the strict failure) is on its way.
// Before fanning out, a query (not `fresh`) looks for its plan in the
// shared cache (NodeCache::FindPlan): a repeated query whose shares all
// live on this host, none reloaded since, is answered at once from it with
// a new query id, no node scanning (its chunks come from the cache, or are
// made anew by their owners). A complete answer's plan is stored there.
// The answer accounts for every share of the config: each either answered
// (it is in `shares`) or is named in `missing` with the reason. A strict
// query (the default) fails if any share is missing; with allow_partial it
// answers `complete = false`. Every share missing is always an error.
//
// ExecuteCall: the query's first arrival at a node runs it on the node's
// share and forwards it to the neighbours not yet on its path; every
// arrival (also along another path of a cyclic overlay) answers with this
// node's share once its run ended, so the share is reported along every
// path that reached it.
//
// An Execute is admitted by the node's Execute pool as the class it carries.
// Its first arrival here waits at normal priority; a repeat arrival (the
// registry knows the id: it only waits for the local run) is a follow-up,
// which never queues. The first arrival holds its slot for its local scan
// only, not for its fan-out: the scan takes the permit and returns it when
// it ends, and an arrival with nothing to scan returns it at once. So no
// Execute holds a slot while it waits for another node, and nothing an
// Execute waits for needs a slot of the pool it holds:
//   - an Execute's slot is held only by its scan, which needs no other
//     node and ends (by its deadline at the latest);
//   - a Query's slot (another pool) is held while it waits for Executes,
//     which need only Execute slots, which free as scans end;
//   - a repeat arrival, which waits for a run another arrival started,
//     never queues.
// Waits thus form a tree (Query -> Executes -> scans), across queries and
// portals alike, and cannot deadlock. Had an Execute held its slot for its
// fan-out, two queries flooding a cycle (A-B-D-E-A) from opposite sides
// could fill B and D with fan-outs each waiting for a slot the other holds.
// Reactor-thread only.

#ifndef OVERLAY_NODES_QUERY_CALLS_H_
#define OVERLAY_NODES_QUERY_CALLS_H_

#include <memory>
#include <string>
#include <vector>

#include "core/store/filter.h"
#include "nodes/execute_fanout.h"
#include "nodes/unary_call.h"

namespace overlay {

class QueryCall final
    : public UnaryCall<QueryCall, QueryAsyncService, v1::QueryRequest,
                       grpc::ByteBuffer, RpcKind::kQuery> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestQuery;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  static constexpr bool kNotifyWhenDone = true;
  QueryCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  AdmissionStep AdmissionFor();
  void OnRequest();
  void OnCancelled();
  // The answer never reached the client: its result is released at once
  // rather than held for a TTL nobody will use.
  void OnAnswerLost();

 private:
  enum class Step { kStarting, kScanningFirst, kFanningOut, kCancelling,
                    kAnswered };
  // The step function: runs whenever a fan-out completed.
  void Advance();
  void StartFanout(bool with_local);
  // Every share that can match answered before every call came back.
  void OnEveryShareAnswered();
  void Answer();
  // Abandons the Query (DEADLINE_EXCEEDED) when too little of its time is
  // left for the answer to reach the client (see AnswerMargin).
  bool TooLateToAnswer();
  // Answers with a plan read from the shared cache.
  void AnswerFromCache(std::vector<Segment> segments);
  // Lays `segments` out as the query's plan (a small result packed into
  // one chunk), registers it, starts its prefetches and replies.
  void Deliver(std::vector<Segment> segments,
               std::vector<v1::NodeFailure> failures,
               std::vector<v1::MissingShare> missing);
  // One inline segment holding the records of every share of a result
  // that fits in one chunk, in result order; nullopt when some share's
  // records are not at hand here (they are then pulled as usual).
  std::optional<Segment> PackSegments(const std::vector<Segment>& segments);
  PlannedQuery Planned() const;
  // Fails the query and frees what it holds on every node.
  void Abandon(const grpc::Status& status);

  Step step_ = Step::kStarting;
  v1::RequestClass request_class_;  // as admitted; sent on
  std::string client_;
  std::string query_id_;
  int32_t chunk_size_ = 0;
  int64_t fanout_deadline_ = 0;  // the shares answer by then
  Filter filter_;
  std::string filter_key_;  // CanonicalFilterKey(filter_)
  bool reserved_ = false;
  bool left_execution_ = false;  // Left the local execution already
  bool answered_early_ = false;  // fan-out parts still out after Answer()
  std::shared_ptr<LocalExecution> local_;
  std::unique_ptr<ExecuteFanout> first_;   // kScanningFirst: the own share
  std::unique_ptr<ExecuteFanout> fanout_;  // kFanningOut
};

class ExecuteCall final
    : public UnaryCall<ExecuteCall, PeerAsyncService, v1::ExecuteRequest,
                       v1::ExecuteResponse, RpcKind::kExecute> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &PeerAsyncService::RequestExecute;
  static PeerAsyncService* service(const Node* node) { return node->grpc.peer; }
  static constexpr bool kNotifyWhenDone = true;
  static constexpr bool kPeerOnly = true;
  ExecuteCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}

  AdmissionStep AdmissionFor();
  void OnRequest();
  void OnCancelled();

 private:
  enum class Step { kStarting, kWaiting, kCancelling, kAnswered };
  void OnFanoutDone();
  // This arrival leaves its execution; drops the rows if nobody got them.
  void LeaveExecution(bool delivered);

  Step step_ = Step::kStarting;
  std::shared_ptr<LocalExecution> local_;
  std::unique_ptr<ExecuteFanout> fanout_;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_QUERY_CALLS_H_
