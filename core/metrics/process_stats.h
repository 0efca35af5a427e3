// Copyright 2026 The overlay Authors.
//
// Reads this process's CPU time and resident memory (getrusage,
// /proc/self/statm and /proc/self/status). Stateless; thread-safe.

#ifndef OVERLAY_CORE_METRICS_PROCESS_STATS_H_
#define OVERLAY_CORE_METRICS_PROCESS_STATS_H_

#include <cstdint>

namespace overlay {

// User + system CPU seconds used by this process so far.
double ProcessCpuSeconds();
// Resident set size in bytes; 0 if it cannot be read.
int64_t ProcessRssBytes();
// Of the resident set: shared memory pages (mapped tmpfs or shmem, e.g. a
// shared cache segment), in bytes; 0 if it cannot be read.
int64_t ProcessShmemRssBytes();

}  // namespace overlay

#endif  // OVERLAY_CORE_METRICS_PROCESS_STATS_H_
