// Copyright 2026 The overlay Authors.
//
// FakeMetricsServer: a synchronous QueryService on 127.0.0.1:<free port>
// whose GetMetrics answers with a canned MetricsResponse, for testing
// overlay_top without real nodes. The other RPCs are UNIMPLEMENTED. A
// CallGate, shared by several servers, can hold every GetMetrics until a
// number of calls have arrived (proving they were concurrent) or for good (a
// hung node) until Open(). The counters can advance by a fixed step per
// call, so rates between two polls are exact. Owns the grpc::Server and its
// threads. Thread-safe.
//
//   FakeMetricsServer a(MetricsFor("A"));
//   ASSERT_OK(a.Start());
//   config.processes[0].port = a.port();

#ifndef OVERLAY_TEST_UNIT_TOP_FAKE_METRICS_SERVER_H_
#define OVERLAY_TEST_UNIT_TOP_FAKE_METRICS_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay::top::testing {

// Holds GetMetrics calls until `needed` of them (across every server
// sharing the gate) are waiting, or until Open().
class CallGate final {
 public:
  explicit CallGate(int needed) : needed_(needed) {}
  // Blocks the calling handler as described above.
  void Pass();
  // Lets every held call and all later ones through.
  void Open();
  int arrived() const;

 private:
  mutable absl::Mutex mu_;
  const int needed_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

class FakeMetricsServer final {
 public:
  // `gate` may be null (answer at once).
  explicit FakeMetricsServer(v1::MetricsResponse reply,
                             std::shared_ptr<CallGate> gate = nullptr);
  ~FakeMetricsServer();  // Shutdown()
  FakeMetricsServer(const FakeMetricsServer&) = delete;
  FakeMetricsServer& operator=(const FakeMetricsServer&) = delete;

  [[nodiscard]] absl::Status Start();
  // Opens the gate (a held call must return), then stops the server.
  // Idempotent.
  void Shutdown();

  int port() const { return port_; }
  std::string address() const;
  int64_t calls() const { return calls_.load(); }
  void set_reply(const v1::MetricsResponse& reply);
  // Call k (from 0) answers the reply with k * these added to
  // queries_received, cpu_s and uptime_s: a node under steady load.
  void set_advance_per_call(int64_t queries, double cpu_s, double uptime_s);

 private:
  class Service;

  std::shared_ptr<CallGate> gate_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<int64_t> calls_{0};
};

// A plausible reply of node `id`: role worker, 1234 rows, 50 MiB RSS.
v1::MetricsResponse MetricsFor(const std::string& id);

}  // namespace overlay::top::testing

#endif  // OVERLAY_TEST_UNIT_TOP_FAKE_METRICS_SERVER_H_
