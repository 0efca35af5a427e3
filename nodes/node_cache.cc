// Copyright 2026 The overlay Authors.

#include "nodes/node_cache.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/shmcache/hash.h"
#include "core/shmcache/shm_cache_options.h"
#include "glog/logging.h"
#include "protos/cache.pb.h"

namespace overlay {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Everything a cached plan's routes and shares depend on: the processes,
// their host groups, edges and shares, and the portal. Two overlays that
// share a name (and so a segment) but not a layout never use each other's
// plans.
std::string Topology(const OverlayConfig& config) {
  std::string text = absl::StrCat("portal=", config.portal);
  for (const ProcessConfig& p : config.processes) {
    std::vector<std::string> neighbors = p.neighbors;
    std::sort(neighbors.begin(), neighbors.end());
    absl::StrAppend(&text, ";", p.id, "@", p.host_group, ":",
                    absl::StrJoin(neighbors, ","), ":",
                    p.share ? p.share->DebugString() : "-");
  }
  return absl::StrCat(
      absl::Hex(XxHash64(text.data(), text.size(), /*seed=*/0),
                absl::kZeroPad16));
}

const char* ModeName(AttachMode mode) {
  switch (mode) {
    case AttachMode::kCreated:
      return "created";
    case AttachMode::kAttached:
      return "attached";
    case AttachMode::kReclaimed:
      return "reclaimed";
  }
  return "?";
}

void FillCounters(const ShmCacheCounters& c, v1::SharedCacheCounters* out) {
  out->set_hits(c.hits);
  out->set_misses(c.misses);
  out->set_inserts(c.inserts);
  out->set_evictions(c.evictions);
  out->set_expired(c.expired);
  out->set_torn_read_retries(c.torn_read_retries);
  out->set_checksum_failures(c.checksum_failures);
  out->set_put_failures(c.put_failures);
  out->set_lease_recoveries(c.lease_recoveries);
}

}  // namespace

NodeCache::NodeCache(NodeCacheOptions options, Clock* clock)
    : self_(std::move(options.self)),
      generation_(options.generation),
      ttl_nanos_(int64_t{options.config->strategy.shared_cache_ttl_seconds} *
                 kNanosPerSecond),
      topology_(Topology(*options.config)) {
  const OverlayConfig& config = *options.config;
  const ProcessConfig* me = config.Find(self_);
  CHECK(me != nullptr) << self_;  // NodeServer found it before
  for (const ProcessConfig& p : config.processes) {
    if (p.host_group == me->host_group) co_located_.insert(p.id);
  }
  const int mb = config.strategy.shared_cache_mb;
  if (mb <= 0) {
    error_ = "off (shared_cache_mb is 0)";
    return;
  }
  ShmCacheOptions shm;
  shm.name = ShmSegmentName(config.name, me->host_group);
  shm.directory = options.directory;
  shm.size_bytes = static_cast<uint64_t>(mb) << 20;
  segment_path_ = absl::StrCat(shm.directory, "/", shm.name);
  absl::StatusOr<std::unique_ptr<ShmCache>> cache = ShmCache::CreateOrAttach(
      shm, options.posix != nullptr ? options.posix : PosixApi::Real(), clock);
  if (!cache.ok()) {
    ++attach_errors_;
    error_ = cache.status().ToString();
    LOG(WARNING) << self_ << ": running without the shared cache: "
                 << cache.status();
    return;
  }
  cache_ = *std::move(cache);
  preencode_budget_ = cache_->stats().arena_bytes / 8;
  LOG(INFO) << self_ << ": shared cache " << segment_path_ << " ("
            << ModeName(cache_->attach_mode()) << ", " << mb << " MiB)";
  PublishGeneration();
}

NodeCache::~NodeCache() {
  if (absl::Status s = Detach(); !s.ok()) {
    LOG(ERROR) << self_ << ": detaching the shared cache: " << s;
  }
}

std::string NodeCache::ChunkKey(std::string_view owner, uint64_t generation,
                                int32_t chunk_size, int64_t index,
                                int64_t share_records,
                                std::string_view filter_key) {
  return absl::StrCat("chunk/1|", AsAbsl(owner), "|",
                      absl::Hex(generation, absl::kZeroPad16), "|",
                      chunk_size, "|", index, "|", share_records, "|",
                      AsAbsl(filter_key));
}

std::string NodeCache::GenerationKey(std::string_view node_id) {
  return absl::StrCat("gen/1|", AsAbsl(node_id));
}

std::string NodeCache::PlanKey(int32_t chunk_size,
                               std::string_view filter_key) const {
  return absl::StrCat("plan/1|", self_, "|", topology_, "|", chunk_size, "|",
                      AsAbsl(filter_key));
}

bool NodeCache::GetChunk(const std::string& key, std::string* records) {
  if (!enabled()) return false;
  if (cache_->Get(key, records)) {
    Add(chunk_hits_);
    return true;
  }
  Add(chunk_misses_);
  return false;
}

bool NodeCache::HasChunk(const std::string& key) const {
  return enabled() && cache_->Contains(key);
}

void NodeCache::PutChunk(const std::string& key, std::string_view records,
                         bool preencoded) {
  // A chunk's key determines its bytes: one already there needs no copy,
  // and rewriting it would only push older entries out of the ring.
  if (!enabled() || cache_->Contains(key)) return;
  if (absl::Status s = cache_->Put(key, records, ttl_nanos_); !s.ok()) {
    LOG_EVERY_N(WARNING, 1000) << self_ << ": shared cache: " << s;
    return;
  }
  Add(chunks_stored_);
  if (preencoded) Add(chunks_preencoded_);
}

