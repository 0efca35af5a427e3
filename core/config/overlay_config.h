// Copyright 2026 The overlay Authors.
//
// OverlayConfig: the parsed, validated description of one overlay: every
// process (id, role, team, host, port, host group, neighbours, data share),
// the portal, the data root, the strategy knobs, the admission controller
// and the known clients (their teams and weights). Parsed once with
// RapidJSON (the only RapidJSON user in the project) by LoadOverlayConfig,
// which validates everything; all other code trusts an OverlayConfig.
// Plain structs; thread-compatible, immutable after load by convention.
//
//   ASSIGN_OR_RETURN(OverlayConfig config, LoadOverlayConfig(path));
//   const ProcessConfig* me = config.Find("B");

#ifndef OVERLAY_CORE_CONFIG_OVERLAY_CONFIG_H_
#define OVERLAY_CORE_CONFIG_OVERLAY_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace overlay {

enum class Role { kLeader, kTeamLeader, kWorker };
std::string_view RoleName(Role role);  // "leader", "team_leader", "worker"
// The inverse of RoleName; INVALID_ARGUMENT for anything else.
absl::StatusOr<Role> ParseRole(std::string_view name);

// Config dates: "YYYY-MM-DD" or "YYYYMMDD" to days since 1970-01-01 and
// back (always "YYYY-MM-DD"). Local to core/config so the library does not
// depend on core/store.
absl::StatusOr<int64_t> ParseConfigDate(std::string_view text);
std::string FormatConfigDate(int64_t day);

// The days a process owns, as days since the Unix epoch. Either a range
// (first_day..last_day inclusive) or an explicit list of days.
struct DataShare {
  std::optional<int64_t> first_day;  // with last_day: an inclusive range
  std::optional<int64_t> last_day;
  std::vector<int64_t> days;  // sorted, unique; used when non-empty
  bool Contains(int64_t day) const;
  // The first day the share holds (for ordering shares); REQUIRES non-empty.
  int64_t FirstDay() const;
  std::string DebugString() const;  // "2020-08-10..2020-08-12" or a list
};
bool operator==(const DataShare& a, const DataShare& b);
inline bool operator!=(const DataShare& a, const DataShare& b) {
  return !(a == b);
}

struct ProcessConfig {
  std::string id;  // unique, e.g. "A"
  Role role = Role::kWorker;
  std::string team;                    // may be empty
  std::string host = "127.0.0.1";      // address others dial
  int port = 0;                        // 1..65535
  std::string host_group;              // processes sharing a host (shm cache)
  std::vector<std::string> neighbors;  // ids; edges are undirected
  std::optional<DataShare> share;      // nullopt: holds no data
  std::string Address() const;         // "host:port"
};
bool operator==(const ProcessConfig& a, const ProcessConfig& b);
inline bool operator!=(const ProcessConfig& a, const ProcessConfig& b) {
  return !(a == b);
}

struct StrategyOptions {
  int chunk_size = 10000;          // records per chunk (1..20000)
  int result_ttl_seconds = 300;    // results expire this long after use
  int prefetch_chunks = 4;         // chunks the portal pulls ahead
  int scan_threads = 1;            // worker threads for scans per node
  int reactor_threads = 1;         // completion queues (one thread each)
  int neighbor_timeout_ms = 5000;  // deadline of one hop
  int max_hops = 16;               // hop budget of a flooded query
  int max_results_held = 4096;     // results a node keeps at once
  int max_result_mb = 512;         // row memory a node keeps for results
  // Deadline of a Query, GetChunk or Release whose client sent none.
  int default_query_deadline_ms = 30000;
  // Unreleased results one client may hold at the portal; past it a new
  // Query is refused (RESOURCE_EXHAUSTED), never an old result evicted.
  int max_results_per_client = 256;
  // A result the portal holds (more chunks than its answer carried) that
  // no GetChunk or Release touched within this long of its answer is freed:
  // a unary answer is never acknowledged, and one lost on its way (the
  // client gave up as it arrived) would never be pulled or released.
  int result_claim_grace_ms = 1000;
  // Size of the shared-memory cache segment the nodes of one host group
  // share (chunks and query plans, nodes/node_cache.h), in MiB; 0 = off.
  int shared_cache_mb = 0;
  // How long a shared cache entry lives after it was written.
  int shared_cache_ttl_seconds = 300;
};
bool operator==(const StrategyOptions& a, const StrategyOptions& b);
inline bool operator!=(const StrategyOptions& a, const StrategyOptions& b) {
  return !(a == b);
}

