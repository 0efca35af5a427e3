// Copyright 2026 The overlay Authors.
//
// Lifecycle of a shared cache segment: create (O_EXCL, 0600, fallocate),
// attach, validation failures, reclaim of stale segments, removal by the
// last attacher, injected OS failures and a real tiny tmpfs.

#include "core/shmcache/shm_segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <glog/logging.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache.h"
#include "core/shmcache/shm_layout.h"
#include "test/test_util/fake_clock.h"
#include "test/test_util/status_matchers.h"
#include "test/unit/shmcache/fake_posix_api.h"
#include "test/unit/shmcache/shm_test_util.h"

namespace overlay {
namespace {

using ::overlay::testing::FakeClock;
using ::overlay::testing::FakePosixApi;
using ::overlay::testing::ForkChild;
using ::overlay::testing::PosixOp;
using ::overlay::testing::ScopedSegment;
using ::overlay::testing::SharedBlock;
using ::overlay::testing::WaitChild;
using ::testing::HasSubstr;

constexpr int64_t kMinute = int64_t{60} * 1'000'000'000;

absl::StatusOr<std::unique_ptr<ShmCache>> Open(const ShmCacheOptions& options,
                                               Clock* clock,
                                               PosixApi* posix = nullptr) {
  return ShmCache::CreateOrAttach(
      options, posix != nullptr ? posix : PosixApi::Real(), clock);
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A file of `bytes` bytes of 0xA5 at `path` (created, mode 0600).
void WriteGarbage(const std::string& path, size_t bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string garbage(bytes, '\xA5');
  ASSERT_EQ(::write(fd, garbage.data(), garbage.size()),
            static_cast<ssize_t>(garbage.size()));
  ::close(fd);
}

// Writes `bytes` at `offset` of the segment file, bypassing the library.
void PokeFile(const std::string& path, off_t offset, const void* bytes,
              size_t n) {
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::pwrite(fd, bytes, n, offset), static_cast<ssize_t>(n));
  ::close(fd);
}

TEST(ShmSegmentTest, CreatesExclusiveFullyAllocatedSegmentWithMode0600) {
  ScopedSegment segment("mode");
  FakeClock clock;
  // A umask that would strip the owner's write bit: the mode is still 0600.
  const mode_t old_umask = ::umask(0277);
  auto cache = Open(segment.options(), &clock);
  ::umask(old_umask);
  ASSERT_OK(cache);
  EXPECT_EQ((*cache)->attach_mode(), AttachMode::kCreated);
  EXPECT_EQ((*cache)->path(), segment.path());

  struct stat st;
  ASSERT_EQ(::stat(segment.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), uint64_t{1} << 20);
  // posix_fallocate'd: every page is backed now, none on first write.
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{1} << 20);
}

TEST(ShmSegmentTest, SecondMappingAttachesAndSharesEntries) {
  ScopedSegment segment("attach");
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto first, Open(segment.options(), &clock));
  ASSERT_OK_AND_ASSIGN(auto second, Open(segment.options(), &clock));
  EXPECT_EQ(second->attach_mode(), AttachMode::kAttached);
  ASSERT_OK(first->Put("k", "shared bytes", kMinute));
  std::string out;
  ASSERT_TRUE(second->Get("k", &out));
  EXPECT_EQ(out, "shared bytes");
}

TEST(ShmSegmentTest, LastAttacherToDetachRemovesTheSegment) {
  ScopedSegment segment("last");
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto first, Open(segment.options(), &clock));
  ASSERT_OK_AND_ASSIGN(auto second, Open(segment.options(), &clock));
  ASSERT_OK_AND_ASSIGN(auto third, Open(segment.options(), &clock));
  first.reset();
  EXPECT_TRUE(segment.exists());
  EXPECT_OK(second->Detach());
  EXPECT_TRUE(segment.exists());
  EXPECT_OK(second->Detach());  // idempotent
  EXPECT_OK(third->Detach());
  EXPECT_FALSE(segment.exists());
  third.reset();
  EXPECT_FALSE(segment.exists());
}

