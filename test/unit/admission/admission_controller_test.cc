// Copyright 2026 The overlay Authors.
//
// The mechanism, with a FakeClock and hand-driven permits: typed rejections
// and retry hints, queue bounds, cancellation, CoDel, deadlines, shutdown,
// the three strategies and the metrics. No sleeps, no threads.

#include "core/admission/admission_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "test/test_util/fake_clock.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

class FakeWaiter final : public AdmissionWaiter {
 public:
  void OnAdmissionDecided() override { ++calls; }
  int calls = 0;
};

// A queued request: its waiter outlives its ticket (members destroy in
// reverse order).
struct Waiting {
  std::unique_ptr<FakeWaiter> waiter = std::make_unique<FakeWaiter>();
  std::unique_ptr<AdmissionTicket> ticket;
};

AdmissionOptions Options(int limit, int per_client, int total) {
  AdmissionOptions options;
  options.max_concurrency = limit;
  options.max_queue_per_client = per_client;
  options.max_queue_total = total;
  return options;
}

AdmissionRequest Request(const std::string& client,
                         const std::string& team = "default", int weight = 1) {
  AdmissionRequest request;
  request.cls.team = team;
  request.cls.client = client;
  request.cls.client_weight = weight;
  return request;
}

constexpr int64_t kMs = 1'000'000;

class AdmissionControllerTest : public ::testing::Test {
 protected:
  AdmissionPermit Admit(AdmissionController& controller,
                        const AdmissionRequest& request) {
    FakeWaiter unused;
    AdmitResult result = controller.TryAdmit(request, &unused);
    auto* permit = std::get_if<AdmissionPermit>(&result);
    EXPECT_NE(permit, nullptr) << "not admitted at once";
    return permit != nullptr ? std::move(*permit) : AdmissionPermit();
  }
  Waiting Queue(AdmissionController& controller,
                const AdmissionRequest& request) {
    Waiting waiting;
    AdmitResult result = controller.TryAdmit(request, waiting.waiter.get());
    auto* ticket = std::get_if<std::unique_ptr<AdmissionTicket>>(&result);
    EXPECT_NE(ticket, nullptr) << "not queued";
    if (ticket != nullptr) waiting.ticket = std::move(*ticket);
    return waiting;
  }
  AdmissionRejection Reject(AdmissionController& controller,
                            const AdmissionRequest& request) {
    FakeWaiter unused;
    AdmitResult result = controller.TryAdmit(request, &unused);
    auto* rejection = std::get_if<AdmissionRejection>(&result);
    EXPECT_NE(rejection, nullptr) << "not rejected";
    EXPECT_EQ(unused.calls, 0);
    return rejection != nullptr ? *rejection : AdmissionRejection();
  }
  // REQUIRES: the waiter was called.
  AdmissionPermit Granted(Waiting& waiting) {
    EXPECT_EQ(waiting.waiter->calls, 1);
    if (waiting.waiter->calls != 1 || waiting.ticket == nullptr) return {};
    AdmissionDecision decision = waiting.ticket->Take();
    auto* permit = std::get_if<AdmissionPermit>(&decision);
    EXPECT_NE(permit, nullptr) << "rejected";
    return permit != nullptr ? std::move(*permit) : AdmissionPermit();
  }
  AdmissionRejection Refused(Waiting& waiting) {
    EXPECT_EQ(waiting.waiter->calls, 1);
    if (waiting.waiter->calls != 1 || waiting.ticket == nullptr) return {};
    AdmissionDecision decision = waiting.ticket->Take();
    auto* rejection = std::get_if<AdmissionRejection>(&decision);
    EXPECT_NE(rejection, nullptr) << "granted";
    return rejection != nullptr ? *rejection : AdmissionRejection();
  }
  // Teaches the controller a service time.
  void Serve(AdmissionController& controller, int64_t nanos) {
    AdmissionPermit permit = Admit(controller, Request("teacher"));
    clock_.AdvanceNanos(nanos);
  }
  const ClassAdmissionMetrics* Row(const AdmissionMetrics& metrics,
                                   const std::string& client) {
    for (const ClassAdmissionMetrics& row : metrics.classes) {
      if (row.client == client) return &row;
    }
    ADD_FAILURE() << "no row for " << client;
    return nullptr;
  }

  testing::FakeClock clock_;
};

