// Copyright 2026 The overlay Authors.
//
// FanoutAggregator: gathers the answers of one fan-out (this node's share
// and one call per neighbour) into a ShareMerge, records an outcome for
// every part (a share that answered, or a failure naming the node and the
// status), and signals completion exactly once, when every expected part has
// reported. A share reported twice (it answered along two paths of a cyclic
// overlay) is merged once: the first answer wins. The merge is pluggable:
// HitMerge keeps the shares' hits (row results); aggregates can merge
// partial aggregates instead.
//
// Owned by the call that fans out. Reactor-thread only: every part reports
// on the queue of that call.
//
//   HitMerge merge;
//   FanoutAggregator fanout(&merge, [this] { OnFanoutDone(); });
//   fanout.Expect(1 + neighbours);     // before starting any part
//   ... fanout.ReportShare(hit) / ReportAnswer(id, response) /
//       ReportFailure(id, status) ...  // exactly once per part

#ifndef OVERLAY_CORE_FANOUT_FANOUT_AGGREGATOR_H_
#define OVERLAY_CORE_FANOUT_FANOUT_AGGREGATOR_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "protos/overlay.pb.h"

namespace overlay {

class ShareMerge {
 public:
  virtual ~ShareMerge() = default;
  // One share's answer; called at most once per share (node id).
  virtual void AddShare(v1::ShareHit hit) = 0;
};

// Keeps every share's hit, in arrival order.
class HitMerge final : public ShareMerge {
 public:
  void AddShare(v1::ShareHit hit) override { hits_.push_back(std::move(hit)); }
  std::vector<v1::ShareHit>& hits() { return hits_; }

 private:
  std::vector<v1::ShareHit> hits_;
};

class FanoutAggregator final {
 public:
  FanoutAggregator(ShareMerge* merge, absl::AnyInvocable<void()> done);
  FanoutAggregator(const FanoutAggregator&) = delete;
  FanoutAggregator& operator=(const FanoutAggregator&) = delete;

  // Adds `parts` expected reports. REQUIRES: before the parts start (a part
  // may report before its start call returns).
  void Expect(int parts) { outstanding_ += parts; }
  // Completes at once if no part is expected (nothing to ask).
  void StartedAll();
  // Calls `sufficient` once (before completion, on a report's stack) when
  // every share in `shares` has been merged: the owner may answer then and
  // cancel what is still out (it must still wait for completion before it
  // goes away). An empty set is never reported sufficient.
  void WhenAnswered(absl::flat_hash_set<std::string> shares,
                    absl::AnyInvocable<void()> sufficient);

  // This node's share answered.
  void ReportShare(v1::ShareHit hit);
  // A neighbour answered: its shares are merged, its failures recorded.
  void ReportAnswer(const std::string& neighbor, v1::ExecuteResponse* answer);
  // A part failed: the neighbour's call, or (node id = self) the local scan.
  // `retry_after_ms`: the node's retry hint when its admission refused the
  // call (0: none).
  void ReportFailure(const std::string& node_id, const grpc::Status& status,
                     int64_t retry_after_ms = 0);
  // A part ended with nothing to merge nor to report.
  void ReportSkipped() { PartReported(); }

  bool done() const { return done_ == nullptr && started_all_; }
  int outstanding() const { return outstanding_; }
  // Node ids of the shares merged so far.
  const absl::flat_hash_set<std::string>& answered() const {
    return answered_;
  }
  // Every failure reported, including those neighbours relayed.
  std::vector<v1::NodeFailure>& failures() { return failures_; }

 private:
  void Merge(v1::ShareHit hit);
  void PartReported();

  ShareMerge* const merge_;
  absl::AnyInvocable<void()> done_;
  absl::flat_hash_set<std::string> awaited_;  // WhenAnswered's shares left
  absl::AnyInvocable<void()> sufficient_;
  int outstanding_ = 0;
  bool started_all_ = false;
  absl::flat_hash_set<std::string> answered_;
  std::vector<v1::NodeFailure> failures_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_FANOUT_FANOUT_AGGREGATOR_H_
