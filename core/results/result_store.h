// Copyright 2026 The overlay Authors.
//
// ResultStore: where a node keeps the rows its share matched for a query,
// until the portal releases them or they sit unused for the TTL. Chunks are
// cut from these rows on demand, so a result costs 4 bytes a row here and
// nothing is materialised until a client pulls it.
//
// InMemoryResultStore owns the row vectors. It is bounded by a count and by
// the node's ResultMemory; at either bound Put() refuses the new result
// (RESOURCE_EXHAUSTED) and never evicts a held one: a result someone pulls
// is never lost to someone else's load. Thread-safe.

#ifndef OVERLAY_CORE_RESULTS_RESULT_STORE_H_
#define OVERLAY_CORE_RESULTS_RESULT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/common/clock.h"
#include "core/results/result_memory.h"

namespace overlay {

using RowList = std::vector<uint32_t>;

class ResultStore {
 public:
  virtual ~ResultStore() = default;
  // RESOURCE_EXHAUSTED (nothing stored) at the store's bounds.
  [[nodiscard]] virtual absl::Status Put(const std::string& query_id,
                                         RowList rows) = 0;
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
  // Holds at most `max_results` results; their bytes are charged to
  // `memory` (shared with the node's other result holders).
  InMemoryResultStore(Clock* clock, int64_t ttl_nanos, int max_results,
                      ResultMemory* memory);
  ~InMemoryResultStore() override;
  InMemoryResultStore(const InMemoryResultStore&) = delete;
  InMemoryResultStore& operator=(const InMemoryResultStore&) = delete;

  [[nodiscard]] absl::Status Put(const std::string& query_id,
                                 RowList rows) override;
  std::shared_ptr<const RowList> Get(const std::string& query_id) override;
  bool Release(const std::string& query_id) override;
  int ExpireIdle() override;
  int64_t results_held() const override;
  int64_t bytes_held() const override;

 private:
  struct Entry {
    std::shared_ptr<const RowList> rows;
    int64_t bytes = 0;
    int64_t last_used_nanos = 0;
  };
  void EraseLocked(absl::flat_hash_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const int64_t ttl_nanos_;
  const int max_results_;
  ResultMemory* const memory_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_RESULT_STORE_H_
