// Copyright 2026 The overlay Authors.
//
// overlay_bench_fake_server: the tests' FakeQueryService as a process, to
// measure overlay_bench without a real node in the way:
//   overlay_bench_fake_server --port 50999 --threads 1 &
//   overlay_bench --target 127.0.0.1:50999 --rpc metrics --duration 10
// Serves until SIGINT/SIGTERM (or --seconds), then prints its counters.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "test/unit/bench/fake_query_service.h"

ABSL_FLAG(int32_t, port, 0, "port on 127.0.0.1; 0: any free one");
ABSL_FLAG(int32_t, threads, 1, "completion queues, a thread each");
ABSL_FLAG(int32_t, chunks, 2, "chunks a Query announces");
ABSL_FLAG(int32_t, records, 5, "records in a chunk");
ABSL_FLAG(int32_t, fail_every, 0, "fail every Nth Query; 0: never");
ABSL_FLAG(double, seconds, 0, "exit after this long; 0: on a signal");
ABSL_FLAG(bool, minimal_stack, false,
          "serve with GRPC_ARG_MINIMAL_STACK (no deadline filter)");
ABSL_FLAG(int32_t, incomplete_every, 0,
          "answer every Nth Query incomplete (a share missing); 0: never");
ABSL_FLAG(std::string, reject_client, "",
          "client id whose Queries are rejected with RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, reject_every, 1, "reject every Nth Query of that client");
ABSL_FLAG(int32_t, pushback_ms, 25,
          "grpc-retry-pushback-ms sent with each rejection");

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  // As overlay_bench does: no Mutex deadlock detection (on in Debian's
  // abseil), which gRPC would otherwise pay for on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage("a fake overlay QueryService for overlay_bench");
  absl::ParseCommandLine(argc, argv);
  overlay::bench::FakeServiceOptions options;
  options.port = absl::GetFlag(FLAGS_port);
  options.cq_threads = absl::GetFlag(FLAGS_threads);
  options.chunks_per_query = absl::GetFlag(FLAGS_chunks);
  options.records_per_chunk = absl::GetFlag(FLAGS_records);
  options.fail_every_nth_query = absl::GetFlag(FLAGS_fail_every);
  options.calls_per_method = 64;
  options.minimal_stack = absl::GetFlag(FLAGS_minimal_stack);
  options.incomplete_every_nth_query = absl::GetFlag(FLAGS_incomplete_every);
  options.reject_client = absl::GetFlag(FLAGS_reject_client);
  options.reject_every_nth = absl::GetFlag(FLAGS_reject_every);
  options.reject_pushback_ms = absl::GetFlag(FLAGS_pushback_ms);
  overlay::bench::FakeQueryService fake(options);
  if (absl::Status status = fake.Start(); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("listening on %s\n", fake.address().c_str());
  std::fflush(stdout);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const auto end =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (g_stop == 0 &&
         (seconds <= 0 || std::chrono::steady_clock::now() < end)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fake.Shutdown();
  std::printf("queries %lld chunks %lld releases %lld metrics %lld\n",
              static_cast<long long>(fake.queries()),
              static_cast<long long>(fake.chunks()),
              static_cast<long long>(fake.releases()),
              static_cast<long long>(fake.metrics()));
  return 0;
}