// How a node shares its admission slots between teams of clients (see
// configs/README.md for the seed's names): kStrict gives each team a fixed
// cap of slots, kWeighted shares by weight only, kHybrid shares by weight
// and serves a team below its floor of slots first.
enum class AdmissionStrategy { kStrict, kWeighted, kHybrid };
std::string_view AdmissionStrategyName(AdmissionStrategy strategy);
// The inverse of AdmissionStrategyName; INVALID_ARGUMENT for anything else.
absl::StatusOr<AdmissionStrategy> ParseAdmissionStrategy(std::string_view name);

// One team of clients (admission.teams[]).
struct TeamConfig {
  std::string name;   // unique; clients[] refer to it
  int weight = 1;     // share among teams with waiting work (1..1000)
  int max_slots = 0;  // strict only: slots it may hold at once; 0 = no cap
  int min_slots = 0;  // hybrid only: slots it is served first below; 0 = none
};
bool operator==(const TeamConfig& a, const TeamConfig& b);
inline bool operator!=(const TeamConfig& a, const TeamConfig& b) {
  return !(a == b);
}

// The admission controllers of every node (core/admission): one for the
// client Queries a node is portal for, one for the Executes it runs on its
// own share (see configs/README.md).
struct AdmissionOptions {
  int max_concurrency = 32;  // Query slots: client queries in flight here
  int max_concurrent_scans = 8;   // Execute slots: local runs at once
  int max_queue_total = 256;      // requests waiting, all clients together
  int max_queue_per_client = 64;  // requests waiting, one client
  AdmissionStrategy strategy = AdmissionStrategy::kWeighted;
  std::string default_team = "default";  // team of clients not in clients[]
  int codel_target_ms = 5;      // queueing delay that counts as overload
  int codel_interval_ms = 100;  // for how long it must last
  // Declared teams, in config order. The default team exists (weight 1)
  // even when not listed.
  std::vector<TeamConfig> teams;
  // The declared team called `name`, or nullptr.
  const TeamConfig* FindTeam(std::string_view name) const;
  // The options of the Execute pool: max_concurrent_scans slots, with the
  // teams' caps scaled to it (rounded up, at least 1) and their floors too
  // (rounded down, so they still add up to at most the slots).
  AdmissionOptions ScanPool() const;
};
bool operator==(const AdmissionOptions& a, const AdmissionOptions& b);
inline bool operator!=(const AdmissionOptions& a, const AdmissionOptions& b) {
  return !(a == b);
}

// One known client (clients[]). Unknown clients go to the default team
// with weight 1.
struct ClientConfig {
  std::string id;    // the client_id a caller sends; unique
  std::string team;  // a declared team or the default team; "" = default
  int weight = 1;    // share among its team's clients (1..1000)
};
bool operator==(const ClientConfig& a, const ClientConfig& b);
inline bool operator!=(const ClientConfig& a, const ClientConfig& b) {
  return !(a == b);
}

// TLS for every listening port and every call between nodes (tls: {...}).
// Paths are resolved against the config file's folder.
struct TlsOptions {
  std::string cert_file;  // PEM certificate (chain) this node presents
  std::string key_file;   // PEM private key of cert_file
  std::string ca_file;    // PEM CA(s) that sign the nodes' (and clients') certs
  // Every caller (nodes and clients) must present a certificate signed by
  // ca_file; nodes dial neighbours with cert_file/key_file.
  bool mutual = false;
  bool enabled() const { return !cert_file.empty(); }
};
bool operator==(const TlsOptions& a, const TlsOptions& b);
inline bool operator!=(const TlsOptions& a, const TlsOptions& b) {
  return !(a == b);
}

