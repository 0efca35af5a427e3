// Copyright 2026 The overlay Authors.

#include "core/shmcache/shm_segment.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <new>
#include <string_view>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"

namespace overlay {
namespace {

using shm_layout::Bucket;
using shm_layout::Geometry;
using shm_layout::Header;

// Attempts before giving up when the segment keeps being removed or
// replaced under us (another process reclaiming or detaching it).
constexpr int kMaxOpenAttempts = 100;
// Default index density: one bucket per this many segment bytes. Results
// pulled in small chunks make many small entries; at one per 8 KiB the
// 8-way sets overflowed and pushed out plans long before the arena filled.
// The index costs 64 / 2048 = 3% of the segment.
constexpr uint64_t kBytesPerBucket = 2048;

absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 200 || name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("shm segment name '", name, "' is empty or invalid"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("shm segment name '", name,
                       "' has characters outside [A-Za-z0-9._-]"));
    }
  }
  return absl::OkStatus();
}

uint32_t NextPowerOfTwo(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return static_cast<uint32_t>(
      std::min<uint64_t>(p, shm_layout::kMaxBucketCount));
}

// The geometry this process expects from `options` and its environment.
absl::StatusOr<Geometry> ExpectedGeometry(const ShmCacheOptions& options,
                                          PosixApi* posix) {
  const uint64_t size = options.size_bytes;
  if (size == 0 || size % shm_layout::kPageBytes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("shm cache size ", size, " is not a positive multiple of ",
                     shm_layout::kPageBytes));
  }
  uint32_t buckets = options.bucket_count;
  if (buckets == 0) {
    buckets =
        std::max(shm_layout::kWays, NextPowerOfTwo(size / kBytesPerBucket));
  } else if ((buckets & (buckets - 1)) != 0 || buckets < shm_layout::kWays ||
             buckets > shm_layout::kMaxBucketCount) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shm cache bucket_count ", buckets, " is not a power of two in [",
        shm_layout::kWays, ", ", shm_layout::kMaxBucketCount, "]"));
  }
  const uint64_t arena_offset = shm_layout::ArenaOffset(buckets);
  if (size < arena_offset + shm_layout::kMinArenaBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shm cache size ", size, " is too small: ", buckets,
        " buckets need at least ", arena_offset + shm_layout::kMinArenaBytes));
  }
  const uint64_t arena_bytes =
      (size - arena_offset) / shm_layout::kArenaAlign * shm_layout::kArenaAlign;
  uint64_t max_value = options.max_value_bytes;
  if (max_value == 0) {
    max_value = std::min(arena_bytes / 4, shm_layout::kMaxValueBytesLimit);
  } else if (max_value > arena_bytes / 2 ||
             max_value > shm_layout::kMaxValueBytesLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("shm cache max_value_bytes ", max_value,
                     " exceeds half the arena (", arena_bytes / 2, ")"));
  }
  ASSIGN_OR_RETURN(const std::string boot_id, posix->ReadBootId());
  ASSIGN_OR_RETURN(const uint64_t time_namespace, posix->TimeNamespaceId());

  Geometry g{};
  g.magic = shm_layout::kMagic;
  g.layout_version = shm_layout::kLayoutVersion;
  g.header_bytes = static_cast<uint32_t>(shm_layout::kHeaderBytes);
  g.total_bytes = size;
  g.index_offset = shm_layout::kHeaderBytes;
  g.bucket_count = buckets;
  g.ways = shm_layout::kWays;
  g.arena_offset = arena_offset;
  g.arena_bytes = arena_bytes;
  g.max_value_bytes = max_value;
  std::memcpy(g.boot_id, boot_id.data(),
              std::min(boot_id.size(), sizeof(g.boot_id) - 1));
  g.time_namespace_id = time_namespace;
  g.creator_uid = static_cast<uint32_t>(posix->GetEuid());
  g.reserved = 0;
  return g;
}

std::string BootIdOf(const Geometry& g) {
  return std::string(g.boot_id, strnlen(g.boot_id, sizeof(g.boot_id)));
}

