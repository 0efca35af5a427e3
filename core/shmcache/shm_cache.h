// Copyright 2026 The overlay Authors.
//
// ShmCache: a TTL cache of byte strings (serialized chunks, query plans) in
// one shared-memory segment, shared by the co-located nodes of a host group.
// Owns its ShmSegment (fd, locks, mapping); borrows the PosixApi and Clock.
//
// Thread-safe within a process and across processes: Get, Put, Erase, Sweep
// and stats may be called concurrently from any thread of any attached
// process. Nothing takes a lock: readers copy an entry out and re-check its
// seqlock version and checksum, so they never return a torn, stale or
// corrupt entry and never block a writer (a dead reader costs nothing);
// writers reserve arena bytes with one CAS and publish with a seqlock, so a
// writer killed at any point loses at most its own entry. Detach() and the
// destructor need exclusive access.
//
//   ShmCacheOptions options;
//   options.name = ShmSegmentName("one_host", "h1");
//   options.size_bytes = uint64_t{256} << 20;
//   ASSIGN_OR_RETURN(std::unique_ptr<ShmCache> cache,
//                    ShmCache::CreateOrAttach(options, PosixApi::Real(),
//                                             RealClock::Get()));
//   RETURN_IF_ERROR(cache->Put(key, chunk_bytes, /*ttl_nanos=*/kThirtySec));
//   std::string bytes;
//   if (cache->Get(key, &bytes)) { ... }
//
// Eviction: the arena is a ring, so when it is full the oldest values are
// overwritten (FIFO); each index set holds shm_layout::kWays entries and a
// full set drops its oldest. Expired entries miss on read; Sweep(), which
// the owner calls periodically, removes them and recovers buckets left
// claimed by dead writers.

#ifndef OVERLAY_CORE_SHMCACHE_SHM_CACHE_H_
#define OVERLAY_CORE_SHMCACHE_SHM_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/common/clock.h"
#include "core/shmcache/hash.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache_options.h"
#include "core/shmcache/shm_layout.h"
#include "core/shmcache/shm_segment.h"

namespace overlay {

// Event counts, either of the whole segment (every process since creation;
// kept in the segment, so as trustworthy as its memory) or of one
// attachment. Evictions and expiries are counted when the index drops the
// entry: when a Put() needs its bucket, or at the next Sweep(); until then
// a Get() of such an entry is just a miss.
struct ShmCacheCounters {
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t inserts = 0;
  int64_t evictions = 0;          // live entries dropped: ring or set full
  int64_t expired = 0;            // entries dropped after their TTL
  int64_t torn_read_retries = 0;  // an entry changed while being copied
  int64_t checksum_failures = 0;  // entries refused: corrupt bytes
  int64_t lease_recoveries = 0;   // buckets of dead writers reclaimed
  int64_t put_failures = 0;       // Put()s that found or kept no bucket
  int64_t lapped_writes = 0;      // Put()s the ring overtook mid-copy
};

struct ShmCacheStats {
  ShmCacheCounters segment;  // shared, all attached processes
  ShmCacheCounters process;  // this ShmCache only
  // Gauges from a scan of the index at the time of the call.
  int64_t entries = 0;     // live (unexpired, intact) entries
  int64_t bytes_used = 0;  // value bytes of those entries
  int64_t segment_bytes = 0;
  int64_t arena_bytes = 0;
  int64_t bucket_count = 0;
  // Failed CreateOrAttach calls in this process (any segment).
  int64_t attach_errors = 0;
};

class ShmCache final {
 public:
  // Creates the segment of `options`, attaches to it if it is live, or
  // reclaims it if it is stale (see ShmSegment). Errors: INVALID_ARGUMENT
  // for bad options; FAILED_PRECONDITION when a live segment does not match
  // (layout version, size, boot, time namespace, uid, corrupt header);
  // RESOURCE_EXHAUSTED when the directory lacks space; other PosixError
  // codes. On error the caller runs without the cache.
  // REQUIRES: posix and clock outlive the cache; clock reads
  // CLOCK_MONOTONIC (or is one FakeClock shared by a test).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmCache>> CreateOrAttach(
      const ShmCacheOptions& options, PosixApi* posix, Clock* clock);

