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

const ExecutionOutcome& LocalExecution::outcome() const {
  // finished_ was set under mu_ after outcome_ was written; the caller saw
  // finished() (or was notified after it) under the same mutex.
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
