// Copyright 2026 The overlay Authors.
//
// The share-order rule and the layout of a result, in one place. A result is
// the concatenation of the shares' matches in share order: by first day,
// then owner id. With the shipped configs' contiguous date shares this is
// the data set's own row order (files by day and hour, lines in file order;
// see core/store/table.h). LayOutSegments turns the shares' answers into
// the segments of a QueryPlan: in share order, with the query's limit
// applied across shares (the first `limit` records in result order).
// Pure functions; thread-safe.

#ifndef OVERLAY_CORE_RESULTS_SHARE_ORDER_H_
#define OVERLAY_CORE_RESULTS_SHARE_ORDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "protos/overlay.pb.h"

namespace overlay {

// True if the share starting `first_day_a` owned by `a` comes before the
// one starting `first_day_b` owned by `b` in every result.
inline bool ShareBefore(int64_t first_day_a, const std::string& a,
                        int64_t first_day_b, const std::string& b) {
  if (first_day_a != first_day_b) return first_day_a < first_day_b;
  return a < b;
}

// One share's part of a result, as the portal plans it.
struct Segment {
  std::string node_id;
  std::string share;
  std::vector<std::string> route;  // portal ... owner
  int64_t records = 0;
  int64_t first_record = 0;        // in the whole result
  int32_t first_chunk = 0;
  int32_t chunks = 0;
  // The records themselves when the owner sent them with its answer (a
  // serialized RecordChunk of exactly `records` records); the owner holds
  // nothing then.
  bool has_inline_records = false;
  std::string inline_records;
  // The owner's data generation when it answered (ShareHit.generation; 0
  // if unknown): part of the shared cache's chunk keys (nodes/node_cache.h).
  uint64_t generation = 0;
  // The owner holds no rows for this query (the plan came from the shared
  // cache): each chunk is read from the cache or made anew by the owner
  // from the query itself, and there is nothing to release.
  bool stateless = false;
};

// The segments of a result from the shares' answers (in any order), sorted
// by the share-order rule, each cut to what the limit leaves (0: none).
// Inline records are kept as sent; a segment cut by the limit carries the
// full count in `cut_from` so the caller can trim them.
struct LaidOutSegment {
  Segment segment;
  int64_t cut_from = 0;  // records the share answered (>= segment.records)
};
std::vector<LaidOutSegment> LayOutSegments(std::vector<v1::ShareHit> hits,
                                           int64_t limit);

// True when the whole result (some records) fits in one chunk: if the
// portal has every record at hand (its own rows, records the owners sent
// with their answers, chunks in the host's cache) it serves them as one
// chunk of all the shares' records (a chunk spans owners only then), and
// nobody holds rows for it.
bool FitsOneChunk(const std::vector<Segment>& segments, int32_t chunk_size);

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_SHARE_ORDER_H_
