// Copyright 2026 The overlay Authors.
//
// The policy alone, dispatched by hand (Seastar's fair_queue_test style):
// share ratios over 100k decisions, two levels, bounded idle credit, work
// conservation, cancellation, blocking, displacement and bounded memory.

#include "core/admission/fair_queue.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace overlay {
namespace {

constexpr int kDecisions = 100000;

struct Key {
  int team;
  std::string client;
  bool operator<(const Key& other) const {
    return std::tie(team, client) < std::tie(other.team, other.client);
  }
};

// Keeps every given class backlogged (`depth` entries each) and counts
// what Pop() serves.
class Backlogged {
 public:
  Backlogged(FairQueue& queue, std::vector<Key> classes, int depth = 8,
             std::map<std::string, int> weights = {})
      : queue_(queue), weights_(std::move(weights)) {
    for (const Key& key : classes) {
      for (int i = 0; i < depth; ++i) Push(key);
    }
  }
  void Push(const Key& key, int64_t cost = 1) {
    const FairQueue::EntryId id =
        queue_.Push(key.team, key.client, Weight(key.client), cost);
    owner_[id] = key;
  }
  // Pops `n` entries, refilling each served class so it stays backlogged.
  void Run(int n, bool refill = true) {
    for (int i = 0; i < n; ++i) {
      std::optional<FairQueue::Popped> popped = queue_.Pop();
      ASSERT_TRUE(popped.has_value()) << "decision " << i;
      auto it = owner_.find(popped->id);
      ASSERT_NE(it, owner_.end());
      const Key key = it->second;
      owner_.erase(it);
      ++served_[key];
      ++team_served_[key.team];
      order_.push_back(key);
      if (refill) Push(key);
    }
  }
  int served(const Key& key) const {
    auto it = served_.find(key);
    return it == served_.end() ? 0 : it->second;
  }
  int team_served(int team) const {
    auto it = team_served_.find(team);
    return it == team_served_.end() ? 0 : it->second;
  }
  const std::vector<Key>& order() const { return order_; }

 private:
  int Weight(const std::string& client) const {
    auto it = weights_.find(client);
    return it == weights_.end() ? 1 : it->second;
  }

