// Copyright 2026 The overlay Authors.
//
// RequestCall: one benchmark request as a client-side state machine on a
// completion queue: Query, then GetChunk 0..n-1 (unless chunks are off) with
// up to `parallel` of them in flight, then Release; or a single GetMetrics /
// health Check. Owns its ClientContexts (a fresh one per RPC), responses and
// statuses: the Query, Release, GetMetrics and Check completions come back
// on the call's own tag, each GetChunk on the tag of its ChunkSlot. It
// records its outcome into the RunStats of the queue's thread, deletes
// itself in its terminal step and then tells its RequestListener, which may
// start the next request.
// Start() may be called from any thread; after Start() only the thread
// draining the call's completion queue touches it (Proceed, OnChunk).

#ifndef OVERLAY_TOOLS_BENCH_REQUEST_CALL_H_
#define OVERLAY_TOOLS_BENCH_REQUEST_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/reactor/completion_tag.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "protos/overlay.grpc.pb.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/run_stats.h"

namespace overlay::bench {

// Told when a request has finished (after the call deleted itself), on the
// thread draining the request's queue. `retry_pushback_ms`: the
// grpc-retry-pushback-ms hint of a failure, -1 when there was none.
class RequestListener {
 public:
  virtual void OnRequestDone(int cq_index, bool ok,
                             int64_t retry_pushback_ms) = 0;

 protected:
  ~RequestListener() = default;
};

// GetChunk replies kept from one request to the next by the thread of one
// queue (only that thread touches it). A reply is merged into a message
// that kept the capacity of its column arrays and site strings, so parsing
// a chunk allocates almost nothing; a fresh message per chunk (or protobuf's
// Parse, which deletes the records on Clear) spent a third of the client's
// time in malloc, free and page faults on a 290 KB chunk.
class ChunkReplyPool final {
 public:
  std::unique_ptr<v1::ChunkResponse> Take();
  void Give(std::unique_ptr<v1::ChunkResponse> reply);
  // Clears `reply` but keeps its records message and their capacity.
  static void ClearKeepingCapacity(v1::ChunkResponse* reply);

 private:
  std::vector<std::unique_ptr<v1::ChunkResponse>> free_;
};

// What a call needs from its driver; outlives every call started with it.
struct CallSetup {
  RpcKind rpc = RpcKind::kQuery;
  bool fetch_chunks = true;
  int parallel = 1;           // GetChunk calls in flight at most
  int64_t deadline_ms = 0;    // per RPC; 0: none
  std::string client_id;      // set on every Query; empty: the request's
  bool open_loop = false;     // record start lag (actual - scheduled)
  int64_t t0_ns = 0;          // phase start (steady clock ns)
  RunStats* stats = nullptr;  // of the queue's thread; null: don't record
  RequestListener* listener = nullptr;
  grpc::CompletionQueue* cq = nullptr;
  int cq_index = 0;
  ChunkReplyPool* chunk_replies = nullptr;  // of the queue's thread
};

class RequestCall final : public CompletionTag {
 public:
  // `start_ns`: when the request counts as started (its scheduled time in
  // an open loop, now otherwise); latency is measured from it.
  RequestCall(const CallSetup* setup, v1::QueryService::Stub* stub,
              grpc::GenericStub* generic_stub,
              grpc::health::v1::Health::Stub* health_stub,
              const v1::QueryRequest* request, int64_t start_ns);
  RequestCall(const RequestCall&) = delete;
  RequestCall& operator=(const RequestCall&) = delete;

  // Issues the first RPC. The call may complete (and be deleted) on the
  // queue's thread before Start() returns: touch nothing after it.
  void Start();
  // Completion of the call's own RPC (Query, Release, GetMetrics, Check).
  void Proceed(bool ok) override;

  // Monotonic nanoseconds on the clock latencies use.
  static int64_t NowNanos();

 private:
  // kChunks: GetChunk calls in flight, each on its ChunkSlot's tag.
  enum class State { kQuery, kChunks, kRelease, kMetrics, kHealth };

  // One GetChunk call: its own tag, context, reader, reply and status. The
  // reply comes as bytes (a generic call), so the bench counts them without
  // a ByteSizeLong pass and merges them into a pooled message.
  struct ChunkSlot final : public CompletionTag {
    ChunkSlot(RequestCall* call, ChunkReplyPool* pool)
        : owner(call), pool(pool), response(pool->Take()) {}
    ~ChunkSlot() { pool->Give(std::move(response)); }
    void Proceed(bool ok) override { owner->OnChunk(this, ok); }

    RequestCall* const owner;
    ChunkReplyPool* const pool;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
    v1::ChunkRequest request;
    grpc::ByteBuffer reply_bytes;
    std::unique_ptr<v1::ChunkResponse> response;  // from and back to pool
    grpc::Status status;
    int64_t start_ns = 0;
    bool in_flight = false;
  };

  ~RequestCall() = default;  // only via Complete()
  // A Release gets at least this long, whatever --deadline says.
  static constexpr int64_t kReleaseDeadlineMs = 1000;
  // A context with the run's per-RPC deadline, or `at_least_ms` if longer.
  std::unique_ptr<grpc::ClientContext> NewContext(int64_t at_least_ms = 0) const;
  void StartQuery();
  void StartChunks();  // tops the window of GetChunk calls up
  void StartRelease();
  void StartMetrics();
  void StartHealth();
  void OnQuery();
  void OnChunk(ChunkSlot* slot, bool ok);
  void OnRelease();
  void OnMetrics();
  void OnHealth();
  // Remembers the first failure (and its retry hint, from `context`); the
  // request's latency ends now.
  void Fail(const char* rpc, const grpc::Status& status,
            const grpc::ClientContext* context);
  // Records the outcome, deletes this, tells the listener.
  void Complete();

  const CallSetup* const setup_;
  v1::QueryService::Stub* const stub_;
  grpc::GenericStub* const generic_stub_;  // GetChunk
  grpc::health::v1::Health::Stub* const health_stub_;
  grpc::health::v1::HealthCheckResponse health_;
  std::unique_ptr<
      grpc::ClientAsyncResponseReader<grpc::health::v1::HealthCheckResponse>>
      health_reader_;
  const v1::QueryRequest* const request_;
  const int64_t start_ns_;    // latency origin (scheduled or actual)
  int64_t issued_ns_ = 0;     // when Start() ran
  int64_t rpc_start_ns_ = 0;  // current RPC on the call's own tag
  int64_t end_ns_ = 0;        // last chunk (or failure) arrived
  State state_ = State::kQuery;
  bool lag_recorded_ = false;

  std::unique_ptr<grpc::ClientContext> context_;  // the call's own RPC
  grpc::Status status_;
  v1::QueryRequest query_request_;
  v1::QueryResponse query_;
  v1::ReleaseResponse release_;
  v1::MetricsResponse metrics_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::QueryResponse>>
      query_reader_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ReleaseResponse>>
      release_reader_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::MetricsResponse>>
      metrics_reader_;

  std::vector<std::unique_ptr<ChunkSlot>> slots_;  // at most setup_->parallel
  int32_t next_chunk_ = 0;  // next chunk index to ask for
  int chunks_in_flight_ = 0;
  int64_t records_ = 0;
  int64_t bytes_ = 0;
  int64_t chunks_ = 0;
  bool failed_ = false;
  const char* failed_rpc_ = "";
  grpc::Status failure_;
  int64_t failure_pushback_ms_ = -1;
};

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_REQUEST_CALL_H_
