// Copyright 2026 The overlay Authors.
//
// overlay_node --config F --id X [--data DIR] [--listen HOST]
//              [--peer-secret-file F]
// Runs one process of an overlay until the Shutdown RPC, SIGTERM or SIGINT,
// then drains and exits 0. Startup failures exit 1 with the reason.
// --peer-secret-file (or --peer_secret_file) overrides the config's peer
// secret: every node of the overlay must be given the same one.

#include <malloc.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "core/config/overlay_config.h"
#include "glog/logging.h"
#include "nodes/node_server.h"

ABSL_FLAG(std::string, config, "", "overlay config file (JSON)");
ABSL_FLAG(std::string, id, "", "which process of the config to run");
ABSL_FLAG(std::string, data, "",
          "data root; overrides the config's data_root (default: "
          "$OVERLAY_DATA, else the config)");
ABSL_FLAG(std::string, listen, "",
          "host to bind (default: the process's host in the config)");
ABSL_FLAG(std::string, peer_secret_file, "",
          "file holding the secret nodes present to each other (mode 0600; "
          "overrides the config's peer_secret / peer_secret_file); also "
          "spelt --peer-secret-file");
ABSL_FLAG(int, verbosity, 0, "glog verbose level (VLOG)");
ABSL_FLAG(bool, reflection, true,
          "serve grpc.reflection.v1alpha (a sync service with one thread)");

namespace {

// "--peer-secret-file..." is accepted as "--peer_secret_file..." (absl
// flag names cannot hold '-'; the scripts and docs use the dashed form).
std::vector<char*> DashedFlagsToUnderscores(int argc, char** argv,
                                            std::vector<std::string>* store) {
  constexpr std::string_view kDashed = "--peer-secret-file";
  store->reserve(static_cast<size_t>(argc));
  std::vector<char*> out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.compare(0, kDashed.size(), kDashed) == 0 &&
        (arg.size() == kDashed.size() || arg[kDashed.size()] == '=')) {
      arg.replace(0, kDashed.size(), "--peer_secret_file");
    }
    store->push_back(std::move(arg));
    out.push_back(store->back().data());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "overlay_node --config configs/one_host.json --id A [--data DIR] "
      "[--peer-secret-file F]");
  // Chunks (up to ~1.5 MB) and gRPC's message buffers are mapped and
  // unmapped on their own: glibc's dynamic mmap threshold would otherwise
  // rise past them and keep their freed memory in the heap, so a node's
  // resident memory would stay at its peak after a burst of big results.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  std::vector<std::string> arg_store;
  std::vector<char*> args = DashedFlagsToUnderscores(argc, argv, &arg_store);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  FLAGS_logtostderr = true;
  FLAGS_v = absl::GetFlag(FLAGS_verbosity);
  google::InitGoogleLogging(argv[0]);

  const std::string config_path = absl::GetFlag(FLAGS_config);
  const std::string id = absl::GetFlag(FLAGS_id);
  if (config_path.empty() || id.empty()) {
    std::cerr << "overlay_node: --config and --id are required\n";
    return 2;
  }
  absl::StatusOr<overlay::OverlayConfig> config =
      overlay::LoadOverlayConfig(config_path);
  if (!config.ok()) {
    std::cerr << "overlay_node: " << config.status().message() << "\n";
    return 1;
  }
  overlay::NodeOptions options;
  options.id = id;
  options.data_root = absl::GetFlag(FLAGS_data);
  if (options.data_root.empty()) {
    if (const char* env = std::getenv("OVERLAY_DATA"); env && *env) {
      options.data_root = env;
    }
  }
  options.listen_host = absl::GetFlag(FLAGS_listen);
  options.reflection = absl::GetFlag(FLAGS_reflection);
  if (const std::string file = absl::GetFlag(FLAGS_peer_secret_file);
      !file.empty()) {
    absl::StatusOr<std::string> secret = overlay::ReadPeerSecretFile(file);
    if (!secret.ok()) {
      std::cerr << "overlay_node: --peer-secret-file: "
                << secret.status().message() << "\n";
      return 1;
    }
    options.peer_secret = *std::move(secret);
  }
  // Our locks are annotated and tested; the debug-mode deadlock graph costs
  // more than a scan on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are taken by one thread with sigwait, so no handler runs on a
  // reactor thread. Block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  overlay::NodeServer server(*std::move(config), options);
  absl::Status started = server.Start();
  if (!started.ok()) {
    std::cerr << "overlay_node " << id << ": " << started.message() << "\n";
    return 1;
  }
  std::thread([&server, signals] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    LOG(INFO) << "signal " << signal_number << ": shutting down";
    server.RequestShutdown();
  }).detach();
  server.WaitForShutdownRequest();
  server.Shutdown();
  return 0;
}
