// Copyright 2026 The overlay Authors.
//
// overlay_client [--target host:port | --config F] [--json] [--records]
//                [--timeout S] [--parallel N] COMMAND [WORDS...]
// COMMAND: query ..., get_all, get_by_key K..., get_by_prefix P (see
// core/wire/query_words.h, including --allow-partial and --no-cache),
// metrics [--all], health, processes [--group G], shutdown.
// metrics --all prints one row per process, then, when the nodes use a
// shared cache, one row per host group's segment and one per node's use of
// it. A query pulls every chunk, up to N at a time (--parallel, default 1) but
// printed in order, checks the count, then releases the result. --timeout
// bounds the whole query (Query, every GetChunk and the Release share one
// deadline, taken when the query starts, and each RPC is sent with what is
// left of it); default 60 s. --json, --records, --timeout and --parallel may
// also follow the command.
// TLS: --ca-file F (and --cert-file F --key-file F for a mutual-TLS overlay);
// with --config and none of them, the config's tls section is used (its CA,
// and for mutual TLS the node certificate). --peer-secret-file F sends the
// overlay's peer secret (Shutdown of an overlay with one needs it).
// Exit codes: 0 a complete answer (or a command that worked); 3 an
// incomplete answer (shares missing) accepted with --allow-partial; 1 an RPC
// or data error, including an incomplete answer without --allow-partial;
// 2 bad arguments.

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/retry_pushback.h"
#include "core/config/overlay_config.h"
#include "core/reactor/completion_tag.h"
#include "core/security/peer_credential.h"
#include "core/security/tls_credentials.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_segment.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/query_words.h"
#include "google/protobuf/util/json_util.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIncomplete = 3;
constexpr int kMaxParallel = 64;
constexpr int kMaxRetries = 10;

using Deadline = std::chrono::system_clock::time_point;

struct ClientOptions {
  std::string target;
  std::string config_path;
  bool json = false;
  bool records = false;
  double timeout_s = 60;  // the whole query; each other command's RPC
  int parallel = 1;       // GetChunk calls in flight at most
  int retries = 2;        // Queries resent after a refusal's retry hint
  ClientTlsFiles tls;     // --ca-file, --cert-file, --key-file
  std::string peer_secret_file;
  // Made from `tls` (or the config's) once the options are read.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string peer_secret;
};

void Usage() {
  std::cerr << "usage: overlay_client [--target host:port | --config F] "
               "[--json] [--records] [--timeout S] [--parallel N] "
               "[--retries N] COMMAND [WORDS...]\n"
               "  --timeout S   deadline of the whole query: Query, chunks "
               "and Release\n"
               "                (default 60)\n"
               "  --parallel N  GetChunk calls in flight, 1.."
            << kMaxParallel
            << " (default 1); output stays in order\n"
               "  --retries N   a Query refused with a retry hint (busy node) "
               "is sent again\n"
               "                after the hint, at most N times (0.."
            << kMaxRetries
            << ", default 2)\n"
               "  --ca-file F   TLS: the overlay's CA (default with --config:"
               " its tls.ca_file)\n"
               "  --cert-file F --key-file F   client certificate (mutual "
               "TLS)\n"
               "  --peer-secret-file F   send the overlay's peer secret "
               "(shutdown)\n"
               "commands:\n"
            << QueryWordsUsage()
            << "  metrics [--all]   (--all needs --config; with the shared "
               "cache segments)\n"
               "  health            grpc.health.v1 Check of the target\n"
               "  processes [--group G]   ids and addresses of --config\n"
               "  shutdown\n"
               "  cache-sweep [DIR]  remove shared cache segments in DIR "
               "(default /dev/shm)\n"
               "                    that no live process is attached to "
               "(left by killed nodes)\n"
               "exit status: 0 complete answer (or command done), 3 "
               "incomplete answer\n"
               "  accepted with --allow-partial, 1 RPC or data error "
               "(an incomplete\n"
               "  answer without --allow-partial too), 2 bad arguments\n";
}

// --timeout's value: a positive, finite number of seconds.
bool ParseTimeout(const std::string& text, double* seconds) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value <= 0) {
    std::cerr << "overlay_client: --timeout: not a positive number of "
                 "seconds: '"
              << text << "'\n";
    return false;
  }
  *seconds = value;
  return true;
}

// The value of `flag`: an integer in [low, high].
bool ParseIntFlag(const char* flag, const std::string& text, int low, int high,
                  int* out) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < low || value > high) {
    std::cerr << "overlay_client: " << flag << ": not an integer in [" << low
              << ", " << high << "]: '" << text << "'\n";
    return false;
  }
  *out = value;
  return true;
}

std::string CodeName(const grpc::Status& status) {
  // absl's names are gRPC's (both follow google.rpc.Code), upper-cased.
  std::string code = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  for (char& c : code) {
    c = c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  }
  return code;
}

