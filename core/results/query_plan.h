// Copyright 2026 The overlay Authors.
//
// QueryPlan: the portal's map of one query's result. The result is the
// concatenation of segments, one per data share, in share order; each
// segment is cut into chunks of chunk_size records (a chunk never spans two
// shares). The plan holds no records itself, only a small window of chunks
// being fetched or prefetched (ChunkSlot), so the portal's memory stays
// bounded for results of any size.
//
// QueryRegistry owns the plans by query id, with an idle TTL.
// Both are thread-safe.

#ifndef OVERLAY_CORE_RESULTS_QUERY_PLAN_H_
#define OVERLAY_CORE_RESULTS_QUERY_PLAN_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/common/clock.h"
#include "core/reactor/notifier.h"
#include "protos/overlay.pb.h"

namespace overlay {

struct Segment {
  std::string node_id;
  std::string share;
  std::vector<std::string> route;  // portal ... owner
  int64_t records = 0;
  int64_t first_record = 0;        // in the whole result
  int32_t first_chunk = 0;
  int32_t chunks = 0;
};

// A fetched chunk, or why it could not be fetched. The records stay in
// their wire form (a serialized overlay.v1.RecordChunk): the portal relays
// them as they came.
struct FetchedChunk {
  grpc::Status status;
  std::string records;
};

class QueryPlan final {
 public:
  // Lays the segments out in the given order; each gets
  // ceil(records / chunk_size) chunks.
  QueryPlan(std::string query_id, int32_t chunk_size,
            std::vector<Segment> segments);
  QueryPlan(const QueryPlan&) = delete;
  QueryPlan& operator=(const QueryPlan&) = delete;

  const std::string& query_id() const { return query_id_; }
  int32_t chunk_size() const { return chunk_size_; }
  int64_t total_records() const { return total_records_; }
  int32_t total_chunks() const { return total_chunks_; }
  const std::vector<Segment>& segments() const { return segments_; }

  // The segment holding chunk `index`. REQUIRES 0 <= index < total_chunks().
  const Segment& SegmentOf(int32_t index) const;
  // Offset within its segment and record count of chunk `index`.
  int64_t OffsetInSegment(int32_t index) const;
  int32_t RecordsIn(int32_t index) const;

  enum class Slot { kReady, kWaiting, kMustFetch };
  // kReady: `*out` holds the chunk. kWaiting: a fetch is under way and
  // `waiter` will be notified on `cq` when it ends (call again then).
  // kMustFetch: nobody fetches it yet; the caller must fetch it and call
  // Complete(); `waiter` is notified then too.
  Slot TakeOrWait(int32_t index, Notifier* waiter, grpc::CompletionQueue* cq,
                  std::shared_ptr<const FetchedChunk>* out);
  // True if the caller should prefetch `index` (not held nor being fetched).
  bool ClaimPrefetch(int32_t index);
  // Stores a fetched chunk and notifies its waiters.
  void Complete(int32_t index, std::shared_ptr<const FetchedChunk> chunk);
  int slots_held() const;

 private:
  struct ChunkSlot {
    std::shared_ptr<const FetchedChunk> chunk;  // null while fetching
    std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> waiters;
  };

  const std::string query_id_;
  const int32_t chunk_size_;
  std::vector<Segment> segments_;
  int64_t total_records_ = 0;
  int32_t total_chunks_ = 0;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int32_t, ChunkSlot> slots_ ABSL_GUARDED_BY(mu_);
};

class QueryRegistry final {
 public:
  QueryRegistry(Clock* clock, int64_t ttl_nanos, int max_plans);
  QueryRegistry(const QueryRegistry&) = delete;
  QueryRegistry& operator=(const QueryRegistry&) = delete;

  void Add(std::shared_ptr<QueryPlan> plan);
  // Null if unknown, released or expired; counts as a use.
  std::shared_ptr<QueryPlan> Find(const std::string& query_id);
  std::shared_ptr<QueryPlan> Remove(const std::string& query_id);
  // Removes and returns the plans unused for the TTL (and, past max_plans,
  // the least recently used), so the caller can release their rows.
  std::vector<std::shared_ptr<QueryPlan>> TakeExpired();
  int64_t size() const;

 private:
  struct Entry {
    std::shared_ptr<QueryPlan> plan;
    int64_t last_used_nanos = 0;
  };
  Clock* const clock_;
  const int64_t ttl_nanos_;
  const int max_plans_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> plans_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_QUERY_PLAN_H_
