// Copyright 2026 The overlay Authors.

#include "core/admission/admission_controller.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"

namespace overlay {
namespace {

constexpr char kOtherClient[] = "(other)";
constexpr int64_t kNanosPerMs = 1'000'000;
constexpr int64_t kMaxHintMs = 30'000;
constexpr int kEwmaShift = 3;  // new sample weighs 1/8, as TCP's SRTT

std::string Ms(int64_t nanos) {
  return absl::StrFormat("%.1f ms", static_cast<double>(nanos) / 1e6);
}

std::string Percent(double share) {
  return absl::StrFormat("%.0f%%", share * 100);
}

}  // namespace

// --- AdmissionPermit / AdmissionTicket ---------------------------------------

AdmissionPermit::AdmissionPermit(AdmissionPermit&& other) noexcept
    : controller_(std::exchange(other.controller_, nullptr)),
      team_(other.team_),
      row_(other.row_),
      start_nanos_(other.start_nanos_),
      cost_(other.cost_),
      follow_up_(other.follow_up_) {}

AdmissionPermit& AdmissionPermit::operator=(AdmissionPermit&& other) noexcept {
  if (this != &other) {
    Release();
    controller_ = std::exchange(other.controller_, nullptr);
    team_ = other.team_;
    row_ = other.row_;
    start_nanos_ = other.start_nanos_;
    cost_ = other.cost_;
    follow_up_ = other.follow_up_;
  }
  return *this;
}

void AdmissionPermit::Release() {
  if (controller_ == nullptr) return;
  AdmissionController* controller = std::exchange(controller_, nullptr);
  controller->Release(*this);
}

AdmissionTicket::~AdmissionTicket() { controller_->DestroyTicket(id_); }

bool AdmissionTicket::Cancel() { return controller_->CancelTicket(id_); }

AdmissionDecision AdmissionTicket::Take() {
  return controller_->TakeTicket(id_);
}

// --- construction
// ---------------------------------------------------------------

namespace {

template <typename Teams>
std::vector<int> WeightsOf(const Teams& teams) {
  std::vector<int> weights;
  weights.reserve(teams.size());
  for (const auto& team : teams) weights.push_back(team.weight);
  return weights;
}

template <typename Teams>
int IndexOf(const Teams& teams, const std::string& name) {
  for (size_t i = 0; i < teams.size(); ++i) {
    if (teams[i].name == name) return static_cast<int>(i);
  }
  LOG(FATAL) << "no team '" << name << "'";
  return 0;
}

}  // namespace

std::vector<AdmissionController::TeamInfo> AdmissionController::TeamsOf(
    const AdmissionOptions& options) {
  std::vector<TeamInfo> teams;
  for (const TeamConfig& team : options.teams) {
    teams.push_back({team.name, team.weight, team.max_slots, team.min_slots});
  }
  if (options.FindTeam(options.default_team) == nullptr) {
    teams.push_back({options.default_team, 1, 0, 0});
  }
  return teams;
}

AdmissionController::AdmissionController(const AdmissionOptions& options,
                                         Clock* clock)
    : strategy_(options.strategy),
      limit_(options.max_concurrency),
      max_queue_total_(options.max_queue_total),
      max_queue_per_client_(options.max_queue_per_client),
      clock_(clock),
      teams_(TeamsOf(options)),
      default_team_(IndexOf(teams_, options.default_team)),
      queue_(WeightsOf(teams_)),
      codel_(int64_t{options.codel_target_ms} * kNanosPerMs,
             int64_t{options.codel_interval_ms} * kNanosPerMs),
      team_in_flight_(teams_.size(), 0),
      other_rows_(teams_.size()) {
  CHECK(clock_ != nullptr);
  CHECK_GE(limit_, 1);
  for (size_t i = 0; i < teams_.size(); ++i) {
    team_index_.emplace(teams_[i].name, static_cast<int>(i));
    if (strategy_ == AdmissionStrategy::kHybrid && teams_[i].min_slots > 0) {
      floor_teams_.push_back(static_cast<int>(i));
    }
  }
}

AdmissionController::~AdmissionController() {
  absl::MutexLock lock(&mu_);
  DCHECK_EQ(in_flight_, 0) << "permits outlive their controller";
  DCHECK(tickets_.empty()) << "tickets outlive their controller";
}

// --- helpers
// ----------------------------------------------------------------------

int AdmissionController::TeamIndex(const std::string& name) const {
  auto it = team_index_.find(name);
  return it == team_index_.end() ? default_team_ : it->second;
}

std::string AdmissionController::ClassName(int team,
                                           const std::string& client) const {
  return absl::StrCat("client '", client, "' (team '", teams_[team].name, "')");
}

uint32_t AdmissionController::RowFor(int team, const std::string& client) {
  auto key = std::make_pair(team, client);
  auto it = row_index_.find(key);
  if (it != row_index_.end()) return it->second;
  if (rows_.size() < kMaxTrackedClasses) {
    const auto row = static_cast<uint32_t>(rows_.size());
    rows_.emplace_back(team, client, codel_);
    row_index_.emplace(std::move(key), row);
    return row;
  }
  std::optional<uint32_t>& other = other_rows_[team];
  if (!other.has_value()) {
    other = static_cast<uint32_t>(rows_.size());
    rows_.emplace_back(team, kOtherClient, codel_);
  }
  return *other;
}

bool AdmissionController::AtCapLocked(int team) const {
  const int cap = teams_[team].max_slots;
  return strategy_ == AdmissionStrategy::kStrict && cap > 0 &&
         team_in_flight_[team] >= cap;
}

bool AdmissionController::CanRunNow(int team) const {
  // Waiters that may run go first; by the dispatch invariant there are
  // none while a slot is free, so this only matters for blocked teams.
  return in_flight_ < limit_ && !queue_.has_eligible() && !AtCapLocked(team);
}

int64_t AdmissionController::ExpectedServiceNanosLocked(int64_t cost) const {
  return has_service_sample_ ? service_ewma_nanos_ * cost : 0;
}

int64_t AdmissionController::ExpectedServiceNanos(int64_t cost) const {
  absl::MutexLock lock(&mu_);
  return ExpectedServiceNanosLocked(cost);
}

int64_t AdmissionController::DrainHintMsLocked(double backlog) const {
  const double per_request =
      has_service_sample_
          ? std::max<double>(static_cast<double>(service_ewma_nanos_), 1.0)
          : static_cast<double>(kNanosPerMs);
  const double ms = std::ceil(backlog * per_request / limit_ / kNanosPerMs);
  return std::clamp<int64_t>(static_cast<int64_t>(ms), 1, kMaxHintMs);
}

AdmissionRejection AdmissionController::MakeRejection(RejectReason reason,
                                                      std::string message,
                                                      int64_t retry_after_ms,
                                                      uint32_t row) {
  ++rows_[row].rejected[static_cast<int>(reason)];
  AdmissionRejection rejection;
  rejection.reason = reason;
  rejection.message = std::move(message);
  rejection.retry_after_ms = retry_after_ms;
  return rejection;
}

std::pair<bool, bool> AdmissionController::ObserveWaitLocked(CoDel& class_codel,
                                                             int64_t now,
                                                             int64_t waited) {
  const bool node_sheds = codel_.OnDequeue(now, waited);
  const bool class_sheds = class_codel.OnDequeue(now, waited);
  if (!class_codel.overloaded() && waited <= codel_.target_ns()) {
    codel_.OnCalmWait(now);
  }
  return {node_sheds, class_sheds};
}

void AdmissionController::GrantLocked(int team, uint32_t row,
                                      int64_t waited_nanos, bool follow_up) {
  ++in_flight_;
  ClassStats& stats = rows_[row];
  ++stats.admitted;
  ++stats.in_flight;
  stats.queue_wait.Record(waited_nanos);
  if (follow_up) return;
  ++team_in_flight_[team];
  if (AtCapLocked(team)) queue_.SetBlocked(team, true);
}

void AdmissionController::ReleaseLocked(int team, uint32_t row, int64_t cost,
                                        bool follow_up, int64_t served_nanos) {
  --in_flight_;
  --rows_[row].in_flight;
  if (follow_up) return;
  --team_in_flight_[team];
  if (!AtCapLocked(team)) queue_.SetBlocked(team, false);
  if (served_nanos >= 0) {
    const int64_t sample = served_nanos / std::max<int64_t>(cost, 1);
    if (!has_service_sample_) {
      service_ewma_nanos_ = sample;
      has_service_sample_ = true;
    } else {
      service_ewma_nanos_ +=
          (sample - service_ewma_nanos_) / (int64_t{1} << kEwmaShift);
    }
  }
}

void AdmissionController::RejectQueuedLocked(TicketState& ticket,
                                             AdmissionRejection rejection,
                                             Wakeups* wake) {
  --rows_[ticket.row].queued;
  ticket.phase = Phase::kRejected;
  ticket.rejection = std::move(rejection);
  wake->push_back(ticket.waiter);
}

std::optional<FairQueue::Popped> AdmissionController::PickNextLocked() {
  // Hybrid: the team furthest below its floor goes first.
  int best = -1;
  double best_fill = 0;
  for (int team : floor_teams_) {
    const int floor = teams_[team].min_slots;
    if (team_in_flight_[team] >= floor || queue_.queued(team) == 0) continue;
    const double fill = static_cast<double>(team_in_flight_[team]) / floor;
    if (best < 0 || fill < best_fill) {
      best = team;
      best_fill = fill;
    }
  }
  if (best >= 0) return queue_.PopFromTeam(best);
  return queue_.Pop();
}

void AdmissionController::DispatchLocked(int64_t now, Wakeups* wake) {
  while (in_flight_ < limit_) {
    const std::optional<FairQueue::Popped> next = PickNextLocked();
    if (!next.has_value()) return;
    auto it = tickets_.find(next->id);
    CHECK(it != tickets_.end()) << "queued entry without a ticket";
    TicketState& ticket = it->second;
    const int64_t waited = now - ticket.enqueued_nanos;
    if (ticket.deadline_nanos != AdmissionRequest::kNoDeadline) {
      const int64_t remaining = ticket.deadline_nanos - now;
      const int64_t expected = ExpectedServiceNanosLocked(ticket.cost);
      if (remaining <= 0 || remaining < expected) {
        RejectQueuedLocked(
            ticket,
            MakeRejection(RejectReason::kDeadlineTooShort,
                          absl::StrCat("admission: after ", Ms(waited),
                                       " in the queue the remaining deadline ",
                                       Ms(remaining),
                                       " is shorter than the expected service "
                                       "time ",
                                       Ms(expected)),
                          0, ticket.row),
            wake);
        continue;
      }
    }
    CoDel& class_codel = rows_[ticket.row].codel;
    const auto [node_sheds, class_sheds] =
        ObserveWaitLocked(class_codel, now, waited);
    if (node_sheds) {
      codel_.OnTurnedAway(now);
      class_codel.OnTurnedAway(now);
      RejectQueuedLocked(
          ticket,
          MakeRejection(RejectReason::kOverloaded,
                        absl::StrCat("admission: node overloaded: waited ",
                                     Ms(waited), " in the queue, past the ",
                                     Ms(codel_.target_ns()), " target"),
                        codel_.interval_ns() / kNanosPerMs, ticket.row),
          wake);
      continue;
    }
    if (class_sheds) {
      class_codel.OnTurnedAway(now);
      RejectQueuedLocked(
          ticket,
          MakeRejection(
              RejectReason::kClientOverloaded,
              absl::StrCat("admission: ", ClassName(ticket.team, ticket.client),
                           " has a standing queue: waited ", Ms(waited),
                           ", past the ", Ms(codel_.target_ns()), " target"),
              codel_.interval_ns() / kNanosPerMs, ticket.row),
          wake);
      continue;
    }
    --rows_[ticket.row].queued;
    GrantLocked(ticket.team, ticket.row, waited, /*follow_up=*/false);
    ticket.phase = Phase::kGranted;
    ticket.granted_nanos = now;
    wake->push_back(ticket.waiter);
  }
}

void AdmissionController::Wake(const Wakeups& wake) {
  for (AdmissionWaiter* waiter : wake) waiter->OnAdmissionDecided();
}

// --- the API
// ---------------------------------------------------------------------

AdmitResult AdmissionController::TryAdmit(const AdmissionRequest& request,
                                          AdmissionWaiter* waiter) {
  CHECK(waiter != nullptr);
  Wakeups wake;
  AdmitResult result;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_->NowNanos();
    const int team = TeamIndex(request.cls.team);
    const std::string& client = request.cls.client;
    const int weight =
        std::clamp(request.cls.client_weight, 1, FairQueue::kMaxWeight);
    const int64_t cost =
        std::clamp<int64_t>(request.cost, 1, FairQueue::kMaxCost);
    const uint32_t row = RowFor(team, client);

    if (shutdown_) {
      return MakeRejection(RejectReason::kShutdown,
                           "admission: node shutting down", 0, row);
    }
    if (request.priority == AdmissionPriority::kFollowUp) {
      GrantLocked(team, row, 0, /*follow_up=*/true);
      return AdmissionPermit(this, team, row, now, cost, /*follow_up=*/true);
    }
    if (request.deadline_nanos != AdmissionRequest::kNoDeadline) {
      const int64_t remaining = request.deadline_nanos - now;
      const int64_t expected = ExpectedServiceNanosLocked(cost);
      if (remaining <= 0 || remaining < expected) {
        return MakeRejection(
            RejectReason::kDeadlineTooShort,
            absl::StrCat("admission: remaining deadline ", Ms(remaining),
                         " is shorter than the expected service time ",
                         Ms(expected)),
            0, row);
      }
    }
    if (CanRunNow(team)) {
      // Never shed: it does not wait. The detectors first roll over any
      // silent intervals with the queues as they are (empty, as a rule).
      ClassStats& stats = rows_[row];
      codel_.Overloaded(now, queue_.empty());
      stats.codel.Overloaded(now, stats.queued == 0);
      (void)ObserveWaitLocked(stats.codel, now, 0);
      GrantLocked(team, row, 0, /*follow_up=*/false);
      return AdmissionPermit(this, team, row, now, cost, /*follow_up=*/false);
    }

    // It has to wait.
    const size_t own = queue_.queued(team, client);
    CoDel& class_codel = rows_[row].codel;
    // A class with nothing queued lets its verdict lapse when it has no
    // evidence (a class coming back from idle is not overloaded).
    if (own == 0) class_codel.Overloaded(now, /*queue_empty=*/true);
    FairQueue::EntryId displaced = FairQueue::kNoEntry;
    if (own > 0 && codel_.Overloaded(now, queue_.empty())) {
      // A standing queue, and this class has work ahead of this request
      // already: it would wait past the target and be shed. Say so now.
      codel_.OnTurnedAway(now);
      class_codel.OnTurnedAway(now);
      return MakeRejection(
          RejectReason::kOverloaded,
          absl::StrCat("admission: node overloaded (queueing delay above ",
                       Ms(codel_.target_ns()), " for ",
                       Ms(codel_.interval_ns()), ") and ",
                       ClassName(team, client), " already has ", own,
                       " waiting"),
          codel_.interval_ns() / kNanosPerMs, row);
    }
    if (own > 0 && class_codel.Overloaded(now, /*queue_empty=*/false)) {
      // The same for this class's own standing queue, while others pass.
      class_codel.OnTurnedAway(now);
      const double share = queue_.ShareOf(team, client, weight);
      return MakeRejection(
          RejectReason::kClientOverloaded,
          absl::StrCat("admission: ", ClassName(team, client),
                       " has a standing queue (its waits above ",
                       Ms(codel_.target_ns()), " for ",
                       Ms(codel_.interval_ns()), ") and already has ", own,
                       " waiting"),
          DrainHintMsLocked(static_cast<double>(own) / share), row);
    }
    if (own >= static_cast<size_t>(max_queue_per_client_)) {
      const double share = queue_.ShareOf(team, client, weight);
      std::string cap;
      if (AtCapLocked(team)) {
        cap = absl::StrCat("; team '", teams_[team].name, "' holds its cap of ",
                           teams_[team].max_slots, " slots");
      }
      return MakeRejection(
          RejectReason::kClientQueueFull,
          absl::StrCat("admission: ", ClassName(team, client), " already has ",
                       own, " requests queued, its bound", cap),
          DrainHintMsLocked(static_cast<double>(own) / share), row);
    }
    if (queue_.size() >= static_cast<size_t>(max_queue_total_)) {
      const FairQueue::EntryId victim =
          queue_.VictimFor(team, client, weight, cost);
      if (victim == FairQueue::kNoEntry) {
        // This request would be the one most over its share. Is its class
        // over its share of the queue, or is the node simply full?
        const double share = queue_.ShareOf(team, client, weight);
        if (static_cast<double>(own) <= share * max_queue_total_) {
          codel_.OnTurnedAway(now);
          return MakeRejection(
              RejectReason::kQueueFull,
              absl::StrCat("admission: node overloaded: the queue is full (",
                           queue_.size(), " waiting, ", in_flight_,
                           " running)"),
              DrainHintMsLocked(static_cast<double>(queue_.size())), row);
        }
        return MakeRejection(
            RejectReason::kOverShare,
            absl::StrCat("admission: the queue is full (", queue_.size(),
                         " waiting) and ", ClassName(team, client),
                         " holds more than its share of it (", own,
                         " waiting, share ", Percent(share), ")"),
            DrainHintMsLocked(static_cast<double>(own + 1) / share), row);
      }
      CHECK(queue_.Remove(victim));
      displaced = victim;
    }

    const FairQueue::EntryId id = queue_.Push(team, client, weight, cost);
    TicketState& ticket = tickets_[id];
    ticket.waiter = waiter;
    ticket.team = team;
    ticket.client = client;
    ticket.client_weight = weight;
    ticket.row = row;
    ticket.enqueued_nanos = now;
    ticket.deadline_nanos = request.deadline_nanos;
    ticket.cost = cost;
    ++rows_[row].queued;
    result = std::unique_ptr<AdmissionTicket>(new AdmissionTicket(this, id));

    if (displaced != FairQueue::kNoEntry) {
      // Told after the newcomer is in, so that its share counts it.
      auto it = tickets_.find(displaced);
      CHECK(it != tickets_.end()) << "queued entry without a ticket";
      TicketState& victim = it->second;
      const size_t left = queue_.queued(victim.team, victim.client);
      const double share =
          queue_.ShareOf(victim.team, victim.client, victim.client_weight);
      RejectQueuedLocked(
          victim,
          MakeRejection(
              RejectReason::kDisplaced,
              absl::StrCat("admission: pushed out of the full queue (",
                           max_queue_total_,
                           ") by a request of a class under its share; ",
                           ClassName(victim.team, victim.client),
                           " holds more than its share (", left + 1,
                           " waiting, share ", Percent(share), ")"),
              DrainHintMsLocked(static_cast<double>(left + 1) / share),
              victim.row),
          &wake);
    }
  }
  Wake(wake);
  return result;
}