TEST(ShmSegmentTest, ForkedChildDroppingAnInheritedCacheRemovesNothing) {
  ScopedSegment segment("inherit");
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
  ASSERT_OK(cache->Put("k", "v", kMinute));
  const pid_t child = ForkChild([&] {
    cache.reset();  // shares the parent's lock: must only unmap
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  EXPECT_TRUE(segment.exists());
  std::string out;
  EXPECT_TRUE(cache->Get("k", &out));
  ASSERT_OK_AND_ASSIGN(auto again, Open(segment.options(), &clock));
  EXPECT_EQ(again->attach_mode(), AttachMode::kAttached);
}

TEST(ShmSegmentTest, RejectsInvalidOptions) {
  ScopedSegment segment("invalid");
  FakeClock clock;
  const int64_t errors_before = ShmCache::attach_errors();
  const auto code_of = [&](ShmCacheOptions options) {
    return Open(options, &clock).status().code();
  };
  ShmCacheOptions options = segment.options();
  options.name = "";
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options.name = "../etc/passwd";
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options = segment.options(1000);  // not a multiple of a page
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options = segment.options(8192);  // too small for an arena
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options = segment.options();
  options.bucket_count = 100;  // not a power of two
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options = segment.options();
  options.max_value_bytes = 1 << 20;  // more than half the arena
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  options = segment.options();
  options.writer_lease_nanos = 0;
  EXPECT_EQ(code_of(options), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShmCache::attach_errors(), errors_before + 7);
  EXPECT_FALSE(segment.exists());
}

// Every way a live segment can disagree with the attacher is a
// FAILED_PRECONDITION naming the difference; the segment stays as it was.
TEST(ShmSegmentTest, MismatchesWithALiveSegmentAreFailedPrecondition) {
  ScopedSegment segment("mismatch");
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto owner, Open(segment.options(), &clock));
  ASSERT_OK(owner->Put("k", "v", kMinute));

  const auto expect_refused = [&](const ShmCacheOptions& options,
                                  PosixApi* posix, const char* what) {
    const int64_t errors_before = ShmCache::attach_errors();
    absl::StatusOr<std::unique_ptr<ShmCache>> cache =
        Open(options, &clock, posix);
    ASSERT_FALSE(cache.ok()) << what;
    EXPECT_EQ(cache.status().code(), absl::StatusCode::kFailedPrecondition)
        << cache.status();
    EXPECT_THAT(cache.status().message(), HasSubstr(what));
    EXPECT_THAT(cache.status().message(), HasSubstr(segment.path()));
    EXPECT_EQ(ShmCache::attach_errors(), errors_before + 1);
  };

  expect_refused(segment.options(uint64_t{2} << 20), nullptr,
                 "file is 1048576 bytes, this process expects 2097152");
  ShmCacheOptions options = segment.options();
  options.bucket_count = 64;
  expect_refused(options, nullptr, "bucket count is 512");
  options = segment.options();
  options.max_value_bytes = 4096;
  expect_refused(options, nullptr, "max value size");
  {
    FakePosixApi posix;
    posix.set_boot_id("00000000-1111-2222-3333-444444444444");
    expect_refused(segment.options(), &posix, "this is boot 00000000-1111");
  }
  {
    FakePosixApi posix;
    posix.set_euid(::geteuid() + 1000);
    expect_refused(segment.options(), &posix, "created by uid");
  }
  {
    FakePosixApi posix;
    posix.set_time_namespace_id(12345);
    expect_refused(segment.options(), &posix, "time namespace");
  }
  {
    const uint32_t version = shm_layout::kLayoutVersion + 1;
    PokeFile(segment.path(), offsetof(shm_layout::Geometry, layout_version),
             &version, sizeof(version));
    expect_refused(segment.options(), nullptr,
                   "layout version 2, this binary understands version 1");
    PokeFile(segment.path(), offsetof(shm_layout::Geometry, layout_version),
             &shm_layout::kLayoutVersion, sizeof(version));
  }
  {
    const uint64_t magic = 0;
    PokeFile(segment.path(), 0, &magic, sizeof(magic));
    expect_refused(segment.options(), nullptr, "bad magic");
    PokeFile(segment.path(), 0, &shm_layout::kMagic, sizeof(magic));
  }
  {
    const uint32_t one = 1;
    PokeFile(segment.path(), offsetof(shm_layout::Header, initialising), &one,
             sizeof(one));
    expect_refused(segment.options(), nullptr, "initialising");
    const uint32_t zero = 0;
    PokeFile(segment.path(), offsetof(shm_layout::Header, initialising), &zero,
             sizeof(zero));
  }
  // Refusals touched nothing: the segment is live and whole.
  EXPECT_TRUE(segment.exists());
  std::string out;
  EXPECT_TRUE(owner->Get("k", &out));
  ASSERT_OK_AND_ASSIGN(auto again, Open(segment.options(), &clock));
  EXPECT_EQ(again->attach_mode(), AttachMode::kAttached);
}

TEST(ShmSegmentTest, SegmentOfASigkilledCreatorIsReclaimed) {
  ScopedSegment segment("killed");
  FakeClock clock;
  const pid_t child = ForkChild([&] {
    auto cache = Open(segment.options(), &clock);
    if (!cache.ok() || !(*cache)->Put("k", "v", kMinute).ok()) return 1;
    ::raise(SIGKILL);
    return 2;
  });
  ASSERT_EQ(WaitChild(child), 128 + SIGKILL);
  ASSERT_TRUE(segment.exists());
  const ino_t stale_inode = InodeOf(segment.path());

  ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
  EXPECT_EQ(cache->attach_mode(), AttachMode::kReclaimed);
  EXPECT_NE(InodeOf(segment.path()), stale_inode);
  std::string out;
  EXPECT_FALSE(cache->Get("k", &out));  // a fresh segment
  EXPECT_OK(cache->Detach());
  EXPECT_FALSE(segment.exists());
}

struct Readiness {
  std::atomic<int> ready{0};
};

TEST(ShmSegmentTest, SegmentIsReclaimedOnlyAfterEveryAttacherWasKilled) {
  ScopedSegment segment("allkilled");
  FakeClock clock;
  SharedBlock<Readiness> shared;
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(ForkChild([&, i] {
      auto cache = Open(segment.options(), &clock);
      if (!cache.ok()) return 1;
      if (!(*cache)->Put("k" + std::to_string(i), "v", kMinute).ok()) return 1;
      shared->ready.fetch_add(1);
      for (;;) ::pause();
    }));
    // One at a time, so the first one creates and the others attach.
    while (shared->ready.load() < i + 1) std::this_thread::yield();
  }
  {
    // Alive: attaching joins them.
    ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
    EXPECT_EQ(cache->attach_mode(), AttachMode::kAttached);
    std::string out;
    EXPECT_TRUE(cache->Get("k2", &out));
  }
  EXPECT_TRUE(segment.exists());  // we were not the last
  ::kill(children[0], SIGKILL);
  ASSERT_EQ(WaitChild(children[0]), 128 + SIGKILL);
  {
    ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
    EXPECT_EQ(cache->attach_mode(), AttachMode::kAttached);  // two live
  }
  for (size_t i = 1; i < children.size(); ++i) {
    ::kill(children[i], SIGKILL);
    ASSERT_EQ(WaitChild(children[i]), 128 + SIGKILL);
  }
  ASSERT_TRUE(segment.exists());  // SIGKILL removes nothing...
  ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
  EXPECT_EQ(cache->attach_mode(), AttachMode::kReclaimed);  // ...start does
  std::string out;
  EXPECT_FALSE(cache->Get("k2", &out));
}