// Field-by-field comparison of what the segment says with what this process
// expects; the first difference, in words.
absl::Status CompareGeometry(const Geometry& actual, const Geometry& expected,
                             uint64_t actual_checksum) {
  if (actual.magic != expected.magic) {
    return absl::FailedPreconditionError(
        "not an overlay cache segment (bad magic)");
  }
  if (actual.layout_version != expected.layout_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "layout version ", actual.layout_version,
        ", this binary understands version ", expected.layout_version));
  }
  if (shm_layout::GeometryChecksum(actual) != actual_checksum) {
    return absl::FailedPreconditionError(
        "header checksum mismatch (corrupt header)");
  }
  const auto mismatch = [](std::string_view what, uint64_t got, uint64_t want) {
    return absl::FailedPreconditionError(absl::StrCat(
        AsAbsl(what), " is ", got, ", this process expects ", want));
  };
  if (actual.header_bytes != expected.header_bytes) {
    return mismatch("header size", actual.header_bytes, expected.header_bytes);
  }
  if (actual.total_bytes != expected.total_bytes) {
    return mismatch("segment size", actual.total_bytes, expected.total_bytes);
  }
  if (actual.bucket_count != expected.bucket_count) {
    return mismatch("bucket count", actual.bucket_count, expected.bucket_count);
  }
  if (actual.ways != expected.ways) {
    return mismatch("ways per set", actual.ways, expected.ways);
  }
  if (actual.index_offset != expected.index_offset) {
    return mismatch("index offset", actual.index_offset, expected.index_offset);
  }
  if (actual.arena_offset != expected.arena_offset) {
    return mismatch("arena offset", actual.arena_offset, expected.arena_offset);
  }
  if (actual.arena_bytes != expected.arena_bytes) {
    return mismatch("arena size", actual.arena_bytes, expected.arena_bytes);
  }
  if (actual.max_value_bytes != expected.max_value_bytes) {
    return mismatch("max value size", actual.max_value_bytes,
                    expected.max_value_bytes);
  }
  if (std::memcmp(actual.boot_id, expected.boot_id, sizeof(actual.boot_id)) !=
      0) {
    return absl::FailedPreconditionError(
        absl::StrCat("created in boot ", BootIdOf(actual), ", this is boot ",
                     BootIdOf(expected)));
  }
  if (actual.time_namespace_id != expected.time_namespace_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "created in time namespace ", actual.time_namespace_id,
        ", this process is in ", expected.time_namespace_id,
        " (CLOCK_MONOTONIC differs, expiry times would be wrong)"));
  }
  if (actual.creator_uid != expected.creator_uid) {
    return absl::FailedPreconditionError(
        absl::StrCat("created by uid ", actual.creator_uid,
                     ", this process runs as uid ", expected.creator_uid));
  }
  if (actual.reserved != 0) {
    return mismatch("reserved header field", actual.reserved, 0);
  }
  return absl::OkStatus();
}

absl::Status SetLock(PosixApi* posix, int fd, int byte, short type, bool wait,
                     std::string_view path) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = byte;
  lock.l_len = 1;
  for (;;) {
    if (posix->FcntlLock(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0) {
      return absl::OkStatus();
    }
    if (errno != EINTR) {
      return PosixError(
          absl::StrCat("lock byte ", byte, " of shm segment ", AsAbsl(path)),
          errno);
    }
  }
}

// Tries a write lock without waiting: true if taken, false if another open
// file description holds a conflicting lock.
absl::StatusOr<bool> TryWriteLock(PosixApi* posix, int fd, int byte,
                                  std::string_view path) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = byte;
  lock.l_len = 1;
  for (;;) {
    if (posix->FcntlLock(fd, F_OFD_SETLK, &lock) == 0) return true;
    if (errno == EAGAIN || errno == EACCES) return false;
    if (errno != EINTR) {
      return PosixError(
          absl::StrCat("probe byte ", byte, " of shm segment ", AsAbsl(path)),
          errno);
    }
  }
}

// Whether `fd` is still the file at `path` (not unlinked or replaced).
absl::StatusOr<bool> IsLinkedAs(PosixApi* posix, int fd,
                                const std::string& path) {
  struct stat by_fd;
  if (posix->Fstat(fd, &by_fd) != 0) {
    return PosixError(absl::StrCat("fstat shm segment ", path), errno);
  }
  struct stat by_path;
  if (posix->Stat(path.c_str(), &by_path) != 0) {
    if (errno == ENOENT) return false;
    return PosixError(absl::StrCat("stat shm segment ", path), errno);
  }
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// What is at `path`, the file `fd` was opened from, to a process holding
// its kLifecycle write lock: gone (unlinked or replaced since), live
// (someone is attached), or stale, which it removes. A published segment
// always has a member (its creator joins before linking it), so nobody
// attached means every attacher died. A stale file of another user is
// FAILED_PRECONDITION and stays.
enum class Presence { kGone, kLive, kRemovedStale };
absl::StatusOr<Presence> RemoveIfStaleLocked(PosixApi* posix, int fd,
                                             const std::string& path) {
  ASSIGN_OR_RETURN(const bool linked, IsLinkedAs(posix, fd, path));
  if (!linked) return Presence::kGone;
  ASSIGN_OR_RETURN(const bool alone,
                   TryWriteLock(posix, fd, shm_layout::kMembership, path));
  if (!alone) return Presence::kLive;
  struct stat st;
  if (posix->Fstat(fd, &st) != 0) {
    return PosixError(absl::StrCat("fstat shm segment ", path), errno);
  }
  if (st.st_uid != posix->GetEuid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stale shm segment ", path, " belongs to uid ", st.st_uid,
                     ", not to this process's uid ", posix->GetEuid(),
                     "; remove it by hand"));
  }
  if (posix->Unlink(path.c_str()) != 0 && errno != ENOENT) {
    return PosixError(absl::StrCat("remove stale shm segment ", path), errno);
  }
  return Presence::kRemovedStale;
}

