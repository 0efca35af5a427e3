// Copyright 2026 The overlay Authors.

#include "tools/bench/request_call.h"

#include <chrono>
#include <string>

namespace overlay::bench {

RequestCall::RequestCall(const CallSetup* setup, v1::QueryService::Stub* stub,
                         grpc::health::v1::Health::Stub* health_stub,
                         const v1::QueryRequest* request, int64_t start_ns)
    : setup_(setup),
      stub_(stub),
      health_stub_(health_stub),
      request_(request),
      start_ns_(start_ns) {}

int64_t RequestCall::NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

grpc::ClientContext* RequestCall::NewContext() {
  context_ = std::make_unique<grpc::ClientContext>();
  if (setup_->deadline_ms > 0) {
    context_->set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(setup_->deadline_ms));
  }
  rpc_start_ns_ = NowNanos();
  return context_.get();
}

void RequestCall::Start() {
  issued_ns_ = NowNanos();
  if (setup_->rpc == RpcKind::kMetrics) {
    StartMetrics();
  } else if (setup_->rpc == RpcKind::kHealth) {
    StartHealth();
  } else {
    StartQuery();
  }
}

void RequestCall::StartQuery() {
  state_ = State::kQuery;
  // Chunk 0 comes inline when the portal holds it, as overlay_client asks;
  // --no-chunks times Query alone, so it asks for no records at all.
  query_request_ = *request_;
  query_request_.set_inline_first_chunk(setup_->fetch_chunks);
  query_reader_ =
      stub_->PrepareAsyncQuery(NewContext(), query_request_, setup_->cq);
  query_reader_->StartCall();
  query_reader_->Finish(&query_, &status_, this);
}

void RequestCall::StartChunk() {
  state_ = State::kChunk;
  chunk_request_.set_query_id(query_.query_id());
  chunk_request_.set_chunk_index(next_chunk_);
  chunk_.Clear();
  chunk_reader_ =
      stub_->PrepareAsyncGetChunk(NewContext(), chunk_request_, setup_->cq);
  chunk_reader_->StartCall();
  chunk_reader_->Finish(&chunk_, &status_, this);
}

void RequestCall::StartRelease() {
  state_ = State::kRelease;
  v1::ReleaseRequest release;
  release.set_query_id(query_.query_id());
  release_reader_ =
      stub_->PrepareAsyncRelease(NewContext(), release, setup_->cq);
  release_reader_->StartCall();
  release_reader_->Finish(&release_, &status_, this);
}

void RequestCall::StartMetrics() {
  state_ = State::kMetrics;
  metrics_reader_ = stub_->PrepareAsyncGetMetrics(
      NewContext(), v1::MetricsRequest(), setup_->cq);
  metrics_reader_->StartCall();
  metrics_reader_->Finish(&metrics_, &status_, this);
}

void RequestCall::StartHealth() {
  state_ = State::kHealth;
  health_reader_ = health_stub_->PrepareAsyncCheck(
      NewContext(), grpc::health::v1::HealthCheckRequest(), setup_->cq);
  health_reader_->StartCall();
  health_reader_->Finish(&health_, &status_, this);
}

void RequestCall::OnHealth(bool ok) {
  if (!status_.ok()) {
    Fail("Check", status_);
  } else if (health_.status() !=
             grpc::health::v1::HealthCheckResponse::SERVING) {
    Fail("Check", grpc::Status(grpc::StatusCode::UNAVAILABLE, "not serving"));
  } else {
    end_ns_ = NowNanos();
    bytes_ += static_cast<int64_t>(health_.ByteSizeLong());
  }
  Complete();
}

void RequestCall::Proceed(bool ok) {
  if (!lag_recorded_) {
    lag_recorded_ = true;
    if (setup_->open_loop && setup_->stats != nullptr) {
      setup_->stats->start_lag.Record(issued_ns_ - start_ns_);
    }
  }
  if (!ok) {
    // A client unary Finish always reports ok; treat anything else as a
    // failed RPC rather than trusting the status.
    status_ = grpc::Status(grpc::StatusCode::UNKNOWN,
                           "completion queue reported failure");
  }
  switch (state_) {
    case State::kQuery:
      OnQuery(ok);
      break;
    case State::kChunk:
      OnChunk(ok);
      break;
    case State::kRelease:
      OnRelease(ok);
      break;
    case State::kMetrics:
      OnMetrics(ok);
      break;
    case State::kHealth:
      OnHealth(ok);
      break;
  }
}

