// Copyright 2026 The overlay Authors.
//
// overlay_top --config F [--once] [--interval S] [--deadline_ms MS]
//             [--host_override GROUP=HOST,...]
// A live view of every node of an overlay, refreshed every --interval
// seconds: id, role, team, host, up/DOWN, qps, in-flight, queue, Query p99,
// rows, RSS, CPU%, uptime, and the overlay's edges (each once; (x) when an
// end is down). All nodes are polled at once with GetMetrics, each poll with
// a deadline (--deadline_ms, 800 by default), so a node that stops
// answering shows as DOWN at the next refresh: within interval + deadline,
// 1.8 s by default.
//
// Keys: q (or Ctrl+C) quits, space redraws now. The terminal (raw mode,
// alternate screen, cursor) is restored on q, SIGINT, SIGTERM, SIGHUP and
// at exit. When stdout is not a terminal, frames are printed one after the
// other as plain text (no escape codes) until a signal.
//
// --once: one poll, one plain-text frame on stdout, exit 0 -- also when
// nodes are down (they are listed as DOWN with the reason; the title says
// "k/n up" and "DOWN: ..."); scripts grep for those.
// Exit codes: 0 ok; 1 bad flags or config, or no usable terminal (and
// after --help, as absl does for every binary of ours).
// Flag names take '-' or '_' (--host-override = --host_override).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "core/config/overlay_config.h"
#include "core/security/tls_credentials.h"
#include "glog/logging.h"
#include "tools/top/frame_renderer.h"
#include "tools/top/host_override.h"
#include "tools/top/metrics_poller.h"
#include "tools/top/terminal_session.h"

ABSL_FLAG(std::string, config, "",
          "overlay config (JSON) naming the nodes to watch (required)");
ABSL_FLAG(std::string, ca_file, "",
          "TLS: the overlay's CA (default: the config's tls.ca_file)");
ABSL_FLAG(std::string, cert_file, "", "TLS client certificate (mutual TLS)");
ABSL_FLAG(std::string, key_file, "", "key of --cert_file");
ABSL_FLAG(bool, once, false,
          "poll once, print one plain-text frame and exit 0 (down nodes are "
          "shown as DOWN, not reported by the exit code)");
ABSL_FLAG(double, interval, 1.0, "seconds between refreshes (>= 0.1)");
ABSL_FLAG(int, deadline_ms, 0,
          "deadline of each GetMetrics poll in ms; a node slower than this "
          "is DOWN. 0: 800, or 80% of --interval if that is less; at most "
          "the interval");
ABSL_FLAG(std::vector<std::string>, host_override, {},
          "GROUP=HOST[,GROUP=HOST...]: dial the processes of host_group GROUP "
          "at HOST instead of their configured host (ports unchanged)");

