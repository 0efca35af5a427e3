// Copyright 2026 The overlay Authors.

#include "test/unit/bench/fake_query_service.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reactor/completion_tag.h"

namespace overlay::bench {

// One server-side unary call: awaits its request, hands itself to the
// owner's handler, which answers it (now or later), frees itself once the
// answer is sent. Re-arms a fresh call the moment a request arrives.
template <typename Request, typename Response>
class FakeCall final : public CompletionTag {
 public:
  using Writer = grpc::ServerAsyncResponseWriter<Response>;
  using Requester = std::function<void(grpc::ServerContext*, Request*, Writer*,
                                       grpc::ServerCompletionQueue*, void*)>;
  using Handler = void (FakeQueryService::*)(FakeCall* call);

  FakeCall(FakeQueryService* owner, grpc::ServerCompletionQueue* cq,
           const Requester* requester, Handler handler)
      : owner_(owner),
        cq_(cq),
        requester_(requester),
        handler_(handler),
        writer_(&context_) {
    state_ = State::kAwaitingRequest;
    (*requester_)(&context_, &request_, &writer_, cq_, this);
  }

  void Proceed(bool ok) override {
    switch (state_) {
      case State::kAwaitingRequest:
        if (!ok) {  // shutting down
          delete this;
          return;
        }
        new FakeCall(owner_, cq_, requester_, handler_);
        state_ = State::kHandling;
        (owner_->*handler_)(this);  // answers now or later (Answer)
        return;
      case State::kHandling:
        return;  // nothing of ours is on the queue while handling
      case State::kFinishing:
        delete this;
        return;
    }
  }

  const Request& request() const { return request_; }
  Response* response() { return &response_; }
  grpc::ServerContext* context() { return &context_; }

  // Sends response() (or `status` when it is not OK). Once, from any thread.
  void Answer(const grpc::Status& status) {
    state_ = State::kFinishing;
    if (status.ok()) {
      writer_.Finish(response_, grpc::Status::OK, this);
    } else {
      writer_.FinishWithError(status, this);
    }
  }

 private:
  enum class State { kAwaitingRequest, kHandling, kFinishing };
  ~FakeCall() = default;

  FakeQueryService* const owner_;
  grpc::ServerCompletionQueue* const cq_;
  const Requester* const requester_;
  const Handler handler_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;
  Writer writer_;
  State state_;
};

// How each method's calls ask the service for their next request; one set
// per queue, alive until Shutdown has joined the threads.
struct FakeQueryService::Requesters {
  QueryCall::Requester query;
  ChunkCall::Requester chunk;
  ReleaseCall::Requester release;
  MetricsCall::Requester metrics;
};

FakeQueryService::FakeQueryService(FakeServiceOptions options)
    : options_(options) {}

FakeQueryService::~FakeQueryService() { Shutdown(); }

absl::Status FakeQueryService::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", options_.port),
                           grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  if (options_.minimal_stack) {
    builder.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1);
  }
  for (int i = 0; i < std::max(1, options_.cq_threads); ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError("fake QueryService: cannot listen");
  }
  for (auto& queue : queues_) ArmCalls(queue.get());
  for (auto& queue : queues_) {
    threads_.emplace_back([cq = queue.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (cq->Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Proceed(ok);
    });
  }
  return absl::OkStatus();
}

void FakeQueryService::ArmCalls(grpc::ServerCompletionQueue* cq) {
  auto* service = &service_;
  auto holder = std::make_unique<Requesters>();
  holder->query = [service](grpc::ServerContext* c, v1::QueryRequest* r,
                            QueryCall::Writer* w,
                            grpc::ServerCompletionQueue* q, void* tag) {
    service->RequestQuery(c, r, w, q, q, tag);
  };
  holder->chunk = [service](grpc::ServerContext* c, v1::ChunkRequest* r,
                            ChunkCall::Writer* w,
                            grpc::ServerCompletionQueue* q, void* tag) {
    service->RequestGetChunk(c, r, w, q, q, tag);
  };
  holder->release = [service](grpc::ServerContext* c, v1::ReleaseRequest* r,
                              ReleaseCall::Writer* w,
                              grpc::ServerCompletionQueue* q, void* tag) {
    service->RequestRelease(c, r, w, q, q, tag);
  };
  holder->metrics = [service](grpc::ServerContext* c, v1::MetricsRequest* r,
                              MetricsCall::Writer* w,
                              grpc::ServerCompletionQueue* q, void* tag) {
    service->RequestGetMetrics(c, r, w, q, q, tag);
  };
  Requesters* requesters = holder.get();
  holders_.push_back(std::move(holder));
  for (int i = 0; i < std::max(1, options_.calls_per_method); ++i) {
    new QueryCall(this, cq, &requesters->query, &FakeQueryService::HandleQuery);
    new ChunkCall(this, cq, &requesters->chunk, &FakeQueryService::HandleChunk);
    new ReleaseCall(this, cq, &requesters->release,
                    &FakeQueryService::HandleRelease);
    new MetricsCall(this, cq, &requesters->metrics,
                    &FakeQueryService::HandleMetrics);
  }
}

