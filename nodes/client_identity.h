// Copyright 2026 The overlay Authors.
//
// ClientKey: who a client call is for, as the portal binds results to it
// and counts its results: the request's client_id, or the caller's address
// (host only: one client may use several connections) when it sent none.
// Pure functions; thread-safe.

#ifndef OVERLAY_NODES_CLIENT_IDENTITY_H_
#define OVERLAY_NODES_CLIENT_IDENTITY_H_

#include <string>

namespace overlay {

// `peer` is grpc's "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" form.
std::string ClientKey(const std::string& client_id, const std::string& peer);

// `peer` without its port ("ipv4:127.0.0.1"): the admission class of a
// client that sent no client_id (one client may use several connections).
std::string PeerHost(const std::string& peer);

}  // namespace overlay

#endif  // OVERLAY_NODES_CLIENT_IDENTITY_H_
