// Copyright 2026 The overlay Authors.
//
// What the chunk calls do with the shared cache (nodes/node_cache.h):
//  * ShareChunks names the chunks of one share of one query (owner, data
//    generation, chunk size, the share's records, canonical filter), so
//    the owner that encodes a chunk and the portal that wants it compute
//    the same key;
//  * PreencodeChunks encodes a share's chunks into the segment ahead of
//    any pull, within the cache's budget (right after the owner's scan,
//    when the portal is on its host; and after a stateless slice);
//  * StartStatelessSlice makes one chunk anew from the query itself when
//    the owner holds no rows for it (the plan came from the cache and the
//    chunk was evicted): it runs the query again on a scan worker, cuts and
//    encodes the slice, stores it, and encodes the share's other chunks
//    ahead (before it answers, so the next pulls find them).
// The functions run on any thread; StartStatelessSlice calls `done` on a
// scan worker (or at once, on the caller's thread, if none can take it).

#ifndef OVERLAY_NODES_CHUNK_CACHE_H_
#define OVERLAY_NODES_CHUNK_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/types/span.h"
#include "core/results/query_plan.h"
#include "core/store/filter.h"
#include "grpcpp/support/status.h"
#include "nodes/node_runtime.h"

namespace overlay {

// The chunks of one share of one query.
struct ShareChunks {
  std::string owner;
  uint64_t generation = 0;  // the owner's data generation
  int32_t chunk_size = 0;
  int64_t share_records = 0;  // records of the share in the plan
  std::string filter_key;     // CanonicalFilterKey, limit included

  bool valid() const {
    return generation != 0 && chunk_size > 0 && share_records > 0 &&
           !filter_key.empty();
  }
  int64_t chunks() const {
    return (share_records + chunk_size - 1) / chunk_size;
  }
  std::string Key(int64_t index) const;
};

// The chunks of the share holding chunk `index` of `plan`, and the index
// within the share (invalid() if the plan lacks what keys need).
ShareChunks ChunksOf(const QueryPlan& plan, int32_t index,
                     int64_t* index_in_share);

// Encodes chunks of `chunks` from `rows` (this node's matches in row order,
// at least chunks.share_records of them) into the shared cache, skipping
// `skip_index` and chunks already there, until the cache's pre-encode
// budget is spent or `stop` (may be null) says so. Returns the chunks
// written. REQUIRES: chunks.owner is this node; off the reactor.
int PreencodeChunks(const Node* node, const ShareChunks& chunks,
                    absl::Span<const uint32_t> rows, int64_t skip_index,
                    const std::atomic<bool>* stop);

struct StatelessSlice {
  Filter filter;  // the query, limit included
  ShareChunks chunks;
  int64_t index = 0;  // within the share
  int64_t deadline = 0;  // on the node's clock
  bool fresh = false;    // the query's: no shared cache lookup
  // Set by the caller to stop the scan between slices.
  std::shared_ptr<const std::atomic<bool>> cancelled;
};

// Runs `slice` on a scan worker and calls `done` with the chunk's
// serialized records. FAILED_PRECONDITION if the node's data is no longer
// the generation the chunk was planned on; DEADLINE_EXCEEDED, CANCELLED;
// UNAVAILABLE when the node is shutting down.
using SliceDone = absl::AnyInvocable<void(grpc::Status status,
                                          std::string records)>;
void StartStatelessSlice(const Node* node, StatelessSlice slice,
                         SliceDone done);

}  // namespace overlay

#endif  // OVERLAY_NODES_CHUNK_CACHE_H_
