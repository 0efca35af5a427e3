// Copyright 2026 The overlay Authors.
//
// PeerCredential: the shared secret that makes a caller one of the
// overlay's nodes. PeerClient sends it with every call to a neighbour as
// the metadata entry kPeerSecretKey; a node serves PeerService (Execute,
// Fetch, ReleaseResult) only to callers that present it (see
// nodes/unary_call.h), comparing in constant time. An empty secret is an
// open overlay: every caller is accepted (configs without peer_secret; the
// node logs a warning at start). Immutable after construction; thread-safe.
//
//   PeerCredential credential(config.peer_secret);
//   if (!credential.Accepts(context.client_metadata())) ... UNAUTHENTICATED

#ifndef OVERLAY_CORE_SECURITY_PEER_CREDENTIAL_H_
#define OVERLAY_CORE_SECURITY_PEER_CREDENTIAL_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace overlay {

// The metadata key of the peer secret (gRPC keys are lower case).
inline constexpr char kPeerSecretKey[] = "overlay-peer-secret";

// True if `a` equals `b`; the time taken depends on the lengths only, never
// on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

class PeerCredential final {
 public:
  explicit PeerCredential(std::string secret = "")
      : secret_(std::move(secret)) {}
  PeerCredential(const PeerCredential&) = delete;
  PeerCredential& operator=(const PeerCredential&) = delete;

  // False for an open overlay (no secret configured).
  bool required() const { return !secret_.empty(); }
  // What PeerClient sends as kPeerSecretKey.
  const std::string& secret() const { return secret_; }

  // True if the call's metadata carries the secret (exactly one entry of
  // kPeerSecretKey, equal to it), or no secret is required.
  bool Accepts(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;

 private:
  const std::string secret_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_SECURITY_PEER_CREDENTIAL_H_
