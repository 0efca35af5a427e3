// Copyright 2026 The overlay Authors.
//
// QueryPlan: the portal's map of one query's result. The result is the
// concatenation of segments, one per data share, in share order (laid out by
// share_order.h); each segment is cut into chunks of chunk_size records (a
// chunk never spans two shares). The plan holds no records itself beyond a
// small window of chunks being fetched or prefetched (ChunkSlot), and the
// records of shares small enough to travel with their answer, so the
// portal's memory stays bounded for results of any size. Fetched bytes are
// charged to the node's ResultMemory while held. The plan owns the
// CancellationScope of its fetches: releasing the plan cancels them.
//
// QueryRegistry owns the plans by query id, bound to the client that made
// each (a result is found only by its own client), with an idle TTL and a
// cap per client; at a cap it refuses new queries and never evicts. Two
// more bounds free the results of clients that are gone, since a unary
// answer is never acknowledged: one lost on its way (its client gave up as
// it arrived), or a client killed while pulling, would otherwise hold rows
// and its client's place for the whole TTL:
//   - a plan is unclaimed until its first Find (a GetChunk), and dropped
//     unclaimed at its claim deadline;
//   - a plan may have a hard deadline (its Query's, when the client sent
//     one: that deadline bounds the whole query, pulls included).
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
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/common/clock.h"
#include "core/reactor/cancellation_scope.h"
#include "core/reactor/notifier.h"
#include "core/results/result_memory.h"
#include "core/results/share_order.h"

namespace overlay {

// A fetched chunk, or why it could not be fetched. The records stay in
// their wire form (a serialized overlay.v1.RecordChunk): the portal relays
// them as they came.
struct FetchedChunk {
  grpc::Status status;
  std::string records;
};

// What a plan answers: the shared cache's chunk keys and the owners'
// stateless fetches (for a plan read from the cache) are made from it.
struct PlannedQuery {
  std::string filter_key;  // CanonicalFilterKey, limit included
  v1::Filter filter;       // as the client sent it
  int64_t limit = 0;
  bool fresh = false;  // QueryRequest.fresh: no shared cache lookups
};

class QueryPlan final {
 public:
  // Lays the segments out in the given order; each gets
  // ceil(records / chunk_size) chunks. `memory` (may be null: unaccounted)
  // is charged for the chunks the plan holds.
  QueryPlan(std::string query_id, int32_t chunk_size,
            std::vector<Segment> segments, ResultMemory* memory = nullptr,
            std::string client = "", PlannedQuery query = {});
  ~QueryPlan();
  QueryPlan(const QueryPlan&) = delete;
  QueryPlan& operator=(const QueryPlan&) = delete;

  const std::string& query_id() const { return query_id_; }
  const std::string& client() const { return client_; }
  int32_t chunk_size() const { return chunk_size_; }
  int64_t total_records() const { return total_records_; }
  int32_t total_chunks() const { return total_chunks_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const PlannedQuery& query() const { return query_; }

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
  // Takes `waiter` off chunk `index`'s list. True if it was there (no
  // notification will come); false if it was notified already.
  bool StopWaiting(int32_t index, Notifier* waiter);
  // True if the caller should prefetch `index` (not held nor being fetched,
  // and the node's result memory has room).
  bool ClaimPrefetch(int32_t index);
  // Stores a fetched chunk and notifies its waiters.
  void Complete(int32_t index, std::shared_ptr<const FetchedChunk> chunk);
  int slots_held() const;
  int64_t bytes_held() const;

  // Fetches made for this plan register here; Cancel() (release, expiry)
  // cancels those in flight.
  CancellationScope* fetches() { return &fetches_; }

 private:
  struct ChunkSlot {
    std::shared_ptr<const FetchedChunk> chunk;  // null while fetching
    std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> waiters;
    int64_t bytes = 0;  // charged to memory_
  };
  void EraseLocked(absl::flat_hash_map<int32_t, ChunkSlot>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string query_id_;
  const std::string client_;
  const int32_t chunk_size_;
  const PlannedQuery query_;
  std::vector<Segment> segments_;
  int64_t total_records_ = 0;
  int32_t total_chunks_ = 0;
  ResultMemory* const memory_;
  CancellationScope fetches_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int32_t, ChunkSlot> slots_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

class QueryRegistry final {
 public:
  QueryRegistry(Clock* clock, int64_t ttl_nanos, int max_plans,
                int max_per_client, ResultMemory* memory = nullptr);
  QueryRegistry(const QueryRegistry&) = delete;
  QueryRegistry& operator=(const QueryRegistry&) = delete;

  // Reserves room for one more plan of `client`: RESOURCE_EXHAUSTED (with
  // what to release) if the client holds max_per_client plans, the node
  // max_plans, or the node's result memory is full. Every OK reservation
  // is ended by Add() or Unreserve().
  [[nodiscard]] absl::Status Reserve(const std::string& client);
  void Unreserve(const std::string& client);
  struct Bounds {
    int64_t claim_by_nanos = 0;     // dropped then unless Find() claimed it
    int64_t deadline_nanos = 0;     // dropped then in any case; 0: none
  };
  // Adds a plan whose client reserved room.
  void Add(std::shared_ptr<QueryPlan> plan, Bounds bounds);
  // Null if unknown, released, expired, or made by another client (exactly
  // as if unknown). Counts as a use, and claims the plan.
  std::shared_ptr<QueryPlan> Find(const std::string& query_id,
                                  const std::string& client);
  std::shared_ptr<QueryPlan> Remove(const std::string& query_id,
                                    const std::string& client);
  // Remove() for a plan whose client is gone (counted as abandoned).
  std::shared_ptr<QueryPlan> Abandon(const std::string& query_id,
                                     const std::string& client);
  // Removes and returns the plans unused for the TTL, unclaimed by their
  // claim deadline or past their deadline, so the caller can release their
  // rows.
  std::vector<std::shared_ptr<QueryPlan>> TakeExpired();
  int64_t size() const;
  // Plans dropped because their client is gone (Abandon(), or by
  // TakeExpired() unclaimed or past their deadline), since the start; idle
  // ones are not counted.
  int64_t abandoned() const;
  int HeldBy(const std::string& client) const;

 private:
  struct Entry {
    std::shared_ptr<QueryPlan> plan;
    int64_t last_used_nanos = 0;
    Bounds bounds;
    bool claimed = false;  // a Find() came
    bool AbandonedAt(int64_t now) const {
      return (!claimed && now >= bounds.claim_by_nanos) ||
             (bounds.deadline_nanos != 0 && now >= bounds.deadline_nanos);
    }
    bool ExpiredAt(int64_t now, int64_t ttl_nanos) const {
      return now - last_used_nanos >= ttl_nanos || AbandonedAt(now);
    }
  };
  void EraseLocked(absl::flat_hash_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const int64_t ttl_nanos_;
  const int max_plans_;
  const int max_per_client_;
  ResultMemory* const memory_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> plans_ ABSL_GUARDED_BY(mu_);
  // Plans plus reservations, per client and in all.
  absl::flat_hash_map<std::string, int> per_client_ ABSL_GUARDED_BY(mu_);
  int reserved_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t abandoned_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_QUERY_PLAN_H_