// Sizes, allocates, maps and initialises a segment file this process just
// created and nobody else can see yet.
absl::StatusOr<void*> Initialise(PosixApi* posix, int fd,
                                 const std::string& path,
                                 const std::string& directory,
                                 const Geometry& geometry) {
  // O_CREAT's mode is filtered by the umask; make it exactly 0600.
  if (posix->Fchmod(fd, 0600) != 0) {
    return PosixError(absl::StrCat("chmod 0600 shm segment ", path), errno);
  }
  const off_t size = static_cast<off_t>(geometry.total_bytes);
  if (posix->Ftruncate(fd, size) != 0) {
    return PosixError(
        absl::StrCat("size shm segment ", path, " to ", size, " bytes"), errno);
  }
  // Allocate every page now: on a full tmpfs this fails here with ENOSPC
  // instead of a SIGBUS at the first write to an unbacked page.
  if (const int error = posix->Fallocate(fd, 0, size); error != 0) {
    return PosixError(absl::StrCat("allocate ", size, " bytes for shm segment ",
                                   path, " (", directory, " too small?)"),
                      error);
  }
  void* base = posix->Mmap(static_cast<size_t>(size), PROT_READ | PROT_WRITE,
                           MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return PosixError(
        absl::StrCat("mmap ", size, " bytes of shm segment ", path), errno);
  }
  auto* header = new (base) Header();
  header->initialising.store(1, std::memory_order_relaxed);
  header->geometry = geometry;
  header->geometry_checksum = shm_layout::GeometryChecksum(geometry);
  header->arena_head.store(0, std::memory_order_relaxed);
  header->next_serial.store(0, std::memory_order_relaxed);
  char* index = static_cast<char*>(base) + geometry.index_offset;
  for (uint32_t i = 0; i < geometry.bucket_count; ++i) {
    new (index + uint64_t{i} * sizeof(Bucket)) Bucket();
  }
  // Release: a process that sees 0 sees the initialised header and index.
  header->initialising.store(0, std::memory_order_release);
  return base;
}