void AdmissionController::Release(const AdmissionPermit& permit) {
  Wakeups wake;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_->NowNanos();
    ReleaseLocked(permit.team_, permit.row_, permit.cost_, permit.follow_up_,
                  now - permit.start_nanos_);
    DispatchLocked(now, &wake);
  }
  Wake(wake);
}

bool AdmissionController::CancelTicket(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = tickets_.find(id);
  if (it == tickets_.end() || it->second.phase != Phase::kQueued) return false;
  CHECK(queue_.Remove(id));
  ClassStats& stats = rows_[it->second.row];
  --stats.queued;
  ++stats.cancelled;
  tickets_.erase(it);
  return true;
}

AdmissionDecision AdmissionController::TakeTicket(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = tickets_.find(id);
  CHECK(it != tickets_.end()) << "AdmissionTicket::Take() called twice";
  TicketState& ticket = it->second;
  CHECK(ticket.phase != Phase::kQueued)
      << "AdmissionTicket::Take() before the waiter was called";
  if (ticket.phase == Phase::kGranted) {
    AdmissionPermit permit(this, ticket.team, ticket.row, ticket.granted_nanos,
                           ticket.cost, /*follow_up=*/false);
    tickets_.erase(it);
    return permit;
  }
  AdmissionRejection rejection = std::move(*ticket.rejection);
  tickets_.erase(it);
  return rejection;
}

