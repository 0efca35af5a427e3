// Copyright 2026 The overlay Authors.

#include "tools/bench/request_call.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "core/common/retry_pushback.h"

namespace overlay::bench {

std::unique_ptr<v1::ChunkResponse> ChunkReplyPool::Take() {
  if (free_.empty()) return std::make_unique<v1::ChunkResponse>();
  std::unique_ptr<v1::ChunkResponse> reply = std::move(free_.back());
  free_.pop_back();
  return reply;
}

void ChunkReplyPool::Give(std::unique_ptr<v1::ChunkResponse> reply) {
  free_.push_back(std::move(reply));
}

void ChunkReplyPool::ClearKeepingCapacity(v1::ChunkResponse* reply) {
  v1::RecordChunk* records = reply->release_records();
  reply->Clear();
  if (records == nullptr) return;
  records->Clear();  // repeated fields and sites keep what they allocated
  reply->set_allocated_records(records);
}

RequestCall::RequestCall(const CallSetup* setup, v1::QueryService::Stub* stub,
                         grpc::GenericStub* generic_stub,
                         grpc::health::v1::Health::Stub* health_stub,
                         const v1::QueryRequest* request, int64_t start_ns)
    : setup_(setup),
      stub_(stub),
      generic_stub_(generic_stub),
      health_stub_(health_stub),
      request_(request),
      start_ns_(start_ns) {}

int64_t RequestCall::NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<grpc::ClientContext> RequestCall::NewContext(
    int64_t at_least_ms) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (setup_->deadline_ms > 0) {
    context->set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(std::max(setup_->deadline_ms, at_least_ms)));
  }
  return context;
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
  if (!setup_->client_id.empty()) {
    query_request_.set_client_id(setup_->client_id);
  }
  context_ = NewContext();
  rpc_start_ns_ = NowNanos();
  query_reader_ =
      stub_->PrepareAsyncQuery(context_.get(), query_request_, setup_->cq);
  query_reader_->StartCall();
  query_reader_->Finish(&query_, &status_, this);
}

void RequestCall::StartChunks() {
  state_ = State::kChunks;
  while (!failed_ && next_chunk_ < query_.total_chunks() &&
         chunks_in_flight_ < setup_->parallel) {
    ChunkSlot* slot = nullptr;
    for (const std::unique_ptr<ChunkSlot>& candidate : slots_) {
      if (!candidate->in_flight) {
        slot = candidate.get();
        break;
      }
    }
    if (slot == nullptr) {
      slots_.push_back(
          std::make_unique<ChunkSlot>(this, setup_->chunk_replies));
      slot = slots_.back().get();
    }
    slot->in_flight = true;
    ++chunks_in_flight_;
    slot->request.set_query_id(query_.query_id());
    slot->request.set_chunk_index(next_chunk_++);
    slot->request.set_client_id(setup_->client_id);
    slot->context = NewContext();
    slot->start_ns = NowNanos();
    const std::string request = slot->request.SerializeAsString();
    grpc::Slice request_slice(request);
    const grpc::ByteBuffer request_bytes(&request_slice, 1);
    slot->reply_bytes.Clear();
    slot->reader = generic_stub_->PrepareUnaryCall(
        slot->context.get(), "/overlay.v1.QueryService/GetChunk",
        request_bytes, setup_->cq);
    slot->reader->StartCall();
    slot->reader->Finish(&slot->reply_bytes, &slot->status, slot);
  }
}

void RequestCall::StartRelease() {
  state_ = State::kRelease;
  v1::ReleaseRequest release;
  release.set_query_id(query_.query_id());
  release.set_client_id(setup_->client_id);
  // Cleanup is not cut short by a tight request deadline: a Release that
  // times out leaves the result held at the portal until its TTL.
  context_ = NewContext(kReleaseDeadlineMs);
  rpc_start_ns_ = NowNanos();
  release_reader_ =
      stub_->PrepareAsyncRelease(context_.get(), release, setup_->cq);
  release_reader_->StartCall();
  release_reader_->Finish(&release_, &status_, this);
}

void RequestCall::StartMetrics() {
  state_ = State::kMetrics;
  context_ = NewContext();
  rpc_start_ns_ = NowNanos();
  metrics_reader_ = stub_->PrepareAsyncGetMetrics(
      context_.get(), v1::MetricsRequest(), setup_->cq);
  metrics_reader_->StartCall();
  metrics_reader_->Finish(&metrics_, &status_, this);
}

void RequestCall::StartHealth() {
  state_ = State::kHealth;
  context_ = NewContext();
  rpc_start_ns_ = NowNanos();
  health_reader_ = health_stub_->PrepareAsyncCheck(
      context_.get(), grpc::health::v1::HealthCheckRequest(), setup_->cq);
  health_reader_->StartCall();
  health_reader_->Finish(&health_, &status_, this);
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
      OnQuery();
      break;
    case State::kChunks:
      // GetChunk completions arrive on their slots' tags (OnChunk); the
      // call's own tag has nothing in flight in this state.
      break;
    case State::kRelease:
      OnRelease();
      break;
    case State::kMetrics:
      OnMetrics();
      break;
    case State::kHealth:
      OnHealth();
      break;
  }
}

