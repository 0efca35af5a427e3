// Copyright 2026 The overlay Authors.
//
// overlay_bench: the overlay's load tool. An asynchronous gRPC client on
// completion queues sends Query (+ GetChunk..., Release) or GetMetrics
// requests to one node, closed loop (--concurrency in flight) or open loop
// (--rate on a fixed timetable, latency from the scheduled start), scrapes
// GetMetrics of every node of --config before, during and after, prints a
// summary ending with a latency histogram, and writes --json / --svg.
//
//   overlay_bench --config configs/one_host.json --requests 2000
//       --concurrency 32 --query "query --param PM2.5 --limit 500"
//       --json results/run.json --svg results/run.svg
//   overlay_bench --target 127.0.0.1:60051 --rpc metrics --duration 10
//       --concurrency 256
//   overlay_bench --config configs/one_host.json --duration 20
//       --query "get_by_key 060371103"
//       --client heavy:rate=3000 --client light:rate=100
//
// --client (repeatable) makes a multi-client run: each client has its own
// client id (sent as QueryRequest.client_id), channels, completion queues
// and timetable, and is reported on its own (terminal and JSON "clients").
// --parallel N keeps up to N GetChunk calls of a request in flight.
// Flags may be spelled with '-' or '_' (--no-chunks == --no_chunks).
// Exit codes: 0 the run completed and some request succeeded; 1 the run
// could not be done or every request failed; 2 bad arguments.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "core/config/overlay_config.h"
#include "core/security/tls_credentials.h"
#include "core/wire/query_words.h"
#include "glog/logging.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_runner.h"
#include "tools/bench/report_json.h"
#include "tools/bench/report_svg.h"
#include "tools/bench/terminal_report.h"
#include "tools/bench/workload.h"

ABSL_FLAG(int64_t, requests, -1,
          "measured requests to send (default 1000; unlimited with "
          "--duration)");
ABSL_FLAG(int32_t, concurrency, -1,
          "requests in flight (closed loop; default 10), or the cap on them "
          "with --rate (default 1000)");
ABSL_FLAG(double, duration, 0,
          "seconds to keep issuing requests (with --rate: the timetable "
          "length)");
ABSL_FLAG(double, rate, 0,
          "open loop: requests per second on a fixed timetable; latency is "
          "measured from each request's scheduled start");
ABSL_FLAG(int64_t, warmup, 0, "unrecorded closed-loop requests sent first");
ABSL_FLAG(bool, honor_pushback, true,
          "closed loop: after a failure with a grpc-retry-pushback-ms hint, "
          "wait that long (at most 1 s) before the slot's next request");
ABSL_FLAG(int64_t, deadline, 30000, "deadline of each RPC in ms (a Release gets at least 1000); 0: none");
ABSL_FLAG(std::string, target, "",
          "host:port to send to (default: the portal of --config, else "
          "127.0.0.1:60051)");
ABSL_FLAG(std::string, config, "",
          "overlay config: its portal is the default target, and every "
          "process is scraped with GetMetrics");
ABSL_FLAG(std::string, query, "query --param PM2.5 --limit 500",
          "query words, as overlay_client takes them");
ABSL_FLAG(std::string, query_file, "",
          "weighted query mix: lines 'WEIGHT WORDS...', '#' comments");
ABSL_FLAG(bool, no_chunks, false,
          "time Query alone: no GetChunk (Release is still sent)");
ABSL_FLAG(int32_t, parallel, 1,
          "GetChunk calls of one request in flight at once (1..64); chunk 0 "
          "may come inline with the Query answer");
ABSL_FLAG(std::string, client, "",
          "repeatable: one client of a multi-client run, "
          "NAME[:KEY=VALUE,...]; NAME is its client id. KEYs: rate=R (open "
          "loop), concurrency=N (closed loop; with rate, the cap), "
          "duration=S, requests=N, channels=N, parallel=N, deadline=MS, and "
          "last (they take the rest, commas included) query=WORDS or "
          "query_file=F. Unset keys take the flags' values; e.g. --client "
          "heavy:rate=3000 --client 'light:rate=100,query=get_by_key "
          "060371103'");
ABSL_FLAG(std::string, rpc, "query",
          "query: Query + GetChunk... + Release; metrics: one trivial "
          "GetMetrics; health: one grpc.health.v1 Check (the cheapest call, "
          "to measure the client)");
ABSL_FLAG(int32_t, channels, 4, "gRPC channels (TCP connections)");
ABSL_FLAG(std::string, ca_file, "",
          "TLS: the overlay's CA (default with --config: its tls.ca_file)");
