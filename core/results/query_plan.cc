// Copyright 2026 The overlay Authors.

#include "core/results/query_plan.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace overlay {

QueryPlan::QueryPlan(std::string query_id, int32_t chunk_size,
                     std::vector<Segment> segments, ResultMemory* memory,
                     std::string client, PlannedQuery query)
    : query_id_(std::move(query_id)),
      client_(std::move(client)),
      chunk_size_(chunk_size),
      query_(std::move(query)),
      segments_(std::move(segments)),
      memory_(memory) {
  for (Segment& segment : segments_) {
    bytes_ += static_cast<int64_t>(segment.inline_records.size());
    segment.first_record = total_records_;
    segment.first_chunk = total_chunks_;
    segment.chunks =
        static_cast<int32_t>((segment.records + chunk_size_ - 1) / chunk_size_);
    total_records_ += segment.records;
    total_chunks_ += segment.chunks;
  }
  if (memory_ != nullptr) memory_->Charge(bytes_);  // the inline records
}

QueryPlan::~QueryPlan() {
  absl::MutexLock lock(&mu_);
  if (memory_ != nullptr) memory_->Refund(bytes_);
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

void QueryPlan::EraseLocked(
    absl::flat_hash_map<int32_t, ChunkSlot>::iterator it) {
  bytes_ -= it->second.bytes;
  if (memory_ != nullptr) memory_->Refund(it->second.bytes);
  slots_.erase(it);
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
      EraseLocked(it);
      return Slot::kReady;
    }
    // Chunks behind the one taken were consumed: keep the window small.
    for (auto s = slots_.begin(); s != slots_.end();) {
      auto next = std::next(s);
      if (s->first < index && s->second.chunk != nullptr &&
          s->second.waiters.empty()) {
        EraseLocked(s);
      }
      s = next;
    }
    return Slot::kReady;
  }
  const bool must_fetch = it == slots_.end();
  ChunkSlot& slot = slots_[index];
  slot.waiters.emplace_back(waiter, cq);
  return must_fetch ? Slot::kMustFetch : Slot::kWaiting;
}

bool QueryPlan::StopWaiting(int32_t index, Notifier* waiter) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(index);
  if (it == slots_.end()) return false;
  auto& waiters = it->second.waiters;
  for (auto w = waiters.begin(); w != waiters.end(); ++w) {
    if (w->first == waiter) {
      waiters.erase(w);
      return true;
    }
  }
  return false;
}

bool QueryPlan::ClaimPrefetch(int32_t index) {
  if (index < 0 || index >= total_chunks_) return false;
  if (SegmentOf(index).has_inline_records) return false;
  if (memory_ != nullptr && memory_->full()) return false;
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
    const int64_t bytes = static_cast<int64_t>(chunk->records.size());
    bytes_ += bytes - slot.bytes;
    if (memory_ != nullptr) memory_->Charge(bytes - slot.bytes);
    slot.bytes = bytes;
    slot.chunk = std::move(chunk);
  }
  for (auto& [notifier, cq] : waiters) notifier->Notify(cq);
}

int QueryPlan::slots_held() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(slots_.size());
}

int64_t QueryPlan::bytes_held() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

QueryRegistry::QueryRegistry(Clock* clock, int64_t ttl_nanos, int max_plans,
                             int max_per_client, ResultMemory* memory)
    : clock_(clock),
      ttl_nanos_(ttl_nanos),
      max_plans_(max_plans),
      max_per_client_(max_per_client),
      memory_(memory) {}