void RequestCall::Fail(const char* rpc, const grpc::Status& status,
                       const grpc::ClientContext* context) {
  failed_ = true;
  failed_rpc_ = rpc;
  failure_ = status;
  failure_pushback_ms_ =
      context != nullptr ? RetryPushbackMs(*context).value_or(-1) : -1;
  end_ns_ = NowNanos();
}

void RequestCall::OnQuery() {
  if (!status_.ok()) {
    Fail("Query", status_, context_.get());
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
      StartChunks();
      return;
    }
  }
  end_ns_ = now;
  if (query_.whole()) {
    Complete();  // the answer was the whole result: nothing is held
  } else {
    StartRelease();
  }
}

void RequestCall::OnChunk(ChunkSlot* slot, bool ok) {
  slot->in_flight = false;
  --chunks_in_flight_;
  if (!ok) {
    slot->status = grpc::Status(grpc::StatusCode::UNKNOWN,
                                "completion queue reported failure");
  }
  if (slot->status.ok()) {
    ChunkReplyPool::ClearKeepingCapacity(slot->response.get());
    grpc::ProtoBufferReader reader(&slot->reply_bytes);
    if (!slot->response->MergeFromBoundedZeroCopyStream(
            &reader, static_cast<int>(slot->reply_bytes.Length()))) {
      slot->status = grpc::Status(grpc::StatusCode::INTERNAL,
                                  "GetChunk reply does not parse");
    }
  }
  if (!slot->status.ok()) {
    if (!failed_) {
      Fail("GetChunk", slot->status, slot->context.get());
      // Stop the rest of the window; their (cancelled) answers still come
      // back here before the Release.
      for (const std::unique_ptr<ChunkSlot>& other : slots_) {
        if (other->in_flight) other->context->TryCancel();
      }
    }
  } else if (!failed_) {
    const int64_t now = NowNanos();
    if (setup_->stats != nullptr) {
      setup_->stats->chunk_latency.Record(now - slot->start_ns);
    }
    records_ += slot->response->records().utc_seconds_size();
    bytes_ += static_cast<int64_t>(slot->reply_bytes.Length());
    ++chunks_;
    end_ns_ = now;
  }
  StartChunks();
  if (chunks_in_flight_ == 0) {
    StartRelease();  // after a failure too: free the result on the node
  }
}

void RequestCall::OnRelease() {
  if (setup_->stats != nullptr) {
    // A pull that failed cancelled its other chunks, and a GetChunk its
    // client cancels frees the result at once: NOT_FOUND is then expected.
    if (status_.ok() ||
        (failed_ && status_.error_code() == grpc::StatusCode::NOT_FOUND)) {
      setup_->stats->release_latency.Record(NowNanos() - rpc_start_ns_);
    } else {
      ++setup_->stats->release_failures;
    }
  }
  Complete();
}

void RequestCall::OnMetrics() {
  if (!status_.ok()) {
    Fail("GetMetrics", status_, context_.get());
  } else {
    end_ns_ = NowNanos();
    bytes_ += static_cast<int64_t>(metrics_.ByteSizeLong());
  }
  Complete();
}

void RequestCall::OnHealth() {
  if (!status_.ok()) {
    Fail("Check", status_, context_.get());
  } else if (health_.status() !=
             grpc::health::v1::HealthCheckResponse::SERVING) {
    Fail("Check", grpc::Status(grpc::StatusCode::UNAVAILABLE, "not serving"),
         nullptr);
  } else {
    end_ns_ = NowNanos();
    bytes_ += static_cast<int64_t>(health_.ByteSizeLong());
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
    failure_pushback_ms_ = -1;
    ok = false;
  }
  if (RunStats* stats = setup_->stats; stats != nullptr) {
    const int64_t t = end_ns_ - setup_->t0_ns;
    const int64_t latency = end_ns_ - start_ns_;
    if (ok) {
      const bool is_query = setup_->rpc == RpcKind::kQuery;
      const int64_t records = !is_query              ? 0
                              : setup_->fetch_chunks ? records_
                                                     : query_.total_records();
      // Partial: the node answered, but not for every share of the overlay.
      stats->AddOk(t, latency, records, bytes_, chunks_,
                   is_query && !query_.complete());
    } else {
      stats->AddError(t, latency, failure_.error_code(), failed_rpc_,
                      failure_.error_message(), failure_pushback_ms_);
    }
  }
  RequestListener* listener = setup_->listener;
  const int cq_index = setup_->cq_index;
  const int64_t pushback_ms = ok ? -1 : failure_pushback_ms_;
  delete this;
  listener->OnRequestDone(cq_index, ok, pushback_ms);
}

}  // namespace overlay::bench
