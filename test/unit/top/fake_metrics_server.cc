// Copyright 2026 The overlay Authors.

#include "test/unit/top/fake_metrics_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace overlay::top::testing {

void CallGate::Pass() {
  absl::MutexLock lock(&mu_);
  ++arrived_;
  auto through = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return open_ || arrived_ >= needed_;
  };
  mu_.Await(absl::Condition(&through));
}

void CallGate::Open() {
  absl::MutexLock lock(&mu_);
  open_ = true;
}

int CallGate::arrived() const {
  absl::MutexLock lock(&mu_);
  return arrived_;
}

class FakeMetricsServer::Service final : public v1::QueryService::Service {
 public:
  Service(v1::MetricsResponse reply, FakeMetricsServer* owner)
      : reply_(std::move(reply)), owner_(owner) {}

  grpc::Status GetMetrics(grpc::ServerContext*, const v1::MetricsRequest*,
                          v1::MetricsResponse* response) override {
    const int64_t k = owner_->calls_.fetch_add(1);
    if (owner_->gate_ != nullptr) owner_->gate_->Pass();
    absl::MutexLock lock(&mu_);
    *response = reply_;
    response->set_queries_received(reply_.queries_received() +
                                   k * advance_queries_);
    response->set_cpu_s(reply_.cpu_s() +
                        static_cast<double>(k) * advance_cpu_s_);
    response->set_uptime_s(reply_.uptime_s() +
                           static_cast<double>(k) * advance_uptime_s_);
    return grpc::Status::OK;
  }

  void set_advance(int64_t queries, double cpu_s, double uptime_s) {
    absl::MutexLock lock(&mu_);
    advance_queries_ = queries;
    advance_cpu_s_ = cpu_s;
    advance_uptime_s_ = uptime_s;
  }

  void set_reply(const v1::MetricsResponse& reply) {
    absl::MutexLock lock(&mu_);
    reply_ = reply;
  }

 private:
  absl::Mutex mu_;
  v1::MetricsResponse reply_ ABSL_GUARDED_BY(mu_);
  int64_t advance_queries_ ABSL_GUARDED_BY(mu_) = 0;
  double advance_cpu_s_ ABSL_GUARDED_BY(mu_) = 0;
  double advance_uptime_s_ ABSL_GUARDED_BY(mu_) = 0;
  FakeMetricsServer* const owner_;
};

FakeMetricsServer::FakeMetricsServer(v1::MetricsResponse reply,
                                     std::shared_ptr<CallGate> gate)
    : gate_(std::move(gate)),
      service_(std::make_unique<Service>(std::move(reply), this)) {}

FakeMetricsServer::~FakeMetricsServer() { Shutdown(); }

absl::Status FakeMetricsServer::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError("fake metrics server did not start");
  }
  return absl::OkStatus();
}

void FakeMetricsServer::Shutdown() {
  if (gate_ != nullptr) gate_->Open();
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

std::string FakeMetricsServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void FakeMetricsServer::set_reply(const v1::MetricsResponse& reply) {
  service_->set_reply(reply);
}

void FakeMetricsServer::set_advance_per_call(int64_t queries, double cpu_s,
                                             double uptime_s) {
  service_->set_advance(queries, cpu_s, uptime_s);
}

v1::MetricsResponse MetricsFor(const std::string& id) {
  v1::MetricsResponse m;
  m.set_node_id(id);
  m.set_role("worker");
  m.set_pid(4242);
  m.set_uptime_s(65);
  m.set_rows_loaded(1234);
  m.set_queries_received(10);
  m.set_in_flight(2);
  m.set_queue_depth(1);
  m.set_cpu_s(3.0);
  m.set_rss_bytes(50 * 1024 * 1024);
  v1::LatencySummary* query = m.add_latency();
  query->set_rpc("Query");
  query->set_count(10);
  query->set_p99_ms(2.5);
  return m;
}

}  // namespace overlay::top::testing
