// Copyright 2026 The overlay Authors.
//
// AdmissionController: the admission mechanism of one node. It owns the
// slots (admission.max_concurrency), the FairQueue that orders waiters (the
// policy), the queue bounds (per client and in total), CoDel shedding (one
// detector for the node, one per class), the deadline check (remaining
// deadline against an EWMA of service times) and the metrics. It never blocks a
// caller: TryAdmit() answers at once with a permit, a queued ticket whose
// waiter is called back later, or a typed rejection. Time comes from the
// injected Clock. Thread-safe: one absl::Mutex guards everything; waiter
// callbacks run outside it.
//
// Strategies (admission.strategy) map onto the same queue:
//   weighted  SFQ by team weight, then client weight; work-conserving.
//   strict    as weighted, but a team never holds more than its max_slots
//             (fixed caps; slots may idle while a capped team waits).
//   hybrid    as weighted, but a team holding fewer than its min_slots is
//             served first when a slot frees (floors; still
//             work-conserving: an idle team's floor is not reserved).
//
// How a node call uses it:
//   RequestClass cls = clients.Classify(request.client_id(), ctx.peer());
//   state_ = State::kAdmitting;
//   AdmitResult r = controller->TryAdmit({cls, deadline_ns}, this);
//   permit  -> run now;   rejection -> finish with its status and hint;
//   ticket  -> keep it, return; OnAdmissionDecided() posts the notifier;
//              in kAdmitting, ticket->Take() gives the permit or rejection.
//   cancelled while queued: if (ticket->Cancel()) finish now, else wait for
//              the wake-up that is coming, then drop the ticket.
//
// Shutdown order for the node: Shutdown() (every waiter told once, with
// UNAVAILABLE) before its completion queues shut down, since the callbacks
// post to them; permits may be released after.

#ifndef OVERLAY_CORE_ADMISSION_ADMISSION_CONTROLLER_H_
#define OVERLAY_CORE_ADMISSION_ADMISSION_CONTROLLER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "core/admission/admission_metrics.h"
#include "core/admission/admission_permit.h"
#include "core/admission/admission_rejection.h"
#include "core/admission/admission_ticket.h"
#include "core/admission/client_table.h"
#include "core/admission/codel.h"
#include "core/admission/fair_queue.h"
#include "core/common/clock.h"
#include "core/config/overlay_config.h"

namespace overlay {

enum class AdmissionPriority {
  kNormal,
  // Work of an already admitted query (GetChunk, Release): admitted at
  // once, never queued, shed or checked against its deadline, so a result
  // being pulled is never lost to overload. It takes a slot (new work waits
  // behind it) but counts against no team's cap or floor.
  kFollowUp,
};

struct AdmissionRequest {
  static constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

  RequestClass cls;
  int64_t deadline_nanos = kNoDeadline;  // on the controller's Clock
  int64_t cost = 1;  // 1..FairQueue::kMaxCost; 1 per request for now
  AdmissionPriority priority = AdmissionPriority::kNormal;
};

// Exactly one of: admitted now, queued (wait for the callback), rejected.
using AdmitResult =
    std::variant<AdmissionPermit, std::unique_ptr<AdmissionTicket>,
                 AdmissionRejection>;

class AdmissionController final {
 public:
  // Per-class metrics rows kept; later classes share their team's
  // "(other)" row (client ids can be unbounded, e.g. peer addresses).
  static constexpr size_t kMaxTrackedClasses = 1024;

  // REQUIRES: `options` validated (ValidateOverlayConfig); `clock` outlives
  // the controller.
  AdmissionController(const AdmissionOptions& options, Clock* clock);
  AdmissionController(const AdmissionController&) = delete;
  AdmissionController& operator=(const AdmissionController&) = delete;
  // REQUIRES: no permit or ticket outstanding.
  ~AdmissionController();

  // Admits, queues or rejects `request`, without blocking. A queued
  // request's `waiter` is called once when it is decided (see
  // AdmissionWaiter). Callbacks of requests this call displaces run before
  // it returns. REQUIRES: `waiter` non-null and alive until its callback
  // ran or the ticket was cancelled while queued.
  AdmitResult TryAdmit(const AdmissionRequest& request, AdmissionWaiter* waiter)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Rejects every queued request (kShutdown, UNAVAILABLE), calling each
  // waiter once, and every later TryAdmit. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  AdmissionMetrics GetMetrics() const ABSL_LOCKS_EXCLUDED(mu_);

  // The expected service time of a request of `cost` (0 until one was
  // served): what the deadline check compares with.
  int64_t ExpectedServiceNanos(int64_t cost = 1) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class AdmissionPermit;
  friend class AdmissionTicket;