void AdmissionController::DestroyTicket(uint64_t id) {
  Wakeups wake;
  {
    absl::MutexLock lock(&mu_);
    auto it = tickets_.find(id);
    if (it == tickets_.end()) return;  // taken
    const TicketState ticket = std::move(it->second);
    tickets_.erase(it);
    switch (ticket.phase) {
      case Phase::kQueued:
        CHECK(queue_.Remove(id));
        --rows_[ticket.row].queued;
        ++rows_[ticket.row].cancelled;
        break;
      case Phase::kGranted: {
        // Granted but never taken (the call went away): return the slot.
        const int64_t now = clock_->NowNanos();
        ReleaseLocked(ticket.team, ticket.row, ticket.cost,
                      /*follow_up=*/false, /*served_nanos=*/-1);
        DispatchLocked(now, &wake);
        break;
      }
      case Phase::kRejected:
        break;
    }
  }
  Wake(wake);
}

void AdmissionController::Shutdown() {
  Wakeups wake;
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
    for (auto& [id, ticket] : tickets_) {
      if (ticket.phase != Phase::kQueued) continue;
      CHECK(queue_.Remove(id));
      RejectQueuedLocked(
          ticket,
          MakeRejection(RejectReason::kShutdown,
                        "admission: node shutting down", 0, ticket.row),
          &wake);
    }
  }
  Wake(wake);
}