ABSL_FLAG(std::string, cert_file, "", "TLS client certificate (mutual TLS)");
ABSL_FLAG(std::string, key_file, "", "key of --cert_file");
ABSL_FLAG(int32_t, cq_threads, 0,
          "completion queues, one thread each; 0: 2, or 1 for a closed loop "
          "with one call in flight (--concurrency 1 --parallel 1), where a "
          "second thread only takes the wake-ups of the first");
ABSL_FLAG(uint64_t, seed, 1, "seed of the weighted query mix");
ABSL_FLAG(double, scrape_interval, 1.0,
          "seconds between GetMetrics scrapes of the nodes during the run");
ABSL_FLAG(double, connect_timeout, 10, "seconds to wait for connections");
ABSL_FLAG(std::string, json, "", "write the full results as JSON here");
ABSL_FLAG(std::string, svg, "", "write a latency/throughput chart here");
ABSL_FLAG(bool, progress, true, "print a progress line a second to stderr");

namespace overlay::bench {
namespace {

// absl flags have '_' in names; accept '-' too (--no-chunks, --query-file).
std::vector<char*> NormalizeFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (size_t i = 1; i < storage.size(); ++i) {
    std::string& arg = storage[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
    if (name.find('-') == std::string::npos) continue;
    std::string underscored = absl::StrReplaceAll(name, {{"-", "_"}});
    if (absl::FindCommandLineFlag(underscored) == nullptr &&
        underscored.compare(0, 3, "no_") == 0 &&
        absl::FindCommandLineFlag(underscored.substr(3)) != nullptr) {
      underscored = "no" + underscored.substr(3);  // --no-progress
    } else if (absl::FindCommandLineFlag(underscored) == nullptr) {
      continue;  // leave it for the parser to report
    }
    arg = absl::StrCat("--", underscored,
                       eq == std::string::npos ? "" : arg.substr(eq));
  }
  std::vector<char*> out;
  for (std::string& arg : storage) out.push_back(arg.data());
  return out;
}

[[nodiscard]] absl::Status WriteFile(const std::string& path,
                                     const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::UnavailableError(absl::StrCat(path, ": cannot open"));
  file << text;
  file.close();
  if (!file) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

// Takes every --client VALUE / --client=VALUE out of `args` (absl keeps only
// the last of a repeated flag); the rest is left for absl to parse.
std::vector<std::string> TakeClientFlags(std::vector<char*>& args) {
  std::vector<std::string> clients;
  std::vector<char*> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (i > 0 && arg == "--") {  // positional from here on
      rest.insert(rest.end(), args.begin() + static_cast<ptrdiff_t>(i),
                  args.end());
      break;
    }
    if (i > 0 && (arg == "--client" || arg == "-client") &&
        i + 1 < args.size()) {
      clients.emplace_back(args[++i]);
    } else if (i > 0 && (absl::StartsWith(arg, "--client=") ||
                         absl::StartsWith(arg, "-client="))) {
      clients.emplace_back(arg.substr(arg.find('=') + 1));
    } else {
      rest.push_back(args[i]);
    }
  }
  args = std::move(rest);
  return clients;
}

int BadArguments(absl::string_view message) {
  std::cerr << "overlay_bench: " << message
            << "\n(overlay_bench --help lists the flags)\n";
  return 2;
}

int Main(int argc, char** argv) {
  // Debian's abseil is built with Mutex deadlock detection on, and gRPC
  // locks absl::Mutex on every call: the cycle bookkeeping alone costs a
  // large share of the client's CPU. A load tool wants none of it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlagNames(argc, argv, storage);
  absl::SetProgramUsageMessage(
      absl::StrCat("load tool of the overlay.\n\nusage: overlay_bench "
                   "[--config F | --target host:port] [--requests N] "
                   "[--concurrency C] [--duration S] [--rate R] [--query "
                   "\"WORDS\" | --query-file F] [--no-chunks] [--parallel N] "
                   "[--client NAME:KEY=VALUE,...]... [--rpc "
                   "query|metrics|health] [--json F] [--svg F]\n\nFlags may be "
                   "spelled with '-' or '_' (--no-chunks, --no_chunks).\n"
                   "Latency percentiles are of successful requests only.\n"
                   "\nquery words:\n",
                   QueryWordsUsage()));
  const std::vector<std::string> client_flags = TakeClientFlags(args);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() > 1) {
    return BadArguments(absl::StrCat("unexpected argument '", positional[1],
                                     "' (quote --query words)"));
  }
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;

