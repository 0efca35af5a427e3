// Copyright 2026 The overlay Authors.

#include "core/results/query_plan.h"

#include <algorithm>
#include <utility>

namespace overlay {

QueryPlan::QueryPlan(std::string query_id, int32_t chunk_size,
                     std::vector<Segment> segments)
    : query_id_(std::move(query_id)),
      chunk_size_(chunk_size),
      segments_(std::move(segments)) {
  for (Segment& segment : segments_) {
    segment.first_record = total_records_;
    segment.first_chunk = total_chunks_;
    segment.chunks =
        static_cast<int32_t>((segment.records + chunk_size_ - 1) / chunk_size_);
    total_records_ += segment.records;
    total_chunks_ += segment.chunks;
  }
}

const Segment& QueryPlan::SegmentOf(int32_t index) const {
  // Segments are few (one per share): a linear scan is fastest.
  for (const Segment& segment : segments_) {
    if (index < segment.first_chunk + segment.chunks) return segment;
  }
  return segments_.back();
}

int64_t QueryPlan::OffsetInSegment(int32_t index) const {
  const Segment& segment = SegmentOf(index);
  return int64_t{index - segment.first_chunk} * chunk_size_;
}

int32_t QueryPlan::RecordsIn(int32_t index) const {
  const Segment& segment = SegmentOf(index);
  const int64_t offset = OffsetInSegment(index);
  return static_cast<int32_t>(
      std::min<int64_t>(chunk_size_, segment.records - offset));
}

QueryPlan::Slot QueryPlan::TakeOrWait(
    int32_t index, Notifier* waiter, grpc::CompletionQueue* cq,
    std::shared_ptr<const FetchedChunk>* out) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(index);
  if (it != slots_.end() && it->second.chunk != nullptr) {
    *out = it->second.chunk;
    // A failure goes to one taker; the next request fetches again.
    if (!(*out)->status.ok()) {
      slots_.erase(it);
      return Slot::kReady;
    }
    // Chunks behind the one taken were consumed: keep the window small.
    for (auto s = slots_.begin(); s != slots_.end();) {
      if (s->first < index && s->second.chunk != nullptr &&
          s->second.waiters.empty()) {
        slots_.erase(s++);
      } else {
        ++s;
      }
    }
    return Slot::kReady;
  }
  const bool must_fetch = it == slots_.end();
  ChunkSlot& slot = slots_[index];
  slot.waiters.emplace_back(waiter, cq);
  return must_fetch ? Slot::kMustFetch : Slot::kWaiting;
}

bool QueryPlan::ClaimPrefetch(int32_t index) {
  if (index < 0 || index >= total_chunks_) return false;
  absl::MutexLock lock(&mu_);
  return slots_.try_emplace(index).second;
}

void QueryPlan::Complete(int32_t index,
                         std::shared_ptr<const FetchedChunk> chunk) {
  std::vector<std::pair<Notifier*, grpc::CompletionQueue*>> waiters;
  {
    absl::MutexLock lock(&mu_);
    ChunkSlot& slot = slots_[index];
    waiters.swap(slot.waiters);
    slot.chunk = std::move(chunk);
  }
  for (auto& [notifier, cq] : waiters) notifier->Notify(cq);
}

int QueryPlan::slots_held() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(slots_.size());
}

QueryRegistry::QueryRegistry(Clock* clock, int64_t ttl_nanos, int max_plans)
    : clock_(clock), ttl_nanos_(ttl_nanos), max_plans_(max_plans) {}

void QueryRegistry::Add(std::shared_ptr<QueryPlan> plan) {
  absl::MutexLock lock(&mu_);
  std::string id = plan->query_id();
  plans_[id] = Entry{std::move(plan), clock_->NowNanos()};
}

std::shared_ptr<QueryPlan> QueryRegistry::Find(const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(query_id);
  if (it == plans_.end()) return nullptr;
  const int64_t now = clock_->NowNanos();
  if (now - it->second.last_used_nanos >= ttl_nanos_) {  // expired, unswept
    plans_.erase(it);
    return nullptr;
  }
  it->second.last_used_nanos = now;
  return it->second.plan;
}

std::shared_ptr<QueryPlan> QueryRegistry::Remove(const std::string& query_id) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(query_id);
  if (it == plans_.end()) return nullptr;
  std::shared_ptr<QueryPlan> plan = std::move(it->second.plan);
  plans_.erase(it);
  return plan;
}

std::vector<std::shared_ptr<QueryPlan>> QueryRegistry::TakeExpired() {
  const int64_t now = clock_->NowNanos();
  std::vector<std::shared_ptr<QueryPlan>> expired;
  absl::MutexLock lock(&mu_);
  for (auto it = plans_.begin(); it != plans_.end();) {
    if (now - it->second.last_used_nanos >= ttl_nanos_) {
      expired.push_back(std::move(it->second.plan));
      plans_.erase(it++);
    } else {
      ++it;
    }
  }
  while (static_cast<int>(plans_.size()) > max_plans_) {
    auto oldest = plans_.begin();
    for (auto it = plans_.begin(); it != plans_.end(); ++it) {
      if (it->second.last_used_nanos < oldest->second.last_used_nanos) {
        oldest = it;
      }
    }
    expired.push_back(std::move(oldest->second.plan));
    plans_.erase(oldest);
  }
  return expired;
}

int64_t QueryRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(plans_.size());
}

}  // namespace overlay