// Maps and validates a live segment. REQUIRES: the kLifecycle lock is held.
absl::StatusOr<void*> MapAndValidate(PosixApi* posix, int fd,
                                     const std::string& path,
                                     const Geometry& expected) {
  struct stat st;
  if (posix->Fstat(fd, &st) != 0) {
    return PosixError(absl::StrCat("fstat shm segment ", path), errno);
  }
  if (static_cast<uint64_t>(st.st_size) != expected.total_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("shm segment ", path, ": file is ", st.st_size,
                     " bytes, this process expects ", expected.total_bytes));
  }
  void* base = posix->Mmap(expected.total_bytes, PROT_READ | PROT_WRITE,
                           MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return PosixError(absl::StrCat("mmap shm segment ", path), errno);
  }
  auto unmap =
      absl::MakeCleanup([&] { posix->Munmap(base, expected.total_bytes); });
  const auto* header = std::launder(reinterpret_cast<const Header*>(base));
  // Validate a private copy: what is checked is what is used.
  Geometry actual;
  std::memcpy(&actual, &header->geometry, sizeof(actual));
  const uint64_t checksum = header->geometry_checksum;
  if (absl::Status s = CompareGeometry(actual, expected, checksum); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("shm segment ", path, ": ", s.message()));
  }
  if (header->initialising.load(std::memory_order_acquire) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "shm segment ", path, ": still marked initialising while attached"));
  }
  std::move(unmap).Cancel();
  return base;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::CreateOrAttach(
    const ShmCacheOptions& options, PosixApi* posix) {
  RETURN_IF_ERROR(ValidateName(options.name));
  ASSIGN_OR_RETURN(const Geometry expected, ExpectedGeometry(options, posix));
  const std::string path = absl::StrCat(options.directory, "/", options.name);
  bool reclaimed = false;
  for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
    const int fd =
        posix->Open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0) {
      if (errno != ENOENT) {
        return PosixError(absl::StrCat("open shm segment ", path), errno);
      }
      ASSIGN_OR_RETURN(
          std::unique_ptr<ShmSegment> created,
          Create(posix, path, options.directory, expected,
                 reclaimed ? AttachMode::kReclaimed : AttachMode::kCreated));
      if (created != nullptr) return created;
      continue;  // another process published its segment first: attach
    }
    // Closing the fd drops every lock this attempt took.
    auto close_fd = absl::MakeCleanup([&] { posix->Close(fd); });
    RETURN_IF_ERROR(SetLock(posix, fd, shm_layout::kLifecycle, F_WRLCK,
                            /*wait=*/true, path));
    ASSIGN_OR_RETURN(const Presence presence,
                     RemoveIfStaleLocked(posix, fd, path));
    if (presence == Presence::kGone) continue;  // the last attacher removed it
    if (presence == Presence::kRemovedStale) {
      LOG(INFO) << "shm cache: reclaimed stale segment " << path
                << " (no live attachers)";
      reclaimed = true;
      continue;
    }
    ASSIGN_OR_RETURN(void* base, MapAndValidate(posix, fd, path, expected));
    auto unmap =
        absl::MakeCleanup([&] { posix->Munmap(base, expected.total_bytes); });
    // Join, then let the next process in.
    RETURN_IF_ERROR(SetLock(posix, fd, shm_layout::kMembership, F_RDLCK,
                            /*wait=*/false, path));
    RETURN_IF_ERROR(SetLock(posix, fd, shm_layout::kLifecycle, F_UNLCK,
                            /*wait=*/false, path));
    std::move(unmap).Cancel();
    std::move(close_fd).Cancel();
    LOG(INFO) << "shm cache: attached to segment " << path << " ("
              << expected.total_bytes << " bytes, " << expected.bucket_count
              << " buckets)";
    return std::unique_ptr<ShmSegment>(
        new ShmSegment(posix, path, fd, base, expected, AttachMode::kAttached));
  }
  return absl::UnavailableError(
      absl::StrCat("shm segment ", path,
                   " kept being removed or replaced by other "
                   "processes; gave up after ",
                   kMaxOpenAttempts, " attempts"));
}

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::Create(
    PosixApi* posix, const std::string& path, const std::string& directory,
    const Geometry& geometry, AttachMode mode) {
  // An unnamed file in the directory: nobody can open it while it is being
  // sized and initialised, and if this process dies first, the kernel frees
  // it (no half-made segment is ever visible, none is ever leaked).
  const int fd =
      posix->Open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return PosixError(
        absl::StrCat("create unnamed file in ", directory, " for ", path),
        errno);
  }
  auto close_fd = absl::MakeCleanup([&] { posix->Close(fd); });
  ASSIGN_OR_RETURN(void* base,
                   Initialise(posix, fd, path, directory, geometry));
  auto unmap =
      absl::MakeCleanup([&] { posix->Munmap(base, geometry.total_bytes); });
  // Join before publishing, so a linked segment always has a member.
  RETURN_IF_ERROR(SetLock(posix, fd, shm_layout::kMembership, F_RDLCK,
                          /*wait=*/false, path));
  // Publish: link the file under its name; fails if the name exists.
  const std::string fd_path = absl::StrCat("/proc/self/fd/", fd);
  if (posix->Linkat(AT_FDCWD, fd_path.c_str(), AT_FDCWD, path.c_str(),
                    AT_SYMLINK_FOLLOW) != 0) {
    if (errno == EEXIST) return nullptr;  // lost the race; attach to theirs
    return PosixError(absl::StrCat("publish shm segment ", path), errno);
  }
  std::move(unmap).Cancel();
  std::move(close_fd).Cancel();
  LOG(INFO) << "shm cache: created segment " << path << " ("
            << geometry.total_bytes << " bytes, " << geometry.bucket_count
            << " buckets)"
            << (mode == AttachMode::kReclaimed ? " after reclaiming" : "");
  return std::unique_ptr<ShmSegment>(
      new ShmSegment(posix, path, fd, base, geometry, mode));
}

ShmSegment::ShmSegment(PosixApi* posix, std::string path, int fd, void* base,
                       const Geometry& geometry, AttachMode mode)
    : posix_(posix),
      path_(std::move(path)),
      fd_(fd),
      base_(base),
      geometry_(geometry),
      attach_mode_(mode),
      owner_pid_(::getpid()),
      header_(std::launder(reinterpret_cast<Header*>(base))),
      buckets_(std::launder(reinterpret_cast<Bucket*>(static_cast<char*>(base) +
                                                      geometry.index_offset))),
      arena_(static_cast<char*>(base) + geometry.arena_offset) {}

