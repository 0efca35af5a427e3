// Copyright 2026 The overlay Authors.
//
// PosixApi: the thin, injectable layer between the shared cache and the OS
// (in the spirit of Envoy's OsSysCalls), so tests can make any call fail
// with ENOSPC, EACCES, ... or fake the boot id, uid and time namespace.
// Each method returns what its syscall returns and leaves errno set on
// failure, except Fallocate, which returns an error number as
// posix_fallocate does. Callers turn errno into a status only through
// PosixError (core/common/posix_error.h). The segment is opened with open(2)
// on "<directory>/<name>", which is what glibc's shm_open does for
// /dev/shm, so a test can point it at a small tmpfs of its own; it is
// created with O_TMPFILE and published with linkat(2).
// Owns nothing. Implementations are thread-safe.

#ifndef OVERLAY_CORE_SHMCACHE_POSIX_API_H_
#define OVERLAY_CORE_SHMCACHE_POSIX_API_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace overlay {

class PosixApi {
 public:
  virtual ~PosixApi() = default;

  virtual int Open(const char* path, int flags, mode_t mode) = 0;
  virtual int Close(int fd) = 0;
  virtual int Fstat(int fd, struct stat* st) = 0;
  virtual int Stat(const char* path, struct stat* st) = 0;
  virtual int Fchmod(int fd, mode_t mode) = 0;
  virtual int Ftruncate(int fd, off_t length) = 0;
  // Returns 0 or an error number (posix_fallocate semantics).
  virtual int Fallocate(int fd, off_t offset, off_t length) = 0;
  // MAP_FAILED on failure.
  virtual void* Mmap(size_t length, int prot, int flags, int fd,
                     off_t offset) = 0;
  virtual int Munmap(void* address, size_t length) = 0;
  virtual int Unlink(const char* path) = 0;
  virtual int Linkat(int old_dir_fd, const char* old_path, int new_dir_fd,
                     const char* new_path, int flags) = 0;
  // fcntl(fd, cmd, lock) for F_OFD_SETLK / F_OFD_SETLKW / F_OFD_GETLK.
  virtual int FcntlLock(int fd, int cmd, struct flock* lock) = 0;
  virtual uid_t GetEuid() = 0;
  // The 36-character boot id of the running kernel.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadBootId() = 0;
  // The inode of /proc/self/ns/time, the identity of this process's
  // CLOCK_MONOTONIC domain; 0 when the kernel has no time namespaces.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> TimeNamespaceId() = 0;

  // The real implementation; a process-wide instance, never destroyed.
  static PosixApi* Real();
};

}  // namespace overlay

#endif  // OVERLAY_CORE_SHMCACHE_POSIX_API_H_