int RpcError(const grpc::Status& status) {
  std::cerr << "error: " << CodeName(status) << ": " << status.error_message()
            << "\n";
  return kExitError;
}

// The retry hint (ms > 0) of a refusal by a busy node: admission answers
// RESOURCE_EXHAUSTED or UNAVAILABLE with grpc-retry-pushback-ms.
std::optional<int64_t> RetryHintMs(const grpc::ClientContext& context,
                                   const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED &&
      status.error_code() != grpc::StatusCode::UNAVAILABLE) {
    return std::nullopt;
  }
  const std::optional<int64_t> ms = RetryPushbackMs(context);
  if (!ms.has_value() || *ms == 0) return std::nullopt;
  return ms;
}

Deadline DeadlineIn(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

void SetDeadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(DeadlineIn(seconds));
}

// The enum name ("DEADLINE_EXCEEDED"), or the number for a reason this
// build does not know (as the Python client prints it).
std::string ReasonName(int reason) {
  const std::string& name = v1::MissingShare_Reason_Name(reason);
  return name.empty() ? absl::StrCat(reason) : name;
}

// "1 of 6 shares missing: F 2020-09-13..2020-09-24 (DEADLINE_EXCEEDED), ..."
std::string MissingText(const v1::QueryResponse& response) {
  std::string text = absl::StrCat(
      response.missing_size(), " of ",
      response.shares_size() + response.missing_size(), " shares missing");
  const char* separator = ": ";
  for (const v1::MissingShare& m : response.missing()) {
    absl::StrAppend(&text, separator, m.node_id(), " ", m.share(), " (",
                    ReasonName(m.reason()), ")");
    separator = ", ";
  }
  return text;
}

// Pulls chunks [first, total) of one result with at most `window` GetChunk
// calls in flight, on a completion queue it owns, and hands them out in
// index order: chunk i is asked for only once every chunk before i - window
// has been handed out, so it never holds more than `window` chunks. Owns
// the queue and one call slot per place of the window; every call carries
// the query's deadline. Thread-compatible: the one thread that calls Next
// also drains the queue (it has no thread of its own).
//
//   ChunkPuller puller(&stub, id, client_id, 1, total, 4, deadline);
//   for (...) { grpc::Status s = puller.Next(&chunk); ... }
class ChunkPuller final {
 public:
  // `client_id` is the Query's: the portal binds results to it.
  ChunkPuller(v1::QueryService::Stub* stub, std::string query_id,
              std::string client_id, int32_t first, int32_t total, int window,
              Deadline deadline)
      : stub_(stub),
        query_id_(std::move(query_id)),
        client_id_(std::move(client_id)),
        next_(first),
        issued_(first),
        total_(total),
        deadline_(deadline) {
    for (int i = 0; i < window; ++i) slots_.push_back(std::make_unique<Slot>());
    Fill();
  }
  // Cancels the calls still in flight and drains the queue.
  ~ChunkPuller() {
    for (const std::unique_ptr<Slot>& slot : slots_) {
      if (slot->in_flight && !slot->done) slot->context->TryCancel();
    }
    for (const std::unique_ptr<Slot>& slot : slots_) {
      while (slot->in_flight && !slot->done) Drain();
    }
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Proceed(ok);
  }
  ChunkPuller(const ChunkPuller&) = delete;
  ChunkPuller& operator=(const ChunkPuller&) = delete;

  // The next chunk in index order, or the error of its GetChunk. REQUIRES:
  // fewer calls than total - first so far, and none returned an error.
  grpc::Status Next(v1::ChunkResponse* chunk) {
    Slot& slot = SlotOf(next_);
    while (!slot.done) Drain();
    *chunk = std::move(slot.response);
    grpc::Status status = std::move(slot.status);
    slot.in_flight = false;
    slot.done = false;
    ++next_;
    if (status.ok()) Fill();  // keep the window full while the caller works
    return status;
  }

 private:
  // One GetChunk call: its context, reader, reply and status.
  struct Slot final : public CompletionTag {
    void Proceed(bool ok) override {
      // A client unary Finish always reports ok; anything else is a failed
      // call, whatever the status says.
      if (!ok) {
        status = grpc::Status(grpc::StatusCode::UNKNOWN,
                              "completion queue reported failure");
      }
      done = true;
    }
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ChunkResponse>> reader;
    v1::ChunkResponse response;
    grpc::Status status;
    bool in_flight = false;
    bool done = false;
  };

  Slot& SlotOf(int32_t index) {
    return *slots_[static_cast<size_t>(index) % slots_.size()];
  }

