// Copyright 2026 The overlay Authors.
//
// FairQueue: the admission policy, which waiting request runs next. It does
// start-time fair queuing (SFQ) over two levels: teams share the node by
// team weight, and the clients of a team share the team's part by client
// weight. Every request has a cost (1 for now; room for an estimate). It is
// work-conserving (a lone class gets every turn), and an idle class's
// catch-up credit is bounded (Options::idle_credit). Owns its entries and
// per-class bookkeeping only: no clock, no I/O, no threads.
// Thread-compatible: externally synchronised (AdmissionController calls it
// under its mutex). Every operation is O(log n) in the classes queued.
//
//   FairQueue queue({/*team 0*/ 1, /*team 1*/ 2});
//   FairQueue::EntryId id = queue.Push(/*team=*/1, "alice", /*weight=*/1);
//   std::optional<FairQueue::Popped> next = queue.Pop();  // next->id == id
//
// How it decides. Each level keeps a virtual time V (one for the teams, one
// inside each team for its clients). A class's tag is the virtual start
// time of its next request; serving a request of cost c advances the tag
// by c / weight (in kUnit fixed point). Pop() takes the eligible team with
// the smallest tag, then that team's client with the smallest tag, and sets
// V to the tag just served. A class that becomes active again starts at
// max(its tag, V - idle_credit / weight): it may bank at most `idle_credit`
// requests' worth of credit while idle (Seastar's forgiving factor; the
// lesson of CockroachDB issue #91533 is that unbounded history starves the
// busy). Idle client records are forgotten once that rule makes them
// meaningless, so memory follows recent activity, not history.

#ifndef OVERLAY_CORE_ADMISSION_FAIR_QUEUE_H_
#define OVERLAY_CORE_ADMISSION_FAIR_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace overlay {

class FairQueue final {
 public:
  // Names one queued entry. Never 0, and not reused while the queue lives
  // (a slot index plus a generation).
  using EntryId = uint64_t;
  static constexpr EntryId kNoEntry = 0;

  static constexpr int kMaxWeight = 1000;
  static constexpr int64_t kMaxCost = 65536;
  // Virtual time of one cost unit at weight 1.
  static constexpr int64_t kUnit = int64_t{1} << 20;

  struct Options {
    // Requests (cost units at the class's own weight) a class coming back
    // from idle may be served ahead of classes that never stopped. 0 is
    // plain SFQ. REQUIRES: 0..1000.
    int64_t idle_credit = 1;
    // Tags are rebased when a virtual time passes this. Only tests change
    // it (to exercise the rebase); REQUIRES: > 2 * 1000 * kUnit.
    int64_t rebase_threshold = int64_t{1} << 61;
  };

  struct Popped {
    EntryId id = kNoEntry;
    int team = 0;
    int64_t cost = 0;
  };

  // One team per weight, numbered from 0.
  // REQUIRES: at least one team; every weight in 1..kMaxWeight.
  explicit FairQueue(const std::vector<int>& team_weights);
  FairQueue(const std::vector<int>& team_weights, Options options);
  FairQueue(const FairQueue&) = delete;
  FairQueue& operator=(const FairQueue&) = delete;

  // Queues one request of `client` in `team`. `client_weight` applies when
  // the queue does not remember the client (config weights are fixed).
  // REQUIRES: 0 <= team < num_teams(); weight in 1..kMaxWeight; cost in
  // 1..kMaxCost.
  EntryId Push(int team, std::string_view client, int client_weight,
               int64_t cost = 1);

  // Removes and returns the entry to run next; nullopt when nothing is
  // eligible (empty, or every team with entries is blocked).
  std::optional<Popped> Pop();
  // The next entry of `team` by its clients' order, ignoring blocking (for
  // per-team floors). Accounts it like Pop() but leaves the teams' V alone.
  std::optional<Popped> PopFromTeam(int team);
  // Removes a queued entry (a cancelled request). Tags are untouched: an
  // entry is charged only when served. False if `id` is not queued.
  bool Remove(EntryId id);

  // A blocked team keeps its entries but Pop() skips it (per-team caps).
  // Unblocking treats the team like one coming back from idle.
  void SetBlocked(int team, bool blocked);
  bool blocked(int team) const;

  // For a full queue: the entry to displace so that one more request of
  // (team, client) may queue, or kNoEntry when that request would itself be
  // the most over its share (refuse it instead). "Over its share" is queued
  // cost over weight, between teams first, then between the clients of the
  // chosen team; the victim is the newest entry of the most-over client.
  // REQUIRES: !empty().
  EntryId VictimFor(int team, std::string_view client, int client_weight,
                    int64_t cost = 1) const;