absl::StatusOr<bool> ShmSegment::RemoveIfStale(const std::string& path,
                                               PosixApi* posix) {
  // O_NONBLOCK: whatever is at the name (a FIFO), opening it must not wait.
  const int fd = posix->Open(path.c_str(),
                             O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    return PosixError(absl::StrCat("open shm segment ", path), errno);
  }
  // Closing the fd drops every lock taken here.
  auto close_fd = absl::MakeCleanup([&] { posix->Close(fd); });
  // Only a file that starts like a segment: this may be pointed at any name.
  struct stat st;
  if (posix->Fstat(fd, &st) != 0) {
    return PosixError(absl::StrCat("fstat shm segment ", path), errno);
  }
  if (!S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) < sizeof(Header)) {
    return false;
  }
  void* base = posix->Mmap(sizeof(Header), PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return PosixError(absl::StrCat("mmap shm segment ", path), errno);
  }
  uint64_t magic;
  std::memcpy(&magic,
              static_cast<const char*>(base) + offsetof(Header, geometry) +
                  offsetof(Geometry, magic),
              sizeof(magic));
  posix->Munmap(base, sizeof(Header));
  if (magic != shm_layout::kMagic) return false;
  RETURN_IF_ERROR(SetLock(posix, fd, shm_layout::kLifecycle, F_WRLCK,
                          /*wait=*/true, path));
  ASSIGN_OR_RETURN(const Presence presence,
                   RemoveIfStaleLocked(posix, fd, path));
  return presence == Presence::kRemovedStale;
}

absl::StatusOr<ShmSegment::SweepResult> ShmSegment::RemoveStaleSegments(
    const std::string& directory, PosixApi* posix) {
  std::error_code error;
  std::vector<std::string> paths;
  for (std::filesystem::directory_iterator it(directory, error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (absl::StartsWith(name, kSegmentNamePrefix)) {
      paths.push_back(it->path().string());
    }
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("list shm directory ", directory, ": ", error.message()));
  }
  std::sort(paths.begin(), paths.end());
  SweepResult result;
  for (const std::string& path : paths) {
    absl::StatusOr<bool> removed = RemoveIfStale(path, posix);
    if (!removed.ok()) {
      const absl::StatusCode code = removed.status().code();
      // Not this user's to open (EACCES), or a stale one of another uid.
      const bool foreign = code == absl::StatusCode::kPermissionDenied ||
                           code == absl::StatusCode::kFailedPrecondition;
      (foreign ? result.skipped : result.errors)
          .push_back(std::string(removed.status().message()));
    } else if (*removed) {
      result.removed.push_back(path);
    }
  }
  return result;
}

ShmSegment::~ShmSegment() {
  if (absl::StatusOr<bool> removed = Detach(); !removed.ok()) {
    LOG(ERROR) << "shm cache: detaching " << path_ << ": " << removed.status();
  }
}

absl::StatusOr<bool> ShmSegment::Detach() {
  if (fd_ < 0) return false;
  absl::Status status;
  bool removed = false;
  // A forked child shares this fd's open file description, and so its
  // locks, with the parent: it must neither probe nor unlink.
  if (::getpid() == owner_pid_) {
    status = SetLock(posix_, fd_, shm_layout::kLifecycle, F_WRLCK,
                     /*wait=*/true, path_);
    if (status.ok()) {
      // Converting our read lock to a write lock succeeds only if no other
      // attacher holds one: then we are the last and remove the segment.
      absl::StatusOr<bool> last =
          TryWriteLock(posix_, fd_, shm_layout::kMembership, path_);
      absl::StatusOr<bool> linked = IsLinkedAs(posix_, fd_, path_);
      if (!last.ok()) {
        status = last.status();
      } else if (!linked.ok()) {
        status = linked.status();
      } else if (*last && *linked) {
        if (posix_->Unlink(path_.c_str()) == 0) {
          removed = true;
          LOG(INFO) << "shm cache: removed segment " << path_
                    << " (last attacher)";
        } else if (errno != ENOENT) {
          status =
              PosixError(absl::StrCat("remove shm segment ", path_), errno);
        }
      }
    }
  }
  if (posix_->Munmap(base_, geometry_.total_bytes) != 0 && status.ok()) {
    status = PosixError(absl::StrCat("munmap shm segment ", path_), errno);
  }
  posix_->Close(fd_);  // drops our locks
  fd_ = -1;
  base_ = nullptr;
  if (!status.ok()) return status;
  return removed;
}

}  // namespace overlay