namespace overlay::top {
namespace {

// absl flags are spelled with '_'; accept '-' in flag names too, as the
// issue spells them (--host-override).
void NormalizeFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (arg[0] != '-' || arg[1] != '-' || arg[2] == '\0') continue;
    for (char* c = arg + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

void PrintPlain(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    text += line;
    text += '\n';
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// Batch mode: stdout is not a terminal. Plain frames until SIGINT/SIGTERM.
int RunBatch(MetricsPoller& poller, const FrameRenderer& renderer,
             std::chrono::milliseconds interval) {
  std::optional<Snapshot> previous;
  while (true) {
    const auto next = std::chrono::steady_clock::now() + interval;
    Snapshot current = poller.Poll();
    PrintPlain(renderer.Render(previous ? &*previous : nullptr, current));
    std::fputs("\n", stdout);
    previous = std::move(current);
    std::this_thread::sleep_until(next);
  }
}

int RunLive(MetricsPoller& poller, const FrameRenderer& renderer,
            std::chrono::milliseconds interval) {
  absl::StatusOr<std::unique_ptr<TerminalSession>> terminal =
      TerminalSession::Start(STDIN_FILENO, STDOUT_FILENO);
  if (!terminal.ok()) {
    std::cerr << "overlay_top: " << terminal.status().message() << "\n";
    return 1;
  }
  TerminalSession& term = **terminal;
  std::optional<Snapshot> previous;
  std::optional<Snapshot> current;
  while (true) {
    const auto next = std::chrono::steady_clock::now() + interval;
    // Rates compare this poll with the one before it.
    Snapshot polled = poller.Poll();
    if (current) previous = std::move(current);
    current = std::move(polled);
    std::vector<std::string> lines =
        renderer.Render(previous ? &*previous : nullptr, *current);
    lines.push_back("");
    lines.push_back("q: quit   space: refresh now");
    term.Draw(lines);
    // Until the next refresh: redraw on resize, leave on q or a signal.
    bool refresh = false;
    while (!refresh) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      switch (term.Wait(static_cast<int>(left.count()))) {
        case TerminalSession::Event::kQuit:
          term.Restore();
          return 0;
        case TerminalSession::Event::kResize:
          term.Draw(lines);
          break;
        case TerminalSession::Event::kRefresh:
          refresh = true;
          break;
        case TerminalSession::Event::kTimeout:
          break;
      }
    }
  }
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a live terminal view of an overlay's nodes.\n"
      "  overlay_top --config configs/one_host.json [--once] "
      "[--host_override host2=10.0.0.7]\n"
      "Keys: q or Ctrl+C quits, space refreshes. --once prints one frame "
      "and exits 0 even when nodes are down (they show as DOWN).");
  NormalizeFlagNames(argc, argv);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (rest.size() > 1) {
    std::cerr << "overlay_top: unexpected argument '" << rest[1]
              << "' (see --help)\n";
    return 1;
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    std::cerr << "overlay_top: --config is required (see --help)\n";
    return 1;
  }
  const double interval_s = absl::GetFlag(FLAGS_interval);
  int deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (!(interval_s >= 0.1 && interval_s <= 3600)) {
    std::cerr << "overlay_top: --interval must be in 0.1..3600 seconds\n";
    return 1;
  }
  const auto interval =
      std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));
  const bool once = absl::GetFlag(FLAGS_once);
  if (deadline_ms == 0) {
    deadline_ms = once ? 800
                       : static_cast<int>(
                             std::min<int64_t>(800, interval.count() * 8 / 10));
  }
  if (deadline_ms < 1 || (!once && deadline_ms > interval.count())) {
    std::cerr << "overlay_top: --deadline_ms must be in 1.." << interval.count()
              << " (the interval) or 0\n";
    return 1;
  }
  absl::StatusOr<OverlayConfig> config = LoadOverlayConfig(path);
  if (!config.ok()) {
    std::cerr << "overlay_top: " << config.status().message() << "\n";
    return 1;
  }
  if (absl::Status s =
          ApplyHostOverrides(absl::GetFlag(FLAGS_host_override), *config);
      !s.ok()) {
    std::cerr << "overlay_top: " << s.message() << "\n";
    return 1;
  }

  PollerOptions options;
  options.deadline_ms = deadline_ms;
  ClientTlsFiles tls{absl::GetFlag(FLAGS_ca_file),
                     absl::GetFlag(FLAGS_cert_file),
                     absl::GetFlag(FLAGS_key_file)};
  if (tls.ca_file.empty() && tls.cert_file.empty() && tls.key_file.empty()) {
    tls = ClientTlsFilesOf(*config);
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientChannelCredentials(tls);
  if (!credentials.ok()) {
    std::cerr << "overlay_top: " << credentials.status().message() << "\n";
    return 1;
  }
  options.credentials = *std::move(credentials);
  MetricsPoller poller(TargetsFromConfig(*config), options);
  const FrameRenderer renderer(*std::move(config));
  if (once) {
    PrintPlain(renderer.Render(nullptr, poller.Poll()));
    return 0;
  }
  if (isatty(STDOUT_FILENO) != 1) return RunBatch(poller, renderer, interval);
  return RunLive(poller, renderer, interval);
}

}  // namespace
}  // namespace overlay::top

int main(int argc, char** argv) { return overlay::top::Main(argc, argv); }