AdmissionMetrics AdmissionController::GetMetrics() const {
  absl::MutexLock lock(&mu_);
  AdmissionMetrics metrics;
  metrics.strategy = strategy_;
  metrics.limit = limit_;
  metrics.in_flight = in_flight_;
  metrics.queued = static_cast<int64_t>(queue_.size());
  metrics.max_queue_total = max_queue_total_;
  metrics.max_queue_per_client = max_queue_per_client_;
  metrics.overloaded = codel_.overloaded();
  metrics.expected_service_ms =
      static_cast<double>(ExpectedServiceNanosLocked(1)) / kNanosPerMs;
  for (size_t t = 0; t < teams_.size(); ++t) {
    TeamAdmissionMetrics team;
    team.name = teams_[t].name;
    team.weight = teams_[t].weight;
    team.max_slots = teams_[t].max_slots;
    team.min_slots = teams_[t].min_slots;
    team.in_flight = team_in_flight_[t];
    team.queued = static_cast<int64_t>(queue_.queued(static_cast<int>(t)));
    metrics.teams.push_back(std::move(team));
  }
  for (const ClassStats& stats : rows_) {
    ClassAdmissionMetrics row;
    row.team = teams_[stats.team].name;
    row.client = stats.client;
    row.admitted = stats.admitted;
    row.cancelled = stats.cancelled;
    row.rejected = stats.rejected;
    row.queued = stats.queued;
    row.in_flight = stats.in_flight;
    row.queue_wait = stats.queue_wait;
    TeamAdmissionMetrics& team = metrics.teams[stats.team];
    team.admitted += stats.admitted;
    team.rejected += row.rejected_total();
    metrics.admitted += stats.admitted;
    metrics.cancelled += stats.cancelled;
    for (int r = 0; r < kNumRejectReasons; ++r) {
      metrics.rejected[r] += stats.rejected[r];
    }
    metrics.queue_wait.Add(stats.queue_wait);
    metrics.classes.push_back(std::move(row));
  }
  std::sort(metrics.classes.begin(), metrics.classes.end(),
            [](const ClassAdmissionMetrics& a, const ClassAdmissionMetrics& b) {
              return std::tie(a.team, a.client) < std::tie(b.team, b.client);
            });
  return metrics;
}

}  // namespace overlay