TEST(ShmSegmentTest, StaleGarbageOrEmptyFilesAreReclaimed) {
  FakeClock clock;
  for (const size_t garbage_bytes : {size_t{0}, size_t{100}, size_t{20000}}) {
    ScopedSegment segment("garbage");
    WriteGarbage(segment.path(), garbage_bytes);
    ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
    EXPECT_EQ(cache->attach_mode(), AttachMode::kReclaimed) << garbage_bytes;
    ASSERT_OK(cache->Put("k", "v", kMinute));
  }
}

// A directory under the test's temp dir, removed (with what is left in it)
// on destruction.
class ScopedDirectory {
 public:
  explicit ScopedDirectory(const std::string& tag)
      : path_(absl::StrCat(::testing::TempDir(), "/", tag, "-", ::getpid())) {
    EXPECT_EQ(::mkdir(path_.c_str(), 0700), 0) << std::strerror(errno);
  }
  ~ScopedDirectory() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A stale segment left by a SIGKILLed attacher, at `segment`.
void LeaveStaleSegment(const ScopedSegment& segment, FakeClock* clock) {
  const pid_t child = ForkChild([&] {
    auto cache = Open(segment.options(), clock);
    if (!cache.ok()) return 1;
    ::raise(SIGKILL);
    return 2;
  });
  ASSERT_EQ(WaitChild(child), 128 + SIGKILL);
  ASSERT_TRUE(segment.exists());
}

TEST(ShmSegmentTest, RemoveIfStaleRemovesOnlyASegmentNobodyIsAttachedTo) {
  FakeClock clock;
  ScopedSegment stale("sweep-stale");
  LeaveStaleSegment(stale, &clock);
  ASSERT_OK_AND_ASSIGN(
      bool removed, ShmSegment::RemoveIfStale(stale.path(), PosixApi::Real()));
  EXPECT_TRUE(removed);
  EXPECT_FALSE(stale.exists());
  ASSERT_OK_AND_ASSIGN(
      removed, ShmSegment::RemoveIfStale(stale.path(), PosixApi::Real()));
  EXPECT_FALSE(removed);  // nothing there any more

  ScopedSegment live("sweep-live");
  ASSERT_OK_AND_ASSIGN(auto cache, Open(live.options(), &clock));
  ASSERT_OK(cache->Put("k", "v", kMinute));
  ASSERT_OK_AND_ASSIGN(
      removed, ShmSegment::RemoveIfStale(live.path(), PosixApi::Real()));
  EXPECT_FALSE(removed);
  std::string out;
  EXPECT_TRUE(cache->Get("k", &out));  // untouched, still usable
  EXPECT_OK(cache->Detach());
  EXPECT_FALSE(live.exists());
}

TEST(ShmSegmentTest, RemoveIfStaleLeavesFilesThatAreNotSegments) {
  for (const size_t bytes : {size_t{0}, size_t{100}, size_t{20000}}) {
    ScopedSegment other("sweep-other");
    WriteGarbage(other.path(), bytes);
    ASSERT_OK_AND_ASSIGN(
        const bool removed,
        ShmSegment::RemoveIfStale(other.path(), PosixApi::Real()));
    EXPECT_FALSE(removed) << bytes;
    EXPECT_TRUE(other.exists()) << bytes;
  }
  // Nor a FIFO: not a regular file, left alone without waiting on it.
  ScopedSegment fifo("sweep-fifo");
  ASSERT_EQ(::mkfifo(fifo.path().c_str(), 0600), 0) << std::strerror(errno);
  ASSERT_OK_AND_ASSIGN(const bool removed, ShmSegment::RemoveIfStale(
                                               fifo.path(), PosixApi::Real()));
  EXPECT_FALSE(removed);
  EXPECT_TRUE(fifo.exists());
}

TEST(ShmSegmentTest, RemoveStaleSegmentsSweepsADirectory) {
  auto scoped = std::make_unique<ScopedDirectory>("shm-sweep");
  const std::string directory = scoped->path();
  FakeClock clock;
  {
    ScopedSegment stale("stale", directory);
    ScopedSegment live("live", directory);
    ScopedSegment other("other", directory);
    LeaveStaleSegment(stale, &clock);
    ASSERT_OK_AND_ASSIGN(auto cache, Open(live.options(), &clock));
    WriteGarbage(other.path(), 0);
    // Not named like a segment: never looked at.
    const std::string unrelated = directory + "/not-ours";
    {
      ScopedSegment named_elsewhere("unused", directory);
      LeaveStaleSegment(named_elsewhere, &clock);
      ASSERT_EQ(::rename(named_elsewhere.path().c_str(), unrelated.c_str()), 0);
    }

    ASSERT_OK_AND_ASSIGN(
        ShmSegment::SweepResult swept,
        ShmSegment::RemoveStaleSegments(directory, PosixApi::Real()));
    EXPECT_THAT(swept.removed, ::testing::ElementsAre(stale.path()));
    EXPECT_THAT(swept.errors, ::testing::IsEmpty());
    EXPECT_FALSE(stale.exists());
    EXPECT_TRUE(live.exists());
    EXPECT_TRUE(other.exists());
    struct stat st;
    EXPECT_EQ(::stat(unrelated.c_str(), &st), 0);
    ::unlink(unrelated.c_str());
    EXPECT_OK(cache->Detach());
  }
  scoped.reset();  // removes the (now empty) directory
  EXPECT_EQ(ShmSegment::RemoveStaleSegments(directory, PosixApi::Real())
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST(ShmSegmentTest, StaleSegmentOfAnotherUserIsRefusedAndKept) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ScopedSegment segment("foreign");
  FakeClock clock;
  const int fd = ::open(segment.path().c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fchown(fd, 4242, 4242), 0);
  ::close(fd);
  absl::StatusOr<std::unique_ptr<ShmCache>> cache =
      Open(segment.options(), &clock);
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cache.status().message(), HasSubstr("belongs to uid 4242"));
  EXPECT_TRUE(segment.exists());
}

TEST(ShmSegmentTest, StaleSegmentOfAnotherUserIsNotSwept) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  // A directory of its own: a sweep of /dev/shm would also remove the
  // stale segments other tests, running at the same time, leave on purpose.
  ScopedDirectory directory("shm-foreign");
  ScopedSegment segment("foreign-sweep", directory.path());
  FakeClock clock;
  LeaveStaleSegment(segment, &clock);
  ASSERT_EQ(::chown(segment.path().c_str(), 4242, 4242), 0);
  absl::StatusOr<bool> removed =
      ShmSegment::RemoveIfStale(segment.path(), PosixApi::Real());
  EXPECT_EQ(removed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(removed.status().message(), HasSubstr("belongs to uid 4242"));
  EXPECT_TRUE(segment.exists());
  // A sweep leaves it too, and counts that as no error: it is not ours.
  ASSERT_OK_AND_ASSIGN(
      ShmSegment::SweepResult swept,
      ShmSegment::RemoveStaleSegments(directory.path(), PosixApi::Real()));
  EXPECT_THAT(swept.removed, ::testing::IsEmpty());
  EXPECT_THAT(swept.skipped, ::testing::ElementsAre(HasSubstr(segment.path())));
  EXPECT_THAT(swept.errors, ::testing::IsEmpty());
  EXPECT_TRUE(segment.exists());
}

TEST(ShmSegmentTest, InjectedCreateFailuresAreCleanErrorsAndLeaveNoFile) {
  FakeClock clock;
  struct Case {
    PosixOp op;
    int error_number;
    absl::StatusCode code;
    int skip = 0;
  };
  for (const Case& c : {
           Case{PosixOp::kFallocate, ENOSPC,
                absl::StatusCode::kResourceExhausted},
           Case{PosixOp::kMmap, ENOMEM, absl::StatusCode::kResourceExhausted},
           Case{PosixOp::kFtruncate, EFBIG, absl::StatusCode::kInternal},
           Case{PosixOp::kFchmod, EPERM, absl::StatusCode::kPermissionDenied},
           Case{PosixOp::kOpen, EACCES, absl::StatusCode::kPermissionDenied},
           // The second open is the O_TMPFILE one.
           Case{PosixOp::kOpen, EOPNOTSUPP, absl::StatusCode::kInternal, 1},
           Case{PosixOp::kLinkat, EACCES, absl::StatusCode::kPermissionDenied},
       }) {
    ScopedSegment segment("inject");
    FakePosixApi posix;
    posix.FailNext(c.op, c.error_number, c.skip);
    const int64_t errors_before = ShmCache::attach_errors();
    absl::StatusOr<std::unique_ptr<ShmCache>> cache =
        Open(segment.options(), &clock, &posix);
    EXPECT_EQ(cache.status().code(), c.code) << cache.status();
    EXPECT_THAT(cache.status().message(), HasSubstr(segment.path()));
    EXPECT_THAT(cache.status().message(),
                HasSubstr(std::strerror(c.error_number)));
    EXPECT_EQ(ShmCache::attach_errors(), errors_before + 1);
    EXPECT_FALSE(segment.exists()) << cache.status();
    // The next start, without the failure, works.
    ASSERT_OK_AND_ASSIGN(auto retry, Open(segment.options(), &clock, &posix));
    EXPECT_EQ(retry->attach_mode(), AttachMode::kCreated);
  }
}

TEST(ShmSegmentTest, InjectedAttachFailureLeavesTheLiveSegmentAlone) {
  ScopedSegment segment("inject-attach");
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto owner, Open(segment.options(), &clock));
  ASSERT_OK(owner->Put("k", "v", kMinute));
  FakePosixApi posix;
  posix.FailNext(PosixOp::kMmap, ENOMEM);
  EXPECT_EQ(Open(segment.options(), &clock, &posix).status().code(),
            absl::StatusCode::kResourceExhausted);
  posix.FailNext(PosixOp::kOpen, EACCES);
  EXPECT_EQ(Open(segment.options(), &clock, &posix).status().code(),
            absl::StatusCode::kPermissionDenied);
  std::string out;
  EXPECT_TRUE(owner->Get("k", &out));
  ASSERT_OK_AND_ASSIGN(auto again, Open(segment.options(), &clock, &posix));
  EXPECT_EQ(again->attach_mode(), AttachMode::kAttached);
}

