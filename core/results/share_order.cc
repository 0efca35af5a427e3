// Copyright 2026 The overlay Authors.

#include "core/results/share_order.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace overlay {

std::vector<LaidOutSegment> LayOutSegments(std::vector<v1::ShareHit> hits,
                                           int64_t limit) {
  std::sort(hits.begin(), hits.end(),
            [](const v1::ShareHit& a, const v1::ShareHit& b) {
              return ShareBefore(a.first_day(), a.node_id(), b.first_day(),
                                 b.node_id());
            });
  std::vector<LaidOutSegment> out;
  out.reserve(hits.size());
  int64_t remaining =
      limit > 0 ? limit : std::numeric_limits<int64_t>::max();
  for (v1::ShareHit& hit : hits) {
    LaidOutSegment& laid = out.emplace_back();
    Segment& segment = laid.segment;
    segment.node_id = std::move(*hit.mutable_node_id());
    segment.share = std::move(*hit.mutable_share());
    segment.route.assign(hit.route().begin(), hit.route().end());
    laid.cut_from = std::max<int64_t>(0, hit.records());
    segment.records = std::min(laid.cut_from, remaining);
    remaining -= segment.records;
    segment.generation = hit.generation();
    segment.has_inline_records = hit.has_inline_records();
    if (segment.has_inline_records) {
      segment.inline_records = std::move(*hit.mutable_inline_records());
    }
  }
  return out;
}

bool FitsOneChunk(const std::vector<Segment>& segments, int32_t chunk_size) {
  int64_t total = 0;
  for (const Segment& segment : segments) total += segment.records;
  return total > 0 && total <= chunk_size;
}

}  // namespace overlay
