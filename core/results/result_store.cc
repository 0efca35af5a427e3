// Copyright 2026 The overlay Authors.

#include "core/results/result_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace overlay {

InMemoryResultStore::InMemoryResultStore(Clock* clock, int64_t ttl_nanos,
                                         int max_results, ResultMemory* memory)
    : clock_(clock),
      ttl_nanos_(ttl_nanos),
      max_results_(max_results),
      memory_(memory) {}

InMemoryResultStore::~InMemoryResultStore() {
  absl::MutexLock lock(&mu_);
  memory_->Refund(bytes_);
}

absl::Status InMemoryResultStore::Put(const std::string& query_id,
                                      RowList rows) {
  rows.shrink_to_fit();
  const int64_t bytes =
      static_cast<int64_t>(rows.capacity() * sizeof(uint32_t));
  auto shared = std::make_shared<const RowList>(std::move(rows));
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  if (it != entries_.end()) EraseLocked(it);  // a re-run replaces its rows
  if (static_cast<int>(entries_.size()) >= max_results_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "holds ", entries_.size(), " results (max_results_held ",
        max_results_, "); they are freed by Release or after the TTL"));
  }
  if (!memory_->TryCharge(bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "result memory full: ", memory_->used() >> 20, " of ",
        memory_->limit() >> 20, " MiB (max_result_mb) held; a result of ",
        bytes >> 10, " KiB does not fit"));
  }
  bytes_ += bytes;
  entries_[query_id] = Entry{std::move(shared), bytes, clock_->NowNanos()};
  return absl::OkStatus();
}

std::shared_ptr<const RowList> InMemoryResultStore::Get(
    const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  if (it == entries_.end()) return nullptr;
  const int64_t now = clock_->NowNanos();
  if (now - it->second.last_used_nanos >= ttl_nanos_) {  // expired, unswept
    EraseLocked(it);
    return nullptr;
  }
  it->second.last_used_nanos = now;
  return it->second.rows;
}

bool InMemoryResultStore::Release(const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(query_id);
  if (it == entries_.end()) return false;
  EraseLocked(it);
  return true;
}

int InMemoryResultStore::ExpireIdle() {
  const int64_t now = clock_->NowNanos();
  absl::MutexLock lock(&mu_);
  int expired = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (now - it->second.last_used_nanos >= ttl_nanos_) {
      EraseLocked(it);
      ++expired;
    }
    it = next;
  }
  return expired;
}

void InMemoryResultStore::EraseLocked(
    absl::flat_hash_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  memory_->Refund(it->second.bytes);
  entries_.erase(it);
}

int64_t InMemoryResultStore::results_held() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

int64_t InMemoryResultStore::bytes_held() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace overlay