int Rejected(const ClassAdmissionMetrics* row, RejectReason reason) {
  return row == nullptr
             ? -1
             : static_cast<int>(row->rejected[static_cast<int>(reason)]);
}

// --- slots and permits -------------------------------------------------------

TEST_F(AdmissionControllerTest, AdmitsAtOnceUpToTheLimitThenQueues) {
  AdmissionController controller(Options(2, 8, 8), &clock_);
  AdmissionPermit a = Admit(controller, Request("x"));
  AdmissionPermit b = Admit(controller, Request("x"));
  Waiting c = Queue(controller, Request("x"));
  AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.limit, 2);
  EXPECT_EQ(metrics.in_flight, 2);
  EXPECT_EQ(metrics.queued, 1);
  EXPECT_EQ(c.waiter->calls, 0);

  a.Release();  // wakes the waiter, on this thread, outside the lock
  EXPECT_FALSE(a.held());
  AdmissionPermit c_permit = Granted(c);
  EXPECT_TRUE(c_permit.held());
  metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.in_flight, 2);
  EXPECT_EQ(metrics.queued, 0);
}

TEST_F(AdmissionControllerTest, PermitsReturnTheirSlots) {
  AdmissionController controller(Options(2, 8, 8), &clock_);
  {
    AdmissionPermit a = Admit(controller, Request("x"));
    AdmissionPermit moved = std::move(a);
    EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(moved.held());
    AdmissionPermit b = Admit(controller, Request("y"));
    EXPECT_EQ(controller.GetMetrics().in_flight, 2);
    b = AdmissionPermit();  // assigning over a permit releases it
    EXPECT_EQ(controller.GetMetrics().in_flight, 1);
  }
  EXPECT_EQ(controller.GetMetrics().in_flight, 0);
  AdmissionPermit again = Admit(controller, Request("x"));
  AdmissionPermit and_again = Admit(controller, Request("x"));
  EXPECT_EQ(controller.GetMetrics().in_flight, 2);
}

TEST_F(AdmissionControllerTest, ALoneClientGetsEverySlot) {
  AdmissionController controller(Options(4, 8, 8), &clock_);
  std::vector<AdmissionPermit> permits;
  for (int i = 0; i < 4; ++i)
    permits.push_back(Admit(controller, Request("x")));
  EXPECT_EQ(controller.GetMetrics().in_flight, 4);
}

TEST_F(AdmissionControllerTest, CallbacksRunOutsideTheLock) {
  AdmissionController controller(Options(1, 8, 8), &clock_);
  class Reentrant final : public AdmissionWaiter {
   public:
    explicit Reentrant(AdmissionController* controller)
        : controller_(controller) {}
    void OnAdmissionDecided() override {
      // Would self-deadlock if called under the controller's mutex.
      in_flight = controller_->GetMetrics().in_flight;
    }
    AdmissionController* controller_;
    int64_t in_flight = -1;
  } waiter(&controller);
  AdmissionPermit held = Admit(controller, Request("x"));
  AdmitResult result = controller.TryAdmit(Request("y"), &waiter);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<AdmissionTicket>>(result));
  held.Release();
  EXPECT_EQ(waiter.in_flight, 1);
  std::get<std::unique_ptr<AdmissionTicket>>(result).reset();  // returns it
  EXPECT_EQ(controller.GetMetrics().in_flight, 0);
}

// --- bounds and typed rejections
// ------------------------------------------------

