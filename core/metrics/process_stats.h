// Copyright 2026 The overlay Authors.
//
// Reads this process's CPU time and resident memory (getrusage and
// /proc/self/statm). Stateless; thread-safe.

#ifndef OVERLAY_CORE_METRICS_PROCESS_STATS_H_
#define OVERLAY_CORE_METRICS_PROCESS_STATS_H_

#include <cstdint>

namespace overlay {

// User + system CPU seconds used by this process so far.
double ProcessCpuSeconds();
// Resident set size in bytes; 0 if it cannot be read.
int64_t ProcessRssBytes();

}  // namespace overlay

#endif  // OVERLAY_CORE_METRICS_PROCESS_STATS_H_
