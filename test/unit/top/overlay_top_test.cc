// Copyright 2026 The overlay Authors.
//
// build/bin/overlay_top as a subprocess against fake QueryServices (this
// process) for some ids of a config written here; the other ids sit on
// closed ports. --once through a pipe; the live view on a pseudo-terminal
// the test holds, typing 'q' / Ctrl+C or sending SIGTERM.

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/config/overlay_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/node_process.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/top/fake_metrics_server.h"

namespace overlay::top {
namespace {

using ::overlay::top::testing::CallGate;
using ::overlay::top::testing::FakeMetricsServer;
using ::overlay::top::testing::MetricsFor;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TopBinary() {
  return overlay::testing::BinaryDir() + "/overlay_top";
}

// Nodes A..E, edges A-B B-C B-D C-E D-E. A, B and C answer from fakes in
// this process; D and E are on closed ports.
class OverlayTopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = overlay::testing::MakeTempDir("overlay-top-test");
    ASSERT_FALSE(dir_.empty());
    for (const char* id : {"A", "B", "C"}) {
      fakes_.push_back(std::make_unique<FakeMetricsServer>(MetricsFor(id)));
      ASSERT_OK(fakes_.back()->Start());
    }
  }
  void TearDown() override {
    fakes_.clear();
    overlay::testing::RemoveTree(dir_);
  }

  // Writes the config; `edit` may change it first.
  std::string WriteConfig(
      const std::function<void(OverlayConfig&)>& edit = nullptr) {
    const std::vector<int> closed = overlay::testing::PickFreePorts(2);
    OverlayConfig config;
    config.name = "fake5";
    config.portal = "A";
    config.data_root = dir_;
    const char* ids[] = {"A", "B", "C", "D", "E"};
    const std::vector<std::vector<std::string>> neighbors = {
        {"B"}, {"A", "C", "D"}, {"B", "E"}, {"B", "E"}, {"C", "D"}};
    for (int i = 0; i < 5; ++i) {
      ProcessConfig p;
      p.id = ids[i];
      p.role = i == 0 ? Role::kLeader : Role::kWorker;
      p.team = i < 3 ? "green" : "pink";
      p.host = "127.0.0.1";
      p.host_group = i < 3 ? "near" : "far";
      p.port = i < 3 ? fakes_[i]->port() : closed[i - 3];
      p.neighbors = neighbors[i];
      config.processes.push_back(p);
    }
    if (edit) edit(config);
    const std::string path = dir_ + "/overlay.json";
    EXPECT_OK(WriteOverlayConfig(config, path));
    return path;
  }

  // Runs overlay_top with `args` (stdout and stderr to a file); its exit
  // code and output.
  std::pair<int, std::string> Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {TopBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    overlay::testing::NodeProcess process;
    EXPECT_OK(process.Start(argv, dir_ + "/top.log"));
    absl::StatusOr<int> code = process.Wait(60);
    EXPECT_OK(code.status());
    return {code.ok() ? *code : -1, process.ReadLog()};
  }

  std::string dir_;
  std::vector<std::unique_ptr<FakeMetricsServer>> fakes_;
};

// The line of the frame that starts with `id`.
std::string Row(const std::string& text, const std::string& id) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, id + " ")) return std::string(line);
  }
  return "";
}

TEST_F(OverlayTopTest, OnceListsEveryNodeAndTheDownOnes) {
  const std::string config = WriteConfig();
  auto [code, out] = Run({"--once", "--config", config});
  EXPECT_EQ(code, 0) << out;  // down nodes are not an error
  EXPECT_THAT(out, HasSubstr("overlay fake5  3/5 up  DOWN: D E")) << out;
  for (const char* id : {"A", "B", "C"}) {
    const std::string row = Row(out, id);
    EXPECT_THAT(row, HasSubstr(fakes_[id[0] - 'A']->address())) << out;
    EXPECT_THAT(row, ContainsRegex(" up +- +2 +1 +2\\.50 +1,234 +50\\.0M +- "
                                   "+1m05s$"))
        << out;
  }
  for (const char* id : {"D", "E"}) {
    EXPECT_THAT(Row(out, id), ContainsRegex(" DOWN .* connection refused$"))
        << out;
  }
  EXPECT_THAT(out, HasSubstr("edges (5):  A-B  B-C  B-D(x)  C-E(x)  D-E(x)"));
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));  // plain text
  for (const auto& fake : fakes_) EXPECT_EQ(fake->calls(), 1);
}

