// Copyright 2026 The overlay Authors.
//
// FakeQueryService: an in-process asynchronous QueryService for the bench
// tests and for measuring overlay_bench itself. Query answers with
// `chunks_per_query` chunks of `records_per_chunk` records (every Nth Query
// fails with UNAVAILABLE if fail_every_nth_query is N > 0), GetChunk serves
// them, Release acknowledges, GetMetrics reports the counters
// (queries_received = Queries so far, cpu_s = 1 ms per Query, so tests can
// check the per-CPU figures exactly). Owns the grpc::Server, its completion
// queues and one drain thread per queue; binds 127.0.0.1:0 (or `port`).
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
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
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
};

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

 private:
  template <typename Request, typename Response>
  friend class FakeCall;
  struct Requesters;

  grpc::Status HandleQuery(const v1::QueryRequest& request,
                           v1::QueryResponse* response);
  grpc::Status HandleChunk(const v1::ChunkRequest& request,
                           v1::ChunkResponse* response);
  grpc::Status HandleRelease(const v1::ReleaseRequest& request,
                             v1::ReleaseResponse* response);
  grpc::Status HandleMetrics(const v1::MetricsRequest& request,
                             v1::MetricsResponse* response);
  void ArmCalls(grpc::ServerCompletionQueue* cq);

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
};

}  // namespace overlay::bench

#endif  // OVERLAY_TEST_UNIT_BENCH_FAKE_QUERY_SERVICE_H_
