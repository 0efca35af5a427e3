// Copyright 2026 The overlay Authors.
//
// NodeProcess: one child process (an overlay_node) started with fork/exec,
// its output in a log file. The child gets SIGKILL if the test process dies
// (PR_SET_PDEATHSIG), and the destructor kills it if still running, so a
// failing test never leaves processes behind. Thread-compatible.

#ifndef OVERLAY_TEST_TEST_UTIL_NODE_PROCESS_H_
#define OVERLAY_TEST_TEST_UTIL_NODE_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace overlay::testing {

class NodeProcess final {
 public:
  NodeProcess() = default;
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  [[nodiscard]] absl::Status Start(const std::vector<std::string>& argv,
                                   const std::string& log_path);
  bool Running();
  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // Waits up to `timeout_s` for exit; the exit code, or -signal when killed
  // by a signal; DEADLINE_EXCEEDED if still running.
  absl::StatusOr<int> Wait(double timeout_s);
  // SIGKILL and reap.
  void Kill();
  std::string ReadLog() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// Picks `count` distinct free TCP ports on 127.0.0.1.
std::vector<int> PickFreePorts(int count);

// The directory of our binaries (build/bin), from the build.
std::string BinaryDir();
// A fresh unique directory under TEST_TMPDIR / TMPDIR; removed by
// RemoveTree.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_NODE_PROCESS_H_
