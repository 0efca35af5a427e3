// Copyright 2026 The overlay Authors.
//
// OverlayMap: what every node knows of the whole overlay from the config:
// the graph (undirected edges) and every data share with its owner, in
// result order (see core/results/share_order.h). The portal uses it to
// account for every share of a query (answered or missing, and why); nodes
// use it to find routes. Immutable after construction; thread-safe.

#ifndef OVERLAY_CORE_RESULTS_OVERLAY_MAP_H_
#define OVERLAY_CORE_RESULTS_OVERLAY_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/config/overlay_config.h"
#include "protos/overlay.pb.h"

namespace overlay {

struct ShareInfo {
  std::string node_id;      // the owner
  std::string description;  // DataShare::DebugString()
  int64_t first_day = 0;    // days since the epoch; orders shares
  DataShare days;
};

class OverlayMap final {
 public:
  explicit OverlayMap(const OverlayConfig& config);

  // Every share of the overlay, in result order.
  const std::vector<ShareInfo>& shares() const { return shares_; }
  // The share `node_id` owns, or null.
  const ShareInfo* ShareOf(const std::string& node_id) const;
  const std::vector<std::string>& NeighborsOf(const std::string& id) const;

  // Hops from `from` to `to` over the graph, or -1 if unreachable.
  int Distance(const std::string& from, const std::string& to) const;

  // Why `share` did not answer, from the failures a fan-out collected: the
  // owner's own failure if there is one, else the failed node closest to
  // the owner (it stood on the route). A share nothing explains was not
  // reached (ERROR). The failure's retry hint (an admission rejection's)
  // is kept.
  v1::MissingShare ExplainMissing(
      const ShareInfo& share, const std::vector<v1::NodeFailure>& failures,
      const std::string& portal) const;

  // The missing-share reason for a failed call's status code.
  static v1::MissingShare::Reason ReasonFor(int grpc_code);

  // True if `share` may hold rows timed in [from_utc, to_utc] (inclusive
  // Unix seconds; nullopt: open): some day of the share meets the window.
  // Exact because the loader keeps only rows on their file's day.
  static bool CanMatch(const ShareInfo& share, std::optional<int64_t> from_utc,
                       std::optional<int64_t> to_utc);
  // The neighbours of `self` a query flooded along `path` (portal ... self)
  // still has to ask: those not on the path through which some share that
  // can match the window is reachable without passing the path again.
  // Every path that could reach such a share is kept (a stalled node costs
  // only what cannot be reached without it).
  std::vector<std::string> NeighborsToAsk(
      const std::string& self, const std::vector<std::string>& path,
      std::optional<int64_t> from_utc, std::optional<int64_t> to_utc) const;

 private:
  int IndexOf(const std::string& id) const;

  std::vector<ShareInfo> shares_;
  std::vector<std::string> ids_;
  std::vector<std::vector<std::string>> neighbors_;  // parallel to ids_
  absl::flat_hash_map<std::string, int> index_;
  std::vector<std::vector<int>> distance_;  // all pairs, -1: unreachable
  std::vector<const ShareInfo*> share_of_;   // parallel to ids_; may be null
};

}  // namespace overlay

#endif  // OVERLAY_CORE_RESULTS_OVERLAY_MAP_H_