std::optional<std::vector<Segment>> NodeCache::FindPlan(
    int32_t chunk_size, std::string_view filter_key) {
  if (!enabled()) return std::nullopt;
  std::string bytes;
  v1::CachedPlan plan;
  if (!cache_->Get(PlanKey(chunk_size, filter_key), &bytes) ||
      !plan.ParseFromString(bytes)) {
    Add(plan_misses_);
    return std::nullopt;
  }
  std::vector<Segment> segments;
  segments.reserve(plan.shares_size());
  for (const v1::ShareHit& share : plan.shares()) {
    bool valid;
    if (share.generation() == 0) {
      valid = share.records() == 0;  // not asked: it cannot contribute
    } else {
      const std::optional<uint64_t> now = GenerationOf(share.node_id());
      valid = CoLocated(share.node_id()) && now == share.generation() &&
              share.route_size() > 0 && share.route(0) == self_ &&
              share.route(share.route_size() - 1) == share.node_id();
    }
    if (!valid) {
      // The data changed, or its owner stopped or died: fan out.
      Add(plan_misses_);
      return std::nullopt;
    }
    Segment& segment = segments.emplace_back();
    segment.node_id = share.node_id();
    segment.share = share.share();
    segment.route.assign(share.route().begin(), share.route().end());
    segment.records = share.records();
    segment.generation = share.generation();
    segment.stateless = true;
  }
  Add(plan_hits_);
  return segments;
}

void NodeCache::StorePlan(int32_t chunk_size, std::string_view filter_key,
                          const std::vector<Segment>& segments) {
  if (!enabled()) return;
  v1::CachedPlan plan;
  for (const Segment& segment : segments) {
    if (segment.generation == 0 ? segment.records != 0
                                : !CoLocated(segment.node_id)) {
      return;  // a share this portal cannot vouch for
    }
    v1::ShareHit* share = plan.add_shares();
    share->set_node_id(segment.node_id);
    share->set_share(segment.share);
    share->set_records(segment.records);
    for (const std::string& hop : segment.route) share->add_route(hop);
    share->set_generation(segment.generation);
  }
  if (cache_->Put(PlanKey(chunk_size, filter_key), plan.SerializeAsString(),
                  ttl_nanos_)
          .ok()) {
    Add(plans_stored_);
  }
}

std::optional<uint64_t> NodeCache::GenerationOf(const std::string& node_id) {
  if (node_id == self_) {
    if (generation_ == 0) return std::nullopt;
    return generation_;
  }
  if (!enabled()) return std::nullopt;
  std::string bytes;
  if (!cache_->Get(GenerationKey(node_id), &bytes) ||
      bytes.size() != sizeof(uint64_t)) {
    return std::nullopt;
  }
  uint64_t generation;
  std::memcpy(&generation, bytes.data(), sizeof(generation));
  return generation;
}

void NodeCache::PublishGeneration() {
  if (!enabled() || generation_ == 0) return;
  char bytes[sizeof(uint64_t)];
  std::memcpy(bytes, &generation_, sizeof(bytes));
  if (absl::Status s =
          cache_->Put(GenerationKey(self_),
                      std::string_view(bytes, sizeof(bytes)),
                      kGenerationTtlNanos);
      !s.ok()) {
    LOG_EVERY_N(WARNING, 100) << self_ << ": publishing the generation: " << s;
  }
}

void NodeCache::Tick() {
  if (!enabled()) return;
  PublishGeneration();
  cache_->Sweep();
}

void NodeCache::FillMetrics(v1::SharedCacheMetrics* m) const {
  const auto get = [](const std::atomic<int64_t>& v) {
    return v.load(std::memory_order_relaxed);
  };
  m->set_enabled(enabled());
  m->set_segment(segment_path_);
  m->set_error(error_);
  m->set_attach_errors(attach_errors_);
  m->set_data_generation(generation_);
  m->set_plan_hits(get(plan_hits_));
  m->set_plan_misses(get(plan_misses_));
  m->set_plans_stored(get(plans_stored_));
  m->set_chunk_hits(get(chunk_hits_));
  m->set_chunk_misses(get(chunk_misses_));
  m->set_chunks_stored(get(chunks_stored_));
  m->set_chunks_preencoded(get(chunks_preencoded_));
  m->set_stateless_chunks(get(stateless_chunks_));
  if (!enabled()) return;
  m->set_attach_mode(ModeName(cache_->attach_mode()));
  const ShmCacheStats stats = cache_->stats();
  m->set_segment_bytes(stats.segment_bytes);
  m->set_arena_bytes(stats.arena_bytes);
  m->set_entries(stats.entries);
  m->set_bytes_used(stats.bytes_used);
  FillCounters(stats.segment, m->mutable_segment_counters());
  FillCounters(stats.process, m->mutable_node_counters());
}

absl::Status NodeCache::Detach() {
  if (!enabled()) return absl::OkStatus();
  // Withdrawn only if it is still ours: a successor of this node (same id,
  // started before this one ended) keeps what it published; it renews it
  // every second anyway.
  std::string bytes;
  if (generation_ != 0 && cache_->Get(GenerationKey(self_), &bytes) &&
      bytes.size() == sizeof(generation_) &&
      std::memcmp(bytes.data(), &generation_, sizeof(generation_)) == 0) {
    cache_->Erase(GenerationKey(self_));
  }
  absl::Status status = cache_->Detach();
  cache_.reset();
  return status;
}

}  // namespace overlay
