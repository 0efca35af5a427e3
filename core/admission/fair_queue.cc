// Copyright 2026 The overlay Authors.

#include "core/admission/fair_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/string_view.h"
#include "glog/logging.h"

namespace overlay {
namespace {

absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// An indexed binary heap over `items` (team or client slots). The front
// is the item no other item comes before by `owner.*before`; each item's
// position in the heap is kept in `records[item].*pos` (-1 when out).
template <typename T, typename Owner, typename Record>
class IndexedHeap {
 public:
  using Before = bool (Owner::*)(T, T) const;

  IndexedHeap(std::vector<T>& items, const Owner& owner, Before before,
              std::vector<Record>& records, int32_t Record::*pos)
      : items_(items),
        owner_(owner),
        before_(before),
        records_(records),
        pos_(pos) {}

  void Insert(T item) {
    items_.push_back(item);
    Pos(item) = static_cast<int32_t>(items_.size() - 1);
    Up(items_.size() - 1);
  }
  void Erase(T item) {
    const size_t at = static_cast<size_t>(Pos(item));
    const T last = items_.back();
    items_.pop_back();
    Pos(item) = -1;
    if (at < items_.size()) {
      Place(at, last);
      Up(at);
      Down(static_cast<size_t>(Pos(last)));
    }
  }
  // After the item's key changed.
  void Fix(T item) {
    Up(static_cast<size_t>(Pos(item)));
    Down(static_cast<size_t>(Pos(item)));
  }

 private:
  int32_t& Pos(T item) { return records_[item].*pos_; }
  bool IsBefore(T a, T b) const { return (owner_.*before_)(a, b); }
  void Place(size_t at, T item) {
    items_[at] = item;
    Pos(item) = static_cast<int32_t>(at);
  }
  void Up(size_t at) {
    const T item = items_[at];
    while (at > 0) {
      const size_t parent = (at - 1) / 2;
      if (!IsBefore(item, items_[parent])) break;
      Place(at, items_[parent]);
      at = parent;
    }
    Place(at, item);
  }
  void Down(size_t at) {
    const T item = items_[at];
    const size_t n = items_.size();
    while (true) {
      size_t child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && IsBefore(items_[child + 1], items_[child])) {
        ++child;
      }
      if (!IsBefore(items_[child], item)) break;
      Place(at, items_[child]);
      at = child;
    }
    Place(at, item);
  }

  std::vector<T>& items_;
  const Owner& owner_;
  Before before_;
  std::vector<Record>& records_;
  int32_t Record::*pos_;
};

template <typename T, typename Owner, typename Record>
IndexedHeap<T, Owner, Record> Heap(std::vector<T>& items, const Owner& owner,
                                   bool (Owner::*before)(T, T) const,
                                   std::vector<Record>& records,
                                   int32_t Record::*pos) {
  return IndexedHeap<T, Owner, Record>(items, owner, before, records, pos);
}

}  // namespace

FairQueue::FairQueue(const std::vector<int>& team_weights)
    : FairQueue(team_weights, Options()) {}

FairQueue::FairQueue(const std::vector<int>& team_weights, Options options)
    : options_(options), teams_(team_weights.size()) {
  CHECK(!team_weights.empty());
  CHECK_GE(options_.idle_credit, 0);
  CHECK_LE(options_.idle_credit, 1000);
  CHECK_GT(options_.rebase_threshold, 2 * 1000 * kUnit);
  for (size_t i = 0; i < team_weights.size(); ++i) {
    CHECK_GE(team_weights[i], 1);
    CHECK_LE(team_weights[i], kMaxWeight);
    teams_[i].weight = team_weights[i];
    teams_[i].step = kUnit / team_weights[i];
  }
}

// --- heap orders -------------------------------------------------------------

bool FairQueue::TeamTagLess(int a, int b) const {
  const Team& ta = teams_[a];
  const Team& tb = teams_[b];
  return ta.tag != tb.tag ? ta.tag < tb.tag : ta.activated < tb.activated;
}