  ShmCache(const ShmCache&) = delete;
  ShmCache& operator=(const ShmCache&) = delete;
  ~ShmCache();  // Detach()es

  // Copies the newest live value of `key` into *out and returns true; on a
  // miss returns false and clears *out. Reuse *out to avoid allocations.
  // Never writes to the segment except its counters.
  // REQUIRES: out != nullptr.
  bool Get(std::string_view key, std::string* out);

  // Whether a live, intact-looking entry of `key` is there now, from the
  // index alone (no copy, no checksum, no counter): a Get() right after may
  // still miss. For deciding whether to fetch or encode something anew.
  bool Contains(std::string_view key) const;

  // Stores `value` under `key` for ttl_nanos, replacing any earlier value.
  // Errors: INVALID_ARGUMENT (value larger than max_value_bytes(),
  // ttl_nanos <= 0); UNAVAILABLE when every bucket of the key's set is being
  // written by others; ABORTED when Sweep() reclaimed the claim of a writer
  // stalled beyond writer_lease_nanos. Nothing is stored on error.
  [[nodiscard]] absl::Status Put(std::string_view key, std::string_view value,
                                 int64_t ttl_nanos);

  // Removes `key`; returns whether an entry was removed.
  bool Erase(std::string_view key);

  // Removes expired and overwritten entries and reclaims buckets held by
  // writers dead for longer than the lease. O(bucket_count); call it
  // periodically (e.g. every second). Returns the buckets emptied.
  int Sweep();

  // O(bucket_count): scans the index for the gauges.
  ShmCacheStats stats() const;

  // Unmaps the segment; removes it when this is its last attacher (the last
  // node of a host to stop). Idempotent. REQUIRES: no concurrent calls, and
  // none after it.
  [[nodiscard]] absl::Status Detach();

  AttachMode attach_mode() const { return segment_->attach_mode(); }
  const std::string& path() const { return segment_->path(); }
  uint64_t max_value_bytes() const { return max_value_bytes_; }

  // Failed CreateOrAttach calls in this process so far.
  static int64_t attach_errors();

 private:
  struct Victim;

  ShmCache(std::unique_ptr<ShmSegment> segment, const ShmCacheOptions& options,
           Clock* clock);

  shm_layout::Bucket* SetOf(const KeyFingerprint& fp) const;
  // Reserves `bytes` of arena, returning its absolute position.
  uint64_t Reserve(uint64_t bytes);
  void CopyIn(uint64_t position, std::string_view value);
  bool IsIntact(uint64_t position, uint64_t length, uint64_t head) const;
  // The arena head, to judge a bucket whose version was just loaded with
  // acquire: call it after that load, never before the loop over buckets.
  uint64_t HeadAfterAcquire() const;
  // Picks the bucket of `set` a write of `fp` should claim.
  Victim ChooseVictim(shm_layout::Bucket* set, const KeyFingerprint& fp,
                      int64_t now) const;
  // Empties `bucket` if its version is still `version`.
  bool Clear(shm_layout::Bucket* bucket, uint64_t version);
  void RemoveDuplicates(shm_layout::Bucket* set, const KeyFingerprint& fp,
                        uint64_t serial, shm_layout::Bucket* mine,
                        uint64_t mine_version);
  void Count(shm_layout::CounterId id);
  void Hook(WriteStep step) const {
    if (write_step_hook_) write_step_hook_(step);
  }

  std::unique_ptr<ShmSegment> segment_;
  Clock* const clock_;
  const std::function<void(WriteStep)> write_step_hook_;
  // Copied from the validated geometry; never re-read from the segment.
  shm_layout::Header* const header_;
  shm_layout::Bucket* const buckets_;
  char* const arena_;
  const uint64_t arena_bytes_;
  const uint64_t set_mask_;
  const uint64_t bucket_count_;
  const uint64_t max_value_bytes_;
  const int64_t lease_seconds_;
  // Relaxed: statistics of this attachment; nothing depends on them.
  std::array<std::atomic<int64_t>, shm_layout::kCounterCount> local_{};
};

}  // namespace overlay

#endif  // OVERLAY_CORE_SHMCACHE_SHM_CACHE_H_
