// Copyright 2026 The overlay Authors.
//
// The two hash functions of the shared cache format: XxHash64 (the xxHash64
// algorithm, bit-exact with the reference implementation) for entry and
// header checksums, and KeyFingerprint, the 128-bit identity of a cache key.
// Both are part of the on-shm format (core/shmcache/shm_layout.h): changing
// either one means bumping kLayoutVersion. Pure functions; thread-safe.

#ifndef OVERLAY_CORE_SHMCACHE_HASH_H_
#define OVERLAY_CORE_SHMCACHE_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace overlay {

// xxHash64 of `size` bytes at `data` with `seed`.
uint64_t XxHash64(const void* data, size_t size, uint64_t seed);

struct KeyFingerprint {
  uint64_t lo = 0;
  uint64_t hi = 0;

  friend bool operator==(const KeyFingerprint& a, const KeyFingerprint& b) {
    return a.lo == b.lo && a.hi == b.hi;
  }
  friend bool operator!=(const KeyFingerprint& a, const KeyFingerprint& b) {
    return !(a == b);
  }
};

// The 128-bit fingerprint of a caller-given key: two xxHash64 values of the
// key under independent seeds. Stable across processes, builds and hosts.
KeyFingerprint FingerprintKey(std::string_view key);

}  // namespace overlay

#endif  // OVERLAY_CORE_SHMCACHE_HASH_H_