TEST_F(AdmissionControllerTest, ClientQueueBoundIsResourceExhaustedWithHint) {
  AdmissionController controller(Options(1, 2, 10), &clock_);
  Serve(controller, 10 * kMs);  // expected service: 10 ms
  AdmissionPermit held = Admit(controller, Request("x"));
  Waiting q1 = Queue(controller, Request("x"));
  Waiting q2 = Queue(controller, Request("x"));
  const AdmissionRejection rejection = Reject(controller, Request("x"));
  EXPECT_EQ(rejection.reason, RejectReason::kClientQueueFull);
  EXPECT_EQ(rejection.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(rejection.ToStatus().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(rejection.message,
              HasSubstr("client 'x' (team 'default') already has 2 requests "
                        "queued, its bound"));
  // Its 2 waiting at its whole share, 10 ms each, on 1 slot.
  EXPECT_EQ(rejection.retry_after_ms, 20);
  // Another client is not affected.
  Waiting other = Queue(controller, Request("y"));
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(Rejected(Row(metrics, "x"), RejectReason::kClientQueueFull), 1);
  EXPECT_EQ(metrics.rejected[static_cast<int>(RejectReason::kClientQueueFull)],
            1);
}

TEST_F(AdmissionControllerTest, FullQueueAtParityIsUnavailable) {
  AdmissionController controller(Options(1, 3, 4), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));
  std::vector<Waiting> waiting;
  for (const char* client : {"a", "b", "a", "b"}) {
    waiting.push_back(Queue(controller, Request(client)));
  }
  // a holds exactly its half of the queue: the node is full, a is not
  // over its share.
  const AdmissionRejection rejection = Reject(controller, Request("a"));
  EXPECT_EQ(rejection.reason, RejectReason::kQueueFull);
  EXPECT_EQ(rejection.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(rejection.message,
              HasSubstr("node overloaded: the queue is full (4 waiting, 1 "
                        "running)"));
  EXPECT_GE(rejection.retry_after_ms, 1);
  for (const Waiting& w : waiting) EXPECT_EQ(w.waiter->calls, 0);
}

TEST_F(AdmissionControllerTest, ALightClientDisplacesTheHeavyOneInAFullQueue) {
  AdmissionController controller(Options(1, 8, 8), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));
  std::vector<Waiting> heavy;
  for (int i = 0; i < 8; ++i)
    heavy.push_back(Queue(controller, Request("heavy")));

  // The light client gets in; heavy's newest request is pushed out.
  Waiting light = Queue(controller, Request("light"));
  for (int i = 0; i < 7; ++i) EXPECT_EQ(heavy[i].waiter->calls, 0);
  const AdmissionRejection displaced = Refused(heavy.back());
  EXPECT_EQ(displaced.reason, RejectReason::kDisplaced);
  EXPECT_EQ(displaced.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(displaced.message,
              HasSubstr("client 'heavy' (team 'default') holds more than its "
                        "share (8 waiting, share 50%)"));
  EXPECT_GE(displaced.retry_after_ms, 1);

  // More heavy work is refused at the door: it is over its share.
  const AdmissionRejection over = Reject(controller, Request("heavy"));
  EXPECT_EQ(over.reason, RejectReason::kOverShare);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(over.message, HasSubstr("(7 waiting, share 50%)"));

  // Neither had been served, so heavy (first in) goes first; then light
  // is ahead of heavy's backlog.
  held.Release();
  AdmissionPermit heavy_permit = Granted(heavy[0]);
  heavy_permit.Release();
  AdmissionPermit light_permit = Granted(light);
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(Rejected(Row(metrics, "heavy"), RejectReason::kDisplaced), 1);
  EXPECT_EQ(Rejected(Row(metrics, "heavy"), RejectReason::kOverShare), 1);
  EXPECT_EQ(Row(metrics, "light")->rejected_total(), 0);
}

TEST_F(AdmissionControllerTest, CancellingAQueuedRequestFreesItsPlace) {
  AdmissionController controller(Options(1, 2, 2), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));
  Waiting a = Queue(controller, Request("x"));
  Waiting b = Queue(controller, Request("x"));
  EXPECT_EQ(Reject(controller, Request("x")).reason,
            RejectReason::kClientQueueFull);

  EXPECT_TRUE(a.ticket->Cancel());
  EXPECT_FALSE(a.ticket->Cancel());             // gone already
  Waiting c = Queue(controller, Request("x"));  // its place is free at once
  EXPECT_EQ(controller.GetMetrics().queued, 2);

  // Dropping a queued ticket cancels it too.
  b.ticket.reset();
  EXPECT_EQ(controller.GetMetrics().queued, 1);
  Waiting d = Queue(controller, Request("x"));

  // Once decided, Cancel() says so: the callback has come.
  held.Release();
  EXPECT_EQ(a.waiter->calls, 0);  // cancelled: never called
  EXPECT_EQ(b.waiter->calls, 0);
  EXPECT_EQ(c.waiter->calls, 1);
  EXPECT_FALSE(c.ticket->Cancel());
  // A granted ticket dropped without Take() returns its slot, which goes to
  // the next waiter.
  c.ticket.reset();
  EXPECT_EQ(d.waiter->calls, 1);
  AdmissionPermit d_permit = Granted(d);
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.in_flight, 1);
  EXPECT_EQ(metrics.cancelled, 2);
  EXPECT_EQ(Row(metrics, "x")->cancelled, 2);
}

