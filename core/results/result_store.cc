// Copyright 2026 The overlay Authors.

#include "core/results/result_store.h"

#include <utility>

namespace overlay {

InMemoryResultStore::InMemoryResultStore(Clock* clock, int64_t ttl_nanos,
                                         int max_results, int64_t max_bytes)
    : clock_(clock),
      ttl_nanos_(ttl_nanos),
      max_results_(max_results),
      max_bytes_(max_bytes) {}

void InMemoryResultStore::Put(const std::string& query_id, RowList rows) {
  auto shared = std::make_shared<const RowList>(std::move(rows));
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[query_id];
  if (entry.rows) bytes_ -= entry.rows->capacity() * sizeof(uint32_t);
  bytes_ += shared->capacity() * sizeof(uint32_t);
  entry.rows = std::move(shared);
  entry.last_used_nanos = clock_->NowNanos();
  while (static_cast<int>(entries_.size()) > max_results_ ||
         (bytes_ > max_bytes_ && entries_.size() > 1)) {
    EvictOldestLocked(query_id);
  }
}

std::shared_ptr<const RowList> InMemoryResultStore::Get(
    const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  if (it == entries_.end()) return nullptr;
  const int64_t now = clock_->NowNanos();
  if (now - it->second.last_used_nanos >= ttl_nanos_) {  // expired, unswept
    bytes_ -= it->second.rows->capacity() * sizeof(uint32_t);
    entries_.erase(it);
    return nullptr;
  }
  it->second.last_used_nanos = now;
  return it->second.rows;
}

bool InMemoryResultStore::Release(const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  if (it == entries_.end()) return false;
  bytes_ -= it->second.rows->capacity() * sizeof(uint32_t);
  entries_.erase(it);
  return true;
}

int InMemoryResultStore::ExpireIdle() {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  int expired = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.last_used_nanos >= ttl_nanos_) {
      bytes_ -= it->second.rows->capacity() * sizeof(uint32_t);
      entries_.erase(it++);
      ++expired;
    } else {
      ++it;
    }
  }
  return expired;
}

void InMemoryResultStore::EvictOldestLocked(const std::string& keep) {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == keep) continue;
    if (oldest == entries_.end() ||
        it->second.last_used_nanos < oldest->second.last_used_nanos) {
      oldest = it;
    }
  }
  if (oldest == entries_.end()) return;
  bytes_ -= oldest->second.rows->capacity() * sizeof(uint32_t);
  entries_.erase(oldest);
}

int64_t InMemoryResultStore::results_held() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

int64_t InMemoryResultStore::bytes_held() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

SeenQueries::SeenQueries(Clock* clock, int64_t ttl_nanos)
    : clock_(clock), ttl_nanos_(ttl_nanos) {}

bool SeenQueries::FirstSighting(const std::string& query_id) {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = seen_.try_emplace(query_id, now);
  if (inserted) return true;
  if (now - it->second >= ttl_nanos_) {  // expired but not yet swept
    it->second = now;
    return true;
  }
  return false;
}

int SeenQueries::ExpireOld() {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  int expired = 0;
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (now - it->second >= ttl_nanos_) {
      seen_.erase(it++);
      ++expired;
    } else {
      ++it;
    }
  }
  return expired;
}

}  // namespace overlay