TEST(ShmSegmentTest, LosingTheRaceToPublishAttachesToTheWinner) {
  ScopedSegment segment("race-lost");
  FakeClock clock;
  FakePosixApi posix;
  // Another process linked its segment between our open and our linkat.
  std::unique_ptr<ShmCache> winner;
  posix.OnCall(PosixOp::kLinkat, [&] {
    if (winner != nullptr) return;
    auto cache = Open(segment.options(), &clock);
    if (cache.ok()) winner = *std::move(cache);
  });
  ASSERT_OK_AND_ASSIGN(auto loser, Open(segment.options(), &clock, &posix));
  ASSERT_NE(winner, nullptr);
  EXPECT_EQ(winner->attach_mode(), AttachMode::kCreated);
  EXPECT_EQ(loser->attach_mode(), AttachMode::kAttached);
  ASSERT_OK(winner->Put("k", "v", kMinute));
  std::string out;
  EXPECT_TRUE(loser->Get("k", &out));
}

struct StartBoard {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> created{0};
  std::atomic<int> attached{0};
  std::atomic<int> errors{0};
};

TEST(ShmSegmentTest, SimultaneousStartsCreateExactlyOneSegment) {
  ScopedSegment segment("start");
  FakeClock clock;
  SharedBlock<StartBoard> board;
  constexpr int kNodes = 6;
  std::vector<pid_t> children;
  for (int i = 0; i < kNodes; ++i) {
    children.push_back(ForkChild([&] {
      board->ready.fetch_add(1);
      while (!board->go.load()) std::this_thread::yield();
      auto cache = Open(segment.options(), &clock);
      if (!cache.ok()) {
        board->errors.fetch_add(1);
        return 1;
      }
      if ((*cache)->attach_mode() == AttachMode::kAttached) {
        board->attached.fetch_add(1);
      } else {
        board->created.fetch_add(1);
      }
      // Stay attached until everyone is in, so nobody removes it early.
      board->ready.fetch_add(1);
      while (board->ready.load() < 2 * kNodes) std::this_thread::yield();
      return 0;
    }));
  }
  while (board->ready.load() < kNodes) std::this_thread::yield();
  board->go.store(true);
  for (pid_t child : children) EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(board->errors.load(), 0);
  EXPECT_EQ(board->created.load(), 1);
  EXPECT_EQ(board->attached.load(), kNodes - 1);
}