// --- CoDel
// -----------------------------------------------------------------------

TEST_F(AdmissionControllerTest, ShedsWaitsPastTheTargetOnceOverloaded) {
  AdmissionController controller(Options(1, 100, 100), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));  // interval starts
  std::vector<Waiting> waiting;
  for (int i = 0; i < 5; ++i) {
    waiting.push_back(Queue(controller, Request(absl::StrCat("c", i))));
  }
  // The first interval had an admission at once: no verdict of overload.
  clock_.AdvanceMillis(101);
  held.Release();
  AdmissionPermit first = Granted(waiting[0]);
  // The second interval's shortest wait was 101 ms: a standing queue.
  clock_.AdvanceMillis(101);
  first.Release();
  for (int i = 1; i < 5; ++i) {
    const AdmissionRejection shed = Refused(waiting[i]);
    EXPECT_EQ(shed.reason, RejectReason::kOverloaded) << i;
    EXPECT_EQ(shed.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(shed.retry_after_ms, 100);
    EXPECT_THAT(shed.message, HasSubstr("past the 5.0 ms target"));
  }
  EXPECT_TRUE(controller.GetMetrics().overloaded);

  // While overloaded, a client with work already waiting is refused at the
  // door (it would wait past the target); one without is queued.
  AdmissionPermit running = Admit(controller, Request("d"));
  Waiting e1 = Queue(controller, Request("e"));
  const AdmissionRejection door = Reject(controller, Request("e"));
  EXPECT_EQ(door.reason, RejectReason::kOverloaded);
  EXPECT_EQ(door.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(door.message, HasSubstr("already has 1 waiting"));
  Waiting f1 = Queue(controller, Request("f"));
}

TEST_F(AdmissionControllerTest, AClientsOwnStandingQueueIsShedWhileOthersPass) {
  // One slot. The heavy client keeps a queue behind it; a light request
  // arrives as the slot frees and goes first (fair queuing), without
  // waiting, so the node's shortest wait stays 0 and only the heavy
  // client's own detector sees its standing queue.
  AdmissionController controller(Options(1, 100, 100), &clock_);
  AdmissionPermit heavy = Admit(controller, Request("heavy"));
  Waiting h1 = Queue(controller, Request("heavy"));
  Waiting h2 = Queue(controller, Request("heavy"));
  Waiting h3 = Queue(controller, Request("heavy"));
  clock_.AdvanceMillis(101);
  heavy.Release();
  heavy = Granted(h1);  // waited 101 ms, and so does every heavy one after
  Waiting l1 = Queue(controller, Request("light"));
  heavy.Release();
  Granted(l1).Release();  // at once: the node's shortest wait is 0
  heavy = Granted(h2);
  clock_.AdvanceMillis(101);
  Waiting l2 = Queue(controller, Request("light"));
  heavy.Release();
  Granted(l2).Release();
  const AdmissionRejection shed = Refused(h3);  // waited 202 ms
  EXPECT_EQ(shed.reason, RejectReason::kClientOverloaded);
  EXPECT_EQ(shed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(shed.message, HasSubstr("client 'heavy' (team 'default') has a "
                                      "standing queue"));
  EXPECT_FALSE(controller.GetMetrics().overloaded);

  // At the door: the heavy client may have one waiting, not two; the light
  // one is not refused.
  heavy = Admit(controller, Request("heavy"));
  Waiting h4 = Queue(controller, Request("heavy"));
  const AdmissionRejection door = Reject(controller, Request("heavy"));
  EXPECT_EQ(door.reason, RejectReason::kClientOverloaded);
  EXPECT_EQ(door.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(door.message, HasSubstr("already has 1 waiting"));
  EXPECT_GT(door.retry_after_ms, 0);
  Waiting l3 = Queue(controller, Request("light"));
  Waiting l4 = Queue(controller, Request("light"));
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(Rejected(Row(metrics, "heavy"), RejectReason::kClientOverloaded),
            2);
  const ClassAdmissionMetrics* light_row = Row(metrics, "light");
  ASSERT_NE(light_row, nullptr);
  for (int64_t count : light_row->rejected) EXPECT_EQ(count, 0);
}

TEST_F(AdmissionControllerTest,
       ALightClientJoiningAnOverloadedNodeIsNotRefused) {
  // One slot, and a heavy client alone with a standing queue: the node is
  // overloaded, and the refusals keep it so.
  AdmissionController controller(Options(1, 100, 100), &clock_);
  AdmissionPermit running = Admit(controller, Request("heavy"));
  std::vector<Waiting> heavy;
  for (int i = 0; i < 3; ++i)
    heavy.push_back(Queue(controller, Request("heavy")));
  clock_.AdvanceMillis(101);
  running.Release();
  running = Granted(heavy[0]);
  clock_.AdvanceMillis(101);
  running.Release();  // the rest waited 202 ms: shed
  EXPECT_EQ(Refused(heavy[1]).reason, RejectReason::kOverloaded);
  EXPECT_EQ(Refused(heavy[2]).reason, RejectReason::kOverloaded);
  ASSERT_TRUE(controller.GetMetrics().overloaded);

  // A light client joins while the heavy one keeps sending. Fair queuing
  // serves it first, so it waits 1 ms each time and is never refused;
  // those calm waits end the node's overload even though the heavy client
  // is still turned away, from then on for its own standing queue.
  running = Admit(controller, Request("heavy"));
  for (int step = 0; step < 12; ++step) {  // 10 ms each, from 202 ms
    SCOPED_TRACE(step);
    Waiting next_heavy = Queue(controller, Request("heavy"));
    const AdmissionRejection refused = Reject(controller, Request("heavy"));
    // The node's interval that saw the first calm wait ends at 302 ms.
    EXPECT_EQ(refused.code(), step < 10 ? absl::StatusCode::kUnavailable
                                        : absl::StatusCode::kResourceExhausted);
    Waiting light = Queue(controller, Request("light"));
    clock_.AdvanceMillis(1);
    running.Release();
    Granted(light).Release();
    running = Granted(next_heavy);
    clock_.AdvanceMillis(9);
  }
  EXPECT_FALSE(controller.GetMetrics().overloaded);
  Waiting last_heavy = Queue(controller, Request("heavy"));
  const AdmissionRejection refused = Reject(controller, Request("heavy"));
  EXPECT_EQ(refused.reason, RejectReason::kClientOverloaded);
  const AdmissionMetrics metrics = controller.GetMetrics();
  const ClassAdmissionMetrics* light_row = Row(metrics, "light");
  ASSERT_NE(light_row, nullptr);
  EXPECT_EQ(light_row->admitted, 12);
  for (int64_t count : light_row->rejected) EXPECT_EQ(count, 0);
}

TEST_F(AdmissionControllerTest, DoesNotShedWhenWaitsStayUnderTheTarget) {
  AdmissionController controller(Options(1, 100, 100), &clock_);
  AdmissionPermit current = Admit(controller, Request("x"));
  for (int i = 0; i < 300; ++i) {  // 1.2 s: twelve intervals
    Waiting next = Queue(controller, Request(absl::StrCat("c", i % 3)));
    clock_.AdvanceMillis(4);
    current.Release();
    current = Granted(next);
    next.ticket.reset();
  }
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_FALSE(metrics.overloaded);
  for (int64_t count : metrics.rejected) EXPECT_EQ(count, 0);
  EXPECT_EQ(metrics.admitted, 301);
  // Every queued admission waited 4 ms: the (2.5, 5] ms bucket.
  EXPECT_EQ(metrics.queue_wait.counts[6], 300);
  EXPECT_EQ(metrics.queue_wait.counts[0], 1);  // the first, at once
  EXPECT_DOUBLE_EQ(metrics.queue_wait.PercentileMs(0.99), 5.0);
}

// --- deadlines
// -------------------------------------------------------------------

TEST_F(AdmissionControllerTest, RejectsADeadlineShorterThanTheServiceTime) {
  {
    // Nothing learnt yet: any deadline in the future is fine.
    AdmissionController fresh(Options(1, 8, 8), &clock_);
    AdmissionRequest soon = Request("x");
    soon.deadline_nanos = clock_.NowNanos() + 1;
    AdmissionPermit permit = Admit(fresh, soon);
  }
  AdmissionController controller(Options(1, 8, 8), &clock_);
  Serve(controller, 10 * kMs);
  EXPECT_EQ(controller.ExpectedServiceNanos(), 10 * kMs);

  AdmissionRequest tight = Request("x");
  tight.deadline_nanos = clock_.NowNanos() + 5 * kMs;
  const AdmissionRejection rejection = Reject(controller, tight);
  EXPECT_EQ(rejection.reason, RejectReason::kDeadlineTooShort);
  EXPECT_EQ(rejection.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(rejection.retry_after_ms, 0);
  EXPECT_THAT(rejection.message,
              HasSubstr("remaining deadline 5.0 ms is shorter than the "
                        "expected service time 10.0 ms"));
  AdmissionRequest past = Request("x");
  past.deadline_nanos = clock_.NowNanos() - 1;
  EXPECT_EQ(Reject(controller, past).reason, RejectReason::kDeadlineTooShort);

  AdmissionRequest roomy = Request("x");
  roomy.deadline_nanos = clock_.NowNanos() + 20 * kMs;
  AdmissionPermit held = Admit(controller, roomy);

  // Queued with 15 ms left; after 8 ms of waiting only 7 are: rejected at
  // dequeue, and the slot goes to the next waiter.
  AdmissionRequest queued = Request("y");
  queued.deadline_nanos = clock_.NowNanos() + 15 * kMs;
  Waiting expires = Queue(controller, queued);
  Waiting patient = Queue(controller, Request("z"));
  clock_.AdvanceMillis(8);
  held.Release();
  const AdmissionRejection late = Refused(expires);
  EXPECT_EQ(late.reason, RejectReason::kDeadlineTooShort);
  EXPECT_THAT(late.message, HasSubstr("after 8.0 ms in the queue"));
  AdmissionPermit patient_permit = Granted(patient);
}

// --- shutdown
// --------------------------------------------------------------------

TEST_F(AdmissionControllerTest, ShutdownTellsEveryWaiterOnceWithUnavailable) {
  AdmissionController controller(Options(1, 4, 8), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));
  std::vector<Waiting> waiting;
  for (int i = 0; i < 8; ++i) {
    waiting.push_back(Queue(controller, Request(absl::StrCat("c", i % 2))));
  }
  ASSERT_EQ(controller.GetMetrics().queued, 8);  // full
  controller.Shutdown();
  controller.Shutdown();  // idempotent: nobody is told twice
  for (Waiting& w : waiting) {
    const AdmissionRejection rejection = Refused(w);
    EXPECT_EQ(rejection.reason, RejectReason::kShutdown);
    EXPECT_EQ(rejection.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(rejection.message, "admission: node shutting down");
  }
  EXPECT_EQ(Reject(controller, Request("late")).reason,
            RejectReason::kShutdown);
  held.Release();  // permits still return their slots
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.in_flight, 0);
  EXPECT_EQ(metrics.queued, 0);
  EXPECT_EQ(metrics.rejected[static_cast<int>(RejectReason::kShutdown)], 9);
  for (const Waiting& w : waiting) EXPECT_EQ(w.waiter->calls, 1);
}

// --- strategies
// ------------------------------------------------------------------

TEST_F(AdmissionControllerTest, StrictCapsATeamEvenWhenSlotsAreFree) {
  AdmissionOptions options = Options(4, 8, 16);
  options.strategy = AdmissionStrategy::kStrict;
  options.teams = {{"capped", 1, /*max_slots=*/1, 0}, {"open", 1, 0, 0}};
  AdmissionController controller(options, &clock_);
  AdmissionPermit a1 = Admit(controller, Request("a", "capped"));
  Waiting a2 = Queue(controller, Request("a", "capped"));  // 3 slots free
  AdmissionPermit b1 = Admit(controller, Request("b", "open"));
  AdmissionPermit b2 = Admit(controller, Request("b", "open"));
  AdmissionPermit b3 = Admit(controller, Request("b", "open"));
  b1.Release();
  EXPECT_EQ(a2.waiter->calls, 0);  // the free slot stays idle
  EXPECT_EQ(controller.GetMetrics().in_flight, 3);
  a1.Release();
  AdmissionPermit a2_permit = Granted(a2);
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.teams[0].name, "capped");
  EXPECT_EQ(metrics.teams[0].in_flight, 1);
  EXPECT_EQ(metrics.teams[0].max_slots, 1);
  EXPECT_EQ(metrics.teams[2].name, "default");  // implied, last
}

TEST_F(AdmissionControllerTest, WeightedSharesSlotsByTeamWeight) {
  AdmissionOptions options = Options(1, 8, 16);
  options.teams = {{"one", 1, 0, 0}, {"two", 2, 0, 0}};
  AdmissionController controller(options, &clock_);
  AdmissionPermit current = Admit(controller, Request("x", "one"));
  std::vector<std::pair<std::string, Waiting>> waiting;
  for (const char* team : {"one", "one", "two", "two"}) {
    waiting.emplace_back(team, Queue(controller, Request(team, team)));
  }
  std::map<std::string, int> granted;
  for (int i = 0; i < 3000; ++i) {
    current.Release();  // no time passes: CoDel stays out of it
    int woken = -1;
    for (size_t w = 0; w < waiting.size(); ++w) {
      if (waiting[w].second.waiter->calls > 0) woken = static_cast<int>(w);
    }
    ASSERT_GE(woken, 0);
    const std::string team = waiting[woken].first;
    current = Granted(waiting[woken].second);
    ++granted[team];
    waiting.erase(waiting.begin() + woken);
    waiting.emplace_back(team, Queue(controller, Request(team, team)));
  }
  EXPECT_NEAR(static_cast<double>(granted["two"]) / granted["one"], 2.0, 0.1);
}

TEST_F(AdmissionControllerTest, HybridServesATeamBelowItsFloorFirst) {
  AdmissionOptions options = Options(4, 16, 32);
  options.strategy = AdmissionStrategy::kHybrid;
  options.teams = {{"small", 1, 0, /*min_slots=*/2}, {"big", 10, 0, 0}};
  AdmissionController controller(options, &clock_);
  // Work-conserving: with small idle, big takes every slot.
  std::vector<AdmissionPermit> big;
  for (int i = 0; i < 4; ++i)
    big.push_back(Admit(controller, Request("b", "big")));
  std::vector<Waiting> big_waiting;
  for (int i = 0; i < 6; ++i)
    big_waiting.push_back(Queue(controller, Request("b", "big")));
  std::vector<Waiting> small;
  for (int i = 0; i < 3; ++i)
    small.push_back(Queue(controller, Request("s", "small")));
  // Big weighs 10x, but small is below its floor: it gets the next two.
  big[0].Release();
  EXPECT_EQ(small[0].waiter->calls, 1);
  big[1].Release();
  EXPECT_EQ(small[1].waiter->calls, 1);
  for (const Waiting& w : big_waiting) EXPECT_EQ(w.waiter->calls, 0);
  // At its floor, weights decide again: big (10x) goes next.
  big[2].Release();
  EXPECT_EQ(small[2].waiter->calls, 0);
  EXPECT_EQ(big_waiting[0].waiter->calls, 1);
}

TEST_F(AdmissionControllerTest, FollowUpsAreNeverQueuedButTakeASlot) {
  AdmissionController controller(Options(1, 8, 8), &clock_);
  AdmissionPermit held = Admit(controller, Request("x"));
  AdmissionRequest chunk = Request("x");
  chunk.priority = AdmissionPriority::kFollowUp;
  AdmissionPermit follow_up = Admit(controller, chunk);
  EXPECT_EQ(controller.GetMetrics().in_flight, 2);
  Waiting next = Queue(controller, Request("y"));
  follow_up.Release();
  EXPECT_EQ(next.waiter->calls, 0);  // still at the limit
  held.Release();
  AdmissionPermit next_permit = Granted(next);
}

// --- metrics
// ---------------------------------------------------------------------

TEST_F(AdmissionControllerTest, MetricsPerClass) {
  AdmissionOptions options = Options(1, 1, 4);
  options.teams = {{"green", 2, 0, 0}};
  AdmissionController controller(options, &clock_);
  AdmissionPermit held = Admit(controller, Request("g", "green"));
  Waiting queued = Queue(controller, Request("g", "green"));
  EXPECT_EQ(Reject(controller, Request("g", "green")).reason,
            RejectReason::kClientQueueFull);
  Waiting other = Queue(controller, Request("stranger", "no-such-team"));
  AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.strategy, AdmissionStrategy::kWeighted);
  EXPECT_EQ(metrics.limit, 1);
  EXPECT_EQ(metrics.max_queue_total, 4);
  EXPECT_EQ(metrics.max_queue_per_client, 1);
  ASSERT_EQ(metrics.classes.size(), 2u);
  EXPECT_EQ(metrics.classes[0].team, "default");  // unknown team: default
  EXPECT_EQ(metrics.classes[0].client, "stranger");
  const ClassAdmissionMetrics& g = metrics.classes[1];
  EXPECT_EQ(g.team, "green");
  EXPECT_EQ(g.admitted, 1);
  EXPECT_EQ(g.in_flight, 1);
  EXPECT_EQ(g.queued, 1);
  EXPECT_EQ(g.rejected_total(), 1);
  ASSERT_EQ(metrics.teams.size(), 2u);
  EXPECT_EQ(metrics.teams[0].name, "green");
  EXPECT_EQ(metrics.teams[0].weight, 2);
  EXPECT_EQ(metrics.teams[0].queued, 1);
  EXPECT_EQ(metrics.teams[0].rejected, 1);
  EXPECT_EQ(metrics.teams[1].queued, 1);

  clock_.AdvanceMillis(3);
  held.Release();
  AdmissionPermit permit = Granted(queued);
  metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.admitted, 2);
  EXPECT_EQ(metrics.queue_wait.total(), 2);
  EXPECT_EQ(metrics.queue_wait.counts[0], 1);  // at once
  EXPECT_EQ(metrics.queue_wait.counts[6], 1);  // 3 ms: (2.5, 5]
  EXPECT_DOUBLE_EQ(metrics.expected_service_ms, 3.0);
}

