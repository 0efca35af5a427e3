// Copyright 2026 The overlay Authors.
//
// The on-shm format of the shared TTL cache: the only file that describes
// bytes in a segment. A segment is one file in /dev/shm (or a test's tmpfs)
// mapped MAP_SHARED by every co-located node of a host group; its address
// differs per mapping, so the format holds offsets and arena positions, never
// pointers. Every type here is trivially copyable and standard-layout, every
// shared mutable field is an address-free, always-lock-free std::atomic, and
// the asserts at the bottom enforce it. Nothing in here owns anything; the
// structs are views placed on mapped memory by ShmSegment.
//
//   offset 0             Header (kHeaderBytes): Geometry, its checksum, the
//                         initialising flag, the arena allocator, counters
//   kHeaderBytes          Bucket[bucket_count], kWays buckets per set
//   ArenaOffset(buckets)  arena of arena_bytes, used as a ring
//
// Bump kLayoutVersion when ANY of these change: a struct's fields, sizes,
// order or alignment; a constant below; the meaning of a field (e.g. the
// clock of expiry_nanos, what serial 0 means); the set/way mapping; the
// checksum or fingerprint functions (core/shmcache/hash.h) or their seeds;
// the lock bytes used for lifecycle (LockByte). An attacher that sees another
// version refuses the segment with FAILED_PRECONDITION.
//
// Concurrency protocol (implemented in shm_cache.cc, relied on here):
//  * Bucket::version is a seqlock: even = stable, odd = being written. A
//    writer claims a bucket with a CAS even -> odd, stores the fields, and
//    publishes with a CAS odd -> odd + 1. Readers never write a bucket.
//  * Value bytes are written into the arena BEFORE the bucket is claimed, so
//    a bucket is odd only for a few stores; a writer killed while odd loses
//    its own entry, and Sweep() reclaims the bucket after a lease.
//  * The arena is a ring addressed by 64-bit absolute positions that only
//    grow (Header::arena_head); a value at `position` is intact while
//    arena_head - position <= arena_bytes. Reservation is one CAS: no lock.
//    A writer that stalls while copying until the ring laps it may scribble
//    over a newer value; it notices (kLappedWrites) and does not publish,
//    and the newer value's checksum makes readers refuse it.
//  * Bucket::checksum is XxHash64 of the value seeded with all other fields
//    (EntrySeed), so a torn, corrupted or mixed bucket never validates.

#ifndef OVERLAY_CORE_SHMCACHE_SHM_LAYOUT_H_
#define OVERLAY_CORE_SHMCACHE_SHM_LAYOUT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/shmcache/hash.h"

