// Copyright 2026 The overlay Authors.
//
// ShmCacheOptions: how to find, size and tune one shared cache segment.
// Plain struct, every member defaulted; validated by
// ShmCache::CreateOrAttach. Every process attaching to one segment must pass
// the same name, directory and sizes; a different size is refused with
// FAILED_PRECONDITION.

#ifndef OVERLAY_CORE_SHMCACHE_SHM_CACHE_OPTIONS_H_
#define OVERLAY_CORE_SHMCACHE_SHM_CACHE_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace overlay {

// The steps of a cache write, in order, for WriteStepHook. kCopying is
// reported between 4 KiB pieces of the value copy; kFieldStored after each
// bucket field; kClearing once a bucket has been claimed to be emptied
// (Erase, duplicate removal).
enum class WriteStep {
  kReserved,     // arena bytes reserved, nothing written
  kCopying,      // part of the value copied into the arena
  kCopied,       // value bytes complete, no bucket claimed
  kClaimed,      // bucket version odd
  kFieldStored,  // one more bucket field stored (bucket still odd)
  kPublished,    // bucket version even again, entry visible
  kClearing,     // a bucket claimed (odd) in order to empty it
};

struct ShmCacheOptions {
  // File name of the segment, e.g. ShmSegmentName("one_host", "host-a");
  // [A-Za-z0-9._-] only. Tests use unique names.
  std::string name;
  // Directory of the segment: /dev/shm in production, a test's own tmpfs.
  std::string directory = "/dev/shm";
  // Total segment size (header + index + arena); a multiple of 4096.
  uint64_t size_bytes = uint64_t{64} << 20;
  // Index buckets; 0 = one per 2 KiB of segment, rounded up to a power of
  // two, at least shm_layout::kWays. Must be a power of two.
  uint32_t bucket_count = 0;
  // Largest value Put() accepts; 0 = a quarter of the arena (capped at
  // 2 GiB). At most half the arena.
  uint64_t max_value_bytes = 0;
  // A bucket a writer has held odd (claimed but unpublished) for longer than
  // this is presumed to belong to a dead writer and reclaimed by Sweep().
  int64_t writer_lease_nanos = int64_t{10} * 1'000'000'000;
  // Tests only: called at every WriteStep of this process's writes, e.g. to
  // stop or kill the process at a chosen point. Must be async-signal-safe
  // enough for the test; null in production.
  std::function<void(WriteStep)> write_step_hook;
};

// Every segment name the nodes use starts with it.
inline constexpr char kSegmentNamePrefix[] = "overlay-";

// "overlay-<config name>-<host group>", the segment name of one overlay
// config and host group. Characters outside [A-Za-z0-9._-] become '_'.
std::string ShmSegmentName(std::string_view config_name,
                           std::string_view host_group);

}  // namespace overlay

#endif  // OVERLAY_CORE_SHMCACHE_SHM_CACHE_OPTIONS_H_
