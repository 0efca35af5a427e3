// Copyright 2026 The overlay Authors.
//
// AdmissionMetrics: a snapshot of one node's admission controller for
// GetMetrics (the node copies it into the proto): the current limit and
// load, and per team and per class (team, client) what was admitted,
// rejected by reason and cancelled, what waits now, and a histogram of the
// queue wait of admitted requests. Plain values; thread-compatible.

#ifndef OVERLAY_CORE_ADMISSION_ADMISSION_METRICS_H_
#define OVERLAY_CORE_ADMISSION_ADMISSION_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/admission/admission_rejection.h"
#include "core/config/overlay_config.h"

namespace overlay {

// Queue wait of admitted requests in fixed buckets (an admission at once
// counts as 0). Bucket i holds waits <= kBoundsUs[i] (and above the bound
// before it); the last bucket holds the rest.
struct QueueWaitHistogram {
  static constexpr std::array<int64_t, 14> kBoundsUs = {
      0,     100,   250,   500,    1000,   2500,   5000,
      10000, 25000, 50000, 100000, 250000, 500000, 1000000};
  std::array<int64_t, kBoundsUs.size() + 1> counts{};

  void Record(int64_t wait_nanos);
  void Add(const QueueWaitHistogram& other);
  int64_t total() const;
  // The upper bound (ms) of the bucket holding quantile q in [0, 1]; the
  // open last bucket reports its lower bound. 0 when empty.
  double PercentileMs(double q) const;
};

// Cumulative since start, except the "now" fields.
struct ClassAdmissionMetrics {
  std::string team;
  // The client, or "(other)": the clients of the team past
  // AdmissionController::kMaxTrackedClasses, counted together.
  std::string client;
  int64_t admitted = 0;   // at once or from the queue
  int64_t cancelled = 0;  // left the queue before a decision
  std::array<int64_t, kNumRejectReasons> rejected{};  // by RejectReason
  int64_t queued = 0;                                 // waiting now
  int64_t in_flight = 0;                              // holding a permit now
  QueueWaitHistogram queue_wait;

  int64_t rejected_total() const;
};

struct TeamAdmissionMetrics {
  std::string name;
  int weight = 1;
  int max_slots = 0;      // strict: its cap; 0 = none
  int min_slots = 0;      // hybrid: its floor; 0 = none
  int64_t in_flight = 0;  // slots held now (follow-ups not counted)
  int64_t queued = 0;
  int64_t admitted = 0;
  int64_t rejected = 0;
};

struct AdmissionMetrics {
  AdmissionStrategy strategy = AdmissionStrategy::kWeighted;
  int limit = 0;          // the concurrency limit (slots)
  int64_t in_flight = 0;  // permits held now, follow-ups included
  int64_t queued = 0;     // waiting now
  int max_queue_total = 0;
  int max_queue_per_client = 0;
  bool overloaded = false;         // CoDel's verdict now
  double expected_service_ms = 0;  // the EWMA the deadline check uses
  int64_t admitted = 0;
  int64_t cancelled = 0;
  std::array<int64_t, kNumRejectReasons> rejected{};
  QueueWaitHistogram queue_wait;               // every class
  std::vector<TeamAdmissionMetrics> teams;     // config order, default last
  std::vector<ClassAdmissionMetrics> classes;  // by team, then client
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_ADMISSION_METRICS_H_