void FakeQueryService::Shutdown() {
  if (shut_down_ || queues_.empty()) return;
  shut_down_ = true;
  ReleaseHeldChunks(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: shutting down"));
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  for (auto& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {  // Start failed before the threads ran: drain here
    for (auto& queue : queues_) {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) {
        static_cast<CompletionTag*>(tag)->Proceed(ok);
      }
    }
  }
  for (std::thread& thread : threads_) thread.join();
  holders_.clear();
}

std::string FakeQueryService::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::map<std::string, int64_t> FakeQueryService::queries_by_client() const {
  absl::MutexLock lock(&mu_);
  return queries_by_client_;
}

int64_t FakeQueryService::max_chunks_held() const {
  absl::MutexLock lock(&mu_);
  return max_chunks_held_;
}

void FakeQueryService::HandleQuery(QueryCall* call) {
  const v1::QueryRequest& request = call->request();
  v1::QueryResponse* response = call->response();
  const int64_t n = queries_.fetch_add(1) + 1;
  int64_t nth_of_client = 0;
  {
    absl::MutexLock lock(&mu_);
    nth_of_client = ++queries_by_client_[request.client_id()];
  }
  if (!options_.reject_client.empty() &&
      request.client_id() == options_.reject_client &&
      nth_of_client % std::max(1, options_.reject_every_nth) == 0) {
    rejected_queries_.fetch_add(1);
    call->context()->AddTrailingMetadata(
        "grpc-retry-pushback-ms", absl::StrCat(options_.reject_pushback_ms));
    call->Answer(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "fake: client over its share"));
    return;
  }
  if (options_.fail_every_nth_query > 0 &&
      n % options_.fail_every_nth_query == 0) {
    failed_queries_.fetch_add(1);
    call->Answer(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: injected failure"));
    return;
  }
  const int64_t answered = answered_queries_.fetch_add(1) + 1;
  response->set_query_id(absl::StrCat("q", n));
  response->set_total_chunks(options_.chunks_per_query);
  response->set_total_records(int64_t{options_.chunks_per_query} *
                              options_.records_per_chunk);
  response->set_chunk_size(options_.records_per_chunk);
  // As the portal, which sends no chunk inline here: it holds any result
  // with chunks.
  response->set_whole(options_.chunks_per_query == 0);
  response->set_complete(true);
  if (options_.incomplete_every_nth_query > 0 &&
      answered % options_.incomplete_every_nth_query == 0) {
    incomplete_queries_.fetch_add(1);
    response->set_complete(false);
    v1::MissingShare* missing = response->add_missing();
    missing->set_node_id("F");
    missing->set_share("2020-09-13..2020-09-24");
    missing->set_reason(v1::MissingShare::DEADLINE_EXCEEDED);
    missing->set_message("fake: F did not answer in time");
  }
  call->Answer(grpc::Status::OK);
}

void FakeQueryService::HandleChunk(ChunkCall* call) {
  const v1::ChunkRequest& request = call->request();
  v1::ChunkResponse* response = call->response();
  chunks_.fetch_add(1);
  if (request.chunk_index() < 0 ||
      request.chunk_index() >= options_.chunks_per_query) {
    call->Answer(
        grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "fake: no such chunk"));
    return;
  }
  if (request.chunk_index() == options_.fail_chunk_index) {
    call->Answer(grpc::Status(grpc::StatusCode::NOT_FOUND, "fake: chunk gone"));
    return;
  }
  response->set_query_id(request.query_id());
  response->set_chunk_index(request.chunk_index());
  response->set_total_chunks(options_.chunks_per_query);
  response->set_first_record(int64_t{request.chunk_index()} *
                             options_.records_per_chunk);
  v1::RecordChunk* records = response->mutable_records();
  for (int i = 0; i < options_.records_per_chunk; ++i) {
    records->add_utc_seconds(1597017600 + i * 3600);
    records->add_concentration(10.0 + i);
  }
  if (options_.hold_chunks <= 1) {
    call->Answer(grpc::Status::OK);
    return;
  }
  std::vector<ChunkCall*> ready;
  {
    absl::MutexLock lock(&mu_);
    HeldChunks& held = held_[request.query_id()];
    held.calls.push_back(call);
    max_chunks_held_ = std::max<int64_t>(max_chunks_held_, held.calls.size());
    const int unanswered = options_.chunks_per_query - held.answered;
    if (static_cast<int>(held.calls.size()) >=
        std::min(options_.hold_chunks, unanswered)) {
      ready.swap(held.calls);
      held.answered += static_cast<int>(ready.size());
      if (held.answered >= options_.chunks_per_query) {
        held_.erase(request.query_id());
      }
    }
  }
  for (ChunkCall* held_call : ready) held_call->Answer(grpc::Status::OK);
}

void FakeQueryService::ReleaseHeldChunks(const grpc::Status& status) {
  std::vector<ChunkCall*> calls;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [query_id, held] : held_) {
      calls.insert(calls.end(), held.calls.begin(), held.calls.end());
    }
    held_.clear();
  }
  for (ChunkCall* call : calls) call->Answer(status);
}

void FakeQueryService::HandleRelease(ReleaseCall* call) {
  releases_.fetch_add(1);
  call->response()->set_released(true);
  call->Answer(grpc::Status::OK);
}

void FakeQueryService::HandleMetrics(MetricsCall* call) {
  metrics_.fetch_add(1);
  v1::MetricsResponse* response = call->response();
  response->set_node_id("fake");
  response->set_queries_received(queries_.load());
  response->set_cpu_s(0.001 * static_cast<double>(queries_.load()));
  call->Answer(grpc::Status::OK);
}

}  // namespace overlay::bench