struct StressBoard {
  std::atomic<int> errors{0};
  std::atomic<int> misses{0};
  std::atomic<int> cycles{0};
  std::atomic<int> done{0};
};

// Processes attaching, writing, reading and detaching at once, one of them
// SIGKILLed midway: every attach succeeds, every attacher sees its own
// write, and the segment is gone at the end (or reclaimable if the killed
// process happened to be the last one attached).
TEST(ShmSegmentTest, ConcurrentAttachDetachCyclesAcrossProcesses) {
  ScopedSegment segment("stress");
  FakeClock clock;
  SharedBlock<StressBoard> board;
  constexpr int kProcesses = 4;
  constexpr int kCycles = 60;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(ForkChild([&, p] {
      for (int i = 0; i < kCycles; ++i) {
        auto cache = Open(segment.options(), &clock);
        if (!cache.ok()) {
          LOG(ERROR) << "attach: " << cache.status();
          board->errors.fetch_add(1);
          continue;
        }
        const std::string key = "p" + std::to_string(p);
        if (!(*cache)->Put(key, std::to_string(i), kMinute).ok()) {
          board->errors.fetch_add(1);
        }
        std::string out;
        if (!(*cache)->Get(key, &out) || out != std::to_string(i)) {
          board->misses.fetch_add(1);
        }
        if (absl::Status s = (*cache)->Detach(); !s.ok()) {
          LOG(ERROR) << "detach: " << s;
          board->errors.fetch_add(1);
        }
        board->cycles.fetch_add(1);
      }
      board->done.fetch_add(1);
      return 0;
    }));
  }
  const pid_t victim = ForkChild([&] {
    for (;;) {
      auto cache = Open(segment.options(), &clock);
      if (!cache.ok()) {
        LOG(ERROR) << "victim attach: " << cache.status();
        board->errors.fetch_add(1);
      }
    }
    return 0;
  });
  while (board->cycles.load() < kProcesses * kCycles / 2) {
    std::this_thread::yield();
  }
  ::kill(victim, SIGKILL);
  EXPECT_EQ(WaitChild(victim), 128 + SIGKILL);
  for (pid_t child : children) EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(board->errors.load(), 0);
  EXPECT_EQ(board->misses.load(), 0);
  EXPECT_EQ(board->cycles.load(), kProcesses * kCycles);
  if (segment.exists()) {
    ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(), &clock));
    EXPECT_EQ(cache->attach_mode(), AttachMode::kReclaimed);
  }
}

