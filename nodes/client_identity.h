// Copyright 2026 The overlay Authors.
//
// ClientKey: who a client call is for, as the portal binds results to it
// and counts its results: the request's client_id, or the caller's address
// (host only: one client may use several connections) when it sent none;
// under mutual TLS also the identity of the caller's verified certificate
// (the subject alternative names, else the common name), so a result is a
// capability of that certificate's holder alone: anyone else asking for it
// is told it does not exist. Pure functions; thread-safe.

#ifndef OVERLAY_NODES_CLIENT_IDENTITY_H_
#define OVERLAY_NODES_CLIENT_IDENTITY_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <string>

namespace overlay {

// `peer` is grpc's "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" form;
// `tls_identity` is TlsIdentity() of the call ("" without a certificate).
std::string ClientKey(const std::string& client_id, const std::string& peer,
                      const std::string& tls_identity = "");
// The key of the caller of `context`; with `tls_identity` (a node with
// mutual TLS: every caller has a verified certificate) including it.
std::string ClientKey(const std::string& client_id,
                      const grpc::ServerContext& context, bool tls_identity);

// "x509_subject_alternative_name=localhost,127.0.0.1" for a caller that
// presented a verified certificate; "" otherwise.
std::string TlsIdentity(const grpc::AuthContext& auth);

// `peer` without its port ("ipv4:127.0.0.1"): the admission class of a
// client that sent no client_id (one client may use several connections).
std::string PeerHost(const std::string& peer);

}  // namespace overlay

#endif  // OVERLAY_NODES_CLIENT_IDENTITY_H_
