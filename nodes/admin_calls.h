// Copyright 2026 The overlay Authors.
//
// The small calls: ReleaseCall (QueryService.Release) drops a plan of its
// own client and tells every owner holding its rows to drop them;
// ReleaseResultCall (PeerService.ReleaseResult) drops this node's rows, or
// forwards one hop along its route, or (flood) drops and stops the query
// here and forwards to the neighbours not yet reached; MetricsCall
// (QueryService.GetMetrics); ShutdownCall (QueryService.Shutdown: see
// ShutdownAllowed). Health is in health_calls.h.
//
// Admission: Release (Query pool, the client's class) and ReleaseResult
// (Execute pool) are follow-ups: admitted at once, never queued, so freeing
// a result is never refused for overload. GetMetrics, Shutdown and Health
// are not admitted: they answer however busy the node is.
// Reactor-thread only.

#ifndef OVERLAY_NODES_ADMIN_CALLS_H_
#define OVERLAY_NODES_ADMIN_CALLS_H_

#include <string>

#include "nodes/unary_call.h"

namespace overlay {

class ReleaseCall final
    : public UnaryCall<ReleaseCall, QueryAsyncService, v1::ReleaseRequest,
                       v1::ReleaseResponse, RpcKind::kRelease> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestRelease;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  ReleaseCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}
  AdmissionStep AdmissionFor();
  void OnRequest();
};

class ReleaseResultCall final
    : public UnaryCall<ReleaseResultCall, PeerAsyncService,
                       v1::ReleaseResultRequest, v1::ReleaseResponse,
                       RpcKind::kReleaseResult> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &PeerAsyncService::RequestReleaseResult;
  static PeerAsyncService* service(const Node* node) { return node->grpc.peer; }
  static constexpr bool kNotifyWhenDone = true;  // test hooks can stall it
  static constexpr bool kPeerOnly = true;
  ReleaseResultCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}
  AdmissionStep AdmissionFor();
  void OnRequest();
};

class MetricsCall final
    : public UnaryCall<MetricsCall, QueryAsyncService, v1::MetricsRequest,
                       v1::MetricsResponse, RpcKind::kGetMetrics> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestGetMetrics;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  MetricsCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}
  void OnRequest();
};

class ShutdownCall final
    : public UnaryCall<ShutdownCall, QueryAsyncService, v1::ShutdownRequest,
                       v1::ShutdownResponse, RpcKind::kShutdown> {
 public:
  static constexpr RequestMethod kRequestMethod =
      &QueryAsyncService::RequestShutdown;
  static QueryAsyncService* service(const Node* node) {
    return node->grpc.query;
  }
  ShutdownCall(const Node* node, grpc::ServerCompletionQueue* cq)
      : UnaryCall(node, cq) {}
  void OnRequest();
};

// The admission class of overlay-internal requests that carry none
// (ReleaseResult): the default team, client "(overlay)".
RequestClass OverlayInternalClass(const ClientTable& clients);
// True if `peer` (grpc's "ipv4:127.0.0.1:5000" form) is a loopback address.
bool IsLoopbackPeer(const std::string& peer);

// Who may stop a node (ShutdownCall): a caller presenting the config's
// shutdown_token (any address) or the peer credential (the operator holds
// the peer secret file); a loopback caller without either only in an open
// overlay (no peer secret configured), where anyone may call PeerService
// anyway. Everyone else gets PERMISSION_DENIED.
bool ShutdownAllowed(const std::string& token, const std::string& peer,
                     bool presents_peer_credential,
                     const std::string& shutdown_token,
                     bool peer_secret_configured);

}  // namespace overlay

#endif  // OVERLAY_NODES_ADMIN_CALLS_H_
