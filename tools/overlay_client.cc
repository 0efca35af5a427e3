// Copyright 2026 The overlay Authors.
//
// overlay_client [--target host:port | --config F] [--json] [--records]
//                [--timeout S] COMMAND [WORDS...]
// COMMAND: query ..., get_all, get_by_key K..., get_by_prefix P (see
// core/wire/query_words.h), metrics [--all], shutdown.
// A query pulls every chunk in order, checks the count, then releases it.
// Exit codes: 0 ok, 1 RPC or data error, 2 bad arguments.

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/config/overlay_config.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/query_words.h"
#include "google/protobuf/util/json_util.h"
#include "protos/overlay.grpc.pb.h"

namespace overlay {
namespace {

struct ClientOptions {
  std::string target;
  std::string config_path;
  bool json = false;
  bool records = false;
  double timeout_s = 60;
};

void Usage() {
  std::cerr << "usage: overlay_client [--target host:port | --config F] "
               "[--json] [--records] [--timeout S] COMMAND [WORDS...]\n"
               "commands:\n"
            << QueryWordsUsage()
            << "  metrics [--all]   (--all needs --config)\n"
               "  health            grpc.health.v1 Check of the target\n"
               "  processes [--group G]   ids and addresses of --config\n"
               "  shutdown\n";
}

int RpcError(const grpc::Status& status) {
  // absl's names are gRPC's (both follow google.rpc.Code), upper-cased.
  std::string code = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  for (char& c : code) {
    c = c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  }
  std::cerr << "error: " << code << ": " << status.error_message() << "\n";
  return 1;
}

void SetDeadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(
                           static_cast<int64_t>(seconds * 1000)));
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

int RunQuery(v1::QueryService::Stub& stub, const ClientOptions& options,
             const std::vector<std::string>& words) {
  absl::StatusOr<v1::QueryRequest> request = ParseQueryWords(words);
  if (!request.ok()) {
    std::cerr << "overlay_client: " << request.status().message() << "\n";
    Usage();
    return 2;
  }
  request->set_inline_first_chunk(true);
  const auto start = std::chrono::steady_clock::now();
  v1::QueryResponse response;
  {
    grpc::ClientContext context;
    SetDeadline(context, options.timeout_s);
    grpc::Status status = stub.Query(&context, *request, &response);
    if (!status.ok()) return RpcError(status);
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
  }
  for (int32_t index = 0; index < response.total_chunks(); ++index) {
    v1::ChunkRequest chunk_request;
    chunk_request.set_query_id(response.query_id());
    chunk_request.set_chunk_index(index);
    v1::ChunkResponse chunk;
    if (index == 0 && response.has_first_chunk()) {
      chunk = response.first_chunk();
    } else {
      grpc::ClientContext context;
      SetDeadline(context, options.timeout_s);
      grpc::Status status = stub.GetChunk(&context, chunk_request, &chunk);
      if (!status.ok()) return RpcError(status);
    }
    absl::StatusOr<std::vector<Record>> records = DecodeChunk(chunk.records());
    if (!records.ok()) {
      std::cerr << "error: chunk " << index << ": "
                << records.status().message() << "\n";
      return 1;
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
  {
    v1::ReleaseRequest release;
    release.set_query_id(response.query_id());
    v1::ReleaseResponse released;
    grpc::ClientContext context;
    SetDeadline(context, options.timeout_s);
    (void)stub.Release(&context, release, &released);
  }
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(
          std::chrono::steady_clock::now() - start)
          .count();
  if (options.json) {
    std::string shares;
    for (const v1::ShareResult& s : response.shares()) {
      absl::StrAppend(&shares, shares.empty() ? "" : ",", "{\"node_id\":",
                      JsonQuote(s.node_id()), ",\"share\":",
                      JsonQuote(s.share()), ",\"records\":", s.records(),
                      ",\"chunks\":", s.chunks(), "}");
    }
    std::string failures;
    for (const v1::NodeFailure& f : response.failures()) {
      absl::StrAppend(&failures, failures.empty() ? "" : ",",
                      "{\"node_id\":", JsonQuote(f.node_id()),
                      ",\"code\":", f.code(),
                      ",\"message\":", JsonQuote(f.message()), "}");
    }
    std::printf(
        "{\"query_id\":%s,\"total_records\":%lld,\"total_chunks\":%d,"
        "\"chunk_size\":%d,\"records_received\":%lld,\"elapsed_ms\":%s,"
        "\"shares\":[%s],\"failures\":[%s]}\n",
        JsonQuote(response.query_id()).c_str(),
        static_cast<long long>(response.total_records()),
        response.total_chunks(), response.chunk_size(),
        static_cast<long long>(received), FormatDouble(elapsed_ms).c_str(),
        shares.c_str(), failures.c_str());
    for (const std::string& line : lines) std::puts(line.c_str());
  } else {
    if (printed < received) {
      std::printf("... %lld more (use --records for all)\n",
                  static_cast<long long>(received - printed));
    }
    std::printf("received %lld records in %.1f ms\n",
                static_cast<long long>(received), elapsed_ms);
  }
  if (received != response.total_records()) {
    std::cerr << "error: received " << received << " records, expected "
              << response.total_records() << "\n";
    return 1;
  }
  return 0;
}

absl::StatusOr<v1::MetricsResponse> FetchMetrics(const std::string& target,
                                                 double timeout_s) {
  auto stub = v1::QueryService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
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
  return 0;
}

int RunMetrics(const ClientOptions& options, bool all) {
  if (!all) {
    absl::StatusOr<v1::MetricsResponse> m =
        FetchMetrics(options.target, options.timeout_s);
    if (!m.ok()) {
      std::cerr << "error: " << m.status().message() << "\n";
      return 1;
    }
    if (options.json) {
      std::string text;
      google::protobuf::util::JsonPrintOptions print;
      (void)google::protobuf::util::MessageToJsonString(*m, &text, print);
      std::puts(text.c_str());
    } else {
      std::puts(m->DebugString().c_str());
    }
    return 0;
  }
  if (options.config_path.empty()) {
    std::cerr << "overlay_client: metrics --all needs --config\n";
    return 2;
  }
  absl::StatusOr<OverlayConfig> config =
      LoadOverlayConfig(options.config_path);
  if (!config.ok()) {
    std::cerr << "overlay_client: " << config.status().message() << "\n";
    return 2;
  }
  std::printf("%-4s %-12s %-6s %-21s %-5s %9s %8s %8s %6s %8s %7s %9s\n",
              "id", "role", "team", "address", "state", "rows", "queries",
              "executed", "inflt", "rss_mb", "cpu_s", "q_p99_ms");
  int down = 0;
  for (const ProcessConfig& p : config->processes) {
    absl::StatusOr<v1::MetricsResponse> m =
        FetchMetrics(p.Address(), std::min(options.timeout_s, 2.0));
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
  return down == 0 ? 0 : 1;
}

// Lists "id host:port" of every process of --config (of host group G with
// --group G): scripts use it to start and watch nodes.
int RunProcesses(const ClientOptions& options,
                 const std::vector<std::string>& words) {
  if (options.config_path.empty()) {
    std::cerr << "overlay_client: processes needs --config\n";
    return 2;
  }
  absl::StatusOr<OverlayConfig> config =
      LoadOverlayConfig(options.config_path);
  if (!config.ok()) {
    std::cerr << "overlay_client: " << config.status().message() << "\n";
    return 2;
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
    return 2;
  }
  return 0;
}

// grpc.health.v1.Health/Check through a generic stub (no generated code
// needed): the request is empty; the reply's field 1 is the status enum.
int RunHealth(const ClientOptions& options) {
  auto channel =
      grpc::CreateChannel(options.target, grpc::InsecureChannelCredentials());
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
  return serving ? 0 : 1;
}

int Main(int argc, char** argv) {
  ClientOptions options;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--target") {
      if (!value(&options.target)) return Usage(), 2;
    } else if (arg == "--config") {
      if (!value(&options.config_path)) return Usage(), 2;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--records") {
      options.records = true;
    } else if (arg == "--timeout") {
      if (!value(&text)) return Usage(), 2;
      options.timeout_s = std::atof(text.c_str());
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else {
      break;
    }
  }
  if (i >= argc) {
    Usage();
    return 2;
  }
  std::vector<std::string> words(argv + i, argv + argc);
  // Options may also follow the command (e.g. "query ... --json").
  for (auto it = words.begin(); it != words.end();) {
    if (*it == "--json") {
      options.json = true;
      it = words.erase(it);
    } else if (*it == "--records") {
      options.records = true;
      it = words.erase(it);
    } else {
      ++it;
    }
  }
  if (options.target.empty()) {
    options.target = "127.0.0.1:60051";
    if (!options.config_path.empty()) {
      absl::StatusOr<OverlayConfig> config =
          LoadOverlayConfig(options.config_path);
      if (!config.ok()) {
        std::cerr << "overlay_client: " << config.status().message() << "\n";
        return 2;
      }
      options.target = config->Find(config->portal)->Address();
    }
  }
  const std::string& command = words[0];
  if (command == "processes") return RunProcesses(options, words);
  if (command == "health") return RunHealth(options);
  if (command == "metrics") {
    bool all = words.size() > 1 && words[1] == "--all";
    return RunMetrics(options, all);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  auto stub = v1::QueryService::NewStub(grpc::CreateCustomChannel(
      options.target, grpc::InsecureChannelCredentials(), args));
  if (command == "shutdown") {
    grpc::ClientContext context;
    SetDeadline(context, options.timeout_s);
    v1::ShutdownResponse response;
    grpc::Status status =
        stub->Shutdown(&context, v1::ShutdownRequest(), &response);
    if (!status.ok()) return RpcError(status);
    std::printf("shutdown accepted by %s\n", options.target.c_str());
    return 0;
  }
  if (IsQueryCommand(command)) return RunQuery(*stub, options, words);
  std::cerr << "overlay_client: unknown command '" << command << "'\n";
  Usage();
  return 2;
}

}  // namespace
}  // namespace overlay

int main(int argc, char** argv) { return overlay::Main(argc, argv); }
