// Copyright 2026 The overlay Authors.
//
// ResultStore: where a node keeps the rows its share matched for a query,
// until the portal releases them or they sit unused for the TTL. Chunks are
// cut from these rows on demand, so a result costs 4 bytes a row here and
// nothing is materialised until a client pulls it. This is the seam a
// shared-memory chunk cache plugs into.
//
// InMemoryResultStore owns the row vectors; it is bounded (the least
// recently used result is dropped past `max_results`). Thread-safe.

#ifndef OVERLAY_CORE_RESULTS_RESULT_STORE_H_
#define OVERLAY_CORE_RESULTS_RESULT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/common/clock.h"

namespace overlay {

using RowList = std::vector<uint32_t>;

class ResultStore {
 public:
  virtual ~ResultStore() = default;
  virtual void Put(const std::string& query_id, RowList rows) = 0;
  // Null if unknown, released or expired. Counts as a use (TTL restarts).
  virtual std::shared_ptr<const RowList> Get(const std::string& query_id) = 0;
  virtual bool Release(const std::string& query_id) = 0;
  // Drops results unused for the TTL; returns how many.
  virtual int ExpireIdle() = 0;
  virtual int64_t results_held() const = 0;
  virtual int64_t bytes_held() const = 0;
};

class InMemoryResultStore final : public ResultStore {
 public:
  // Holds at most `max_results` results and `max_bytes` of rows; past
  // either bound the least recently used result is dropped.
  InMemoryResultStore(Clock* clock, int64_t ttl_nanos, int max_results,
                      int64_t max_bytes = INT64_MAX);
  InMemoryResultStore(const InMemoryResultStore&) = delete;
  InMemoryResultStore& operator=(const InMemoryResultStore&) = delete;

  void Put(const std::string& query_id, RowList rows) override;
  std::shared_ptr<const RowList> Get(const std::string& query_id) override;
  bool Release(const std::string& query_id) override;
  int ExpireIdle() override;
  int64_t results_held() const override;
  int64_t bytes_held() const override;

 private:
  struct Entry {
    std::shared_ptr<const RowList> rows;
    int64_t last_used_nanos = 0;
  };
  // Drops the least recently used result other than `keep`.
  void EvictOldestLocked(const std::string& keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const int64_t ttl_nanos_;
  const int max_results_;
  const int64_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// SeenQueries: the query ids this node has already executed, so a query that
// arrives again by another path of a cyclic overlay runs once. Entries expire
// after the TTL. Thread-safe.
class SeenQueries final {
 public:
  SeenQueries(Clock* clock, int64_t ttl_nanos);
  SeenQueries(const SeenQueries&) = delete;
  SeenQueries& operator=(const SeenQueries&) = delete;

  // True the first time `query_id` is seen (within the TTL).
  bool FirstSighting(const std::string& query_id);
  int ExpireOld();

 private:
  Clock* const clock_;
  const int64_t ttl_nanos_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_RESULT_STORE_H_
