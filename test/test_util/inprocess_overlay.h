// Copyright 2026 The overlay Authors.
//
// InProcessOverlay: every process of an overlay config as a NodeServer in
// this test process, on 127.0.0.1 with ports picked by the kernel (port 0),
// all on one FakeClock: deadlines, TTLs and timers move only when the test
// advances the clock, so node behaviour is tested deterministically and
// nothing sleeps. Hooks stall a node (its calls park until their caller
// gives up, or until resumed), make it stall after doing its work (answers
// dropped), fail its calls, or kill it (shut down: its port closes); they
// also park a node's admitted calls of one RPC, each holding its admission
// slot (a node busy with its work), to fill its pools deterministically.
// WaitFor() waits for a condition, re-checked whenever a node's calls
// change, bounded by real time only as a failure guard. Stop() and the
// destructor shut every node down, so a failing test leaves nothing behind.
// Every overlay gets a config name of its own, so shared cache segments
// (/dev/shm/overlay-<name>-<host group>) of two tests never collide; the
// destructor removes any the nodes left.
// Thread-compatible: one test thread drives it (nodes run their own).
//
//   InProcessOverlay overlay;
//   ASSERT_OK(overlay.Start("configs/one_host.json", data_root));
//   overlay.Stall("F");
//   auto call = overlay.StartQuery(request);          // async
//   ASSERT_TRUE(overlay.WaitFor([&] { return overlay.held("F") > 0; }));
//   overlay.AdvanceMillis(60'000);                     // deadlines pass
//   grpc::Status status = call->Wait();

#ifndef OVERLAY_TEST_TEST_UTIL_INPROCESS_OVERLAY_H_
#define OVERLAY_TEST_TEST_UTIL_INPROCESS_OVERLAY_H_

#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/config/overlay_config.h"
#include "nodes/node_server.h"
#include "protos/overlay.grpc.pb.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/fake_timers.h"

namespace overlay::testing {

// A Query (or any unary call) running on its own thread.
class AsyncQuery final {
 public:
  // `fake_deadline_nanos` >= 0: also sent as the deadline on the nodes'
  // fake clock (kFakeDeadlineKey), which the portal then takes instead of
  // gRPC's: gRPC sends a deadline as a timeout rounded up (to 100 ms from
  // 10 s on), so "10 s" could reach the portal as 10.1 s and a test that
  // moves the clock by 10 s would fall short of it.
  AsyncQuery(v1::QueryService::Stub* stub, v1::QueryRequest request,
             std::chrono::system_clock::time_point deadline,
             int64_t fake_deadline_nanos = -1);
  ~AsyncQuery();  // cancels and joins if still running
  AsyncQuery(const AsyncQuery&) = delete;
  AsyncQuery& operator=(const AsyncQuery&) = delete;

  void Cancel() { context_.TryCancel(); }
  // Whether the answer (or error) has arrived; Wait() would not block.
  bool finished() const { return finished_.load(); }
  // Joins the call; its status (the response is in response()).
  grpc::Status Wait();
  const v1::QueryResponse& response() const { return response_; }
  // After Wait(): the answer's trailing metadata `key`, "" if absent (e.g.
  // "grpc-retry-pushback-ms").
  std::string Trailer(const std::string& key) const;

 private:
  grpc::ClientContext context_;
  v1::QueryResponse response_;
  grpc::Status status_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

class InProcessOverlay final {
 public:
  InProcessOverlay();
  ~InProcessOverlay();
  InProcessOverlay(const InProcessOverlay&) = delete;
  InProcessOverlay& operator=(const InProcessOverlay&) = delete;

  // Loads `config_path`, names it uniquely ("<name>-t<pid>-<n>"), points
  // it at `data_root`, gives it the peer secret kTestPeerSecret, lets `edit`
  // change it (the name too), and starts every process. Ports come from the
  // kernel.
  [[nodiscard]] absl::Status Start(
      const std::string& config_path, const std::string& data_root,
      const std::function<void(OverlayConfig&)>& edit = nullptr);
  // Shuts every node down (held calls are cancelled).
  void Stop();

  const OverlayConfig& config() const { return config_; }
  FakeClock& clock() { return clock_; }
  void AdvanceMillis(int64_t millis) { timers_.AdvanceMillis(millis); }
  // Timers the clock fired whose owners have not run yet (FakeTimers).
  int TimersDelivering() const { return timers_.delivering(); }