  FairQueue& queue_;
  std::map<std::string, int> weights_;
  std::map<FairQueue::EntryId, Key> owner_;
  std::map<Key, int> served_;
  std::map<int, int> team_served_;
  std::vector<Key> order_;
};

void ExpectRatio(double got, double want) {
  EXPECT_NEAR(got, want, want * 0.05) << "got " << got << ", want " << want;
}

TEST(FairQueueTest, EqualTeamWeightsShareOneToOne) {
  FairQueue queue({1, 1});
  Backlogged load(queue, {{0, "a"}, {1, "b"}});
  load.Run(kDecisions);
  ExpectRatio(static_cast<double>(load.team_served(0)) / load.team_served(1),
              1.0);
  // SFQ is exact for equal costs, not just within 5%.
  EXPECT_LE(std::abs(load.team_served(0) - load.team_served(1)), 1);
}

TEST(FairQueueTest, TeamWeightsOneToTwoShareOneToTwo) {
  FairQueue queue({1, 2});
  Backlogged load(queue, {{0, "a"}, {1, "b"}});
  load.Run(kDecisions);
  ExpectRatio(static_cast<double>(load.team_served(1)) / load.team_served(0),
              2.0);
}

TEST(FairQueueTest, ClientWeightsShareInsideATeam) {
  FairQueue queue({1});
  Backlogged load(queue, {{0, "light"}, {0, "heavy"}}, 8,
                  {{"light", 1}, {"heavy", 2}});
  load.Run(kDecisions);
  ExpectRatio(static_cast<double>(load.served({0, "heavy"})) /
                  load.served({0, "light"}),
              2.0);
}

TEST(FairQueueTest, TeamOfOneAgainstTeamOfTenGetsOneToOne) {
  FairQueue queue({1, 1});
  std::vector<Key> classes = {{0, "solo"}};
  for (int i = 0; i < 10; ++i) classes.push_back({1, absl::StrCat("c", i)});
  Backlogged load(queue, classes);
  load.Run(kDecisions);
  ExpectRatio(static_cast<double>(load.team_served(0)) / load.team_served(1),
              1.0);
  // Inside the big team, its half is split evenly.
  for (int i = 0; i < 10; ++i) {
    ExpectRatio(load.served({1, absl::StrCat("c", i)}), kDecisions / 20.0);
  }
}

TEST(FairQueueTest, ShareIsByCostNotByCount) {
  FairQueue queue({1, 1});
  for (int i = 0; i < 8; ++i) {
    queue.Push(0, "cheap", 1, /*cost=*/1);
    queue.Push(1, "dear", 1, /*cost=*/3);
  }
  int cheap = 0;
  int dear = 0;
  for (int i = 0; i < kDecisions; ++i) {
    std::optional<FairQueue::Popped> popped = queue.Pop();
    ASSERT_TRUE(popped.has_value());
    if (popped->team == 0) {
      ++cheap;
      queue.Push(0, "cheap", 1, 1);
    } else {
      ++dear;
      EXPECT_EQ(popped->cost, 3);
      queue.Push(1, "dear", 1, 3);
    }
  }
  ExpectRatio(static_cast<double>(cheap) / dear, 3.0);
}

TEST(FairQueueTest, WorkConservingALoneClassGetsEveryTurn) {
  FairQueue queue({1, 5, 5});
  Backlogged load(queue, {{0, "alone"}});
  load.Run(1000);
  EXPECT_EQ(load.served({0, "alone"}), 1000);

  // Two busy teams, one idle: the busy ones share everything between them.
  FairQueue two({1, 1, 1});
  Backlogged busy(two, {{0, "a"}, {2, "c"}});
  busy.Run(1000);
  EXPECT_EQ(busy.team_served(0) + busy.team_served(2), 1000);
  EXPECT_EQ(busy.team_served(1), 0);

  // Without refills the queue drains completely: nothing is held back.
  FairQueue drain({1, 1});
  for (int i = 0; i < 10; ++i) drain.Push(i % 2, "x", 1);
  int popped = 0;
  while (drain.Pop().has_value()) ++popped;
  EXPECT_EQ(popped, 10);
  EXPECT_TRUE(drain.empty());
}

// B is idle while A is served alone for a long time, then B bursts. SFQ
// with forgiveness lets B lead A by at most idle_credit + 1 turns in any
// prefix afterwards, however long B was idle: no banked history.
void CheckBoundedCredit(int64_t idle_credit, int idle_turns) {
  FairQueue::Options options;
  options.idle_credit = idle_credit;
  FairQueue queue({1, 1}, options);
  Backlogged load(queue, {{0, "a"}});
  load.Run(idle_turns);
  for (int i = 0; i < 1000; ++i) load.Push({1, "b"});
  const size_t start = load.order().size();
  load.Run(1000);
  int lead = 0;
  int max_lead = 0;
  for (size_t i = start; i < load.order().size(); ++i) {
    lead += load.order()[i].team == 1 ? 1 : -1;
    max_lead = std::max(max_lead, lead);
  }
  EXPECT_LE(max_lead, idle_credit + 1)
      << "credit " << idle_credit << " idle " << idle_turns;
  // And B still gets its half of the turns after the burst starts.
  const int b = load.served({1, "b"});
  EXPECT_GE(b, 500 - 2) << "credit " << idle_credit;
  EXPECT_LE(b, 500 + idle_credit + 1) << "credit " << idle_credit;
}

TEST(FairQueueTest, IdleThenBurstCreditIsBounded) {
  for (int64_t credit : {0, 1, 5}) {
    CheckBoundedCredit(credit, /*idle_turns=*/100);
    CheckBoundedCredit(credit, /*idle_turns=*/50000);
  }
}

TEST(FairQueueTest, ARejoiningClientDoesNotBankCreditInsideItsTeam) {
  FairQueue queue({1});
  Backlogged load(queue, {{0, "steady"}});
  load.Push({0, "returning"});  // served once, then idle for a long time
  load.Run(2, /*refill=*/false);
  load.Run(20000);
  ASSERT_EQ(load.served({0, "returning"}), 1);
  for (int i = 0; i < 100; ++i) load.Push({0, "returning"});
  const size_t start = load.order().size();
  load.Run(20);
  int returning = 0;
  for (size_t i = start; i < load.order().size(); ++i) {
    returning += load.order()[i].client == "returning";
  }
  EXPECT_LE(returning, 10 + 1 + 1);  // its half, plus the credit
  EXPECT_GE(returning, 10 - 1);
}

TEST(FairQueueTest, RemovedEntriesAreNeverServedAndFreeTheirClass) {
  FairQueue queue({1, 1});
  const FairQueue::EntryId a1 = queue.Push(0, "a", 1);
  const FairQueue::EntryId a2 = queue.Push(0, "a", 1);
  const FairQueue::EntryId b1 = queue.Push(1, "b", 1);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_TRUE(queue.Remove(a1));
  EXPECT_FALSE(queue.Remove(a1));  // already gone
  EXPECT_FALSE(queue.Remove(FairQueue::kNoEntry));
  EXPECT_EQ(queue.queued(0, "a"), 1u);
  EXPECT_TRUE(queue.Remove(a2));
  EXPECT_EQ(queue.queued(0), 0u);
  EXPECT_EQ(queue.size(), 1u);
  std::optional<FairQueue::Popped> next = queue.Pop();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, b1);
  EXPECT_FALSE(queue.Pop().has_value());
  // An id is not reused for a later entry in the same slot.
  const FairQueue::EntryId again = queue.Push(0, "a", 1);
  EXPECT_NE(again, a1);
  EXPECT_NE(again, a2);
  EXPECT_FALSE(queue.Remove(a2));
  EXPECT_TRUE(queue.Remove(again));
}

TEST(FairQueueTest, FifoInsideAClass) {
  FairQueue queue({1});
  std::vector<FairQueue::EntryId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(queue.Push(0, "a", 1));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.Pop()->id, ids[i]);
}

