// Copyright 2026 The overlay Authors.

#include "core/security/peer_credential.h"

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace overlay {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer input is looked at whatever the contents; a
  // length difference is folded in, not branched on early.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  uint8_t diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = i < a.size() ? static_cast<uint8_t>(a[i]) : 0;
    const uint8_t y = i < b.size() ? static_cast<uint8_t>(b[i]) : 0;
    diff |= static_cast<uint8_t>(x ^ y);
  }
  // Read through a volatile so the compiler cannot turn the loop into an
  // early-exit comparison.
  volatile uint8_t result = diff;
  return result == 0;
}

bool PeerCredential::Accepts(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  if (secret_.empty()) return true;
  auto [first, last] = metadata.equal_range(kPeerSecretKey);
  if (first == last || std::next(first) != last) return false;
  const grpc::string_ref& value = first->second;
  return ConstantTimeEquals(std::string_view(value.data(), value.size()),
                            secret_);
}

}  // namespace overlay
