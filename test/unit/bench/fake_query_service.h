// Copyright 2026 The overlay Authors.
//
// FakeQueryService: an in-process asynchronous QueryService for the bench
// tests and for measuring overlay_bench itself. Query answers with
// `chunks_per_query` chunks of `records_per_chunk` records, marked complete
// (every Nth Query fails with UNAVAILABLE if fail_every_nth_query is N > 0;
// every Nth answers incomplete, naming a missing share, with
// incomplete_every_nth_query; every Nth Query of client `reject_client` is
// rejected with RESOURCE_EXHAUSTED and a grpc-retry-pushback-ms trailer, as
// admission does), GetChunk serves them (chunk fail_chunk_index fails with
// NOT_FOUND; with hold_chunks = K, GetChunk holds each
// query's GetChunk calls until K of them, or all its chunks not yet answered,
// are waiting, so a test can see how many a client keeps in flight), Release
// acknowledges, GetMetrics reports the counters (queries_received = Queries
// so far, cpu_s = 1 ms per Query, so tests can check the per-CPU figures
// exactly). Owns the grpc::Server, its completion queues and one drain
// thread per queue; binds 127.0.0.1:0 (or `port`).
// Start/Shutdown from one thread; the counters are thread-safe.
//
//   FakeQueryService fake(FakeServiceOptions{});
//   ASSERT_OK(fake.Start());
//   options.target = fake.address();

#ifndef OVERLAY_TEST_UNIT_BENCH_FAKE_QUERY_SERVICE_H_
#define OVERLAY_TEST_UNIT_BENCH_FAKE_QUERY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay::bench {

struct FakeServiceOptions {
  int chunks_per_query = 2;      // total_chunks of every Query
  int records_per_chunk = 5;     // records in every chunk
  int fail_every_nth_query = 0;  // > 0: Queries N, 2N, ... fail UNAVAILABLE
  int cq_threads = 1;            // server completion queues (a thread each)
  int calls_per_method = 8;      // requests pre-posted per method and queue
  int port = 0;                  // 0: any free port
  bool minimal_stack = false;    // GRPC_ARG_MINIMAL_STACK: no deadline
                                 // or message-size filters (cheaper calls)
  int incomplete_every_nth_query = 0;  // > 0: Queries N, 2N, ... (of the
                                       // answered ones) say complete=false
  std::string reject_client;           // client id to reject ...
  int reject_every_nth = 1;            // ... at its Queries N, 2N, ...
  int reject_pushback_ms = 25;         // grpc-retry-pushback-ms of those
  int hold_chunks = 0;        // > 1: hold a query's GetChunk calls, see above
  int fail_chunk_index = -1;  // >= 0: GetChunk of it fails NOT_FOUND
};

template <typename Request, typename Response>
class FakeCall;

class FakeQueryService final {
 public:
  explicit FakeQueryService(FakeServiceOptions options);
  ~FakeQueryService();  // Shutdown()
  FakeQueryService(const FakeQueryService&) = delete;
  FakeQueryService& operator=(const FakeQueryService&) = delete;

  [[nodiscard]] absl::Status Start();
  // Server, then queues, then threads. Idempotent.
  void Shutdown();

  std::string address() const;  // "127.0.0.1:<port>"
  int64_t queries() const { return queries_.load(); }
  int64_t failed_queries() const { return failed_queries_.load(); }
  int64_t chunks() const { return chunks_.load(); }
  int64_t releases() const { return releases_.load(); }
  int64_t metrics() const { return metrics_.load(); }
  int64_t incomplete_queries() const { return incomplete_queries_.load(); }
  int64_t rejected_queries() const { return rejected_queries_.load(); }
  // Queries received per client id ("" for none).
  std::map<std::string, int64_t> queries_by_client() const;
  // With hold_chunks: the most GetChunk calls of one query held at once.
  int64_t max_chunks_held() const;

 private:
  template <typename Request, typename Response>
  friend class FakeCall;
  struct Requesters;
  using QueryCall = FakeCall<v1::QueryRequest, v1::QueryResponse>;
  using ChunkCall = FakeCall<v1::ChunkRequest, v1::ChunkResponse>;
  using ReleaseCall = FakeCall<v1::ReleaseRequest, v1::ReleaseResponse>;
  using MetricsCall = FakeCall<v1::MetricsRequest, v1::MetricsResponse>;

  // Each handler answers its call now, or (GetChunk with hold_chunks) later.
  void HandleQuery(QueryCall* call);
  void HandleChunk(ChunkCall* call);
  void HandleRelease(ReleaseCall* call);
  void HandleMetrics(MetricsCall* call);
  void ArmCalls(grpc::ServerCompletionQueue* cq);
  // Answers every held GetChunk with `status` (at shutdown).
  void ReleaseHeldChunks(const grpc::Status& status);

  const FakeServiceOptions options_;
  v1::QueryService::AsyncService service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::unique_ptr<Requesters>> holders_;  // one per queue
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool shut_down_ = false;

  // Relaxed counters would do; seq_cst keeps reading them simple.
  std::atomic<int64_t> queries_{0};
  std::atomic<int64_t> failed_queries_{0};
  std::atomic<int64_t> chunks_{0};
  std::atomic<int64_t> releases_{0};
  std::atomic<int64_t> metrics_{0};
  std::atomic<int64_t> answered_queries_{0};
  std::atomic<int64_t> incomplete_queries_{0};
  std::atomic<int64_t> rejected_queries_{0};

  // Held GetChunk calls of one query, and how many of its chunks were
  // answered.
  struct HeldChunks {
    std::vector<ChunkCall*> calls;
    int answered = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> queries_by_client_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, HeldChunks> held_ ABSL_GUARDED_BY(mu_);
  int64_t max_chunks_held_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace overlay::bench

#endif  // OVERLAY_TEST_UNIT_BENCH_FAKE_QUERY_SERVICE_H_
