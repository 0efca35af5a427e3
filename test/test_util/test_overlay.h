// Copyright 2026 The overlay Authors.
//
// TestOverlay: starts every process of an overlay config as real
// overlay_node processes on loopback, on free ephemeral ports and a given
// data root, waits until each answers, and stops them (gracefully, then by
// force) in Stop() and the destructor, so a failing test cleans up. Each
// overlay gets a config name of its own, so shared cache segments of two
// tests never collide; the destructor removes any the nodes left.
// Thread-compatible.
//
//   TestOverlay overlay;
//   ASSERT_OK(overlay.Start("configs/one_host.json", data_dir));
//   auto stub = overlay.PortalStub();

#ifndef OVERLAY_TEST_TEST_UTIL_TEST_OVERLAY_H_
#define OVERLAY_TEST_TEST_UTIL_TEST_OVERLAY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/config/overlay_config.h"
#include "protos/overlay.grpc.pb.h"
#include "test/test_util/node_process.h"

namespace overlay::testing {

// The peer secret TestOverlay and InProcessOverlay give their nodes.
inline constexpr char kTestPeerSecret[] = "test-peer-secret-0123456789abcdef";

class TestOverlay final {
 public:
  TestOverlay() = default;
  ~TestOverlay();
  TestOverlay(const TestOverlay&) = delete;
  TestOverlay& operator=(const TestOverlay&) = delete;

  // Loads `config_path`, names it uniquely ("<name>-p<pid>-<n>"), moves
  // every process to 127.0.0.1 on a free port and the data root to
  // `data_root`, lets `edit` change the config further (the name too),
  // writes it to a temp dir and starts every process.
  [[nodiscard]] absl::Status Start(
      const std::string& config_path, const std::string& data_root,
      const std::function<void(OverlayConfig&)>& edit = nullptr);
  // Shutdown RPC to every node, then waits; kills what is left. Returns the
  // first non-zero exit code as an error.
  [[nodiscard]] absl::Status Stop();

  const OverlayConfig& config() const { return config_; }
  const std::string& config_path() const { return written_path_; }
  std::string Address(const std::string& id) const;
  std::unique_ptr<v1::QueryService::Stub> Stub(const std::string& id) const;
  std::unique_ptr<v1::QueryService::Stub> PortalStub() const {
    return Stub(config_.portal);
  }
  NodeProcess& process(const std::string& id) { return *processes_.at(id); }
  // The shared cache segment of `host_group` (whether or not it exists).
  std::string SegmentPath(const std::string& host_group) const;
  std::string Logs() const;

 private:
  OverlayConfig config_;
  std::string dir_;
  std::string written_path_;
  std::map<std::string, std::unique_ptr<NodeProcess>> processes_;
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_TEST_OVERLAY_H_
