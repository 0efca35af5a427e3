// Copyright 2026 The overlay Authors.

#include "core/results/execution_registry.h"

namespace overlay {

void LocalExecution::Finish(ExecutionOutcome outcome) {
  std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> waiters;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    outcome_ = std::move(outcome);
    finished_ = true;
    waiters.swap(waiters_);
  }
  for (auto& [notifier, cq] : waiters) notifier->Notify(cq);
}

bool LocalExecution::Wait(Notifier* waiter, grpc::CompletionQueue* cq) {
  absl::MutexLock lock(&mu_);
  if (finished_) return false;
  waiters_.emplace_back(waiter, cq);
  return true;
}

bool LocalExecution::StopWaiting(Notifier* waiter) {
  absl::MutexLock lock(&mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->first == waiter) {
      waiters_.erase(it);
      return true;
    }
  }
  return false;
}

bool LocalExecution::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

ExecutionOutcome LocalExecution::outcome() const {
  absl::MutexLock lock(&mu_);
  return outcome_;
}

void LocalExecution::Join() {
  absl::MutexLock lock(&mu_);
  ++arrivals_;
}

bool LocalExecution::Leave(bool delivered) {
  absl::MutexLock lock(&mu_);
  --arrivals_;
  delivered_ |= delivered;
  return arrivals_ == 0 && !delivered_;
}

int64_t LocalExecution::record_bytes() const {
  absl::MutexLock lock(&mu_);
  return outcome_.inline_records == nullptr
             ? 0
             : static_cast<int64_t>(outcome_.inline_records->size());
}

bool LocalExecution::idle() const {
  absl::MutexLock lock(&mu_);
  return arrivals_ == 0;
}

void LocalExecution::DropRecords() {
  absl::MutexLock lock(&mu_);
  outcome_.inline_records.reset();
  outcome_.drained = true;
}

std::pair<ExecutionRegistry::Arrival, std::shared_ptr<LocalExecution>>
ExecutionRegistry::Arrive(const std::string& query_id, int64_t keep_until) {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(query_id);
  Entry& entry = it->second;
  if (!inserted && entry.keep_until < now && !entry.released) {
    inserted = true;  // expired but not yet swept: a new query
    entry = Entry();
  }
  if (entry.keep_until < keep_until) entry.keep_until = keep_until;
  if (entry.released) return {Arrival::kReleased, nullptr};
  if (!inserted && entry.execution->finished() &&
      entry.execution->outcome().drained) {
    inserted = true;  // its records are gone: run it again for this path
  }
  if (inserted) {
    entry.execution = std::make_shared<LocalExecution>(query_id);
    entry.execution->Join();
    return {Arrival::kFirst, entry.execution};
  }
  entry.execution->Join();
  return {Arrival::kAgain, entry.execution};
}

bool ExecutionRegistry::Knows(const std::string& query_id) const {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  // As Arrive(): an entry past its keep-until and not released is a new
  // query.
  return it != entries_.end() &&
         (it->second.released || it->second.keep_until >= now);
}

std::pair<std::shared_ptr<LocalExecution>, bool> ExecutionRegistry::Release(
    const std::string& query_id, int64_t keep_until) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[query_id];
  const bool first = !entry.released;
  entry.released = true;
  if (entry.keep_until < keep_until) entry.keep_until = keep_until;
  std::shared_ptr<LocalExecution> execution = std::move(entry.execution);
  entry.execution = nullptr;
  if (execution != nullptr) execution->Cancel();
  return {std::move(execution), first};
}

bool ExecutionRegistry::Leave(const std::shared_ptr<LocalExecution>& execution,
                              bool delivered) {
  const bool last_without_delivery = execution->Leave(delivered);
  if (!execution->idle() || !execution->finished()) {
    return last_without_delivery;
  }
  const int64_t bytes = execution->record_bytes();
  if (bytes == 0) return last_without_delivery;
  std::vector<std::shared_ptr<LocalExecution>> dropped;
  {
    absl::MutexLock lock(&mu_);
    retained_.push_back(execution);
    retained_bytes_ += bytes;
    while (retained_bytes_ > kRetainedRecordBytes && !retained_.empty()) {
      std::shared_ptr<LocalExecution> oldest = std::move(retained_.front());
      retained_.pop_front();
      retained_bytes_ -= oldest->record_bytes();
      dropped.push_back(std::move(oldest));
    }
  }
  for (const auto& old : dropped) {
    // Wanted again meanwhile (an arrival joined): its records stay with it.
    if (old->idle()) old->DropRecords();
  }
  return last_without_delivery;
}

int ExecutionRegistry::Expire() {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  int expired = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.keep_until < now) {
      entries_.erase(it++);
      ++expired;
    } else {
      ++it;
    }
  }
  return expired;
}

int64_t ExecutionRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

int64_t ExecutionRegistry::running() const {
  absl::MutexLock lock(&mu_);
  int64_t running = 0;
  for (const auto& [id, entry] : entries_) {
    if (entry.execution != nullptr && !entry.execution->finished()) ++running;
  }
  return running;
}

}  // namespace overlay
