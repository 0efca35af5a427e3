// Copyright 2026 The overlay Authors.

#include "core/results/overlay_map.h"

#include <algorithm>
#include <grpcpp/support/status.h>

#include <deque>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/results/share_order.h"

namespace overlay {

OverlayMap::OverlayMap(const OverlayConfig& config) {
  for (const ProcessConfig& p : config.processes) {
    index_[p.id] = static_cast<int>(ids_.size());
    ids_.push_back(p.id);
    neighbors_.push_back(p.neighbors);
    if (p.share.has_value()) {
      shares_.push_back(
          ShareInfo{p.id, p.share->DebugString(), p.share->FirstDay(), *p.share});
    }
  }
  std::sort(shares_.begin(), shares_.end(),
            [](const ShareInfo& a, const ShareInfo& b) {
              return ShareBefore(a.first_day, a.node_id, b.first_day,
                                 b.node_id);
            });
  const int n = static_cast<int>(ids_.size());
  share_of_.assign(n, nullptr);
  for (const ShareInfo& share : shares_) {
    share_of_[IndexOf(share.node_id)] = &share;
  }
  distance_.assign(n, std::vector<int>(n, -1));
  for (int from = 0; from < n; ++from) {
    std::deque<int> queue{from};
    distance_[from][from] = 0;
    while (!queue.empty()) {
      const int at = queue.front();
      queue.pop_front();
      for (const std::string& next_id : neighbors_[at]) {
        const int next = IndexOf(next_id);
        if (next < 0 || distance_[from][next] >= 0) continue;
        distance_[from][next] = distance_[from][at] + 1;
        queue.push_back(next);
      }
    }
  }
}

int OverlayMap::IndexOf(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

const ShareInfo* OverlayMap::ShareOf(const std::string& node_id) const {
  for (const ShareInfo& share : shares_) {
    if (share.node_id == node_id) return &share;
  }
  return nullptr;
}

const std::vector<std::string>& OverlayMap::NeighborsOf(
    const std::string& id) const {
  static const std::vector<std::string>* const kNone =
      new std::vector<std::string>();
  const int index = IndexOf(id);
  return index < 0 ? *kNone : neighbors_[index];
}

int OverlayMap::Distance(const std::string& from, const std::string& to) const {
  const int a = IndexOf(from);
  const int b = IndexOf(to);
  if (a < 0 || b < 0) return -1;
  return distance_[a][b];
}

v1::MissingShare::Reason OverlayMap::ReasonFor(int grpc_code) {
  switch (static_cast<grpc::StatusCode>(grpc_code)) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return v1::MissingShare::DEADLINE_EXCEEDED;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
      return v1::MissingShare::UNAVAILABLE;
    default:
      return v1::MissingShare::ERROR;
  }
}

v1::MissingShare OverlayMap::ExplainMissing(
    const ShareInfo& share, const std::vector<v1::NodeFailure>& failures,
    const std::string& portal) const {
  v1::MissingShare missing;
  missing.set_node_id(share.node_id);
  missing.set_share(share.description);
  const v1::NodeFailure* best = nullptr;
  int best_distance = -1;
  for (const v1::NodeFailure& failure : failures) {
    if (failure.node_id() == portal && share.node_id != portal) continue;
    const int distance = Distance(failure.node_id(), share.node_id);
    if (distance < 0) continue;
    if (best == nullptr || distance < best_distance) {
      best = &failure;
      best_distance = distance;
    }
  }
  if (best == nullptr) {
    missing.set_reason(v1::MissingShare::ERROR);
    missing.set_message(absl::StrCat("share of '", share.node_id,
                                     "' was not reached"));
    return missing;
  }
  missing.set_reason(ReasonFor(best->code()));
  missing.set_retry_after_ms(best->retry_after_ms());
  const std::string code = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(best->code()));
  if (best->node_id() == share.node_id) {
    missing.set_message(absl::StrCat("'", share.node_id, "' did not answer: ",
                                     code, ": ", best->message()));
  } else {
    missing.set_message(absl::StrCat("not reached: '", best->node_id(),
                                     "' on the way did not answer: ", code,
                                     ": ", best->message()));
  }
  return missing;
}

}  // namespace overlay

namespace overlay {

bool OverlayMap::CanMatch(const ShareInfo& share,
                          std::optional<int64_t> from_utc,
                          std::optional<int64_t> to_utc) {
  if (!from_utc.has_value() && !to_utc.has_value()) return true;
  constexpr int64_t kDay = 86400;
  auto meets = [&](int64_t day) {
    const int64_t start = day * kDay;
    const int64_t last = start + kDay - 1;
    return (!to_utc || start <= *to_utc) && (!from_utc || last >= *from_utc);
  };
  if (!share.days.days.empty()) {
    for (int64_t day : share.days.days) {
      if (meets(day)) return true;
    }
    return false;
  }
  if (!share.days.first_day || !share.days.last_day) return true;
  // A range meets the window iff it does not end before it nor start after.
  const int64_t first_start = *share.days.first_day * kDay;
  const int64_t last_end = (*share.days.last_day + 1) * kDay - 1;
  return (!to_utc || first_start <= *to_utc) &&
         (!from_utc || last_end >= *from_utc);
}

std::vector<std::string> OverlayMap::NeighborsToAsk(
    const std::string& self, const std::vector<std::string>& path,
    std::optional<int64_t> from_utc, std::optional<int64_t> to_utc) const {
  std::vector<std::string> ask;
  const int me = IndexOf(self);
  if (me < 0) return ask;
  std::vector<char> blocked(ids_.size(), 0);
  blocked[me] = 1;
  for (const std::string& id : path) {
    const int i = IndexOf(id);
    if (i >= 0) blocked[i] = 1;
  }
  const bool windowed = from_utc.has_value() || to_utc.has_value();
  for (const std::string& neighbor : neighbors_[me]) {
    const int start = IndexOf(neighbor);
    if (start < 0 || blocked[start]) continue;
    if (!windowed) {
      ask.push_back(neighbor);
      continue;
    }
    // Is a share that can match reachable from `neighbor` off the path?
    std::vector<char> seen = blocked;
    std::deque<int> queue{start};
    seen[start] = 1;
    bool useful = false;
    while (!queue.empty() && !useful) {
      const int at = queue.front();
      queue.pop_front();
      const ShareInfo* share = share_of_[at];
      if (share != nullptr && CanMatch(*share, from_utc, to_utc)) {
        useful = true;
        break;
      }
      for (const std::string& next_id : neighbors_[at]) {
        const int next = IndexOf(next_id);
        if (next < 0 || seen[next]) continue;
        seen[next] = 1;
        queue.push_back(next);
      }
    }
    if (useful) ask.push_back(neighbor);
  }
  return ask;
}

}  // namespace overlay
