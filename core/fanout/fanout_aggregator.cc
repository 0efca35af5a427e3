// Copyright 2026 The overlay Authors.

#include "core/fanout/fanout_aggregator.h"

#include <utility>

#include "glog/logging.h"

namespace overlay {

FanoutAggregator::FanoutAggregator(ShareMerge* merge,
                                   absl::AnyInvocable<void()> done)
    : merge_(merge), done_(std::move(done)) {}

void FanoutAggregator::StartedAll() {
  started_all_ = true;
  if (outstanding_ == 0 && done_ != nullptr) {
    absl::AnyInvocable<void()> done = std::move(done_);
    done_ = nullptr;
    done();
  }
}

void FanoutAggregator::WhenAnswered(absl::flat_hash_set<std::string> shares,
                                    absl::AnyInvocable<void()> sufficient) {
  for (const std::string& id : answered_) shares.erase(id);
  awaited_ = std::move(shares);
  sufficient_ = std::move(sufficient);
}

void FanoutAggregator::Merge(v1::ShareHit hit) {
  if (!answered_.insert(hit.node_id()).second) return;  // came another way
  const bool awaited = awaited_.erase(hit.node_id()) > 0;
  merge_->AddShare(std::move(hit));
  if (awaited && awaited_.empty() && sufficient_ != nullptr &&
      done_ != nullptr) {
    absl::AnyInvocable<void()> sufficient = std::move(sufficient_);
    sufficient_ = nullptr;
    sufficient();
  }
}

void FanoutAggregator::ReportShare(v1::ShareHit hit) {
  Merge(std::move(hit));
  PartReported();
}

void FanoutAggregator::ReportAnswer(const std::string& neighbor,
                                    v1::ExecuteResponse* answer) {
  for (v1::ShareHit& hit : *answer->mutable_hits()) Merge(std::move(hit));
  for (v1::NodeFailure& failure : *answer->mutable_failures()) {
    failures_.push_back(std::move(failure));
  }
  PartReported();
}

void FanoutAggregator::ReportFailure(const std::string& node_id,
                                     const grpc::Status& status,
                                     int64_t retry_after_ms) {
  v1::NodeFailure& failure = failures_.emplace_back();
  failure.set_node_id(node_id);
  failure.set_code(status.error_code());
  failure.set_message(status.error_message());
  if (retry_after_ms > 0) failure.set_retry_after_ms(retry_after_ms);
  PartReported();
}

void FanoutAggregator::PartReported() {
  DCHECK_GT(outstanding_, 0) << "a part reported twice";
  if (--outstanding_ == 0 && started_all_ && done_ != nullptr) {
    absl::AnyInvocable<void()> done = std::move(done_);
    done_ = nullptr;
    done();
  }
}

}  // namespace overlay