TEST_F(OverlayTopTest, ANodeThatDoesNotAnswerInTimeIsDown) {
  auto hang = std::make_shared<CallGate>(1 << 30);
  FakeMetricsServer hung(MetricsFor("D"), hang);
  ASSERT_OK(hung.Start());
  const std::string config =
      WriteConfig([&](OverlayConfig& c) { c.processes[3].port = hung.port(); });
  auto [code, out] = Run({"--once", "--deadline_ms=200", "--config", config});
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(Row(out, "D"), ContainsRegex(" DOWN .* no answer in time$"))
      << out;
  EXPECT_THAT(out, HasSubstr("3/5 up  DOWN: D E"));
  EXPECT_EQ(hang->arrived(), 1);
}

TEST_F(OverlayTopTest, HostOverrideRedirectsAGroup) {
  // "near" is configured on an address nothing listens on.
  const std::string config = WriteConfig([](OverlayConfig& c) {
    for (int i = 0; i < 3; ++i) c.processes[i].host = "127.0.0.254";
  });
  auto [code, out] = Run({"--once", "--deadline_ms=300", "--config", config,
                          "--host-override", "near=127.0.0.1"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("3/5 up  DOWN: D E")) << out;
  EXPECT_THAT(Row(out, "A"), HasSubstr(fakes_[0]->address()));

  auto [bad_code, bad_out] =
      Run({"--once", "--config", config, "--host_override=nowhere=x"});
  EXPECT_EQ(bad_code, 1);
  EXPECT_THAT(bad_out, HasSubstr("no process has host_group 'nowhere'"));
}

TEST_F(OverlayTopTest, HelpListsTheFlagsAndBadFlagsFail) {
  // absl exits 1 after --help, as every binary of ours does.
  const std::string help = Run({"--help"}).second;
  for (const char* flag : {"--config", "--once", "--interval", "--deadline_ms",
                           "--host_override"}) {
    EXPECT_THAT(help, HasSubstr(flag)) << help;
  }
  EXPECT_NE(Run({"--no_such_flag"}).first, 0);
  EXPECT_EQ(Run({"--once"}).first, 1);  // no --config
  EXPECT_EQ(Run({"--once", "--config", dir_ + "/missing.json"}).first, 1);
  const std::string config = WriteConfig();
  EXPECT_EQ(Run({"--once", "--config", config, "--deadline_ms=-5"}).first, 1);
  // A deadline longer than the interval of a live view.
  EXPECT_EQ(
      Run({"--config", config, "--interval=0.5", "--deadline_ms=600"}).first,
      1);
  EXPECT_EQ(Run({"--config", config, "--interval=0.01"}).first, 1);
  EXPECT_EQ(Run({"--once", "--config", config, "extra"}).first, 1);
}

// overlay_top on a pseudo-terminal: the test keeps the slave side open too,
// to read its termios after the child exits.
class LiveTop {
 public:
  ~LiveTop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
    if (slave_ >= 0) close(slave_);
  }

  void Start(const std::vector<std::string>& argv) {
    winsize size{};
    size.ws_col = 160;
    size.ws_row = 40;
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &size), 0);
    ASSERT_EQ(tcgetattr(slave_, &cooked_), 0);
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      setsid();
      ioctl(slave_, TIOCSCTTY, 0);
      dup2(slave_, 0);
      dup2(slave_, 1);
      dup2(slave_, 2);
      close(master_);
      close(slave_);
      execv(args[0], args.data());
      _exit(127);
    }
  }

  // Reads the terminal until `done(screen)` or 30 s; everything read so far.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done(screen_) && std::chrono::steady_clock::now() < give_up) {
      pollfd fd{master_, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      char buffer[8192];
      const ssize_t n = read(master_, buffer, sizeof(buffer));
      if (n > 0) screen_.append(buffer, static_cast<size_t>(n));
    }
    return screen_;
  }
  std::string ReadUntilContains(const std::string& text) {
    return ReadUntil(
        [&](const std::string& s) { return absl::StrContains(s, text); });
  }

  void Type(const std::string& keys) {
    ASSERT_EQ(write(master_, keys.data(), keys.size()),
              static_cast<ssize_t>(keys.size()));
  }
  void Signal(int signal_number) { kill(pid_, signal_number); }

  // The exit code (-signal if killed); -1000 if still running after 30 s.
  int Wait() {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      // Polling a child for its exit; nothing here depends on the time.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1000;
  }

  termios Termios() const {
    termios now{};
    tcgetattr(slave_, &now);
    return now;
  }
  const termios& cooked() const { return cooked_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  int slave_ = -1;
  termios cooked_{};
  std::string screen_;
};

