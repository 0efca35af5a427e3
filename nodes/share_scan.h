// Copyright 2026 The overlay Authors.
//
// StartShareScan: runs a query's LocalExecution over this node's table. A
// first slice runs inline on the calling reactor thread (a query with a
// limit usually ends there, and then costs no thread hop); the rest runs on
// a scan worker in slices, stopping between slices once the execution is
// cancelled or its deadline passed, so a long scan never stalls a reactor
// and never outlives the query. The matches are then kept in the
// ResultStore, or encoded into the outcome when they fit in one chunk (the
// owner then holds nothing), and the execution finishes, waking its
// waiters. With `chunks` set (the query's portal shares this node's host),
// records sent inline are stored in the shared cache too, and with
// `preencode` the matches' chunks are first encoded there, off the reactor,
// so the portal serves them without a call. Callable from a reactor thread; the scan
// owns itself.

#ifndef OVERLAY_NODES_SHARE_SCAN_H_
#define OVERLAY_NODES_SHARE_SCAN_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "core/admission/admission_permit.h"
#include "core/results/execution_registry.h"
#include "core/store/filter.h"
#include "nodes/chunk_cache.h"
#include "nodes/node_runtime.h"

namespace overlay {

struct ShareScanRequest {
  std::shared_ptr<LocalExecution> execution;
  Filter filter;
  int64_t deadline = 0;  // on the node's clock
  // Matches that fit in this many records travel with the answer; 0 never.
  int32_t inline_records_up_to = 0;
  // This node's chunks of the query in the shared cache (owner,
  // generation, chunk size and filter key; the scan fills in
  // share_records), when the query's portal reads that cache: records sent
  // inline are stored there. Unset: the cache is not used.
  std::optional<ShareChunks> chunks;
  // Also encode the chunks of a result held in the store into the cache
  // before finishing (not for `fresh` queries).
  bool preencode = false;
  // The Execute's admission slot: the scan holds it and returns it when it
  // ends (on whichever thread that is), before it finishes the execution.
  AdmissionPermit permit;
};

// May finish the execution before it returns.
void StartShareScan(const Node* node, ShareScanRequest request);

}  // namespace overlay

#endif  // OVERLAY_NODES_SHARE_SCAN_H_