TEST(FairQueueTest, BlockedTeamsAreSkippedButKeepTheirEntries) {
  FairQueue queue({1, 1});
  queue.Push(0, "a", 1);
  queue.Push(0, "a", 1);
  const FairQueue::EntryId b = queue.Push(1, "b", 1);
  queue.SetBlocked(0, true);
  EXPECT_TRUE(queue.blocked(0));
  EXPECT_TRUE(queue.has_eligible());
  EXPECT_EQ(queue.Pop()->id, b);
  EXPECT_FALSE(queue.has_eligible());
  EXPECT_FALSE(queue.Pop().has_value());
  EXPECT_EQ(queue.size(), 2u);
  // Floors pop a team directly, blocked or not.
  std::optional<FairQueue::Popped> floor = queue.PopFromTeam(0);
  ASSERT_TRUE(floor.has_value());
  EXPECT_EQ(floor->team, 0);
  EXPECT_FALSE(queue.PopFromTeam(1).has_value());
  queue.SetBlocked(0, false);
  EXPECT_TRUE(queue.has_eligible());
  EXPECT_EQ(queue.Pop()->team, 0);
  EXPECT_TRUE(queue.empty());
}

TEST(FairQueueTest, VictimIsTheNewestEntryOfTheMostOverShareClass) {
  FairQueue queue({1, 1});
  std::vector<FairQueue::EntryId> heavy;
  for (int i = 0; i < 6; ++i) heavy.push_back(queue.Push(0, "heavy", 1));
  queue.Push(1, "light", 1);
  // A light request displaces heavy's newest entry.
  EXPECT_EQ(queue.VictimFor(1, "light", 1), heavy.back());
  // A new client of another team too.
  EXPECT_EQ(queue.VictimFor(1, "new", 1), heavy.back());
  // Heavy itself is the most over its share: refuse it instead.
  EXPECT_EQ(queue.VictimFor(0, "heavy", 1), FairQueue::kNoEntry);
  // Inside heavy's team, a new client displaces heavy.
  EXPECT_EQ(queue.VictimFor(0, "other", 1), heavy.back());
  // Team level first: a team at parity refuses its newcomer.
  FairQueue even({1, 1});
  even.Push(0, "a", 1);
  even.Push(1, "b", 1);
  EXPECT_EQ(even.VictimFor(0, "a", 1), FairQueue::kNoEntry);
  // Weights count: team 1 (weight 4) with 3 entries is under its share
  // against team 0 (weight 1) with 2.
  FairQueue weighted({1, 4});
  const FairQueue::EntryId w0 = weighted.Push(0, "x", 1);
  const FairQueue::EntryId w1 = weighted.Push(0, "x", 1);
  for (int i = 0; i < 3; ++i) weighted.Push(1, "y", 1);
  EXPECT_EQ(weighted.VictimFor(1, "y", 1), w1);
  EXPECT_NE(w0, w1);
}

TEST(FairQueueTest, ShareOfCountsOnlyClassesWithWork) {
  FairQueue queue({1, 3});
  EXPECT_DOUBLE_EQ(queue.ShareOf(0, "a", 1), 1.0);  // alone
  queue.Push(1, "b", 1);
  EXPECT_DOUBLE_EQ(queue.ShareOf(0, "a", 1), 0.25);
  EXPECT_DOUBLE_EQ(queue.ShareOf(1, "b", 1), 1.0);
  EXPECT_DOUBLE_EQ(queue.ShareOf(1, "c", 1), 0.5);
  queue.Push(1, "c", 2);
  EXPECT_DOUBLE_EQ(queue.ShareOf(1, "c", 2), 2.0 / 3.0);
}

TEST(FairQueueTest, IdleClientsAreForgotten) {
  FairQueue queue({1});
  // A steady client plus a stream of one-off clients (peer addresses).
  queue.Push(0, "steady", 1);
  for (int i = 0; i < 20000; ++i) {
    queue.Push(0, absl::StrCat("peer-", i), 1);
    queue.Pop();
    queue.Pop();
    queue.Push(0, "steady", 1);
  }
  EXPECT_LT(queue.num_clients(), 10u);
}

TEST(FairQueueTest, RebasingVirtualTimeKeepsTheShares) {
  FairQueue::Options options;
  options.rebase_threshold = 2 * 1000 * FairQueue::kUnit + 1;  // often
  FairQueue queue({1, 2}, options);
  Backlogged load(queue, {{0, "a"}, {1, "b"}, {1, "c"}});
  load.Run(kDecisions);
  ExpectRatio(static_cast<double>(load.team_served(1)) / load.team_served(0),
              2.0);
  ExpectRatio(
      static_cast<double>(load.served({1, "b"})) / load.served({1, "c"}), 1.0);
  // And a class coming back after the rebases still has bounded credit.
  for (int i = 0; i < 100; ++i) load.Push({0, "late"});
  load.Run(30);
  EXPECT_LE(load.served({0, "late"}), 10 + 2);
}

}  // namespace
}  // namespace overlay
