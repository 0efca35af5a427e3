// Copyright 2026 The overlay Authors.

#include "nodes/client_identity.h"

#include "absl/strings/str_cat.h"

namespace overlay {

std::string ClientKey(const std::string& client_id, const std::string& peer) {
  if (!client_id.empty()) return absl::StrCat("id:", client_id);
  return absl::StrCat("peer:", PeerHost(peer));
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

}  // namespace overlay
