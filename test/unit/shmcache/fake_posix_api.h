// Copyright 2026 The overlay Authors.
//
// FakePosixApi: the real PosixApi with injectable failures and a fakeable
// identity (boot id, euid, time namespace), for shm cache tests. Calls that
// are not told to fail go to PosixApi::Real(). Thread-safe.
//
//   FakePosixApi posix;
//   posix.FailNext(PosixOp::kFallocate, ENOSPC);
//   EXPECT_EQ(ShmCache::CreateOrAttach(options, &posix, &clock).status()
//                 .code(), absl::StatusCode::kResourceExhausted);

#ifndef OVERLAY_TEST_UNIT_SHMCACHE_FAKE_POSIX_API_H_
#define OVERLAY_TEST_UNIT_SHMCACHE_FAKE_POSIX_API_H_

#include <sys/mman.h>

#include <cerrno>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/shmcache/posix_api.h"

namespace overlay::testing {

enum class PosixOp {
  kOpen,
  kClose,
  kFstat,
  kStat,
  kFchmod,
  kFtruncate,
  kFallocate,
  kMmap,
  kMunmap,
  kUnlink,
  kLinkat,
  kFcntlLock,
};

class FakePosixApi final : public PosixApi {
 public:
  FakePosixApi() = default;
  FakePosixApi(const FakePosixApi&) = delete;
  FakePosixApi& operator=(const FakePosixApi&) = delete;

  // The call of `op` after `skip` more calls fails with `error_number`.
  void FailNext(PosixOp op, int error_number, int skip = 0) {
    absl::MutexLock lock(&mu_);
    failures_[op] = Failure{error_number, skip};
  }
  void set_boot_id(std::string id) {
    absl::MutexLock lock(&mu_);
    boot_id_ = std::move(id);
  }
  void set_euid(uid_t uid) {
    absl::MutexLock lock(&mu_);
    euid_ = uid;
  }
  void set_time_namespace_id(uint64_t id) {
    absl::MutexLock lock(&mu_);
    time_namespace_id_ = id;
  }
  // Runs `hook` at the start of every call of `op` (e.g. to SIGKILL the
  // process right there).
  void OnCall(PosixOp op, std::function<void()> hook) {
    absl::MutexLock lock(&mu_);
    hooks_[op] = std::move(hook);
  }
  int calls(PosixOp op) const {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
  }

  int Open(const char* path, int flags, mode_t mode) override {
    if (int e = Inject(PosixOp::kOpen)) return Fail(e);
    return Real()->Open(path, flags, mode);
  }
  int Close(int fd) override {
    if (int e = Inject(PosixOp::kClose)) return Fail(e);
    return Real()->Close(fd);
  }
  int Fstat(int fd, struct stat* st) override {
    if (int e = Inject(PosixOp::kFstat)) return Fail(e);
    return Real()->Fstat(fd, st);
  }
  int Stat(const char* path, struct stat* st) override {
    if (int e = Inject(PosixOp::kStat)) return Fail(e);
    return Real()->Stat(path, st);
  }
  int Fchmod(int fd, mode_t mode) override {
    if (int e = Inject(PosixOp::kFchmod)) return Fail(e);
    return Real()->Fchmod(fd, mode);
  }
  int Ftruncate(int fd, off_t length) override {
    if (int e = Inject(PosixOp::kFtruncate)) return Fail(e);
    return Real()->Ftruncate(fd, length);
  }
  int Fallocate(int fd, off_t offset, off_t length) override {
    if (int e = Inject(PosixOp::kFallocate)) return e;
    return Real()->Fallocate(fd, offset, length);
  }
  void* Mmap(size_t length, int prot, int flags, int fd,
             off_t offset) override {
    if (int e = Inject(PosixOp::kMmap)) {
      errno = e;
      return MAP_FAILED;
    }
    return Real()->Mmap(length, prot, flags, fd, offset);
  }
  int Munmap(void* address, size_t length) override {
    if (int e = Inject(PosixOp::kMunmap)) return Fail(e);
    return Real()->Munmap(address, length);
  }
  int Unlink(const char* path) override {
    if (int e = Inject(PosixOp::kUnlink)) return Fail(e);
    return Real()->Unlink(path);
  }
  int Linkat(int old_dir_fd, const char* old_path, int new_dir_fd,
             const char* new_path, int flags) override {
    if (int e = Inject(PosixOp::kLinkat)) return Fail(e);
    return Real()->Linkat(old_dir_fd, old_path, new_dir_fd, new_path, flags);
  }
  int FcntlLock(int fd, int cmd, struct flock* lock) override {
    if (int e = Inject(PosixOp::kFcntlLock)) return Fail(e);
    return Real()->FcntlLock(fd, cmd, lock);
  }
  uid_t GetEuid() override {
    absl::MutexLock lock(&mu_);
    return euid_.has_value() ? *euid_ : Real()->GetEuid();
  }
  absl::StatusOr<std::string> ReadBootId() override {
    {
      absl::MutexLock lock(&mu_);
      if (boot_id_.has_value()) return *boot_id_;
    }
    return Real()->ReadBootId();
  }
  absl::StatusOr<uint64_t> TimeNamespaceId() override {
    {
      absl::MutexLock lock(&mu_);
      if (time_namespace_id_.has_value()) return *time_namespace_id_;
    }
    return Real()->TimeNamespaceId();
  }

 private:
  struct Failure {
    int error_number;
    int skip;
  };

  static PosixApi* Real() { return PosixApi::Real(); }
  static int Fail(int error_number) {
    errno = error_number;
    return -1;
  }
  // The error number to fail this call with, or 0.
  int Inject(PosixOp op) {
    std::function<void()> hook;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = hooks_.find(op); it != hooks_.end()) hook = it->second;
    }
    if (hook) hook();
    absl::MutexLock lock(&mu_);
    ++calls_[op];
    auto it = failures_.find(op);
    if (it == failures_.end()) return 0;
    if (it->second.skip > 0) {
      --it->second.skip;
      return 0;
    }
    const int error_number = it->second.error_number;
    failures_.erase(it);
    return error_number;
  }

  mutable absl::Mutex mu_;
  std::map<PosixOp, Failure> failures_ ABSL_GUARDED_BY(mu_);
  std::map<PosixOp, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<PosixOp, std::function<void()>> hooks_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> boot_id_ ABSL_GUARDED_BY(mu_);
  std::optional<uid_t> euid_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> time_namespace_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_UNIT_SHMCACHE_FAKE_POSIX_API_H_
