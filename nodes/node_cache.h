// Copyright 2026 The overlay Authors.
//
// NodeCache: a node's use of the shared cache segment of its host group
// (core/shmcache): what the nodes keep there, under which keys, and when an
// entry may be used. Owns the node's ShmCache attachment (its mapping and
// fd); NodeServer makes it once the share is loaded and detaches it last
// in its shutdown (the last node of the host group to stop removes the
// segment). Thread-safe: ShmCache is, the rest is immutable or atomic.
//
// Keys are text (ShmCache fingerprints them), each led by its kind and a
// format version; bump the version when a key or value format changes:
//   chunk/1|<owner>|<generation>|<chunk size>|<index>|<share records>|<filter>
//       a chunk as its serialized RecordChunk: chunk <index> (within the
//       share) of a share of <share records> records cut into <chunk size>;
//   plan/1|<portal>|<topology>|<chunk size>|<filter>
//       a query plan as a CachedPlan (protos/cache.proto);
//   gen/1|<node id>
//       the node's data generation (8 bytes), republished every second.
// <filter> is CanonicalFilterKey (limit included) and comes last, so no
// field can run into another; <generation> is the owner's data generation
// (LoadStats::generation), <topology> a fingerprint of the overlay's
// processes, edges, host groups and shares.
//
// Why nothing stale is served: a chunk's bytes are a function of its key
// (same filter, same files, same cut), and a node restarted on other data
// has another generation. A plan names each share's generation; it is used
// only when every share it needs is owned by a node of this host group
// whose published generation still equals it (a node that stops withdraws
// its generation; a dead one's expires within seconds). Partial answers are
// never stored. A miss is never an error: callers compute what they need.
//
//   NodeCache cache(options, clock);
//   if (cache.GetChunk(key, &bytes)) ...  else { encode; cache.PutChunk(...) }

#ifndef OVERLAY_NODES_NODE_CACHE_H_
#define OVERLAY_NODES_NODE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "core/common/clock.h"
#include "core/config/overlay_config.h"
#include "core/results/share_order.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"
#include "protos/overlay.pb.h"

namespace overlay {

struct NodeCacheOptions {
  const OverlayConfig* config = nullptr;  // shared_cache_mb: 0 = off
  std::string self;                       // this node's id
  uint64_t generation = 0;                // this node's data (0: none)
  std::string directory = "/dev/shm";     // of the segment
  PosixApi* posix = nullptr;              // null: the real one
};

class NodeCache final {
 public:
  // How long a published generation stays valid unless republished: a node
  // that died (no graceful withdrawal) stops vouching for its data soon.
  static constexpr int64_t kGenerationTtlNanos = int64_t{5} * 1'000'000'000;

  // Attaches to (or creates) the segment when the config turns the cache
  // on. An attach that fails is logged and counted, and the cache is off.
  // REQUIRES: options.config and clock outlive the cache; the clock reads
  // CLOCK_MONOTONIC (or is shared by every node of a test).
  NodeCache(NodeCacheOptions options, Clock* clock);
  ~NodeCache();  // Detach()es
  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  bool enabled() const { return cache_ != nullptr; }
  const std::string& self() const { return self_; }
  uint64_t generation() const { return generation_; }
  // True if `node_id` belongs to this node's host group (itself included).
  bool CoLocated(const std::string& node_id) const {
    return co_located_.contains(node_id);
  }
  int64_t ttl_nanos() const { return ttl_nanos_; }
  // Bytes of chunks a node may encode ahead for one share after a scan.
  int64_t preencode_budget_bytes() const { return preencode_budget_; }

  // ---- keys (pure)
  static std::string ChunkKey(std::string_view owner, uint64_t generation,
                              int32_t chunk_size, int64_t index,
                              int64_t share_records,
                              std::string_view filter_key);
  static std::string GenerationKey(std::string_view node_id);
  std::string PlanKey(int32_t chunk_size, std::string_view filter_key) const;

  // ---- chunks. Each is a no-op miss when the cache is off.
  // Copies the chunk out; false on a miss. Counts a chunk hit or miss.
  bool GetChunk(const std::string& key, std::string* records);
  // From the index alone: false if a GetChunk would surely miss.
  bool HasChunk(const std::string& key) const;
  // Stores a chunk unless it is there already (its key determines its
  // bytes); a failure (too large, set busy) is only logged.
  void PutChunk(const std::string& key, std::string_view records,
                bool preencoded = false);
  void CountStatelessChunk() { Add(stateless_chunks_); }

  // ---- plans
  // The segments of the plan stored for this portal's query, if it is
  // still valid: every share it needs owned by a co-located node whose
  // published generation is the plan's. Counts a plan hit or miss.
  std::optional<std::vector<Segment>> FindPlan(int32_t chunk_size,
                                               std::string_view filter_key);
  // Stores the laid-out segments of a complete answer, if every share
  // that answered is co-located and has a generation (else does nothing).
  void StorePlan(int32_t chunk_size, std::string_view filter_key,
                 const std::vector<Segment>& segments);

  // ---- generations
  // The generation `node_id` published, if live.
  std::optional<uint64_t> GenerationOf(const std::string& node_id);
  // Publishes this node's generation (renewing it) and sweeps expired and
  // overwritten entries: the node's janitor calls it every second.
  void Tick();

  void FillMetrics(v1::SharedCacheMetrics* metrics) const;

  // Withdraws this node's generation and detaches (the last attacher
  // removes the segment). Idempotent; REQUIRES: no concurrent use.
  [[nodiscard]] absl::Status Detach();

 private:
  static void Add(std::atomic<int64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  void PublishGeneration();

  const std::string self_;
  const uint64_t generation_;
  const int64_t ttl_nanos_;
  const std::string topology_;  // hex fingerprint, see PlanKey
  absl::flat_hash_set<std::string> co_located_;
  std::unique_ptr<ShmCache> cache_;  // null: off
  int64_t preencode_budget_ = 0;
  std::string segment_path_;
  std::string error_;  // why off
  int64_t attach_errors_ = 0;
  // Relaxed: statistics.
  std::atomic<int64_t> plan_hits_{0};
  std::atomic<int64_t> plan_misses_{0};
  std::atomic<int64_t> plans_stored_{0};
  std::atomic<int64_t> chunk_hits_{0};
  std::atomic<int64_t> chunk_misses_{0};
  std::atomic<int64_t> chunks_stored_{0};
  std::atomic<int64_t> chunks_preencoded_{0};
  std::atomic<int64_t> stateless_chunks_{0};
};

}  // namespace overlay

#endif  // OVERLAY_NODES_NODE_CACHE_H_