// Rules for a peer secret (peer_secret, the file of peer_secret_file,
// overlay_node --peer-secret-file): kMinPeerSecretBytes..kMaxPeerSecretBytes
// printable ASCII characters, no whitespace (it travels as gRPC metadata).
inline constexpr size_t kMinPeerSecretBytes = 16;
inline constexpr size_t kMaxPeerSecretBytes = 1024;
[[nodiscard]] absl::Status ValidatePeerSecret(std::string_view secret);
// Reads a peer secret file: its contents less trailing whitespace, which
// must pass ValidatePeerSecret. The file must not be accessible by group
// or others (chmod 600), as ssh insists for keys. NOT_FOUND if missing;
// INVALID_ARGUMENT otherwise, naming the file.
absl::StatusOr<std::string> ReadPeerSecretFile(const std::string& path);

struct OverlayConfig {
  std::string name;            // free text, for logs
  std::string path;            // the file it was loaded from
  std::string data_root;       // absolute; from "data_root", resolved
                               // against the config file's folder
  std::string portal;          // id of the client-facing process
  std::string shutdown_token;  // if set, a Shutdown carrying it is
                               // accepted from any caller
  // The secret nodes present to each other (PeerService); empty: an open
  // overlay (any caller may use PeerService). From "peer_secret", or read
  // from "peer_secret_file" (kept, resolved, in peer_secret_file).
  std::string peer_secret;
  std::string peer_secret_file;
  TlsOptions tls;  // tls.enabled(): every port speaks TLS only
  StrategyOptions strategy;
  AdmissionOptions admission;
  std::vector<ClientConfig> clients;  // known clients, in config order
  std::vector<ProcessConfig> processes;

  const ProcessConfig* Find(std::string_view id) const;
  // Ids of the processes whose host_group equals `group`, in config order.
  std::vector<std::string> ProcessesInGroup(std::string_view group) const;
};
// Field by field, including `path`.
bool operator==(const OverlayConfig& a, const OverlayConfig& b);
inline bool operator!=(const OverlayConfig& a, const OverlayConfig& b) {
  return !(a == b);
}

// Reads and parses the file, resolving data_root against its folder, then
// validates. Every problem is INVALID_ARGUMENT (NOT_FOUND for a missing file)
// with a message naming the file and the offending process/key, e.g.
// "configs/x.json: process 'B': unknown neighbour 'Z'".
absl::StatusOr<OverlayConfig> LoadOverlayConfig(const std::string& path);

// Parses JSON text; relative data_root is resolved against `base_dir` (the
// working directory if empty). `path` stays empty and messages start with
// "overlay config: ".
absl::StatusOr<OverlayConfig> ParseOverlayConfig(std::string_view json,
                                                 const std::string& base_dir);

// Checks: at least one process; unique ids; ports in range; unique
// host:port; known, non-self neighbours (edges are made symmetric); the
// portal exists; every process with a share is reachable from the portal;
// shares do not overlap; strategy knobs in range; admission knobs in range,
// teams unique, caps/floors only with their strategy and within
// max_concurrency; clients unique and of a known team; a non-empty
// peer_secret passes ValidatePeerSecret; tls has all three files, each
// readable.
// Messages are prefixed with config.path (or "overlay config" if empty).
[[nodiscard]] absl::Status ValidateOverlayConfig(const OverlayConfig& config);

// Adds the missing back-edges: if A lists B, B lists A (appended, in config
// order). Unknown and self neighbours are left for validation to report.
// ParseOverlayConfig calls it; call it again after adding edges by hand.
void MakeNeighborsSymmetric(OverlayConfig& config);

// The config as JSON in the documented format (pretty-printed, every key
// written, data_root as stored). ParseOverlayConfig(ConfigToJson(c), dir)
// gives back `c` (but `path`) for any valid, parsed `c` with an absolute
// data_root. Tests and scripts use it to write edited configs.
std::string ConfigToJson(const OverlayConfig& config);

// Writes ConfigToJson(config) to `path` (replacing it).
[[nodiscard]] absl::Status WriteOverlayConfig(const OverlayConfig& config,
                                              const std::string& path);

// Adds `offset` to every port. INVALID_ARGUMENT (and `config` unchanged) if
// any port would leave 1..65535. Override data_root by assigning it.
[[nodiscard]] absl::Status ApplyPortOffset(OverlayConfig& config, int offset);

}  // namespace overlay

#endif  // OVERLAY_CORE_CONFIG_OVERLAY_CONFIG_H_
