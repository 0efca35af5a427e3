// Copyright 2026 The overlay Authors.

#include "test/test_util/test_overlay.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/security/peer_credential.h"
#include "core/shmcache/shm_cache_options.h"

namespace overlay::testing {

TestOverlay::~TestOverlay() {
  for (auto& [id, process] : processes_) process->Kill();
  RemoveTree(dir_);
  // Killed nodes leave their segments: no test leaves one behind.
  std::set<std::string> groups;
  for (const ProcessConfig& p : config_.processes) groups.insert(p.host_group);
  for (const std::string& group : groups) {
    ::unlink(SegmentPath(group).c_str());
  }
}

std::string TestOverlay::SegmentPath(const std::string& host_group) const {
  return absl::StrCat("/dev/shm/", ShmSegmentName(config_.name, host_group));
}

absl::Status TestOverlay::Start(
    const std::string& config_path, const std::string& data_root,
    const std::function<void(OverlayConfig&)>& edit) {
  static std::atomic<int> overlays{0};
  ASSIGN_OR_RETURN(config_, LoadOverlayConfig(config_path));
  config_.name = absl::StrCat(config_.name, "-p", ::getpid(), "-",
                              overlays.fetch_add(1));
  std::vector<int> ports = PickFreePorts(
      static_cast<int>(config_.processes.size()));
  for (size_t i = 0; i < config_.processes.size(); ++i) {
    config_.processes[i].port = ports[i];
  }
  config_.data_root = data_root;
  dir_ = MakeTempDir("overlay-test");
  if (dir_.empty()) return absl::InternalError("cannot make a temp dir");
  // Nodes authenticate each other as the start scripts make them do: with
  // a secret in a file of mode 0600 (an edit may change or clear it).
  {
    const std::string secret_path = absl::StrCat(dir_, "/peer_secret");
    std::ofstream out(secret_path);
    out << kTestPeerSecret << "\n";
    out.close();
    if (!out || chmod(secret_path.c_str(), 0600) != 0) {
      return absl::InternalError("cannot write the test peer secret");
    }
    config_.peer_secret_file = secret_path;
    config_.peer_secret = kTestPeerSecret;
  }
  if (edit) edit(config_);
  RETURN_IF_ERROR(ValidateOverlayConfig(config_));
  written_path_ = absl::StrCat(dir_, "/config.json");
  {
    std::ofstream out(written_path_);
    out << ConfigToJson(config_);
    if (!out) return absl::InternalError("cannot write the test config");
  }
  const std::string node = absl::StrCat(BinaryDir(), "/overlay_node");
  for (const ProcessConfig& p : config_.processes) {
    auto process = std::make_unique<NodeProcess>();
    RETURN_IF_ERROR(process->Start(
        {node, "--config", written_path_, "--id", p.id, "--data", data_root},
        absl::StrCat(dir_, "/", p.id, ".log")));
    processes_[p.id] = std::move(process);
  }
  // Ready when GetMetrics answers (the node serves only after loading).
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(60);
  for (const ProcessConfig& p : config_.processes) {
    auto stub = Stub(p.id);
    for (;;) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(500));
      context.set_wait_for_ready(true);
      v1::MetricsResponse metrics;
      if (stub->GetMetrics(&context, v1::MetricsRequest(), &metrics).ok()) {
        break;
      }
      if (!processes_[p.id]->Running()) {
        return absl::InternalError(absl::StrCat(
            "node ", p.id, " exited during start:\n",
            processes_[p.id]->ReadLog()));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("node ", p.id, " not ready:\n", Logs()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TestOverlay::Stop() {
  for (const ProcessConfig& p : config_.processes) {
    if (!processes_.count(p.id) || !processes_[p.id]->Running()) continue;
    auto stub = Stub(p.id);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    if (!config_.peer_secret.empty()) {
      context.AddMetadata(kPeerSecretKey, config_.peer_secret);
    }
    v1::ShutdownResponse response;
    (void)stub->Shutdown(&context, v1::ShutdownRequest(), &response);
  }
  absl::Status result = absl::OkStatus();
  for (auto& [id, process] : processes_) {
    absl::StatusOr<int> code = process->Wait(20);
    if (!code.ok()) {
      process->Kill();
      if (result.ok()) {
        result = absl::InternalError(absl::StrCat("node ", id,
                                                  " did not stop in time"));
      }
    } else if (*code != 0 && result.ok()) {
      result = absl::InternalError(absl::StrCat(
          "node ", id, " exited with ", *code, ":\n", process->ReadLog()));
    }
  }
  return result;
}

std::string TestOverlay::Address(const std::string& id) const {
  return config_.Find(id)->Address();
}

std::unique_ptr<v1::QueryService::Stub> TestOverlay::Stub(
    const std::string& id) const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // A distinct channel per stub: tests measure nodes, not channel sharing.
  args.SetInt("overlay.test.channel", rand());
  return v1::QueryService::NewStub(grpc::CreateCustomChannel(
      Address(id), grpc::InsecureChannelCredentials(), args));
}

std::string TestOverlay::Logs() const {
  std::string logs;
  for (const auto& [id, process] : processes_) {
    absl::StrAppend(&logs, "---- ", id, " ----\n", process->ReadLog());
  }
  return logs;
}

}  // namespace overlay::testing
