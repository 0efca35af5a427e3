// Copyright 2026 The overlay Authors.

#include "tools/top/terminal_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>

#include "absl/status/status.h"
#include "core/common/posix_error.h"

namespace overlay::top {
namespace {

constexpr char kEnter[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";  // alt screen,
                                                                // cursor off
constexpr char kLeave[] = "\x1b[?25h\x1b[?1049l";  // cursor on, main screen
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
constexpr int kNumSignals = sizeof(kSignals) / sizeof(kSignals[0]);

// What the signal handlers and the exit hook need, set while a session
// lives. Plain globals: a handler may read only these, and they are written
// before the handlers are installed and after they are removed.
std::atomic<bool> g_active{false};
std::atomic<bool> g_restored{true};
std::atomic<int> g_quit_signals{0};
int g_in_fd = -1;
int g_out_fd = -1;
bool g_in_is_tty = false;
struct termios g_saved {};
int g_pipe[2] = {-1, -1};
struct sigaction g_old_actions[kNumSignals];

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nothing sensible left to do with a dead terminal
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Async-signal-safe: tcsetattr and write only.
void RestoreTerminal() {
  if (g_restored.exchange(true)) return;
  if (g_in_is_tty) tcsetattr(g_in_fd, TCSANOW, &g_saved);
  WriteAll(g_out_fd, kLeave, sizeof(kLeave) - 1);
}

void OnSignal(int signal_number) {
  const int saved_errno = errno;
  char byte = 'w';
  if (signal_number != SIGWINCH) {
    // The first signal asks the view to quit; a second one means it did
    // not (stuck somewhere): restore the terminal and leave now.
    if (g_quit_signals.fetch_add(1) >= 1) {
      RestoreTerminal();
      _exit(128 + signal_number);
    }
    byte = 'q';
  }
  (void)!write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

void RestoreAtExit() { RestoreTerminal(); }

}  // namespace

TerminalSession::TerminalSession(int in_fd, int out_fd)
    : in_fd_(in_fd), out_fd_(out_fd) {}

absl::StatusOr<std::unique_ptr<TerminalSession>> TerminalSession::Start(
    int in_fd, int out_fd) {
  if (g_active.exchange(true)) {
    return absl::FailedPreconditionError("a terminal session already exists");
  }
  std::unique_ptr<TerminalSession> session(new TerminalSession(in_fd, out_fd));
  if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_active.store(false);
    return PosixError("pipe2", errno);
  }
  session->in_is_tty_ = isatty(in_fd) == 1;
  if (session->in_is_tty_) {
    if (tcgetattr(in_fd, &session->saved_) != 0) {
      const int error = errno;
      close(g_pipe[0]);
      close(g_pipe[1]);
      g_active.store(false);
      return PosixError("tcgetattr", error);
    }
  }
  g_in_fd = in_fd;
  g_out_fd = out_fd;
  g_in_is_tty = session->in_is_tty_;
  g_saved = session->saved_;
  g_quit_signals.store(0);
  static const bool registered = std::atexit(RestoreAtExit) == 0;
  (void)registered;

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int i = 0; i < kNumSignals; ++i) {
    sigaction(kSignals[i], &action, &g_old_actions[i]);
  }

  g_restored.store(false);
  if (session->in_is_tty_) {
    struct termios raw = session->saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(in_fd, TCSANOW, &raw);
  }
  WriteAll(out_fd, kEnter, sizeof(kEnter) - 1);
  return session;
}

TerminalSession::~TerminalSession() {
  Restore();
  for (int i = 0; i < kNumSignals; ++i) {
    sigaction(kSignals[i], &g_old_actions[i], nullptr);
  }
  close(g_pipe[0]);
  close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
  g_active.store(false);
}

void TerminalSession::Restore() { RestoreTerminal(); }

TerminalSession::Event TerminalSession::Wait(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - Clock::now())
                          .count();
    if (left <= 0) return Event::kTimeout;
    pollfd fds[2] = {{g_pipe[0], POLLIN, 0}, {in_fd_, POLLIN, 0}};
    const int r = poll(fds, in_open_ ? 2 : 1, static_cast<int>(left));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Event::kTimeout;
    }
    if (fds[0].revents & POLLIN) {
      char bytes[16];
      const ssize_t n = read(g_pipe[0], bytes, sizeof(bytes));
      bool resize = false;
      for (ssize_t i = 0; i < n; ++i) {
        if (bytes[i] == 'q') return Event::kQuit;
        resize = true;
      }
      if (resize) return Event::kResize;
    }
    if (in_open_ && fds[1].revents != 0) {
      char keys[64];
      const ssize_t n = read(in_fd_, keys, sizeof(keys));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        in_open_ = false;  // EOF (e.g. </dev/null): only signals from now
        continue;
      }
      for (ssize_t i = 0; i < n; ++i) {
        const char key = keys[i];
        if (key == 'q' || key == 'Q' || key == 3) return Event::kQuit;
        if (key == ' ' || key == 'r') return Event::kRefresh;
      }
    }
  }
}

void TerminalSession::Draw(const std::vector<std::string>& lines) {
  const int columns = Columns();
  const int rows = Rows();
  size_t count = lines.size();
  if (rows > 0) count = std::min(count, static_cast<size_t>(rows));
  // Stop one short of the last column: writing there leaves the cursor in
  // the pending-wrap state, where erasing to end of line eats the last
  // character.
  const size_t width =
      columns > 1 ? static_cast<size_t>(columns - 1) : std::string::npos;
  std::string frame = "\x1b[H";
  for (size_t i = 0; i < count; ++i) {
    frame.append(lines[i], 0, std::min(width, lines[i].size()));
    frame += "\x1b[K";
    if (i + 1 < count) frame += "\r\n";
  }
  frame += "\x1b[J";
  WriteAll(out_fd_, frame.data(), frame.size());
}

int TerminalSession::Columns() const {
  winsize size{};
  if (ioctl(out_fd_, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

int TerminalSession::Rows() const {
  winsize size{};
  if (ioctl(out_fd_, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_row;
}

}  // namespace overlay::top