bool FairQueue::TeamBacklogMore(int a, int b) const {
  // queued_cost / weight, compared exactly by cross-multiplying.
  const int64_t lhs = teams_[a].queued_cost * teams_[b].weight;
  const int64_t rhs = teams_[b].queued_cost * teams_[a].weight;
  return lhs != rhs ? lhs > rhs : a < b;
}

bool FairQueue::ClientTagLess(uint32_t a, uint32_t b) const {
  const Client& ca = clients_[a];
  const Client& cb = clients_[b];
  return ca.tag != cb.tag ? ca.tag < cb.tag : ca.activated < cb.activated;
}

bool FairQueue::ClientBacklogMore(uint32_t a, uint32_t b) const {
  const int64_t lhs = clients_[a].queued_cost * clients_[b].weight;
  const int64_t rhs = clients_[b].queued_cost * clients_[a].weight;
  return lhs != rhs ? lhs > rhs : a < b;
}

// --- heap plumbing
// -------------------------------------------------------------

void FairQueue::EligibleInsert(int team) {
  Heap(eligible_teams_, *this, &FairQueue::TeamTagLess, teams_,
       &Team::eligible_pos)
      .Insert(team);
}
void FairQueue::EligibleErase(int team) {
  Heap(eligible_teams_, *this, &FairQueue::TeamTagLess, teams_,
       &Team::eligible_pos)
      .Erase(team);
}
void FairQueue::EligibleFix(int team) {
  Heap(eligible_teams_, *this, &FairQueue::TeamTagLess, teams_,
       &Team::eligible_pos)
      .Fix(team);
}
void FairQueue::TeamBacklogInsert(int team) {
  Heap(backlog_teams_, *this, &FairQueue::TeamBacklogMore, teams_,
       &Team::backlog_pos)
      .Insert(team);
}
void FairQueue::TeamBacklogErase(int team) {
  Heap(backlog_teams_, *this, &FairQueue::TeamBacklogMore, teams_,
       &Team::backlog_pos)
      .Erase(team);
}
void FairQueue::TeamBacklogFix(int team) {
  Heap(backlog_teams_, *this, &FairQueue::TeamBacklogMore, teams_,
       &Team::backlog_pos)
      .Fix(team);
}
void FairQueue::ActiveInsert(Team& team, uint32_t client) {
  Heap(team.active, *this, &FairQueue::ClientTagLess, clients_,
       &Client::active_pos)
      .Insert(client);
}
void FairQueue::ActiveErase(Team& team, uint32_t client) {
  Heap(team.active, *this, &FairQueue::ClientTagLess, clients_,
       &Client::active_pos)
      .Erase(client);
}
void FairQueue::ActiveFix(Team& team, uint32_t client) {
  Heap(team.active, *this, &FairQueue::ClientTagLess, clients_,
       &Client::active_pos)
      .Fix(client);
}
void FairQueue::BacklogInsert(Team& team, uint32_t client) {
  Heap(team.backlog, *this, &FairQueue::ClientBacklogMore, clients_,
       &Client::backlog_pos)
      .Insert(client);
}
void FairQueue::BacklogErase(Team& team, uint32_t client) {
  Heap(team.backlog, *this, &FairQueue::ClientBacklogMore, clients_,
       &Client::backlog_pos)
      .Erase(client);
}
void FairQueue::BacklogFix(Team& team, uint32_t client) {
  Heap(team.backlog, *this, &FairQueue::ClientBacklogMore, clients_,
       &Client::backlog_pos)
      .Fix(client);
}

// --- entries and clients
// -------------------------------------------------------

FairQueue::EntryId FairQueue::MakeId(uint32_t slot, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | slot;
}