TEST_F(AdmissionControllerTest, MetricsRowsAreBounded) {
  AdmissionController controller(Options(10, 8, 8), &clock_);
  const int clients =
      static_cast<int>(AdmissionController::kMaxTrackedClasses) + 76;
  for (int i = 0; i < clients; ++i) {
    AdmissionPermit permit = Admit(controller, Request(absl::StrCat("p", i)));
  }
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.classes.size(),
            AdmissionController::kMaxTrackedClasses + 1);
  const ClassAdmissionMetrics* other = Row(metrics, "(other)");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->admitted, 76);
  EXPECT_EQ(metrics.admitted, clients);
}

// --- threads
// ----------------------------------------------------------------------

// Several threads admit, release and cancel at once (no timing involved):
// every queued request hears exactly once unless its cancel won, and the
// controller ends empty. Meant for TSan/ASan builds as much as for this one.
TEST_F(AdmissionControllerTest, ConcurrentAdmitReleaseAndCancel) {
  AdmissionController controller(Options(3, 4, 16), &clock_);
  class CountingWaiter final : public AdmissionWaiter {
   public:
    void OnAdmissionDecided() override {
      calls.fetch_add(1, std::memory_order_release);
    }
    std::atomic<int> calls{0};
  };
  std::atomic<int> double_calls{0};
  std::atomic<int> admitted{0};
  auto worker = [&](int id) {
    for (int i = 0; i < 3000; ++i) {
      CountingWaiter waiter;
      AdmitResult result = controller.TryAdmit(
          Request(absl::StrCat("c", (id + i) % 5)), &waiter);
      if (auto* permit = std::get_if<AdmissionPermit>(&result)) {
        admitted.fetch_add(1, std::memory_order_relaxed);
        permit->Release();
        continue;
      }
      auto* ticket = std::get_if<std::unique_ptr<AdmissionTicket>>(&result);
      if (ticket == nullptr) continue;  // rejected: no callback owed
      if (i % 3 == 0 && (*ticket)->Cancel()) continue;
      // Decided (or about to be): the callback must come, exactly once.
      while (waiter.calls.load(std::memory_order_acquire) == 0) {
        std::this_thread::yield();
      }
      AdmissionDecision decision = (*ticket)->Take();
      if (std::holds_alternative<AdmissionPermit>(decision)) {
        admitted.fetch_add(1, std::memory_order_relaxed);
      }  // the permit, if any, is released with `decision` below
      ticket->reset();
      if (waiter.calls.load(std::memory_order_acquire) != 1) {
        double_calls.fetch_add(1, std::memory_order_relaxed);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker, t);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(double_calls.load(), 0);
  const AdmissionMetrics metrics = controller.GetMetrics();
  EXPECT_EQ(metrics.in_flight, 0);
  EXPECT_EQ(metrics.queued, 0);
  EXPECT_EQ(metrics.admitted, admitted.load());
  EXPECT_GT(metrics.admitted, 0);
}

}  // namespace
}  // namespace overlay