// A real small tmpfs, mounted by the test, stands in for a full /dev/shm.
class TinyTmpfsTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kTmpfsBytes = 512 * 1024;

  void SetUp() override {
    char dir[] = "/tmp/overlay-shm-tmpfs-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=512k,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (needs root/CAP_SYS_ADMIN): "
                   << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  int FilesInDir() const {
    int n = 0;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return -1;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 &&
          std::strcmp(e->d_name, "..") != 0) {
        ++n;
      }
    }
    ::closedir(d);
    return n;
  }
  uint64_t FreeBytes() const {
    struct statvfs vfs;
    if (::statvfs(dir_.c_str(), &vfs) != 0) return 0;
    return uint64_t{vfs.f_bavail} * vfs.f_frsize;
  }

  std::string dir_;
  bool mounted_ = false;
};

TEST_F(TinyTmpfsTest, SegmentLargerThanTheTmpfsIsResourceExhausted) {
  ScopedSegment segment("big", dir_);
  FakeClock clock;
  absl::StatusOr<std::unique_ptr<ShmCache>> cache =
      Open(segment.options(uint64_t{1} << 20), &clock);
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kResourceExhausted)
      << cache.status();
  EXPECT_THAT(cache.status().message(), HasSubstr("too small?"));
  EXPECT_EQ(FilesInDir(), 0);  // nothing left behind
  EXPECT_GE(FreeBytes(), kTmpfsBytes - 8192);
}