void RequestCall::Fail(const char* rpc, const grpc::Status& status) {
  failed_ = true;
  failed_rpc_ = rpc;
  failure_ = status;
  end_ns_ = NowNanos();
}

void RequestCall::OnQuery(bool ok) {
  if (!status_.ok()) {
    Fail("Query", status_);
    Complete();  // nothing to release
    return;
  }
  const int64_t now = NowNanos();
  if (setup_->stats != nullptr) {
    setup_->stats->query_latency.Record(now - rpc_start_ns_);
  }
  bytes_ += static_cast<int64_t>(query_.ByteSizeLong());
  if (setup_->fetch_chunks && query_.total_chunks() > 0) {
    next_chunk_ = 0;
    if (query_.has_first_chunk()) {  // chunk 0 came inline with the answer
      records_ += query_.first_chunk().records().utc_seconds_size();
      ++chunks_;
      next_chunk_ = 1;
    }
    if (next_chunk_ < query_.total_chunks()) {
      StartChunk();
      return;
    }
  }
  end_ns_ = now;
  if (query_.query_id().empty()) {
    Complete();
  } else {
    StartRelease();
  }
}

void RequestCall::OnChunk(bool ok) {
  if (!status_.ok()) {
    Fail("GetChunk", status_);
    StartRelease();  // free the result on the node anyway
    return;
  }
  const int64_t now = NowNanos();
  if (setup_->stats != nullptr) {
    setup_->stats->chunk_latency.Record(now - rpc_start_ns_);
  }
  records_ += chunk_.records().utc_seconds_size();
  bytes_ += static_cast<int64_t>(chunk_.ByteSizeLong());
  ++chunks_;
  if (++next_chunk_ < query_.total_chunks()) {
    StartChunk();
    return;
  }
  end_ns_ = now;
  StartRelease();
}

void RequestCall::OnRelease(bool ok) {
  if (setup_->stats != nullptr) {
    if (status_.ok()) {
      setup_->stats->release_latency.Record(NowNanos() - rpc_start_ns_);
    } else {
      ++setup_->stats->release_failures;
    }
  }
  Complete();
}

void RequestCall::OnMetrics(bool ok) {
  if (!status_.ok()) {
    Fail("GetMetrics", status_);
  } else {
    end_ns_ = NowNanos();
    bytes_ += static_cast<int64_t>(metrics_.ByteSizeLong());
  }
  Complete();
}

void RequestCall::Complete() {
  bool ok = !failed_;
  if (ok && setup_->rpc == RpcKind::kQuery && setup_->fetch_chunks &&
      records_ != query_.total_records()) {
    // The latency still ends at the last chunk.
    failed_ = true;
    failed_rpc_ = "GetChunk";
    failure_ = grpc::Status(grpc::StatusCode::DATA_LOSS,
                            "received " + std::to_string(records_) +
                                " records, Query announced " +
                                std::to_string(query_.total_records()));
    ok = false;
  }
  if (RunStats* stats = setup_->stats; stats != nullptr) {
    const int64_t t = end_ns_ - setup_->t0_ns;
    const int64_t latency = end_ns_ - start_ns_;
    if (ok) {
      const int64_t records = setup_->rpc != RpcKind::kQuery ? 0
                              : setup_->fetch_chunks         ? records_
                                                     : query_.total_records();
      stats->AddOk(t, latency, records, bytes_, chunks_,
                   query_.failures_size() > 0);
    } else {
      stats->AddError(t, latency, failure_.error_code(), failed_rpc_,
                      failure_.error_message());
    }
  }
  RequestListener* listener = setup_->listener;
  const int cq_index = setup_->cq_index;
  delete this;
  listener->OnRequestDone(cq_index, ok);
}

}  // namespace overlay::bench