uint32_t FairQueue::AllocEntry() {
  if (!free_entries_.empty()) {
    const uint32_t slot = free_entries_.back();
    free_entries_.pop_back();
    return slot;
  }
  entries_.emplace_back();
  return static_cast<uint32_t>(entries_.size() - 1);
}

void FairQueue::FreeEntry(uint32_t slot) {
  Entry& entry = entries_[slot];
  entry.queued = false;
  entry.client = kNil;
  entry.prev = entry.next = kNil;
  // Generation 0 is skipped so that no id is ever kNoEntry.
  if (++entry.generation == 0) entry.generation = 1;
  free_entries_.push_back(slot);
}

void FairQueue::Unlink(Client& client, uint32_t slot) {
  const Entry& entry = entries_[slot];
  if (entry.prev != kNil) {
    entries_[entry.prev].next = entry.next;
  } else {
    client.head = entry.next;
  }
  if (entry.next != kNil) {
    entries_[entry.next].prev = entry.prev;
  } else {
    client.tail = entry.prev;
  }
}

const FairQueue::Client* FairQueue::FindClient(const Team& team,
                                               std::string_view name) const {
  auto it = team.by_name.find(AbslView(name));
  return it == team.by_name.end() ? nullptr : &clients_[it->second];
}

uint32_t FairQueue::FindOrAddClient(int team_index, std::string_view name,
                                    int weight) {
  Team& team = teams_[team_index];
  auto it = team.by_name.find(AbslView(name));
  if (it != team.by_name.end()) return it->second;
  uint32_t slot;
  if (!free_clients_.empty()) {
    slot = free_clients_.back();
    free_clients_.pop_back();
  } else {
    clients_.emplace_back();
    slot = static_cast<uint32_t>(clients_.size() - 1);
  }
  Client& client = clients_[slot];
  client.name = std::string(name);
  client.team = team_index;
  client.weight = weight;
  client.step = kUnit / weight;
  // As if it had been idle forever: the full credit, no more.
  client.tag = team.vtime - options_.idle_credit * client.step;
  client.live = true;
  team.by_name.emplace(client.name, slot);
  ++live_clients_;
  return slot;
}

int64_t FairQueue::Forgiven(int64_t tag, int64_t vtime, int64_t step) const {
  return std::max(tag, vtime - options_.idle_credit * step);
}

void FairQueue::CollectIdle(int budget) {
  for (; budget > 0 && !idle_.empty(); --budget) {
    const uint32_t slot = idle_.front();
    idle_.pop_front();
    Client& client = clients_[slot];
    client.idle_listed = false;
    if (!client.live || client.queued > 0) continue;  // relisted when idle
    Team& team = teams_[client.team];
    if (client.tag <= team.vtime - options_.idle_credit * client.step) {
      // Forgiven() would restart it exactly where a new client starts.
      team.by_name.erase(client.name);
      client = Client();
      free_clients_.push_back(slot);
      --live_clients_;
    } else {
      idle_.push_back(slot);
      client.idle_listed = true;
    }
  }
}

// Tags only matter relative to V, so subtracting the same base from a V and
// every tag it orders changes no decision. Tags of active classes are at
// least V - idle_credit * step > V / 2; idle ones further behind clamp to
// 0, which Forgiven() lifts again on activation.
void FairQueue::MaybeRebaseRoot() {
  if (vtime_ <= options_.rebase_threshold) return;
  const int64_t base = vtime_ / 2;
  for (Team& team : teams_) team.tag = std::max<int64_t>(team.tag - base, 0);
  vtime_ -= base;
}

void FairQueue::MaybeRebaseTeam(Team& team) {
  if (team.vtime <= options_.rebase_threshold) return;
  const int64_t base = team.vtime / 2;
  for (const auto& [name, slot] : team.by_name) {
    Client& client = clients_[slot];
    client.tag = std::max<int64_t>(client.tag - base, 0);
  }
  team.vtime -= base;
}

// --- operations
// ----------------------------------------------------------------