  // Asks for every chunk the window allows.
  void Fill() {
    const int64_t window_end =
        static_cast<int64_t>(next_) + static_cast<int64_t>(slots_.size());
    while (issued_ < total_ && issued_ < window_end) {
      Slot& slot = SlotOf(issued_);
      slot.context = std::make_unique<grpc::ClientContext>();
      slot.context->set_deadline(deadline_);
      slot.response.Clear();
      slot.in_flight = true;
      slot.done = false;
      v1::ChunkRequest request;
      request.set_query_id(query_id_);
      request.set_chunk_index(issued_);
      request.set_client_id(client_id_);
      slot.reader =
          stub_->PrepareAsyncGetChunk(slot.context.get(), request, &cq_);
      slot.reader->StartCall();
      slot.reader->Finish(&slot.response, &slot.status, &slot);
      ++issued_;
    }
  }

  // Processes one completion.
  void Drain() {
    void* tag = nullptr;
    bool ok = false;
    if (cq_.Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Proceed(ok);
  }

  v1::QueryService::Stub* const stub_;
  const std::string query_id_;
  const std::string client_id_;
  int32_t next_;    // next chunk to hand out
  int32_t issued_;  // next chunk to ask for
  const int32_t total_;
  const Deadline deadline_;
  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Slot>> slots_;  // chunk i in slots_[i % size]
};

// Best effort: the result also expires on its own. An answer that carried
// the whole result (whole == true) left nothing to release.
void Release(v1::QueryService::Stub& stub, const v1::QueryResponse& response,
             const std::string& client_id, Deadline deadline) {
  if (response.whole()) return;
  v1::ReleaseRequest release;
  release.set_query_id(response.query_id());
  release.set_client_id(client_id);
  v1::ReleaseResponse released;
  grpc::ClientContext context;
  context.set_deadline(deadline);
  (void)stub.Release(&context, release, &released);
}

std::string OptionalText(const std::optional<double>& v) {
  return v ? FormatDouble(*v) : "-";
}
std::string OptionalText(const std::optional<int>& v) {
  return v ? absl::StrCat(*v) : "-";
}

void PrintRecordRow(const Record& r) {
  std::printf("%-16s %-6s %9s %9s %-5s %4s %3s %10.5f %11.5f %-12s %s\n",
              FormatUtc(r.utc).c_str(), r.parameter.c_str(),
              OptionalText(r.concentration).c_str(),
              OptionalText(r.raw_concentration).c_str(), r.unit.c_str(),
              OptionalText(r.aqi).c_str(), OptionalText(r.category).c_str(),
              r.latitude, r.longitude, r.full_aqs_id.c_str(),
              r.site_name.c_str());
}

// The JSON header line (before the record lines of --json --records).
std::string JsonHeader(const v1::QueryResponse& response, int64_t received,
                       double elapsed_ms) {
  std::string shares;
  for (const v1::ShareResult& s : response.shares()) {
    absl::StrAppend(&shares, shares.empty() ? "" : ",",
                    "{\"node_id\":", JsonQuote(s.node_id()),
                    ",\"share\":", JsonQuote(s.share()),
                    ",\"records\":", s.records(), ",\"chunks\":", s.chunks(),
                    "}");
  }
  std::string failures;
  for (const v1::NodeFailure& f : response.failures()) {
    absl::StrAppend(&failures, failures.empty() ? "" : ",",
                    "{\"node_id\":", JsonQuote(f.node_id()),
                    ",\"code\":", f.code(),
                    ",\"message\":", JsonQuote(f.message()), "}");
  }
  std::string missing;
  for (const v1::MissingShare& m : response.missing()) {
    absl::StrAppend(&missing, missing.empty() ? "" : ",",
                    "{\"node_id\":", JsonQuote(m.node_id()),
                    ",\"share\":", JsonQuote(m.share()),
                    ",\"reason\":", JsonQuote(ReasonName(m.reason())),
                    ",\"message\":", JsonQuote(m.message()), "}");
  }
  return absl::StrFormat(
      "{\"query_id\":%s,\"total_records\":%d,\"total_chunks\":%d,"
      "\"chunk_size\":%d,\"records_received\":%d,\"elapsed_ms\":%s,"
      "\"shares\":[%s],\"failures\":[%s],\"complete\":%s,\"missing\":[%s]}",
      JsonQuote(response.query_id()), response.total_records(),
      response.total_chunks(), response.chunk_size(), received,
      FormatDouble(elapsed_ms), shares, failures,
      response.complete() ? "true" : "false", missing);
}

int RunQuery(v1::QueryService::Stub& stub, const ClientOptions& options,
             const std::vector<std::string>& words) {
  absl::StatusOr<v1::QueryRequest> request = ParseQueryWords(words);
  if (!request.ok()) {
    std::cerr << "overlay_client: " << request.status().message() << "\n";
    Usage();
    return kExitUsage;
  }
  request->set_inline_first_chunk(true);
  const auto start = std::chrono::steady_clock::now();
  // One deadline for the whole query: every RPC below gets what is left.
  const Deadline deadline = DeadlineIn(options.timeout_s);
  v1::QueryResponse response;
  for (int retry = 0;; ++retry) {
    grpc::ClientContext context;
    context.set_deadline(deadline);
    const grpc::Status status = stub.Query(&context, *request, &response);
    if (status.ok()) break;
    // A busy node's refusal: nothing ran; wait out its hint and ask again,
    // if the deadline leaves time for it.
    const std::optional<int64_t> hint = RetryHintMs(context, status);
    if (!hint.has_value() || retry >= options.retries) return RpcError(status);
    const auto wait = std::chrono::milliseconds(*hint);
    if (std::chrono::system_clock::now() + wait >= deadline) {
      std::cerr << "overlay_client: retry hint " << *hint
                << " ms is past the deadline; not retrying\n";
      return RpcError(status);
    }
    std::cerr << "overlay_client: " << CodeName(status) << ": "
              << status.error_message() << "; retrying in " << *hint
              << " ms (retry " << retry + 1 << " of " << options.retries
              << ")\n";
    std::this_thread::sleep_for(wait);
  }
  // Strict unless asked: a node that answers incomplete although the
  // request did not allow it breaks the contract; refuse the answer.
  const bool complete = response.complete();
  if (!complete && !request->allow_partial()) {
    Release(stub, response, request->client_id(), deadline);
    std::cerr << "error: incomplete answer (" << MissingText(response)
              << "); pass --allow-partial to accept it\n";
    return kExitError;
  }
  std::vector<std::string> lines;
  int64_t received = 0;
  int printed = 0;
  if (!options.json) {
    std::printf("query %s: %lld records in %d chunks of %d\n",
                response.query_id().c_str(),
                static_cast<long long>(response.total_records()),
                response.total_chunks(), response.chunk_size());
    for (const v1::ShareResult& share : response.shares()) {
      std::printf("  share %s %s: %lld records\n", share.node_id().c_str(),
                  share.share().c_str(),
                  static_cast<long long>(share.records()));
    }
    for (const v1::NodeFailure& failure : response.failures()) {
      std::printf("  FAILED %s: code %d: %s\n", failure.node_id().c_str(),
                  failure.code(), failure.message().c_str());
    }
    for (const v1::MissingShare& m : response.missing()) {
      std::printf("  MISSING %s %s: %s: %s\n", m.node_id().c_str(),
                  m.share().c_str(), ReasonName(m.reason()).c_str(),
                  m.message().c_str());
    }
  }
  const bool inline_first =
      response.total_chunks() > 0 && response.has_first_chunk();
  std::optional<ChunkPuller> puller;
  if (response.total_chunks() > (inline_first ? 1 : 0)) {
    puller.emplace(&stub, response.query_id(), request->client_id(),
                   inline_first ? 1 : 0,
                   response.total_chunks(), options.parallel, deadline);
  }
  for (int32_t index = 0; index < response.total_chunks(); ++index) {
    v1::ChunkResponse chunk;
    if (index == 0 && inline_first) {
      chunk = response.first_chunk();
    } else {
      grpc::Status status = puller->Next(&chunk);
      if (!status.ok()) {
        puller.reset();  // cancels the other chunks in flight
        Release(stub, response, request->client_id(), deadline);
        return RpcError(status);
      }
    }
    absl::StatusOr<std::vector<Record>> records = DecodeChunk(chunk.records());
    if (!records.ok()) {
      puller.reset();
      Release(stub, response, request->client_id(), deadline);
      std::cerr << "error: chunk " << index << ": "
                << records.status().message() << "\n";
      return kExitError;
    }
    received += static_cast<int64_t>(records->size());
    if (options.json) {
      if (options.records) {
        for (const Record& r : *records) lines.push_back(RecordToJson(r));
      }
    } else {
      for (const Record& r : *records) {
        if (!options.records && printed >= 10) break;
        if (printed == 0) {
          std::printf("%-16s %-6s %9s %9s %-5s %4s %3s %10s %11s %-12s %s\n",
                      "utc", "param", "conc", "raw", "unit", "aqi", "cat",
                      "lat", "lon", "full_aqs_id", "site");
        }
        PrintRecordRow(r);
        ++printed;
      }
    }
  }
  puller.reset();
  Release(stub, response, request->client_id(), deadline);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(
          std::chrono::steady_clock::now() - start)
          .count();
  if (options.json) {
    std::puts(JsonHeader(response, received, elapsed_ms).c_str());
    for (const std::string& line : lines) std::puts(line.c_str());
  } else {
    if (printed < received) {
      std::printf("... %lld more (use --records for all)\n",
                  static_cast<long long>(received - printed));
    }
    std::printf("received %lld records in %.1f ms\n",
                static_cast<long long>(received), elapsed_ms);
    if (!complete) {
      std::printf("INCOMPLETE: %s\n", MissingText(response).c_str());
    }
  }
  if (received != response.total_records()) {
    std::cerr << "error: received " << received << " records, expected "
              << response.total_records() << "\n";
    return kExitError;
  }
  return complete ? kExitOk : kExitIncomplete;
}

absl::StatusOr<v1::MetricsResponse> FetchMetrics(
    const std::string& target, double timeout_s,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  auto stub = v1::QueryService::NewStub(
      grpc::CreateChannel(target, credentials));
  grpc::ClientContext context;
  SetDeadline(context, timeout_s);
  v1::MetricsResponse response;
  grpc::Status status = stub->GetMetrics(&context, v1::MetricsRequest(),
                                         &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return response;
}

double QueryP99(const v1::MetricsResponse& m) {
  for (const v1::LatencySummary& s : m.latency()) {
    if (s.rpc() == "Query") return s.p99_ms();
  }
  return kExitOk;
}

// The shared cache segments of the nodes that answered: one line per host
// group (the segment's own counters, the same from every node attached to
// it; attach errors summed over its nodes), then one per node (what it did
// with the cache; rss_mb without the segment's pages).
void PrintSharedCaches(
    const std::vector<std::pair<const ProcessConfig*, v1::MetricsResponse>>&
        up) {
  bool any = false;
  for (const auto& [p, m] : up) {
    any |= m.has_shared_cache() &&
           (m.shared_cache().enabled() || m.shared_cache().attach_errors() > 0);
  }
  if (!any) return;
  struct Group {
    const v1::SharedCacheMetrics* segment = nullptr;  // an attached node's
    int nodes = 0;
    int attached = 0;
    int64_t attach_errors = 0;
  };
  std::vector<std::pair<std::string, Group>> groups;  // in config order
  for (const auto& entry : up) {
    const ProcessConfig* p = entry.first;
    const v1::MetricsResponse& m = entry.second;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return g.first == p->host_group;
    });
    if (it == groups.end()) {
      groups.emplace_back(p->host_group, Group());
      it = std::prev(groups.end());
    }
    Group& group = it->second;
    const v1::SharedCacheMetrics& cache = m.shared_cache();
    ++group.nodes;
    group.attach_errors += cache.attach_errors();
    if (cache.enabled()) {
      ++group.attached;
      if (group.segment == nullptr) group.segment = &cache;
    }
  }
  std::printf("\n%-10s %-5s %9s %9s %8s %10s %9s %9s %8s %8s %6s %9s  %s\n",
              "cache", "nodes", "size_mb", "used_mb", "entries", "hits",
              "misses", "inserts", "evicted", "expired", "torn",
              "attach_err", "segment");
  for (const auto& [name, group] : groups) {
    const std::string nodes = absl::StrCat(group.attached, "/", group.nodes);
    if (group.segment == nullptr) {
      std::printf("%-10s %-5s %9s %9s %8s %10s %9s %9s %8s %8s %6s %9lld  %s\n",
                  name.c_str(), nodes.c_str(), "-", "-", "-", "-", "-", "-",
                  "-", "-", "-", static_cast<long long>(group.attach_errors),
                  "off");
      continue;
    }
    const v1::SharedCacheMetrics& c = *group.segment;
    const v1::SharedCacheCounters& n = c.segment_counters();
    std::printf(
        "%-10s %-5s %9.1f %9.1f %8lld %10lld %9lld %9lld %8lld %8lld %6lld "
        "%9lld  %s\n",
        name.c_str(), nodes.c_str(), c.segment_bytes() / 1048576.0,
        c.bytes_used() / 1048576.0, static_cast<long long>(c.entries()),
        static_cast<long long>(n.hits()), static_cast<long long>(n.misses()),
        static_cast<long long>(n.inserts()),
        static_cast<long long>(n.evictions()),
        static_cast<long long>(n.expired()),
        static_cast<long long>(n.torn_read_retries()),
        static_cast<long long>(group.attach_errors), c.segment().c_str());
  }
  std::printf("\n%-4s %-9s %9s %9s %10s %10s %8s %8s %9s %11s  %s\n", "id",
              "cache", "plan_hits", "plan_miss", "chunk_hits", "chunk_miss",
              "stored", "ahead", "stateless", "rss_priv_mb", "note");
  for (const auto& [p, m] : up) {
    const v1::SharedCacheMetrics& c = m.shared_cache();
    std::printf(
        "%-4s %-9s %9lld %9lld %10lld %10lld %8lld %8lld %9lld %11.1f  %s\n",
        p->id.c_str(), c.enabled() ? c.attach_mode().c_str() : "off",
        static_cast<long long>(c.plan_hits()),
        static_cast<long long>(c.plan_misses()),
        static_cast<long long>(c.chunk_hits()),
        static_cast<long long>(c.chunk_misses()),
        static_cast<long long>(c.chunks_stored()),
        static_cast<long long>(c.chunks_preencoded()),
        static_cast<long long>(c.stateless_chunks()),
        (m.rss_bytes() - m.rss_shmem_bytes()) / 1048576.0,
        c.enabled() ? "" : c.error().c_str());
  }
}