absl::Status QueryRegistry::Reserve(const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto found = per_client_.find(client);
  const int held = found == per_client_.end() ? 0 : found->second;
  if (held >= max_per_client_) {
    // Name the client's oldest results: those are what to Release.
    std::vector<std::pair<int64_t, std::string>> oldest;
    for (const auto& [id, entry] : plans_) {
      if (entry.plan->client() == client) {
        oldest.emplace_back(entry.last_used_nanos, id);
      }
    }
    std::sort(oldest.begin(), oldest.end());
    std::vector<std::string> ids;
    for (size_t i = 0; i < oldest.size() && i < 3; ++i) {
      ids.push_back(oldest[i].second);
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "client '", client, "' holds ", held,
        " unreleased results (max_results_per_client ", max_per_client_,
        "): Release those it no longer pulls (least recently used: ",
        absl::StrJoin(ids, ", "), ")"));
  }
  if (static_cast<int>(plans_.size()) + reserved_ >= max_plans_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the portal holds ", plans_.size() + reserved_,
        " results or queries (max_results_held ", max_plans_,
        "): clients must Release results they no longer pull"));
  }
  if (memory_ != nullptr && memory_->full()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the portal's result memory is full (", memory_->used() >> 20, " of ",
        memory_->limit() >> 20,
        " MiB, max_result_mb): Release results no longer pulled"));
  }
  ++per_client_[client];
  ++reserved_;
  return absl::OkStatus();
}

void QueryRegistry::Unreserve(const std::string& client) {
  absl::MutexLock lock(&mu_);
  --reserved_;
  auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
}

void QueryRegistry::Add(std::shared_ptr<QueryPlan> plan, Bounds bounds) {
  absl::MutexLock lock(&mu_);
  --reserved_;  // the reservation becomes the plan
  std::string id = plan->query_id();
  plans_[id] = Entry{std::move(plan), clock_->NowNanos(), bounds};
}

std::shared_ptr<QueryPlan> QueryRegistry::Find(const std::string& query_id,
                                               const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(query_id);
  if (it == plans_.end() || it->second.plan->client() != client) {
    return nullptr;
  }
  const int64_t now = clock_->NowNanos();
  if (it->second.ExpiredAt(now, ttl_nanos_)) {  // expired, unswept
    // Left for TakeExpired, which hands it on for release.
    return nullptr;
  }
  it->second.last_used_nanos = now;
  it->second.claimed = true;
  return it->second.plan;
}

void QueryRegistry::EraseLocked(
    absl::flat_hash_map<std::string, Entry>::iterator it) {
  auto held = per_client_.find(it->second.plan->client());
  if (held != per_client_.end() && --held->second <= 0) {
    per_client_.erase(held);
  }
  plans_.erase(it);
}

std::shared_ptr<QueryPlan> QueryRegistry::Remove(const std::string& query_id,
                                                 const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(query_id);
  if (it == plans_.end() || it->second.plan->client() != client) {
    return nullptr;
  }
  std::shared_ptr<QueryPlan> plan = it->second.plan;
  EraseLocked(it);
  return plan;
}

std::vector<std::shared_ptr<QueryPlan>> QueryRegistry::TakeExpired() {
  const int64_t now = clock_->NowNanos();
  std::vector<std::shared_ptr<QueryPlan>> expired;
  absl::MutexLock lock(&mu_);
  for (auto it = plans_.begin(); it != plans_.end();) {
    auto next = std::next(it);
    if (it->second.ExpiredAt(now, ttl_nanos_)) {
      if (it->second.AbandonedAt(now)) ++abandoned_;
      expired.push_back(it->second.plan);
      EraseLocked(it);
    }
    it = next;
  }
  return expired;
}

int64_t QueryRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(plans_.size());
}

std::shared_ptr<QueryPlan> QueryRegistry::Abandon(const std::string& query_id,
                                                  const std::string& client) {
  std::shared_ptr<QueryPlan> plan = Remove(query_id, client);
  if (plan != nullptr) {
    absl::MutexLock lock(&mu_);
    ++abandoned_;
  }
  return plan;
}

int64_t QueryRegistry::abandoned() const {
  absl::MutexLock lock(&mu_);
  return abandoned_;
}

int QueryRegistry::HeldBy(const std::string& client) const {
  absl::MutexLock lock(&mu_);
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

}  // namespace overlay