  // Waiters to call once the lock is released.
  using Wakeups = absl::InlinedVector<AdmissionWaiter*, 4>;

  struct TeamInfo {
    std::string name;
    int weight = 1;
    int max_slots = 0;  // applied in strict only
    int min_slots = 0;  // applied in hybrid only
  };
  struct ClassStats {
    ClassStats(int team, std::string client, const CoDel& node_codel)
        : team(team),
          client(std::move(client)),
          codel(node_codel.target_ns(), node_codel.interval_ns()) {}

    int team = 0;
    std::string client;
    int64_t admitted = 0;
    int64_t cancelled = 0;
    std::array<int64_t, kNumRejectReasons> rejected{};
    int64_t queued = 0;
    int64_t in_flight = 0;
    QueueWaitHistogram queue_wait;
    // The class's own standing-queue detector (as fq_codel's per flow): a
    // heavy client's queue stands while a light one's requests pass, and
    // the node's verdict, which the light ones keep clear, would not see
    // it. Past kMaxTrackedClasses, a team's "(other)" row shares one.
    CoDel codel;
  };
  enum class Phase { kQueued, kGranted, kRejected };
  struct TicketState {
    Phase phase = Phase::kQueued;
    AdmissionWaiter* waiter = nullptr;
    int team = 0;
    std::string client;
    int client_weight = 1;
    uint32_t row = 0;
    int64_t enqueued_nanos = 0;
    int64_t deadline_nanos = AdmissionRequest::kNoDeadline;
    int64_t cost = 1;
    int64_t granted_nanos = 0;                    // kGranted
    std::optional<AdmissionRejection> rejection;  // kRejected
  };

  static std::vector<TeamInfo> TeamsOf(const AdmissionOptions& options);

  // From AdmissionPermit / AdmissionTicket.
  void Release(const AdmissionPermit& permit) ABSL_LOCKS_EXCLUDED(mu_);
  bool CancelTicket(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  AdmissionDecision TakeTicket(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  void DestroyTicket(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  int TeamIndex(const std::string& name) const;
  uint32_t RowFor(int team, const std::string& client)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool CanRunNow(int team) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a grant; `follow_up` permits skip team caps and floors.
  void GrantLocked(int team, uint32_t row, int64_t waited_nanos, bool follow_up)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns a slot; `served_nanos` < 0: never used (no service sample).
  void ReleaseLocked(int team, uint32_t row, int64_t cost, bool follow_up,
                     int64_t served_nanos) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Admits waiters while slots are free (CoDel and deadlines applied).
  void DispatchLocked(int64_t now, Wakeups* wake)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<FairQueue::Popped> PickNextLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Both detectors see a wait of `waited` that ends now (0: admitted at
  // once); one within the target, of a class without a standing queue of
  // its own, is a calm wait for the node's. Whether each would shed it
  // (node, class).
  std::pair<bool, bool> ObserveWaitLocked(CoDel& class_codel, int64_t now,
                                          int64_t waited)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Decides a queued ticket as rejected (already out of the queue).
  void RejectQueuedLocked(TicketState& ticket, AdmissionRejection rejection,
                          Wakeups* wake) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  AdmissionRejection MakeRejection(RejectReason reason, std::string message,
                                   int64_t retry_after_ms, uint32_t row)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A hint (ms) for the node to work through `backlog` requests.
  int64_t DrainHintMsLocked(double backlog) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t ExpectedServiceNanosLocked(int64_t cost) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string ClassName(int team, const std::string& client) const;
  bool AtCapLocked(int team) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Wake(const Wakeups& wake);

  const AdmissionStrategy strategy_;
  const int limit_;
  const int max_queue_total_;
  const int max_queue_per_client_;
  Clock* const clock_;
  // Immutable after construction: declared teams in config order, then the
  // default team if it was not declared.
  const std::vector<TeamInfo> teams_;
  const int default_team_;
  absl::flat_hash_map<std::string, int> team_index_;
  std::vector<int> floor_teams_;  // hybrid: teams with min_slots > 0

  mutable absl::Mutex mu_;
  FairQueue queue_ ABSL_GUARDED_BY(mu_);
  CoDel codel_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Per team: normal permits held (follow-ups excluded).
  std::vector<int> team_in_flight_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  // Per cost unit; 0 until the first sample.
  int64_t service_ewma_nanos_ ABSL_GUARDED_BY(mu_) = 0;
  bool has_service_sample_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, TicketState> tickets_ ABSL_GUARDED_BY(mu_);
  std::vector<ClassStats> rows_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<int, std::string>, uint32_t> row_index_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::optional<uint32_t>> other_rows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_ADMISSION_CONTROLLER_H_
