// Copyright 2026 The overlay Authors.
//
// The queries this node works on, by query id. A flooded query may reach a
// node along several paths of the overlay (a cycle, or a node with two
// parents); it runs on the node's share once. LocalExecution is that one
// run: the first arrival starts it (and forwards the query), every arrival
// waits for its outcome and reports this share with its own answer, so the
// share still answers along the other paths when one path later stalls.
// An execution is cancelled when every arrival that wanted it went away
// before an answer was delivered, or when the query is released.
//
// ExecutionRegistry remembers each id until its keep-until time (the latest
// deadline an arrival of it can have, plus a grace), so a late arrival of a
// finished or released query is recognised. Both are thread-safe: the scan
// finishes on a worker, arrivals come on any reactor thread.

#ifndef OVERLAY_CORE_RESULTS_EXECUTION_REGISTRY_H_
#define OVERLAY_CORE_RESULTS_EXECUTION_REGISTRY_H_

#include <grpcpp/completion_queue.h>

#include <atomic>
#include <deque>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/common/clock.h"
#include "core/reactor/notifier.h"

namespace overlay {

// What the run on this share produced.
struct ExecutionOutcome {
  absl::Status status;          // not OK: the share could not answer
  int64_t records = 0;          // matches (the limit applied)
  // The matches themselves when they fit in one chunk (a serialized
  // RecordChunk); otherwise they are held in the ResultStore.
  bool has_inline_records = false;
  std::shared_ptr<const std::string> inline_records;
  // The records sent with the answers were dropped: every arrival that
  // wanted them had gone, and the registry's budget for keeping records of
  // finished runs needed the room (see ExecutionRegistry::Leave).
  bool drained = false;
};

class LocalExecution final {
 public:
  explicit LocalExecution(std::string query_id)
      : query_id_(std::move(query_id)) {}
  LocalExecution(const LocalExecution&) = delete;
  LocalExecution& operator=(const LocalExecution&) = delete;

  const std::string& query_id() const { return query_id_; }

  // Read by the scan between slices: stop early once true.
  bool cancelled() const {
    // Acquire pairs with Cancel()'s release: nothing else is published by
    // it, but a scan that sees it must not start another slice.
    return cancelled_.load(std::memory_order_acquire);
  }
  void Cancel() { cancelled_.store(true, std::memory_order_release); }

  // The scan's outcome; wakes every waiter. Once only.
  void Finish(ExecutionOutcome outcome);
  // Queues `waiter` to be notified on `cq` when the outcome is known;
  // false if it is known already (read it now).
  [[nodiscard]] bool Wait(Notifier* waiter, grpc::CompletionQueue* cq);
  // True if `waiter` was still queued (and now is not): no notification
  // will come. False: it was notified (or never queued).
  bool StopWaiting(Notifier* waiter);
  bool finished() const;
  // A copy (the records are shared, not copied). REQUIRES: finished().
  ExecutionOutcome outcome() const;

  // An arrival that wants the outcome; Leave() once it went away.
  void Join();
  // The arrival leaves, `delivered` if it answered its caller with this
  // share. True when it was the last one and none delivered the share:
  // the caller then cancels the run and drops what it holds.
  [[nodiscard]] bool Leave(bool delivered);
  // Bytes of records kept for answers (0 once dropped or if none).
  int64_t record_bytes() const;
  // True while no arrival wants the outcome.
  bool idle() const;
  // Drops the records kept for answers (outcome().drained from then on).
  void DropRecords();

 private:
  const std::string query_id_;
  std::atomic<bool> cancelled_{false};
  mutable absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  ExecutionOutcome outcome_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> waiters_
      ABSL_GUARDED_BY(mu_);
  int arrivals_ ABSL_GUARDED_BY(mu_) = 0;
  bool delivered_ ABSL_GUARDED_BY(mu_) = false;
};

class ExecutionRegistry final {
 public:
  explicit ExecutionRegistry(Clock* clock) : clock_(clock) {}
  ExecutionRegistry(const ExecutionRegistry&) = delete;
  ExecutionRegistry& operator=(const ExecutionRegistry&) = delete;

  enum class Arrival {
    kFirst,     // a new query: the caller runs it (and forwards it)
    kAgain,     // it runs (or ran) already: wait for its outcome
    kReleased,  // released or cancelled here: refuse
  };
  // Records of finished runs kept for arrivals still to come along other
  // paths, at most this many bytes; past it the oldest idle run's records
  // are dropped, and a later arrival of that query runs it again.
  static constexpr int64_t kRetainedRecordBytes = int64_t{2} << 20;

  // Records an arrival of `query_id` that may come until `keep_until`.
  // The execution is null for kReleased. An id whose run dropped its
  // records is kFirst again: the arrival runs it anew.
  std::pair<Arrival, std::shared_ptr<LocalExecution>> Arrive(
      const std::string& query_id, int64_t keep_until);
  // `execution`'s arrival leaves (LocalExecution::Leave): the same answer.
  // The records of a run nobody waits for any more stay within the budget
  // above, for arrivals along slower paths.
  [[nodiscard]] bool Leave(const std::shared_ptr<LocalExecution>& execution,
                           bool delivered);
  // True if an arrival of `query_id` now would not be its first: the query
  // runs (or ran) here, or was released. Such an arrival only waits for
  // the local run (or is refused); admission never queues it.
  bool Knows(const std::string& query_id) const;
  // Marks `query_id` released until `keep_until` (a later arrival is
  // refused) and cancels its run. Returns the run, if there was one, and
  // whether this was the first release seen here.
  std::pair<std::shared_ptr<LocalExecution>, bool> Release(
      const std::string& query_id, int64_t keep_until);
  // Forgets ids whose keep-until passed; returns how many.
  int Expire();
  // Ids remembered, and runs not finished.
  int64_t size() const;
  int64_t running() const;

 private:
  struct Entry {
    std::shared_ptr<LocalExecution> execution;
    int64_t keep_until = 0;
    bool released = false;
  };
  Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Idle runs keeping records, oldest first, and their bytes.
  std::deque<std::shared_ptr<LocalExecution>> retained_ ABSL_GUARDED_BY(mu_);
  int64_t retained_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_EXECUTION_REGISTRY_H_