  // Every call of `id` that can be cancelled parks on arrival.
  void Stall(const std::string& id);
  // Every `kind` call of `id` parks once admitted, holding its slot.
  void StallAdmitted(const std::string& id, RpcKind kind);
  // Resumes the calls parked after admission at `id` and keeps parking
  // new ones; how many were resumed.
  int ResumeAdmitted(const std::string& id);
  // Resumes `id`'s parked calls and stops parking new ones.
  void Resume(const std::string& id);
  // `id` does its work but drops its answers to Execute (and parks).
  void HoldReplies(const std::string& id);
  // Every call of `id` that can be cancelled fails with `status`.
  void FailCalls(const std::string& id, grpc::Status status);
  // Shuts `id` down: its port closes, calls to it fail UNAVAILABLE.
  void Kill(const std::string& id);
  // Shuts `id` down and starts it again on the same port, loading its
  // share from `data_root` (e.g. other data: another generation).
  [[nodiscard]] absl::Status Restart(const std::string& id,
                                     const std::string& data_root);
  // The shared cache segment of `host_group` (whether or not it exists).
  std::string SegmentPath(const std::string& host_group) const;
  // As Kill, but the calls parked at `id` stay parked: the shutdown cancels
  // them (after its grace), as it would a busy node's.
  void KillBusy(const std::string& id);
  int held(const std::string& id) const;
  // Of those: calls of `kind` parked at `id`.
  int held(const std::string& id, RpcKind kind) const;
  // Calls of `kind` that have reached `id`'s hooks (calls told of their
  // caller's cancel only: Query, GetChunk, Execute, Fetch), parked or not;
  // by then each has its deadline.
  int arrived(const std::string& id, RpcKind kind) const;

  // True once `predicate` holds; re-checked whenever a node's state
  // changes. `timeout` (real time) only bounds a failing test.
  bool WaitFor(const std::function<bool()>& predicate,
               absl::Duration timeout = absl::Seconds(20));
  // Across the live nodes: result rows held, plans held, calls in flight
  // (server calls and outbound calls) and local runs not finished.
  int64_t ResultsHeld() const;
  int64_t PlansHeld() const;
  int64_t CallsInFlight() const;
  // True when no node holds anything for a query or works on one.
  bool Quiet() const;
  // Per node: results, plans, server calls, outbound calls, runs.
  std::string Describe() const;

  const Node& node(const std::string& id) const;
  std::unique_ptr<v1::QueryService::Stub> Stub(const std::string& id) const;
  // A stub on a channel of its own with `credentials` (TLS tests).
  std::unique_ptr<v1::QueryService::Stub> Stub(
      const std::string& id,
      std::shared_ptr<grpc::ChannelCredentials> credentials) const;
  const std::string& address(const std::string& id) const {
    return addresses_.at(id);
  }
  std::unique_ptr<v1::QueryService::Stub> PortalStub() const {
    return Stub(config_.portal);
  }
  // The node-to-node service of `id`, as its neighbours call it.
  std::unique_ptr<v1::PeerService::Stub> PeerStub(const std::string& id) const;
  // Starts `request` on the portal on a thread, due `deadline` from now on
  // the nodes' fake clock, exactly (the clock only moves when the test
  // advances it). The client's own real-time deadline is 10 s later: it only
  // bounds a failing test.
  std::unique_ptr<AsyncQuery> StartQuery(
      const v1::QueryRequest& request,
      std::chrono::seconds deadline = std::chrono::seconds(60));

 private:
  class Hooks;
  struct Member {
    std::unique_ptr<Hooks> hooks;
    std::unique_ptr<NodeServer> server;
    bool alive = false;
  };

  [[nodiscard]] absl::Status StartNode(const std::string& id,
                                       const std::string& data_root,
                                       int port);

  FakeClock clock_;
  FakeTimers timers_;
  OverlayConfig config_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> addresses_;
  struct Signal;
  std::unique_ptr<Signal> signal_;
  std::vector<std::unique_ptr<v1::QueryService::Stub>> stubs_;
  mutable std::atomic<int> channels_{0};
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_INPROCESS_OVERLAY_H_