  BenchOptions options;
  const int64_t requests = absl::GetFlag(FLAGS_requests);
  options.duration_s = absl::GetFlag(FLAGS_duration);
  options.requests =
      requests >= 0 ? requests : (options.duration_s > 0 ? 0 : 1000);
  options.rate = absl::GetFlag(FLAGS_rate);
  const int32_t concurrency = absl::GetFlag(FLAGS_concurrency);
  options.concurrency =
      concurrency >= 0
          ? concurrency
          : (options.rate > 0 ? kDefaultOpenLoopCap : kDefaultConcurrency);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.deadline_ms = absl::GetFlag(FLAGS_deadline);
  options.fetch_chunks = !absl::GetFlag(FLAGS_no_chunks);
  options.honor_pushback = absl::GetFlag(FLAGS_honor_pushback);
  options.parallel = absl::GetFlag(FLAGS_parallel);
  for (const std::string& text : client_flags) {
    absl::StatusOr<ClientSpec> spec = ParseClientSpec(text);
    if (!spec.ok()) return BadArguments(spec.status().message());
    options.clients.push_back(*std::move(spec));
  }
  options.channels = absl::GetFlag(FLAGS_channels);
  options.cq_threads = absl::GetFlag(FLAGS_cq_threads);
  if (options.cq_threads == 0) {
    options.cq_threads = options.rate <= 0 && options.concurrency == 1 &&
                                 options.parallel == 1 && options.clients.empty()
                             ? 1
                             : 2;
  }
  options.seed = absl::GetFlag(FLAGS_seed);
  options.scrape_interval_s = absl::GetFlag(FLAGS_scrape_interval);
  options.connect_timeout_ms =
      static_cast<int64_t>(absl::GetFlag(FLAGS_connect_timeout) * 1000);
  absl::StatusOr<RpcKind> rpc = ParseRpcKind(absl::GetFlag(FLAGS_rpc));
  if (!rpc.ok()) return BadArguments(rpc.status().message());
  options.rpc = *rpc;

  const std::string config_path = absl::GetFlag(FLAGS_config);
  std::string target = absl::GetFlag(FLAGS_target);
  ClientTlsFiles tls{absl::GetFlag(FLAGS_ca_file),
                     absl::GetFlag(FLAGS_cert_file),
                     absl::GetFlag(FLAGS_key_file)};
  const bool tls_flags =
      !tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty();
  if (!config_path.empty()) {
    absl::StatusOr<OverlayConfig> config = LoadOverlayConfig(config_path);
    if (!config.ok()) return BadArguments(config.status().ToString());
    if (!tls_flags) tls = ClientTlsFilesOf(*config);
    for (const ProcessConfig& process : config->processes) {
      options.scrape_targets.push_back({process.id, process.Address()});
    }
    if (target.empty()) {
      const ProcessConfig* portal = config->Find(config->portal);
      if (portal == nullptr) return BadArguments("config has no portal");
      target = portal->Address();
    }
  }
  options.target = target.empty() ? "127.0.0.1:60051" : target;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientChannelCredentials(tls);
  if (!credentials.ok()) return BadArguments(credentials.status().message());
  options.credentials = *std::move(credentials);

  absl::StatusOr<Workload> workload =
      absl::GetFlag(FLAGS_query_file).empty()
          ? Workload::FromWords(absl::GetFlag(FLAGS_query))
          : Workload::FromFile(absl::GetFlag(FLAGS_query_file));
  if (!workload.ok()) return BadArguments(workload.status().message());
  if (absl::Status valid = ValidateBenchOptions(options); !valid.ok()) {
    return BadArguments(valid.message());
  }
  if (absl::GetFlag(FLAGS_progress)) {
    options.progress = [](const Progress& p) {
      std::fprintf(stderr, "[%6.1fs] ok %lld  errors %lld  in flight %lld\n",
                   p.elapsed_s, static_cast<long long>(p.ok),
                   static_cast<long long>(p.errors),
                   static_cast<long long>(p.in_flight));
    };
  }

  absl::StatusOr<BenchResult> result = RunBench(options, *workload);
  if (!result.ok()) {
    std::cerr << "overlay_bench: " << result.status() << "\n";
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << RenderTextReport(*result) << std::flush;
  int exit_code = result->ok > 0 ? 0 : 1;
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    if (absl::Status s = WriteFile(path, RenderJsonReport(*result)); !s.ok()) {
      std::cerr << "overlay_bench: " << s << "\n";
      exit_code = 1;
    } else {
      std::cerr << "wrote " << path << "\n";
    }
  }
  if (const std::string path = absl::GetFlag(FLAGS_svg); !path.empty()) {
    if (absl::Status s = WriteFile(path, RenderSvgReport(*result)); !s.ok()) {
      std::cerr << "overlay_bench: " << s << "\n";
      exit_code = 1;
    } else {
      std::cerr << "wrote " << path << "\n";
    }
  }
  return exit_code;
}

}  // namespace
}  // namespace overlay::bench

int main(int argc, char** argv) { return overlay::bench::Main(argc, argv); }
