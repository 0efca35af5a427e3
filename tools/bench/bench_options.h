// Copyright 2026 The overlay Authors.
//
// BenchOptions: everything one overlay_bench run needs, as a plain struct
// whose members all have defaults (filled from flags by overlay_bench's main,
// or by hand in tests). ValidateBenchOptions checks the combinations once;
// the rest of the bench library trusts a validated BenchOptions. A run has
// one client, or several (ClientSpec, from --client): each is a BenchOptions
// of its own (OptionsForClient) with its own client id, channels and
// timetable. Thread-compatible; immutable during a run by convention.

#ifndef OVERLAY_TOOLS_BENCH_BENCH_OPTIONS_H_
#define OVERLAY_TOOLS_BENCH_BENCH_OPTIONS_H_

#include <grpcpp/security/credentials.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace overlay::bench {

// What one benchmark request is.
enum class RpcKind {
  kQuery,    // Query, then GetChunk 0..n-1 (unless !fetch_chunks), Release
  kMetrics,  // one trivial GetMetrics: measures the client and transport
  kHealth,   // one grpc.health.v1 Check: the cheapest call a node serves
};
absl::string_view RpcKindName(RpcKind kind);  // "query", "metrics"
absl::StatusOr<RpcKind> ParseRpcKind(absl::string_view name);

// A node to scrape with GetMetrics before, during and after the run.
struct ScrapeTarget {
  std::string id;       // e.g. "A"
  std::string address;  // "host:port"
};

// A snapshot handed to BenchOptions::progress about once a second.
struct Progress {
  double elapsed_s = 0;   // since the measured phase started
  int64_t ok = 0;         // completed successfully so far
  int64_t errors = 0;     // completed with an error so far
  int64_t in_flight = 0;  // started, not yet completed
};

// Defaults of `concurrency`: requests in flight of a closed loop, and the cap
// on them of an open loop.
inline constexpr int kDefaultConcurrency = 10;
inline constexpr int kDefaultOpenLoopCap = 1000;
inline constexpr int kMaxParallel = 64;  // GetChunk calls of one request
inline constexpr int64_t kMaxPushbackWaitMs = 1000;  // see honor_pushback

// One client of a multi-client run, as --client gives it:
//   NAME[:KEY=VALUE[,KEY=VALUE...]]
// KEYs: rate=R (open loop at R requests/s), concurrency=N (closed loop with
// N in flight; with rate=, the cap), duration=S, requests=N, channels=N,
// parallel=N, deadline=MS, and, last because they take the rest of the text
// (commas included), query=WORDS or query_file=PATH. A key left out takes
// the run's value, except: rate= without concurrency= caps at
// kDefaultOpenLoopCap; concurrency= without rate= makes a closed loop;
// duration= without requests= runs for that long, however many requests.
struct ClientSpec {
  std::string name;  // the client id sent in every QueryRequest.client_id
  std::optional<double> rate;
  std::optional<int> concurrency;
  std::optional<double> duration_s;
  std::optional<int64_t> requests;
  std::optional<int> channels;
  std::optional<int> parallel;
  std::optional<int64_t> deadline_ms;
  std::string query;       // query words; empty: the run's workload
  std::string query_file;  // a weighted mix; empty: the run's workload
};

// INVALID_ARGUMENT naming the offending part, e.g. "--client 'a:rate=x':
// rate: not a number".
absl::StatusOr<ClientSpec> ParseClientSpec(absl::string_view text);

struct BenchOptions {
  std::string target = "127.0.0.1:60051";  // node the requests go to
  // Channel credentials of every connection (TLS); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  RpcKind rpc = RpcKind::kQuery;           // what a request is
  int64_t requests = 1000;      // measured requests; 0: until duration_s
  int concurrency = 10;         // closed loop: requests in flight; open
                                // loop: cap on requests in flight
  double duration_s = 0;        // > 0: stop issuing after this long
  double rate = 0;              // > 0: open loop, requests/s on a timetable
  int64_t warmup = 0;           // unrecorded closed-loop requests first
  // Closed loop: after a failure with a grpc-retry-pushback-ms hint, the
  // slot waits that long (at most kMaxPushbackWaitMs) before its next
  // request, as a well-behaved client does. An open loop keeps its
  // timetable whatever the hints say.
  bool honor_pushback = true;
  int64_t deadline_ms = 30000;  // deadline of each RPC; 0: none
  int64_t connect_timeout_ms = 10000;  // to connect every channel first
  bool fetch_chunks = true;            // false: Query then Release, no GetChunk
  int parallel = 1;  // GetChunk calls in flight per request (chunk 0 may
                     // come inline with the Query answer)
  // Sent as QueryRequest.client_id of every request; empty: as the query
  // words say (--client-id).
  std::string client_id;
  int channels = 4;    // gRPC channels (TCP connections)
  int cq_threads = 2;  // completion queues, one thread each
  uint64_t seed = 1;   // picks workload entries per request index
  std::vector<ScrapeTarget> scrape_targets;  // nodes to read GetMetrics of
  double scrape_interval_s = 1.0;            // period of "during" scrapes
  int64_t scrape_timeout_ms = 1000;          // deadline of one scrape
  // Called from the thread running RunBench about once a second; may be
  // empty. Must not block for long. Sums over the clients.
  std::function<void(const Progress&)> progress;
  // Several clients in one run; empty: one client made of the fields above.
  // The fields above are the defaults of every client.
  std::vector<ClientSpec> clients;
};

// The options client `spec` runs with: `run`'s, overridden by the spec
// (see ClientSpec), its client id the spec's name, and no clients.
BenchOptions OptionsForClient(const BenchOptions& run, const ClientSpec& spec);

// Open loop when rate > 0. The number of requests the measured phase will
// issue: requests, or rate * duration_s (the smaller if both are set);
// -1 for a closed loop bounded only by duration_s.
int64_t PlannedRequests(const BenchOptions& options);

// INVALID_ARGUMENT naming the offending option, e.g. "concurrency must be
// >= 1 (got 0)"; for a client, "client 'heavy': rate must be ...". Client
// names must be non-empty, unique, of [A-Za-z0-9_.-].
[[nodiscard]] absl::Status ValidateBenchOptions(const BenchOptions& options);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_BENCH_OPTIONS_H_