// "over_share=3 queue_full=1" (in the node's order), or "-".
std::string ReasonCounts(
    const google::protobuf::RepeatedPtrField<v1::RejectionCount>& counts) {
  std::string out;
  for (const v1::RejectionCount& count : counts) {
    if (!out.empty()) out += ' ';
    out += count.reason() + "=" + std::to_string(count.count());
  }
  return out.empty() ? "-" : out;
}

// After metrics --all's node table: each node's admission pools, then the
// classes that were admitted or rejected anywhere.
void PrintAdmission(
    const std::vector<std::pair<const ProcessConfig*, v1::MetricsResponse>>&
        nodes) {
  bool any = false;
  for (const auto& [p, m] : nodes) any |= m.admission_size() > 0;
  if (!any) return;
  std::printf("\nadmission (since start; admitted includes follow-ups):\n");
  std::printf("%-4s %-8s %6s %6s %6s %10s %9s %12s  %s\n", "id", "pool",
              "limit", "inflt", "queue", "admitted", "rejected",
              "wait_p99_ms", "rejected_by_reason");
  for (const auto& [p, m] : nodes) {
    for (const v1::AdmissionPoolMetrics& pool : m.admission()) {
      std::printf("%-4s %-8s %6d %6lld %6lld %10lld %9lld %12.3f  %s\n",
                  p->id.c_str(), pool.pool().c_str(), pool.limit(),
                  static_cast<long long>(pool.in_flight()),
                  static_cast<long long>(pool.queued()),
                  static_cast<long long>(pool.admitted()),
                  static_cast<long long>(pool.rejected()),
                  pool.queue_wait_p99_ms(),
                  ReasonCounts(pool.rejected_by_reason()).c_str());
    }
  }
  bool header = false;
  for (const auto& [p, m] : nodes) {
    for (const v1::AdmissionPoolMetrics& pool : m.admission()) {
      for (const v1::AdmissionClassMetrics& c : pool.classes()) {
        if (c.admitted() == 0 && c.rejected() == 0 && c.queued() == 0) {
          continue;
        }
        if (!header) {
          std::printf("\nadmission classes:\n");
          std::printf("%-4s %-8s %-12s %-24s %10s %9s %6s %12s  %s\n", "id",
                      "pool", "team", "client", "admitted", "rejected",
                      "queue", "wait_p99_ms", "rejected_by_reason");
          header = true;
        }
        std::printf("%-4s %-8s %-12s %-24s %10lld %9lld %6lld %12.3f  %s\n",
                    p->id.c_str(), pool.pool().c_str(), c.team().c_str(),
                    c.client().c_str(), static_cast<long long>(c.admitted()),
                    static_cast<long long>(c.rejected()),
                    static_cast<long long>(c.queued()), c.queue_wait_p99_ms(),
                    ReasonCounts(c.rejected_by_reason()).c_str());
      }
    }
  }
}

