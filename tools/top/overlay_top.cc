// Copyright 2026 The overlay Authors.
//
// overlay_top --config F [--once] [--interval S] [--deadline_ms MS]
// A live view of every node of an overlay, refreshed every interval: role,
// team, host, up/down, qps, in-flight, queue, Query p99, rows, RSS, CPU%,
// and the overlay's edges. A node that does not answer within the deadline
// shows as DOWN at the next refresh. `q` or Ctrl+C leaves and restores the
// terminal. --once prints one plain frame after one poll and exits 0 (down
// nodes are shown as DOWN, not as an error).

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/config/overlay_config.h"
#include "protos/overlay.grpc.pb.h"
#include "tools/top/top_frame.h"

ABSL_FLAG(std::string, config, "", "overlay config (JSON) naming the nodes");
ABSL_FLAG(bool, once, false, "print one plain frame and exit");
ABSL_FLAG(double, interval, 1.0, "seconds between refreshes");
ABSL_FLAG(int, deadline_ms, 800, "deadline of each poll; later is DOWN");

namespace overlay::top {
namespace {

std::atomic<bool> g_quit{false};
termios g_saved_termios;
bool g_terminal_changed = false;

void RestoreTerminal() {
  if (!g_terminal_changed) return;
  g_terminal_changed = false;
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::fputs("\x1b[?25h\x1b[?1049l", stdout);  // cursor on, main screen
  std::fflush(stdout);
}

void OnSignal(int) { g_quit.store(true); }

class Poller {
 public:
  explicit Poller(const OverlayConfig& config) {
    for (const ProcessConfig& p : config.processes) {
      ids_.push_back(p.id);
      stubs_.push_back(v1::QueryService::NewStub(grpc::CreateChannel(
          p.Address(), grpc::InsecureChannelCredentials())));
    }
  }

  // Polls every node at once; each gets `deadline_ms`.
  std::vector<NodePoll> Poll(int deadline_ms) {
    const size_t n = ids_.size();
    grpc::CompletionQueue cq;
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts(n);
    std::vector<v1::MetricsResponse> replies(n);
    std::vector<grpc::Status> statuses(n);
    std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<
        v1::MetricsResponse>>>
        readers(n);
    const auto deadline = std::chrono::system_clock::now() +
                          std::chrono::milliseconds(deadline_ms);
    for (size_t i = 0; i < n; ++i) {
      contexts[i] = std::make_unique<grpc::ClientContext>();
      contexts[i]->set_deadline(deadline);
      readers[i] = stubs_[i]->PrepareAsyncGetMetrics(
          contexts[i].get(), v1::MetricsRequest(), &cq);
      readers[i]->StartCall();
      // The tag is the node's slot in this poll's own queue.
      readers[i]->Finish(&replies[i], &statuses[i], &statuses[i]);
    }
    for (size_t done = 0; done < n; ++done) {
      void* tag;
      bool ok;
      if (!cq.Next(&tag, &ok)) break;
    }
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
    const double now = std::chrono::duration<double>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count();
    std::vector<NodePoll> polls(n);
    for (size_t i = 0; i < n; ++i) {
      polls[i].id = ids_[i];
      polls[i].at_s = now;
      if (statuses[i].ok()) {
        polls[i].metrics = std::move(replies[i]);
      } else {
        polls[i].error = statuses[i].error_message();
      }
    }
    return polls;
  }

 private:
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<v1::QueryService::Stub>> stubs_;
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "overlay_top --config configs/one_host.json [--once]");
  absl::ParseCommandLine(argc, argv);
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    std::cerr << "overlay_top: --config is required\n";
    return 2;
  }
  absl::StatusOr<OverlayConfig> config = LoadOverlayConfig(path);
  if (!config.ok()) {
    std::cerr << "overlay_top: " << config.status().message() << "\n";
    return 2;
  }
  Poller poller(*config);
  const int deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (absl::GetFlag(FLAGS_once)) {
    for (const std::string& line :
         RenderFrame(*config, {}, poller.Poll(deadline_ms))) {
      std::puts(line.c_str());
    }
    return 0;
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  const bool tty = isatty(STDIN_FILENO);
  if (tty && tcgetattr(STDIN_FILENO, &g_saved_termios) == 0) {
    termios raw = g_saved_termios;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    g_terminal_changed = true;
    std::atexit(RestoreTerminal);
  }
  std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // alternate screen, no cursor
  std::vector<NodePoll> previous;
  const auto interval = std::chrono::milliseconds(
      static_cast<int64_t>(absl::GetFlag(FLAGS_interval) * 1000));
  while (!g_quit.load()) {
    const auto next = std::chrono::steady_clock::now() + interval;
    std::vector<NodePoll> current = poller.Poll(deadline_ms);
    std::string frame = "\x1b[H\x1b[2J";
    for (const std::string& line : RenderFrame(*config, previous, current)) {
      frame += line;
      frame += "\r\n";
    }
    std::fputs(frame.c_str(), stdout);
    std::fflush(stdout);
    previous = std::move(current);
    // Wait for the next refresh, leaving early on 'q' or a signal.
    while (!g_quit.load() && std::chrono::steady_clock::now() < next) {
      const int wait_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              next - std::chrono::steady_clock::now())
              .count());
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (poll(&in, 1, std::max(1, std::min(wait_ms, 100))) > 0) {
        char c = 0;
        if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q')) {
          g_quit.store(true);
        }
      }
    }
  }
  RestoreTerminal();
  std::fputs("\x1b[?25h\x1b[?1049l", stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace overlay::top

int main(int argc, char** argv) { return overlay::top::Main(argc, argv); }