FairQueue::EntryId FairQueue::Push(int team_index, std::string_view name,
                                   int client_weight, int64_t cost) {
  CHECK_GE(team_index, 0);
  CHECK_LT(static_cast<size_t>(team_index), teams_.size());
  CHECK_GE(client_weight, 1);
  CHECK_LE(client_weight, kMaxWeight);
  CHECK_GE(cost, 1);
  CHECK_LE(cost, kMaxCost);
  CollectIdle(2);
  const uint32_t c = FindOrAddClient(team_index, name, client_weight);
  const uint32_t slot = AllocEntry();
  Team& team = teams_[team_index];
  Client& client = clients_[c];
  Entry& entry = entries_[slot];
  entry.client = c;
  entry.cost = cost;
  entry.queued = true;
  entry.prev = client.tail;
  entry.next = kNil;
  if (client.tail != kNil) {
    entries_[client.tail].next = slot;
  } else {
    client.head = slot;
  }
  client.tail = slot;

  const bool client_was_idle = client.queued == 0;
  ++client.queued;
  client.queued_cost += cost;
  if (client_was_idle) {
    client.tag = Forgiven(client.tag, team.vtime, client.step);
    client.activated = ++activations_;
    team.active_client_weight += client.weight;
    ActiveInsert(team, c);
    BacklogInsert(team, c);
  } else {
    BacklogFix(team, c);
  }

  const bool team_was_idle = team.queued == 0;
  ++team.queued;
  team.queued_cost += cost;
  if (team_was_idle) {
    team.tag = Forgiven(team.tag, vtime_, team.step);
    team.activated = ++activations_;
    active_team_weight_ += team.weight;
    if (!team.blocked) EligibleInsert(team_index);
    TeamBacklogInsert(team_index);
  } else {
    TeamBacklogFix(team_index);
  }
  ++size_;
  return MakeId(slot, entry.generation);
}

void FairQueue::AfterRemove(uint32_t c, int64_t cost) {
  Client& client = clients_[c];
  const int team_index = client.team;
  Team& team = teams_[team_index];
  --client.queued;
  client.queued_cost -= cost;
  if (client.queued == 0) {
    ActiveErase(team, c);
    BacklogErase(team, c);
    team.active_client_weight -= client.weight;
    if (!client.idle_listed) {
      idle_.push_back(c);
      client.idle_listed = true;
    }
  } else {
    ActiveFix(team, c);
    BacklogFix(team, c);
  }
  --team.queued;
  team.queued_cost -= cost;
  if (team.queued == 0) {
    if (team.eligible_pos >= 0) EligibleErase(team_index);
    TeamBacklogErase(team_index);
    active_team_weight_ -= team.weight;
  } else {
    if (team.eligible_pos >= 0) EligibleFix(team_index);
    TeamBacklogFix(team_index);
  }
  --size_;
}

std::optional<FairQueue::Popped> FairQueue::PopFrom(int team_index,
                                                    bool advance_root) {
  Team& team = teams_[team_index];
  if (team.queued == 0) return std::nullopt;
  const uint32_t c = team.active.front();
  Client& client = clients_[c];
  const uint32_t slot = client.head;
  const Entry& entry = entries_[slot];
  const int64_t cost = entry.cost;
  const Popped popped{MakeId(slot, entry.generation), team_index, cost};

  // SFQ: V becomes the start tag just served; the class's next request
  // starts where this one finishes.
  team.vtime = std::max(team.vtime, client.tag);
  client.tag += cost * client.step;
  if (advance_root) vtime_ = std::max(vtime_, team.tag);
  team.tag += cost * team.step;

  Unlink(client, slot);
  FreeEntry(slot);
  AfterRemove(c, cost);
  MaybeRebaseTeam(team);
  if (advance_root) MaybeRebaseRoot();
  return popped;
}