int RunMetrics(const ClientOptions& options, bool all) {
  if (!all) {
    absl::StatusOr<v1::MetricsResponse> m =
        FetchMetrics(options.target, options.timeout_s, options.credentials);
    if (!m.ok()) {
      std::cerr << "error: " << m.status().message() << "\n";
      return kExitError;
    }
    if (options.json) {
      std::string text;
      google::protobuf::util::JsonPrintOptions print;
      (void)google::protobuf::util::MessageToJsonString(*m, &text, print);
      std::puts(text.c_str());
    } else {
      std::puts(m->DebugString().c_str());
    }
    return kExitOk;
  }
  if (options.config_path.empty()) {
    std::cerr << "overlay_client: metrics --all needs --config\n";
    return kExitUsage;
  }
  absl::StatusOr<OverlayConfig> config =
      LoadOverlayConfig(options.config_path);
  if (!config.ok()) {
    std::cerr << "overlay_client: " << config.status().message() << "\n";
    return kExitUsage;
  }
  std::printf("%-4s %-12s %-6s %-21s %-5s %9s %8s %8s %6s %8s %7s %9s\n",
              "id", "role", "team", "address", "state", "rows", "queries",
              "executed", "inflt", "rss_mb", "cpu_s", "q_p99_ms");
  int down = 0;
  std::vector<std::pair<const ProcessConfig*, v1::MetricsResponse>> up;
  for (const ProcessConfig& p : config->processes) {
    absl::StatusOr<v1::MetricsResponse> m =
        FetchMetrics(p.Address(), std::min(options.timeout_s, 2.0),
                     options.credentials);
    if (m.ok()) up.emplace_back(&p, *m);
    if (!m.ok()) {
      ++down;
      std::printf("%-4s %-12s %-6s %-21s %-5s\n", p.id.c_str(),
                  std::string(RoleName(p.role)).c_str(), p.team.c_str(),
                  p.Address().c_str(), "down");
      continue;
    }
    std::printf("%-4s %-12s %-6s %-21s %-5s %9lld %8lld %8lld %6lld %8.1f "
                "%7.2f %9.3f\n",
                p.id.c_str(), m->role().c_str(), m->team().c_str(),
                p.Address().c_str(), "up",
                static_cast<long long>(m->rows_loaded()),
                static_cast<long long>(m->queries_received()),
                static_cast<long long>(m->queries_executed()),
                static_cast<long long>(m->in_flight()),
                m->rss_bytes() / 1048576.0, m->cpu_s(), QueryP99(*m));
  }
  PrintSharedCaches(up);
  PrintAdmission(up);
  return down == 0 ? kExitOk : kExitError;
}