  // The fraction of the node (0..1] that `client` of `team` gets while it
  // has work queued: its team's weight over the weights of the teams with
  // entries (counting its own), times the same ratio inside the team.
  double ShareOf(int team, std::string_view client, int client_weight) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // True when Pop() would return an entry.
  bool has_eligible() const { return !eligible_teams_.empty(); }
  size_t num_teams() const { return teams_.size(); }
  size_t queued(int team) const;
  size_t queued(int team, std::string_view client) const;
  // Client records held, active or remembered (bounded by recent activity).
  size_t num_clients() const { return live_clients_; }

 private:
  static constexpr uint32_t kNil = 0xffffffffu;

  struct Entry {
    uint32_t client = kNil;  // slot in clients_
    uint32_t prev = kNil;    // FIFO links within the client
    uint32_t next = kNil;
    uint32_t generation = 1;
    int64_t cost = 0;
    bool queued = false;
  };
  struct Client {
    std::string name;
    int team = 0;
    int weight = 1;
    int64_t step = kUnit;  // virtual time per cost unit: kUnit / weight
    int64_t tag = 0;
    uint64_t activated = 0;  // when it last became active: breaks tag ties
    int64_t queued_cost = 0;
    uint32_t queued = 0;
    uint32_t head = kNil;
    uint32_t tail = kNil;
    int32_t active_pos = -1;   // in Team::active (min-heap by tag)
    int32_t backlog_pos = -1;  // in Team::backlog (max-heap by cost/weight)
    bool live = false;
    bool idle_listed = false;
  };
  struct Team {
    int weight = 1;
    int64_t step = kUnit;
    int64_t tag = 0;
    uint64_t activated = 0;
    int64_t vtime = 0;  // V of this team's clients
    int64_t queued_cost = 0;
    uint32_t queued = 0;
    int64_t active_client_weight = 0;  // clients with entries
    bool blocked = false;
    int32_t eligible_pos = -1;  // in eligible_teams_
    int32_t backlog_pos = -1;   // in backlog_teams_
    std::vector<uint32_t> active;
    std::vector<uint32_t> backlog;
    absl::flat_hash_map<std::string, uint32_t> by_name;
  };

  // Heap orders (strict weak orders). Equal tags go by activation order,
  // so classes that start together are served in arrival order.
  bool TeamTagLess(int a, int b) const;
  bool TeamBacklogMore(int a, int b) const;
  bool ClientTagLess(uint32_t a, uint32_t b) const;
  bool ClientBacklogMore(uint32_t a, uint32_t b) const;

  void EligibleInsert(int team);
  void EligibleErase(int team);
  void EligibleFix(int team);
  void TeamBacklogInsert(int team);
  void TeamBacklogErase(int team);
  void TeamBacklogFix(int team);
  void ActiveInsert(Team& team, uint32_t client);
  void ActiveErase(Team& team, uint32_t client);
  void ActiveFix(Team& team, uint32_t client);
  void BacklogInsert(Team& team, uint32_t client);
  void BacklogErase(Team& team, uint32_t client);
  void BacklogFix(Team& team, uint32_t client);

  const Client* FindClient(const Team& team, std::string_view name) const;
  uint32_t FindOrAddClient(int team, std::string_view name, int weight);
  uint32_t AllocEntry();
  void FreeEntry(uint32_t slot);
  void Unlink(Client& client, uint32_t slot);
  // Accounts the removal of one entry of `cost` from `client`'s queue,
  // deactivating the client and its team when they empty.
  void AfterRemove(uint32_t client, int64_t cost);
  std::optional<Popped> PopFrom(int team, bool advance_root);
  int64_t Forgiven(int64_t tag, int64_t vtime, int64_t step) const;
  void CollectIdle(int budget);
  void MaybeRebaseRoot();
  void MaybeRebaseTeam(Team& team);
  static EntryId MakeId(uint32_t slot, uint32_t generation);

  Options options_;
  std::vector<Team> teams_;
  std::vector<Client> clients_;
  std::vector<uint32_t> free_clients_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> free_entries_;
  std::vector<int> eligible_teams_;  // min-heap by tag: unblocked, queued
  std::vector<int> backlog_teams_;   // max-heap by cost/weight: queued
  std::deque<uint32_t> idle_;        // clients that emptied, oldest first
  int64_t vtime_ = 0;                // V of the teams
  int64_t active_team_weight_ = 0;   // teams with entries
  uint64_t activations_ = 0;         // FIFO order among equal tags
  size_t size_ = 0;
  size_t live_clients_ = 0;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_FAIR_QUEUE_H_