namespace overlay::shm_layout {

// "OVLSHMC1" read as a little-endian uint64.
inline constexpr uint64_t kMagic = 0x31434D48534C564FULL;
inline constexpr uint32_t kLayoutVersion = 1;

inline constexpr uint64_t kPageBytes = 4096;
inline constexpr uint64_t kHeaderBytes = 4096;  // index starts here
inline constexpr uint64_t kCacheLineBytes = 64;
inline constexpr uint32_t kWays = 8;         // buckets per set
inline constexpr uint64_t kArenaAlign = 64;  // every value starts aligned
inline constexpr uint64_t kMinArenaBytes = 64 * 1024;
inline constexpr uint32_t kMaxBucketCount = 1u << 24;
// Bucket::length is 32-bit; values are far smaller (chunks <= ~1.5 MB).
inline constexpr uint64_t kMaxValueBytesLimit = (uint64_t{1} << 31) - 1;
inline constexpr size_t kBootIdBytes = 40;  // 36-char UUID, NUL-padded
inline constexpr uint64_t kGeometryChecksumSeed = 0x67656F6D65747279ULL;
// arena_head beyond this is corruption (2^62 bytes is never written).
inline constexpr uint64_t kMaxArenaHead = uint64_t{1} << 62;

// Byte-range locks (open-file-description locks, fcntl F_OFD_SETLK) on the
// segment file; the kernel drops them when the last fd of an attacher closes,
// including on SIGKILL, so liveness needs no pid table.
enum LockByte : int {
  // Every attacher holds a read lock; a successful write-lock probe (under
  // kLifecycle) proves nobody else is attached.
  kMembership = 0,
  // Write-locked around attach, reclaim and detach: serialises them. (A new
  // segment is initialised unnamed and needs no lock; see ShmSegment.)
  kLifecycle = 1,
};

// Immutable after creation; attachers copy it out and compare it field by
// field with what their own options and environment imply. No implicit
// padding (has_unique_object_representations), so its checksum is defined.
struct Geometry {
  uint64_t magic;              // kMagic
  uint32_t layout_version;     // kLayoutVersion
  uint32_t header_bytes;       // kHeaderBytes
  uint64_t total_bytes;        // file size == mapping size
  uint64_t index_offset;       // kHeaderBytes
  uint32_t bucket_count;       // power of two, multiple of kWays
  uint32_t ways;               // kWays
  uint64_t arena_offset;       // ArenaOffset(bucket_count)
  uint64_t arena_bytes;        // multiple of kArenaAlign
  uint64_t max_value_bytes;    // <= arena_bytes / 2, <= kMaxValueBytesLimit
  char boot_id[kBootIdBytes];  // /proc/sys/kernel/random/boot_id
  // Inode of /proc/self/ns/time (0 without time namespaces): expiry_nanos is
  // CLOCK_MONOTONIC, meaningful only within one boot and time namespace.
  uint64_t time_namespace_id;
  uint32_t creator_uid;  // euid of the creator
  uint32_t reserved;     // 0
};

// One cache line per counter, so readers bumping hits do not bounce the
// line writers bump. Relaxed increments: statistics only.
struct alignas(kCacheLineBytes) SharedCounter {
  std::atomic<uint64_t> value;
};

enum CounterId : int {
  kHits = 0,
  kMisses,
  kInserts,
  kEvictions,         // live entries dropped: ring overwrote them / set full
  kExpired,           // entries dropped because their TTL passed
  kTornReadRetries,   // a bucket changed while a reader copied it
  kChecksumFailures,  // a stable entry whose bytes did not match
  kLeaseRecoveries,   // buckets left odd by a dead writer, reclaimed
  kPutFailures,       // Put() found no bucket to claim or lost its claim
  kLappedWrites,      // a writer so slow the ring lapped its value's bytes
  kCounterCount,
};

struct alignas(kCacheLineBytes) Header {
  Geometry geometry;
  uint64_t geometry_checksum;  // XxHash64(geometry, kGeometryChecksumSeed)

  // 1 while the creator initialises, then 0. The creator publishes the file
  // only afterwards, so an attacher seeing 1 is looking at corruption.
  alignas(kCacheLineBytes) std::atomic<uint32_t> initialising;

  // The arena allocator: the absolute position of the next free byte (its
  // physical offset is arena_head % arena_bytes) and the last serial handed
  // out. Writers CAS/fetch_add them; nothing else in the header is written
  // after initialisation except the counters.
  alignas(kCacheLineBytes) std::atomic<uint64_t> arena_head;
  std::atomic<uint64_t> next_serial;