// Lists "id host:port" of every process of --config (of host group G with
// --group G): scripts use it to start and watch nodes.
int RunProcesses(const ClientOptions& options,
                 const std::vector<std::string>& words) {
  if (options.config_path.empty()) {
    std::cerr << "overlay_client: processes needs --config\n";
    return kExitUsage;
  }
  absl::StatusOr<OverlayConfig> config =
      LoadOverlayConfig(options.config_path);
  if (!config.ok()) {
    std::cerr << "overlay_client: " << config.status().message() << "\n";
    return kExitUsage;
  }
  std::string group;
  if (words.size() == 3 && words[1] == "--group") group = words[2];
  int listed = 0;
  for (const ProcessConfig& p : config->processes) {
    if (!group.empty() && p.host_group != group) continue;
    std::printf("%s %s\n", p.id.c_str(), p.Address().c_str());
    ++listed;
  }
  if (listed == 0) {
    std::cerr << "overlay_client: no process in host group '" << group
              << "'\n";
    return kExitUsage;
  }
  return kExitOk;
}

// grpc.health.v1.Health/Check through a generic stub (no generated code
// needed): the request is empty; the reply's field 1 is the status enum.
int RunHealth(const ClientOptions& options) {
  auto channel = grpc::CreateChannel(options.target, options.credentials);
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  SetDeadline(context, std::min(options.timeout_s, 5.0));
  grpc::ByteBuffer request;
  grpc::Slice empty;
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer reply;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    request, &cq);
  call->StartCall();
  int finished_tag = 0;  // this private queue carries one operation
  call->Finish(&reply, &status, &finished_tag);
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return RpcError(status);
  std::vector<grpc::Slice> slices;
  (void)reply.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  const bool serving = bytes.size() == 2 && bytes[0] == 0x08 && bytes[1] == 1;
  std::printf("%s %s\n", options.target.c_str(),
              serving ? "SERVING" : "NOT_SERVING");
  return serving ? kExitOk : kExitError;
}