TEST_F(TinyTmpfsTest, PartlyFullTmpfsIsResourceExhaustedNotSigbus) {
  // Leave ~100 KiB free, then ask for 256 KiB: ftruncate alone would
  // succeed and the writes would SIGBUS; fallocate refuses up front.
  const std::string filler = dir_ + "/filler";
  const int fd = ::open(filler.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::posix_fallocate(fd, 0, kTmpfsBytes - 100 * 1024), 0);
  ::close(fd);
  ScopedSegment segment("partly", dir_);
  FakeClock clock;
  EXPECT_EQ(Open(segment.options(256 * 1024), &clock).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(segment.exists());
  ::unlink(filler.c_str());
}

TEST_F(TinyTmpfsTest, CreatorKilledBeforePublishingLeavesNothingBehind) {
  ScopedSegment segment("killed-creator", dir_);
  FakeClock clock;
  const uint64_t free_before = FreeBytes();
  const pid_t child = ForkChild([&] {
    FakePosixApi posix;
    // Sized, allocated and initialised, about to be linked: die.
    posix.OnCall(PosixOp::kLinkat, [] { ::raise(SIGKILL); });
    (void)Open(segment.options(256 * 1024), &clock, &posix);
    return 1;
  });
  ASSERT_EQ(WaitChild(child), 128 + SIGKILL);
  EXPECT_EQ(FilesInDir(), 0);
  EXPECT_EQ(FreeBytes(), free_before);  // the unnamed file died with it
  ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(256 * 1024), &clock));
  EXPECT_EQ(cache->attach_mode(), AttachMode::kCreated);
}

TEST_F(TinyTmpfsTest, SegmentThatFitsIsUsableToTheLastByte) {
  ScopedSegment segment("fits", dir_);
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto cache, Open(segment.options(256 * 1024), &clock));
  const uint64_t free_after_create = FreeBytes();
  // Three times the arena through the ring: every page is backed already.
  const std::string value(8 * 1024, 'v');
  for (int i = 0; i < 3 * 256 / 8; ++i) {
    ASSERT_OK(cache->Put("k" + std::to_string(i), value, kMinute));
  }
  std::string out;
  EXPECT_TRUE(cache->Get("k95", &out));
  EXPECT_EQ(FreeBytes(), free_after_create);  // no growth
  EXPECT_OK(cache->Detach());
  EXPECT_EQ(FilesInDir(), 0);
}

}  // namespace
}  // namespace overlay
