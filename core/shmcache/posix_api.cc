// Copyright 2026 The overlay Authors.

#include "core/shmcache/posix_api.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/posix_error.h"

namespace overlay {
namespace {

constexpr char kBootIdPath[] = "/proc/sys/kernel/random/boot_id";
constexpr char kTimeNamespacePath[] = "/proc/self/ns/time";

class RealPosixApi final : public PosixApi {
 public:
  int Open(const char* path, int flags, mode_t mode) override {
    int fd;
    do {
      fd = ::open(path, flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
  }
  int Close(int fd) override { return ::close(fd); }
  int Fstat(int fd, struct stat* st) override { return ::fstat(fd, st); }
  int Stat(const char* path, struct stat* st) override {
    return ::stat(path, st);
  }
  int Fchmod(int fd, mode_t mode) override { return ::fchmod(fd, mode); }
  int Ftruncate(int fd, off_t length) override {
    return ::ftruncate(fd, length);
  }
  int Fallocate(int fd, off_t offset, off_t length) override {
    int error;
    do {
      error = ::posix_fallocate(fd, offset, length);
    } while (error == EINTR);
    return error;
  }
  void* Mmap(size_t length, int prot, int flags, int fd,
             off_t offset) override {
    return ::mmap(nullptr, length, prot, flags, fd, offset);
  }
  int Munmap(void* address, size_t length) override {
    return ::munmap(address, length);
  }
  int Unlink(const char* path) override { return ::unlink(path); }
  int Linkat(int old_dir_fd, const char* old_path, int new_dir_fd,
             const char* new_path, int flags) override {
    return ::linkat(old_dir_fd, old_path, new_dir_fd, new_path, flags);
  }
  int FcntlLock(int fd, int cmd, struct flock* lock) override {
    return ::fcntl(fd, cmd, lock);
  }
  uid_t GetEuid() override { return ::geteuid(); }

  absl::StatusOr<std::string> ReadBootId() override {
    const int fd = Open(kBootIdPath, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return PosixError(kBootIdPath, errno);
    char buffer[64];
    ssize_t n;
    do {
      n = ::read(fd, buffer, sizeof(buffer));
    } while (n < 0 && errno == EINTR);
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) return PosixError(kBootIdPath, read_errno);
    const absl::string_view id = absl::StripAsciiWhitespace(
        absl::string_view(buffer, static_cast<size_t>(n)));
    if (id.size() != 36) {
      return absl::InternalError(
          absl::StrCat(kBootIdPath, ": unexpected content '", id, "'"));
    }
    return std::string(id);
  }

  absl::StatusOr<uint64_t> TimeNamespaceId() override {
    struct stat st;
    if (::stat(kTimeNamespacePath, &st) != 0) {
      // Kernels before 5.6 have no time namespaces: one clock per host.
      if (errno == ENOENT) return uint64_t{0};
      return PosixError(kTimeNamespacePath, errno);
    }
    return static_cast<uint64_t>(st.st_ino);
  }
};

}  // namespace

PosixApi* PosixApi::Real() {
  static PosixApi* const api = new RealPosixApi();
  return api;
}

}  // namespace overlay