enum class Taken { kYes, kNo, kBad };

// Takes the client option at args[*i] (and its value, as the next word or
// after '=') into `options`, advancing *i past it. Before the command every
// option is known; after it only --json, --records, --timeout and
// --parallel (the rest are query words). kBad: a message was printed.
Taken TakeOption(const std::vector<std::string>& args, size_t* i,
                 bool before_command, ClientOptions* options) {
  const std::string& arg = args[*i];
  const size_t eq = arg.find('=');
  const std::string name = arg.substr(0, eq);
  const bool takes_value =
      name == "--timeout" || name == "--parallel" || name == "--retries" ||
      (before_command &&
       (name == "--target" || name == "--config" || name == "--ca-file" ||
        name == "--cert-file" || name == "--key-file" ||
        name == "--peer-secret-file"));
  if (!takes_value) {
    if (arg == "--json") {
      options->json = true;
    } else if (arg == "--records") {
      options->records = true;
    } else {
      return Taken::kNo;
    }
    ++*i;
    return Taken::kYes;
  }
  std::string value;
  if (eq != std::string::npos) {
    value = arg.substr(eq + 1);
    ++*i;
  } else if (*i + 1 < args.size()) {
    value = args[*i + 1];
    *i += 2;
  } else {
    std::cerr << "overlay_client: " << name << " needs a value\n";
    return Taken::kBad;
  }
  if (name == "--timeout") {
    return ParseTimeout(value, &options->timeout_s) ? Taken::kYes : Taken::kBad;
  }
  if (name == "--parallel") {
    return ParseIntFlag("--parallel", value, 1, kMaxParallel,
                        &options->parallel)
               ? Taken::kYes
               : Taken::kBad;
  }
  if (name == "--retries") {
    return ParseIntFlag("--retries", value, 0, kMaxRetries, &options->retries)
               ? Taken::kYes
               : Taken::kBad;
  }
  std::string* field = name == "--target"        ? &options->target
                       : name == "--config"      ? &options->config_path
                       : name == "--ca-file"     ? &options->tls.ca_file
                       : name == "--cert-file"   ? &options->tls.cert_file
                       : name == "--key-file"    ? &options->tls.key_file
                                                 : &options->peer_secret_file;
  *field = value;
  return Taken::kYes;
}