// Ways to leave the live view; every one exits 0 and restores the terminal.
enum class Leave { kKeyQ, kCtrlC, kSigterm };

class OverlayTopLiveTest : public OverlayTopTest,
                           public ::testing::WithParamInterface<Leave> {};

TEST_P(OverlayTopLiveTest, DrawsFramesAndRestoresTheTerminal) {
  // A takes 5 queries and 0.25 CPU s per second of its uptime, per poll.
  fakes_[0]->set_advance_per_call(5, 0.25, 1.0);
  const std::string config = WriteConfig();
  LiveTop top;
  ASSERT_NO_FATAL_FAILURE(top.Start({TopBinary(), "--config", config,
                                     "--interval=0.1", "--deadline_ms=100"}));
  std::string screen = top.ReadUntilContains("q: quit");  // a whole frame
  ASSERT_THAT(screen, HasSubstr("3/5 up  DOWN: D E"));
  EXPECT_THAT(screen, HasSubstr("\x1b[?1049h"));  // alternate screen
  EXPECT_THAT(screen, HasSubstr("\x1b[?25l"));    // cursor hidden
  EXPECT_THAT(screen, HasSubstr("q: quit"));
  const termios raw = top.Termios();
  EXPECT_FALSE(raw.c_lflag & ICANON);
  EXPECT_FALSE(raw.c_lflag & ECHO);
  // A later frame has A's rates from two polls: 5 qps, 25 % CPU.
  screen = top.ReadUntil([](const std::string& s) {
    return absl::StrContains(s, " 5.0  ") && absl::StrContains(s, " 25.0  ");
  });
  EXPECT_THAT(screen, ContainsRegex("A +leader +green +127\\.0\\.0\\.1:[0-9]+ "
                                    "+up +5\\.0 +2 +1 +2\\.50 +1,234 +50\\.0M "
                                    "+25\\.0 "));
  switch (GetParam()) {
    case Leave::kKeyQ:
      top.Type("q");
      break;
    case Leave::kCtrlC:
      top.Type("\x03");  // the line discipline turns it into SIGINT
      break;
    case Leave::kSigterm:
      top.Signal(SIGTERM);
      break;
  }
  screen = top.ReadUntilContains("\x1b[?1049l");
  EXPECT_EQ(top.Wait(), 0);
  const size_t left = screen.rfind("\x1b[?1049l");
  ASSERT_NE(left, std::string::npos) << "never left the alternate screen";
  EXPECT_NE(screen.find("\x1b[?25h", screen.rfind("\x1b[?25l")),
            std::string::npos)
      << "cursor left hidden";
  const termios after = top.Termios();
  EXPECT_EQ(after.c_lflag, top.cooked().c_lflag);
  EXPECT_EQ(after.c_iflag, top.cooked().c_iflag);
  EXPECT_TRUE(after.c_lflag & ICANON);
  EXPECT_TRUE(after.c_lflag & ECHO);
}

INSTANTIATE_TEST_SUITE_P(Leaves, OverlayTopLiveTest,
                         ::testing::Values(Leave::kKeyQ, Leave::kCtrlC,
                                           Leave::kSigterm),
                         [](const ::testing::TestParamInfo<Leave>& info) {
                           switch (info.param) {
                             case Leave::kKeyQ:
                               return "KeyQ";
                             case Leave::kCtrlC:
                               return "CtrlC";
                             case Leave::kSigterm:
                               return "Sigterm";
                           }
                           return "Unknown";
                         });

TEST_F(OverlayTopTest, WithoutATerminalFramesArePlainText) {
  // Batch mode runs until a signal: read the first frame from a pipe.
  const std::string config = WriteConfig();
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string binary = TopBinary();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(),
          "--interval=0.2", "--deadline_ms=100", nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string text;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!absl::StrContains(text, "edges (5)") &&
         std::chrono::steady_clock::now() < give_up) {
    pollfd fd{out[0], POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  EXPECT_THAT(text, HasSubstr("3/5 up  DOWN: D E"));
  EXPECT_THAT(text, HasSubstr("edges (5)"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
}

}  // namespace
}  // namespace overlay::top
