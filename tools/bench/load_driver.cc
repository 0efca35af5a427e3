// Copyright 2026 The overlay Authors.

#include "tools/bench/load_driver.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "core/reactor/completion_tag.h"
#include "tools/bench/request_call.h"

namespace overlay::bench {
namespace {

constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
constexpr int64_t kProgressPeriodNs = 1'000'000'000;

void Drain(grpc::CompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    static_cast<CompletionTag*>(tag)->Proceed(ok);
  }
}

// Fires on a queue's thread once every tag queued before it was processed.
class BarrierTag final : public CompletionTag {
 public:
  BarrierTag(grpc::CompletionQueue* cq, absl::BlockingCounter* counter)
      : counter_(counter) {
    alarm_.Set(cq, std::chrono::system_clock::now(), this);
  }
  void Proceed(bool /*ok*/) override { counter_->DecrementCount(); }

 private:
  grpc::Alarm alarm_;
  absl::BlockingCounter* counter_;
};

// Holds a closed-loop slot for a server's retry hint, then hands it back
// through `resume` on the queue's thread. Deletes itself.
class PushbackWait final : public CompletionTag {
 public:
  PushbackWait(grpc::CompletionQueue* cq, int64_t wait_ms,
               std::function<void()> resume)
      : resume_(std::move(resume)) {
    alarm_.Set(
        cq,
        std::chrono::system_clock::now() + std::chrono::milliseconds(wait_ms),
        this);
  }
  // ok == false: the queue is shutting down; the slot goes back all the
  // same, so the phase can end.
  void Proceed(bool /*ok*/) override {
    std::function<void()> resume = std::move(resume_);
    delete this;
    resume();
  }

 private:
  grpc::Alarm alarm_;
  std::function<void()> resume_;
};

}  // namespace

// The shared state of one phase. Every atomic here is seq_cst: the protocol
// between "claim a slot", "claim an index", "stop" and "last one out" is
// easiest to get right with a single total order, and it costs a few
// nanoseconds per request.
//
// Invariants: in_flight_ counts slots held (a request started or a thread
// about to start one); whoever drops it to zero calls MaybeFinish, and so
// does the control thread after it stops issuing, so the phase ends exactly
// once nothing is in flight and nothing more will be issued.
class LoadDriver::Phase final : public RequestListener {
 public:
  Phase(LoadDriver* driver, const PhaseSpec& spec, int64_t total)
      : driver_(driver),
        spec_(spec),
        total_(total < 0 ? kUnbounded : total),
        ns_per_request_(spec.rate > 0 ? 1e9 / spec.rate : 0),
        stats_(driver->queues_.size()),
        setups_(driver->queues_.size()) {
    due_ = spec.rate > 0 ? 0 : total_;
  }

  // Starts the clock (at spec.t0_ns if given); call once, before any
  // request.
  void Begin() {
    t0_ns_ = spec_.t0_ns > 0 ? spec_.t0_ns : RequestCall::NowNanos();
    for (size_t i = 0; i < setups_.size(); ++i) {
      CallSetup& setup = setups_[i];
      setup.rpc = driver_->options_.rpc;
      setup.fetch_chunks = driver_->options_.fetch_chunks;
      setup.parallel = driver_->options_.parallel;
      setup.deadline_ms = driver_->options_.deadline_ms;
      setup.client_id = driver_->options_.client_id;
      setup.open_loop = spec_.rate > 0;
      setup.t0_ns = t0_ns_;
      setup.stats = spec_.record ? &stats_[i] : nullptr;
      setup.listener = this;
      setup.cq = driver_->queues_[i].get();
      setup.cq_index = static_cast<int>(i);
      setup.chunk_replies = &driver_->chunk_replies_[i];
    }
  }

  int64_t t0_ns() const { return t0_ns_; }
  int64_t total() const { return total_; }
  int64_t issued() const { return std::min(next_.load(), total_); }

  // Open loop: requests with index < due may start.
  void PublishDue(int64_t due) { due_.store(std::min(due, total_)); }

  // The scheduled start of request `index` (open loop).
  int64_t DueNanos(int64_t index) const {
    return t0_ns_ + static_cast<int64_t>(std::llround(
                        static_cast<double>(index) * ns_per_request_));
  }