// Local, no RPC: what a node starting on this host would reclaim.
int RunCacheSweep(const std::vector<std::string>& words) {
  if (words.size() > 2) {
    std::cerr << "overlay_client: cache-sweep takes at most one directory\n";
    return kExitUsage;
  }
  const std::string directory = words.size() == 2 ? words[1] : "/dev/shm";
  absl::StatusOr<ShmSegment::SweepResult> swept =
      ShmSegment::RemoveStaleSegments(directory, PosixApi::Real());
  if (!swept.ok()) {
    std::cerr << "overlay_client: " << swept.status().message() << "\n";
    return kExitError;
  }
  for (const std::string& path : swept->removed) {
    std::printf("removed stale segment %s\n", path.c_str());
  }
  for (const std::string& skipped : swept->skipped) {
    std::printf("left alone: %s\n", skipped.c_str());
  }
  for (const std::string& error : swept->errors) {
    std::fprintf(stderr, "overlay_client: %s\n", error.c_str());
  }
  if (swept->removed.empty() && swept->skipped.empty() &&
      swept->errors.empty()) {
    std::printf("no stale segments in %s\n", directory.c_str());
  }
  return swept->errors.empty() ? kExitOk : kExitError;
}

int Main(int argc, char** argv) {
  ClientOptions options;
  const std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  while (i < args.size()) {
    if (args[i] == "--help" || args[i] == "-h") {
      Usage();
      return kExitOk;
    }
    const Taken taken = TakeOption(args, &i, true, &options);
    if (taken == Taken::kBad) return Usage(), kExitUsage;
    if (taken == Taken::kNo) break;
  }
  if (i >= args.size()) {
    Usage();
    return kExitUsage;
  }
  // Options may also follow the command (e.g. "query ... --json").
  std::vector<std::string> words;
  while (i < args.size()) {
    const Taken taken = TakeOption(args, &i, false, &options);
    if (taken == Taken::kBad) return Usage(), kExitUsage;
    if (taken == Taken::kNo) words.push_back(args[i++]);
  }
  const bool tls_flags = !options.tls.ca_file.empty() ||
                         !options.tls.cert_file.empty() ||
                         !options.tls.key_file.empty();
  if (!options.config_path.empty() &&
      (options.target.empty() || !tls_flags)) {
    absl::StatusOr<OverlayConfig> config =
        LoadOverlayConfig(options.config_path);
    if (!config.ok()) {
      std::cerr << "overlay_client: " << config.status().message() << "\n";
      return kExitUsage;
    }
    if (options.target.empty()) {
      options.target = config->Find(config->portal)->Address();
    }
    if (!tls_flags) options.tls = ClientTlsFilesOf(*config);
  }
  if (options.target.empty()) options.target = "127.0.0.1:60051";
  {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ClientChannelCredentials(options.tls);
    if (!credentials.ok()) {
      std::cerr << "overlay_client: " << credentials.status().message()
                << "\n";
      return kExitUsage;
    }
    options.credentials = *std::move(credentials);
  }
  if (!options.peer_secret_file.empty()) {
    absl::StatusOr<std::string> secret =
        ReadPeerSecretFile(options.peer_secret_file);
    if (!secret.ok()) {
      std::cerr << "overlay_client: --peer-secret-file: "
                << secret.status().message() << "\n";
      return kExitUsage;
    }
    options.peer_secret = *std::move(secret);
  }
  const std::string& command = words[0];
  if (command == "cache-sweep") return RunCacheSweep(words);
  if (command == "processes") return RunProcesses(options, words);
  if (command == "health") return RunHealth(options);
  if (command == "metrics") {
    bool all = words.size() > 1 && words[1] == "--all";
    return RunMetrics(options, all);
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  auto stub = v1::QueryService::NewStub(grpc::CreateCustomChannel(
      options.target, options.credentials, channel_args));
  if (command == "shutdown") {
    grpc::ClientContext context;
    SetDeadline(context, options.timeout_s);
    if (!options.peer_secret.empty()) {
      context.AddMetadata(kPeerSecretKey, options.peer_secret);
    }
    v1::ShutdownResponse response;
    grpc::Status status =
        stub->Shutdown(&context, v1::ShutdownRequest(), &response);
    if (!status.ok()) return RpcError(status);
    std::printf("shutdown accepted by %s\n", options.target.c_str());
    return kExitOk;
  }
  if (IsQueryCommand(command)) return RunQuery(*stub, options, words);
  std::cerr << "overlay_client: unknown command '" << command << "'\n";
  Usage();
  return kExitUsage;
}

}  // namespace
}  // namespace overlay

int main(int argc, char** argv) { return overlay::Main(argc, argv); }
