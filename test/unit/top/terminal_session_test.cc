// Copyright 2026 The overlay Authors.
//
// TerminalSession on a pseudo-terminal: the test holds the master side and
// plays the user and the screen.

#include "tools/top/terminal_session.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay::top {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

class TerminalSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    winsize size{};
    size.ws_col = 20;
    size.ws_row = 3;
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &size), 0);
    ASSERT_EQ(tcgetattr(slave_, &before_), 0);
    ASSERT_TRUE(before_.c_lflag & ICANON);
    ASSERT_TRUE(before_.c_lflag & ECHO);
  }
  void TearDown() override {
    close(master_);
    close(slave_);
  }

  // What the "screen" received so far (waits up to 5 s for the first byte).
  std::string Screen() {
    std::string out;
    int timeout_ms = 5000;
    while (true) {
      pollfd fd{master_, POLLIN, 0};
      if (poll(&fd, 1, timeout_ms) <= 0) break;
      char buffer[4096];
      const ssize_t n = read(master_, buffer, sizeof(buffer));
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
      timeout_ms = 0;  // then take only what is already there
    }
    return out;
  }

  void Type(const std::string& keys) {
    ASSERT_EQ(write(master_, keys.data(), keys.size()),
              static_cast<ssize_t>(keys.size()));
  }

  int master_ = -1;
  int slave_ = -1;
  termios before_{};
};

TEST_F(TerminalSessionTest, RawModeAlternateScreenAndBack) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                       TerminalSession::Start(slave_, slave_));
  termios raw{};
  ASSERT_EQ(tcgetattr(slave_, &raw), 0);
  EXPECT_FALSE(raw.c_lflag & ICANON);
  EXPECT_FALSE(raw.c_lflag & ECHO);
  EXPECT_TRUE(raw.c_lflag & ISIG);  // Ctrl+C still raises SIGINT
  const std::string entered = Screen();
  EXPECT_THAT(entered, HasSubstr("\x1b[?1049h"));  // alternate screen
  EXPECT_THAT(entered, HasSubstr("\x1b[?25l"));    // cursor hidden
  EXPECT_EQ(term->Columns(), 20);
  EXPECT_EQ(term->Rows(), 3);

  term->Restore();
  termios after{};
  ASSERT_EQ(tcgetattr(slave_, &after), 0);
  EXPECT_EQ(after.c_lflag, before_.c_lflag);
  EXPECT_EQ(after.c_iflag, before_.c_iflag);
  const std::string left = Screen();
  EXPECT_THAT(left, HasSubstr("\x1b[?25h"));    // cursor shown
  EXPECT_THAT(left, HasSubstr("\x1b[?1049l"));  // main screen
  term->Restore();  // idempotent: nothing more is written
  term.reset();
  pollfd fd{master_, POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 0), 0);
}

TEST_F(TerminalSessionTest, KeysAndSignalsBecomeEvents) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                       TerminalSession::Start(slave_, slave_));
  (void)Screen();
  using Event = TerminalSession::Event;
  EXPECT_EQ(term->Wait(0), Event::kTimeout);
  Type("x");  // other keys are ignored
  EXPECT_EQ(term->Wait(50), Event::kTimeout);
  Type(" ");
  EXPECT_EQ(term->Wait(5000), Event::kRefresh);
  Type("q");
  EXPECT_EQ(term->Wait(5000), Event::kQuit);
  Type("Q");
  EXPECT_EQ(term->Wait(5000), Event::kQuit);
  // With ISIG on, Ctrl+C becomes SIGINT (see overlay_top_test); should it
  // arrive as a byte (ISIG turned off behind our back), it quits too.
  termios no_isig{};
  ASSERT_EQ(tcgetattr(slave_, &no_isig), 0);
  no_isig.c_lflag &= ~static_cast<tcflag_t>(ISIG);
  ASSERT_EQ(tcsetattr(slave_, TCSANOW, &no_isig), 0);
  Type("\x03");
  EXPECT_EQ(term->Wait(5000), Event::kQuit);
  ASSERT_EQ(raise(SIGWINCH), 0);
  EXPECT_EQ(term->Wait(5000), Event::kResize);
  // The first SIGTERM asks to quit (a second would restore and _exit).
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_EQ(term->Wait(5000), Event::kQuit);
}

TEST_F(TerminalSessionTest, OldSignalHandlersComeBack) {
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &before), 0);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                         TerminalSession::Start(slave_, slave_));
    struct sigaction during {};
    ASSERT_EQ(sigaction(SIGTERM, nullptr, &during), 0);
    EXPECT_NE(during.sa_handler, before.sa_handler);
  }
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST_F(TerminalSessionTest, OneSessionAtATime) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                       TerminalSession::Start(slave_, slave_));
  EXPECT_EQ(TerminalSession::Start(slave_, slave_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  term.reset();
  ASSERT_OK_AND_ASSIGN(term, TerminalSession::Start(slave_, slave_));
}

TEST_F(TerminalSessionTest, DrawCutsLinesToTheWindow) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                       TerminalSession::Start(slave_, slave_));
  (void)Screen();
  term->Draw({"0123456789012345678901234", "short", "third", "fourth"});
  const std::string frame = Screen();
  // 20 columns: 19 characters a line; 3 rows: 3 lines.
  EXPECT_THAT(frame, HasSubstr("0123456789012345678\x1b[K"));
  EXPECT_THAT(frame, Not(HasSubstr("01234567890123456789")));
  EXPECT_THAT(frame, HasSubstr("short\x1b[K"));
  EXPECT_THAT(frame, HasSubstr("third\x1b[K\x1b[J"));
  EXPECT_THAT(frame, Not(HasSubstr("fourth")));
  EXPECT_TRUE(absl::StartsWith(frame, "\x1b[H"));
  EXPECT_THAT(frame, EndsWith("\x1b[J"));
}

TEST_F(TerminalSessionTest, InputAtEndOfFileStillWaitsForSignals) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  close(pipe_fds[1]);  // keys from a closed pipe: EOF at once
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TerminalSession> term,
                       TerminalSession::Start(pipe_fds[0], slave_));
  EXPECT_EQ(term->Wait(50), TerminalSession::Event::kTimeout);
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_EQ(term->Wait(5000), TerminalSession::Event::kQuit);
  term.reset();
  close(pipe_fds[0]);
}

}  // namespace
}  // namespace overlay::top