  SharedCounter counters[kCounterCount];
};

// One index entry; exactly one cache line. A bucket is empty when serial is
// 0. All fields except version are written only while version is odd.
struct alignas(kCacheLineBytes) Bucket {
  std::atomic<uint64_t> version;         // seqlock, see above
  std::atomic<uint64_t> fingerprint_lo;  // FingerprintKey(key).lo
  std::atomic<uint64_t> fingerprint_hi;  // FingerprintKey(key).hi
  std::atomic<uint64_t> position;        // absolute arena position
  std::atomic<int64_t> expiry_nanos;     // CLOCK_MONOTONIC; expired if <= now
  std::atomic<uint64_t> serial;          // 0 = empty, else insertion order
  std::atomic<uint32_t> length;          // value bytes
  std::atomic<uint32_t> claim_seconds;   // CLOCK_MONOTONIC s of the claim
  std::atomic<uint64_t> checksum;        // XxHash64(value, EntrySeed(...))
};

constexpr uint64_t RoundUp(uint64_t value, uint64_t align) {
  return (value + align - 1) / align * align;
}

constexpr uint64_t IndexBytes(uint32_t bucket_count) {
  return uint64_t{bucket_count} * sizeof(Bucket);
}

// The arena starts on the first page after the index.
constexpr uint64_t ArenaOffset(uint32_t bucket_count) {
  return RoundUp(kHeaderBytes + IndexBytes(bucket_count), kPageBytes);
}

// Arena bytes a value of `length` occupies (at least one aligned unit).
constexpr uint64_t ReservedBytes(uint64_t length) {
  return length == 0 ? kArenaAlign : RoundUp(length, kArenaAlign);
}

// The seed of an entry's checksum: binds the value bytes to every other
// field of its bucket.
inline uint64_t EntrySeed(uint64_t fingerprint_lo, uint64_t fingerprint_hi,
                          uint64_t position, uint32_t length,
                          int64_t expiry_nanos, uint64_t serial) {
  const uint64_t fields[6] = {fingerprint_lo,
                              fingerprint_hi,
                              position,
                              uint64_t{length},
                              static_cast<uint64_t>(expiry_nanos),
                              serial};
  return XxHash64(fields, sizeof(fields), /*seed=*/0);
}

inline uint64_t GeometryChecksum(const Geometry& geometry) {
  return XxHash64(&geometry, sizeof(geometry), kGeometryChecksumSeed);
}

// ---- What the format relies on; a failure here is a format change. ----

static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<int64_t>::is_always_lock_free,
              "shared atomics must be lock-free (hence address-free)");
static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t) &&
                  sizeof(std::atomic<int64_t>) == sizeof(int64_t) &&
                  sizeof(std::atomic<uint32_t>) == sizeof(uint32_t),
              "an atomic must have the layout of its value");
static_assert(std::is_trivially_copyable_v<Geometry> &&
                  std::is_standard_layout_v<Geometry> &&
                  std::has_unique_object_representations_v<Geometry>,
              "Geometry is checksummed byte by byte: no padding");
static_assert(sizeof(Geometry) == 120);
static_assert(std::is_trivially_copyable_v<Header> &&
                  std::is_standard_layout_v<Header> &&
                  std::is_trivially_destructible_v<Header>,
              "Header lives in shared memory");
static_assert(offsetof(Header, geometry_checksum) == 120);
static_assert(offsetof(Header, initialising) == 128);
static_assert(offsetof(Header, arena_head) == 192);
static_assert(offsetof(Header, next_serial) == 200);
static_assert(offsetof(Header, counters) == 256);
static_assert(sizeof(Header) <= kHeaderBytes);
static_assert(alignof(Header) == kCacheLineBytes);
static_assert(std::is_trivially_copyable_v<Bucket> &&
                  std::is_standard_layout_v<Bucket> &&
                  std::is_trivially_destructible_v<Bucket>,
              "Bucket lives in shared memory");
static_assert(sizeof(Bucket) == kCacheLineBytes &&
                  alignof(Bucket) == kCacheLineBytes,
              "a bucket is one cache line");
static_assert(offsetof(Bucket, checksum) == 56);
static_assert(kHeaderBytes % kCacheLineBytes == 0 &&
                  kPageBytes % kArenaAlign == 0,
              "index and arena start cache-line aligned");
static_assert((kWays & (kWays - 1)) == 0, "kWays is a power of two");

}  // namespace overlay::shm_layout

#endif  // OVERLAY_CORE_SHMCACHE_SHM_LAYOUT_H_
