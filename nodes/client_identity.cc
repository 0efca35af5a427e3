// Copyright 2026 The overlay Authors.

#include "nodes/client_identity.h"

#include <memory>

#include "absl/strings/str_cat.h"

namespace overlay {

std::string ClientKey(const std::string& client_id, const std::string& peer,
                      const std::string& tls_identity) {
  std::string key = client_id.empty()
                        ? absl::StrCat("peer:", PeerHost(peer))
                        : absl::StrCat("id:", client_id);
  if (!tls_identity.empty()) absl::StrAppend(&key, "|tls:", tls_identity);
  return key;
}

std::string ClientKey(const std::string& client_id,
                      const grpc::ServerContext& context, bool tls_identity) {
  if (!tls_identity) return ClientKey(client_id, context.peer());
  // Made per call, so only where callers have certificates.
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  return ClientKey(client_id, context.peer(),
                   auth != nullptr ? TlsIdentity(*auth) : std::string());
}

std::string PeerHost(const std::string& peer) {
  // Drop the port: "ipv4:1.2.3.4:5678" -> "ipv4:1.2.3.4".
  const size_t colon = peer.rfind(':');
  const size_t scheme = peer.find(':');
  if (colon != std::string::npos && colon != scheme) {
    return peer.substr(0, colon);
  }
  return peer;
}

std::string TlsIdentity(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) return "";
  const std::string name = auth.GetPeerIdentityPropertyName();
  std::string identity = absl::StrCat(name, "=");
  const char* separator = "";
  for (const grpc::string_ref& value : auth.GetPeerIdentity()) {
    absl::StrAppend(&identity, separator,
                    absl::string_view(value.data(), value.size()));
    separator = ",";
  }
  return identity;
}

}  // namespace overlay