  // Starts up to `max` requests that are due, within the concurrency cap.
  // `cq_index` < 0 spreads them over the queues round-robin.
  void TryStart(int cq_index, int64_t max) {
    for (int64_t n = 0; n < max; ++n) {
      if (in_flight_.fetch_add(1) >= spec_.concurrency) {
        ReleaseSlot();
        return;
      }
      int64_t index = next_.load();
      bool claimed = false;
      while (!stop_.load() && index < std::min(due_.load(), total_)) {
        if (next_.compare_exchange_weak(index, index + 1)) {
          claimed = true;
          break;
        }
      }
      if (!claimed) {
        ReleaseSlot();
        return;
      }
      const int queue =
          cq_index >= 0 ? cq_index
                        : static_cast<int>(rr_.fetch_add(1) % setups_.size());
      StartRequest(index, queue);
    }
  }

  void OnRequestDone(int cq_index, bool ok,
                     int64_t retry_pushback_ms) override {
    (ok ? ok_ : errors_).fetch_add(1);
    if (!ok && retry_pushback_ms > 0 && spec_.rate <= 0 &&
        driver_->options_.honor_pushback && !IssuingOver()) {
      // The slot stays held (in_flight_) while it waits, so the phase
      // cannot end under the alarm. With nothing left to issue there is
      // nothing to wait for.
      new PushbackWait(driver_->queues_[static_cast<size_t>(cq_index)].get(),
                       std::min(retry_pushback_ms, kMaxPushbackWaitMs),
                       [this, cq_index] { ResumeSlot(cq_index); });
      return;
    }
    ResumeSlot(cq_index);
  }

  // Issue nothing more; requests in flight still complete.
  void Stop() {
    stop_.store(true);
    MaybeFinish();
  }

  // Called by the control thread once it will issue nothing more itself.
  void CheckFinished() { MaybeFinish(); }

  // Waits until the phase ended or `deadline` passed; true if ended.
  bool WaitDone(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    while (!done_) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) return done_;
    }
    return true;
  }

  int64_t end_ns() {
    absl::MutexLock lock(&mu_);
    return end_ns_;
  }

  Progress Snapshot() const {
    Progress progress;
    progress.elapsed_s = (RequestCall::NowNanos() - t0_ns_) * 1e-9;
    progress.ok = ok_.load();
    progress.errors = errors_.load();
    progress.in_flight = std::max<int64_t>(0, in_flight_.load());
    return progress;
  }

  std::vector<RunStats>& stats() { return stats_; }

 private:
  void StartRequest(int64_t index, int queue) {
    const BenchOptions& options = driver_->options_;
    const size_t channel = static_cast<size_t>(index) % driver_->stubs_.size();
    const v1::QueryRequest& request =
        driver_->workload_.Entry(index, options.seed).request;
    const int64_t start_ns =
        spec_.rate > 0 ? DueNanos(index) : RequestCall::NowNanos();
    auto* call = new RequestCall(&setups_[queue],
                                 driver_->stubs_[channel].get(),
                                 driver_->generic_stubs_[channel].get(),
                                 driver_->health_stubs_[channel].get(),
                                 &request, start_ns);
    call->Start();  // owned by its queue from here on
  }

  void ResumeSlot(int cq_index) {
    ReleaseSlot();
    TryStart(cq_index, std::numeric_limits<int64_t>::max());
  }

  void ReleaseSlot() {
    if (in_flight_.fetch_sub(1) == 1) MaybeFinish();
  }

  bool IssuingOver() const { return stop_.load() || next_.load() >= total_; }

  void MaybeFinish() {
    if (in_flight_.load() != 0 || !IssuingOver()) return;
    const int64_t now = RequestCall::NowNanos();
    absl::MutexLock lock(&mu_);
    if (done_) return;
    done_ = true;
    end_ns_ = now;
    cv_.SignalAll();
  }

  LoadDriver* const driver_;
  const PhaseSpec spec_;
  const int64_t total_;
  const double ns_per_request_;
  int64_t t0_ns_ = 0;
  std::vector<RunStats> stats_;        // [queue]; written by its thread only
  std::vector<CallSetup> setups_;      // [queue]; read-only once begun
  std::atomic<int64_t> next_{0};       // next request index to claim
  std::atomic<int64_t> due_{0};        // indices below may start
  std::atomic<int64_t> in_flight_{0};  // slots held
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<uint64_t> rr_{0};
  std::atomic<bool> stop_{false};

  absl::Mutex mu_;
  absl::CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int64_t end_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

