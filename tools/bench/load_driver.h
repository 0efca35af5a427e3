// Copyright 2026 The overlay Authors.
//
// LoadDriver: the asynchronous load generator of one client. Owns `channels`
// gRPC channels to one target (each its own TCP connection) and `cq_threads`
// completion queues, each drained by one thread it owns; a multi-client run
// has one driver per client, their phases sharing one start time. A phase
// issues requests (RequestCall state machines) either in a closed loop (keep
// `concurrency` requests in flight; a completion starts the next one on the
// same queue) or in an open loop (request i is due at t0 + i/rate; it starts
// when due and a slot under the concurrency cap is free, and its latency is
// measured from its due time, so a stalled server cannot hide queueing:
// no coordinated omission). Completions are recorded into one RunStats per
// queue, merged when the phase ends.
// RunPhase and Connect are called from one control thread, one phase at a
// time; the driver's own threads do the rest.
//
//   LoadDriver driver(options, workload);
//   RETURN_IF_ERROR(driver.Connect(absl::Seconds(5)));
//   PhaseResult result = driver.RunPhase(spec);

#ifndef OVERLAY_TOOLS_BENCH_LOAD_DRIVER_H_
#define OVERLAY_TOOLS_BENCH_LOAD_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "protos/overlay.grpc.pb.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/request_call.h"
#include "tools/bench/run_stats.h"
#include "tools/bench/workload.h"

namespace overlay::bench {

struct PhaseSpec {
  int64_t requests = 0;   // to issue; -1: until duration_s
  int64_t t0_ns = 0;      // steady-clock start of the timetable (several
                          // drivers share one); 0: when RunPhase starts
  double duration_s = 0;  // > 0: closed loop stops issuing after this
  double rate = 0;        // > 0: open loop at this many requests/s
  int concurrency = 1;    // in flight (closed) or cap (open)
  bool record = true;     // false: warmup, nothing recorded
  std::function<void(const Progress&)> progress;  // ~1/s, control thread
};

struct PhaseResult {
  RunStats stats;      // merged over the queues (empty if !record)
  int64_t issued = 0;  // requests started
  int64_t t0_ns = 0;   // steady-clock start of the phase
  double wall_s = 0;   // from start to the last completion
};

class LoadDriver final {
 public:
  // `workload` must outlive the driver. REQUIRES: options validated.
  LoadDriver(const BenchOptions& options, const Workload& workload);
  // Shuts the queues down and joins their threads. REQUIRES: no phase runs.
  ~LoadDriver();
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  // Waits until every channel is connected; UNAVAILABLE after `timeout`.
  [[nodiscard]] absl::Status Connect(absl::Duration timeout);

  // Runs one phase to its end (every issued request completed) and returns
  // what it saw. Blocks the calling thread, which paces an open loop.
  PhaseResult RunPhase(const PhaseSpec& spec);

 private:
  class Phase;

  const BenchOptions options_;
  const Workload& workload_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::QueryService::Stub>> stubs_;
  std::vector<std::unique_ptr<grpc::GenericStub>> generic_stubs_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<ChunkReplyPool> chunk_replies_;  // [queue]; its thread's
  std::vector<std::thread> threads_;
};

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_LOAD_DRIVER_H_