std::optional<FairQueue::Popped> FairQueue::Pop() {
  CollectIdle(2);
  if (eligible_teams_.empty()) return std::nullopt;
  return PopFrom(eligible_teams_.front(), /*advance_root=*/true);
}

std::optional<FairQueue::Popped> FairQueue::PopFromTeam(int team) {
  CHECK_GE(team, 0);
  CHECK_LT(static_cast<size_t>(team), teams_.size());
  CollectIdle(2);
  return PopFrom(team, /*advance_root=*/false);
}

bool FairQueue::Remove(EntryId id) {
  const uint32_t slot = static_cast<uint32_t>(id & 0xffffffffu);
  const uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (slot >= entries_.size()) return false;
  const Entry& entry = entries_[slot];
  if (!entry.queued || entry.generation != generation) return false;
  const uint32_t c = entry.client;
  const int64_t cost = entry.cost;
  Unlink(clients_[c], slot);
  FreeEntry(slot);
  AfterRemove(c, cost);
  return true;
}

void FairQueue::SetBlocked(int team_index, bool blocked) {
  CHECK_GE(team_index, 0);
  CHECK_LT(static_cast<size_t>(team_index), teams_.size());
  Team& team = teams_[team_index];
  if (team.blocked == blocked) return;
  team.blocked = blocked;
  if (blocked) {
    if (team.eligible_pos >= 0) EligibleErase(team_index);
  } else if (team.queued > 0) {
    team.tag = Forgiven(team.tag, vtime_, team.step);
    team.activated = ++activations_;
    EligibleInsert(team_index);
  }
}

bool FairQueue::blocked(int team) const { return teams_[team].blocked; }

FairQueue::EntryId FairQueue::VictimFor(int team_index, std::string_view name,
                                        int client_weight, int64_t cost) const {
  CHECK(!empty());
  const Team& team = teams_[team_index];
  // Between teams: is the newcomer's team, with the newcomer, at least as
  // far over its share as the team most over its share?
  int victim_team = backlog_teams_.front();
  if (victim_team != team_index) {
    const Team& worst = teams_[victim_team];
    if ((team.queued_cost + cost) * worst.weight >=
        worst.queued_cost * team.weight) {
      victim_team = team_index;
    }
  }
  if (victim_team != team_index) {
    const Team& worst = teams_[victim_team];
    const uint32_t tail = clients_[worst.backlog.front()].tail;
    return MakeId(tail, entries_[tail].generation);
  }
  // Inside the newcomer's team, the same question between clients.
  if (team.queued == 0) return kNoEntry;
  const uint32_t worst_client = team.backlog.front();
  const Client& worst = clients_[worst_client];
  const Client* own = FindClient(team, name);
  if (own == &worst) return kNoEntry;
  const int64_t own_cost = own != nullptr ? own->queued_cost : 0;
  const int own_weight = own != nullptr ? own->weight : client_weight;
  if ((own_cost + cost) * worst.weight >= worst.queued_cost * own_weight) {
    return kNoEntry;
  }
  return MakeId(worst.tail, entries_[worst.tail].generation);
}

double FairQueue::ShareOf(int team_index, std::string_view name,
                          int client_weight) const {
  const Team& team = teams_[team_index];
  const int64_t teams_weight =
      active_team_weight_ + (team.queued == 0 ? team.weight : 0);
  const Client* client = FindClient(team, name);
  const bool active = client != nullptr && client->queued > 0;
  const int weight = client != nullptr ? client->weight : client_weight;
  const int64_t clients_weight =
      team.active_client_weight + (active ? 0 : weight);
  return static_cast<double>(team.weight) / static_cast<double>(teams_weight) *
         static_cast<double>(weight) / static_cast<double>(clients_weight);
}

size_t FairQueue::queued(int team) const { return teams_[team].queued; }

size_t FairQueue::queued(int team, std::string_view name) const {
  const Client* client = FindClient(teams_[team], name);
  return client == nullptr ? 0 : client->queued;
}

}  // namespace overlay