LoadDriver::LoadDriver(const BenchOptions& options, const Workload& workload)
    : options_(options), workload_(workload) {
  for (int i = 0; i < options_.channels; ++i) {
    grpc::ChannelArguments args;
    // Distinct arguments and a local subchannel pool: one TCP connection
    // per channel instead of one shared by all.
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    args.SetInt("overlay.bench_channel", i);
    args.SetMaxReceiveMessageSize(-1);
    // The bench never retries: a failure is a result. Without the retry
    // filter a call also skips buffering its messages for a retry.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    channels_.push_back(grpc::CreateCustomChannel(
        options_.target,
        options_.credentials != nullptr ? options_.credentials
                                        : grpc::InsecureChannelCredentials(),
        args));
    stubs_.push_back(v1::QueryService::NewStub(channels_.back()));
    generic_stubs_.push_back(
        std::make_unique<grpc::GenericStub>(channels_.back()));
    health_stubs_.push_back(
        grpc::health::v1::Health::NewStub(channels_.back()));
  }
  for (int i = 0; i < options_.cq_threads; ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  chunk_replies_.resize(queues_.size());
  for (auto& queue : queues_) {
    threads_.emplace_back(Drain, queue.get());
  }
}

LoadDriver::~LoadDriver() {
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& thread : threads_) thread.join();
}

absl::Status LoadDriver::Connect(absl::Duration timeout) {
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (!channels_[i]->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", options_.target, " within ",
                       absl::FormatDuration(timeout), " (channel ", i, ")"));
    }
  }
  return absl::OkStatus();
}

PhaseResult LoadDriver::RunPhase(const PhaseSpec& spec) {
  Phase phase(this, spec, spec.requests);
  phase.Begin();
  const int64_t t0 = phase.t0_ns();
  int64_t next_progress = t0 + kProgressPeriodNs;
  // Advances next_progress even without a callback: the waits below are
  // bounded by it.
  auto report_progress = [&](int64_t now) {
    if (now < next_progress) return;
    if (spec.progress) spec.progress(phase.Snapshot());
    next_progress +=
        kProgressPeriodNs * (1 + (now - next_progress) / kProgressPeriodNs);
  };

  if (spec.rate > 0) {
    // Open loop: this thread is the pacer. It publishes which requests are
    // due and starts them; completions also start due ones when a slot
    // frees. Sleeping is coarse (tens of microseconds), so several due
    // requests may start in one wake-up; their latency still counts from
    // their scheduled time.
    for (;;) {
      const int64_t now = RequestCall::NowNanos();
      const int64_t due = std::min(
          phase.total(),
          static_cast<int64_t>(std::floor((now - t0) * spec.rate * 1e-9)) + 1);
      phase.PublishDue(due);
      phase.TryStart(-1, std::numeric_limits<int64_t>::max());
      report_progress(now);
      if (due >= phase.total()) break;
      const int64_t wake = std::min(phase.DueNanos(due), next_progress);
      std::this_thread::sleep_for(
          std::chrono::nanoseconds(std::max<int64_t>(0, wake - now)));
    }
    phase.CheckFinished();
  } else {
    // Closed loop: fill every slot, spread over the queues; from then on
    // each completion starts the next request on its own queue.
    const int queues = static_cast<int>(queues_.size());
    for (int i = 0; i < spec.concurrency; ++i) phase.TryStart(i % queues, 1);
    phase.CheckFinished();
    if (spec.duration_s > 0) {
      const int64_t stop_at = t0 + static_cast<int64_t>(spec.duration_s * 1e9);
      for (;;) {
        const int64_t now = RequestCall::NowNanos();
        if (now >= stop_at) break;
        const int64_t wake = std::min(stop_at, next_progress);
        if (phase.WaitDone(absl::Now() + absl::Nanoseconds(wake - now))) {
          break;
        }
        report_progress(RequestCall::NowNanos());
      }
      phase.Stop();
    }
  }
  while (!phase.WaitDone(absl::Now() + absl::Milliseconds(200))) {
    report_progress(RequestCall::NowNanos());
  }

  // The thread that finished the phase may still be inside its listener
  // call; a barrier through every queue makes sure no thread touches the
  // phase any more before it is destroyed.
  {
    absl::BlockingCounter barrier(static_cast<int>(queues_.size()));
    std::vector<std::unique_ptr<BarrierTag>> tags;
    for (auto& queue : queues_) {
      tags.push_back(std::make_unique<BarrierTag>(queue.get(), &barrier));
    }
    barrier.Wait();
  }

  PhaseResult result;
  result.t0_ns = t0;
  result.issued = phase.issued();
  result.wall_s = (phase.end_ns() - t0) * 1e-9;
  for (RunStats& stats : phase.stats()) result.stats.Merge(stats);
  if (spec.progress) spec.progress(phase.Snapshot());
  return result;
}

}  // namespace overlay::bench
