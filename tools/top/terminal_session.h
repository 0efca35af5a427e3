// Copyright 2026 The overlay Authors.
//
// TerminalSession: the terminal state of a full-screen live view, and
// getting it back. Start() saves the input terminal's termios and switches
// it to raw mode (no echo, no line buffering; ISIG kept, so Ctrl+C still
// raises SIGINT), switches the output to the alternate screen and hides the
// cursor. Restore() undoes all three; it runs from the destructor, at exit()
// and on a second SIGINT/SIGTERM/SIGHUP (when the first one, which only asks
// the view to quit, went unheeded).
//
// Owns: the saved termios, a self-pipe its signal handlers write to, and
// the SIGINT/SIGTERM/SIGHUP/SIGWINCH dispositions while it lives (the
// previous ones come back in the destructor). At most one session per
// process. Thread-compatible: one thread calls Wait/Draw/Restore; the signal
// handlers are async-signal-safe.
//
//   ASSIGN_OR_RETURN(auto term, TerminalSession::Start(0, 1));
//   term->Draw(lines);
//   if (term->Wait(1000) == TerminalSession::Event::kQuit) ...

#ifndef OVERLAY_TOOLS_TOP_TERMINAL_SESSION_H_
#define OVERLAY_TOOLS_TOP_TERMINAL_SESSION_H_

#include <termios.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace overlay::top {

class TerminalSession final {
 public:
  enum class Event {
    kTimeout,  // nothing happened before the timeout
    kQuit,     // 'q', 'Q', Ctrl+C (as a key) or SIGINT/SIGTERM/SIGHUP
    kResize,   // SIGWINCH: the window changed size
    kRefresh,  // space or 'r': redraw now
  };

  // Takes over `in_fd` (keys; raw mode only if it is a terminal) and
  // `out_fd` (drawing). FAILED_PRECONDITION if a session already exists;
  // errno failures as PosixError.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TerminalSession>> Start(
      int in_fd, int out_fd);
  ~TerminalSession();  // Restore(), then the old signal dispositions
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  // Waits up to `timeout_ms` for a key or a signal.
  Event Wait(int timeout_ms);

  // Draws `lines` from the top-left corner, each cut to the window's width,
  // at most the window's height of them, clearing what the last frame left.
  void Draw(const std::vector<std::string>& lines);

  // Leaves raw mode and the alternate screen, shows the cursor.
  // Idempotent.
  void Restore();

  // The window size, or 0 when unknown.
  int Columns() const;
  int Rows() const;

 private:
  TerminalSession(int in_fd, int out_fd);

  const int in_fd_;
  const int out_fd_;
  bool in_is_tty_ = false;
  bool in_open_ = true;  // false once the input reached EOF
  struct termios saved_ {};
};

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_TERMINAL_SESSION_H_
