// Copyright 2026 The overlay Authors.
//
// Helpers of the shm cache tests: unique segment names removed even when a
// test fails (ScopedSegment), self-validating values (MakeValue /
// CheckValue), forked children (ForkChild / WaitChild) and memory shared
// with them (SharedBlock). Thread-compatible.

#ifndef OVERLAY_TEST_UNIT_SHMCACHE_SHM_TEST_UTIL_H_
#define OVERLAY_TEST_UNIT_SHMCACHE_SHM_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/shmcache/shm_cache_options.h"

namespace overlay::testing {

// A segment name no other test (or test process) uses; its file is
// unlinked on destruction, whatever the test did.
class ScopedSegment {
 public:
  explicit ScopedSegment(std::string_view tag,
                         std::string directory = "/dev/shm")
      : directory_(std::move(directory)) {
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = absl::StrCat("overlay-test-", info ? info->name() : "none", "-",
                         absl::string_view(tag.data(), tag.size()), "-",
                         ::getpid(), "-", counter.fetch_add(1));
    for (char& c : name_) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
            c == '_' || c == '.')) {
        c = '_';
      }
    }
  }
  ScopedSegment(const ScopedSegment&) = delete;
  ScopedSegment& operator=(const ScopedSegment&) = delete;
  ~ScopedSegment() { ::unlink(path().c_str()); }

  ShmCacheOptions options(uint64_t size_bytes = uint64_t{1} << 20) const {
    ShmCacheOptions options;
    options.name = name_;
    options.directory = directory_;
    options.size_bytes = size_bytes;
    return options;
  }
  const std::string& name() const { return name_; }
  std::string path() const { return absl::StrCat(directory_, "/", name_); }
  bool exists() const {
    struct stat st;
    return ::stat(path().c_str(), &st) == 0;
  }

 private:
  std::string directory_;
  std::string name_;
};

inline std::string KeyName(uint32_t key_id) {
  return absl::StrCat("chunk/filter=pm25:10..50/share=", key_id % 7,
                      "/gen=3/size=65536/index=", key_id);
}

inline uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline constexpr size_t kValueHeaderBytes = 24;

// A value that names its key and version and whose payload is a function of
// both, so any torn, mixed or corrupt copy is detectable by CheckValue.
// REQUIRES: size >= kValueHeaderBytes.
inline std::string MakeValue(uint32_t key_id, uint64_t version, size_t size) {
  std::string value(size, '\0');
  const uint32_t magic = 0x4C415654;  // "TVAL"
  const uint64_t size64 = size;
  std::memcpy(&value[0], &magic, 4);
  std::memcpy(&value[4], &key_id, 4);
  std::memcpy(&value[8], &version, 8);
  std::memcpy(&value[16], &size64, 8);
  uint64_t state = (uint64_t{key_id} << 40) ^ version;
  for (size_t i = kValueHeaderBytes; i < size; i += 8) {
    const uint64_t word = SplitMix(&state);
    std::memcpy(&value[i], &word, std::min<size_t>(8, size - i));
  }
  return value;
}

// Whether `value` is exactly some MakeValue(key_id, v, size) and, if so,
// its version.
inline bool CheckValue(std::string_view value, uint32_t key_id,
                       uint64_t* version = nullptr) {
  if (value.size() < kValueHeaderBytes) return false;
  uint32_t magic, id;
  uint64_t v, size;
  std::memcpy(&magic, value.data(), 4);
  std::memcpy(&id, value.data() + 4, 4);
  std::memcpy(&v, value.data() + 8, 8);
  std::memcpy(&size, value.data() + 16, 8);
  if (magic != 0x4C415654 || id != key_id || size != value.size()) {
    return false;
  }
  if (value != MakeValue(key_id, v, value.size())) return false;
  if (version != nullptr) *version = v;
  return true;
}

// Memory shared with forked children: a T placed on a MAP_SHARED anonymous
// mapping. REQUIRES: T is usable from several processes (atomics, PODs).
template <typename T>
class SharedBlock {
 public:
  SharedBlock() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    value_ = new (p) T();
  }
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;
  ~SharedBlock() { ::munmap(value_, sizeof(T)); }
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_;
};

// Runs `body` in a forked child, which _exit()s with its result (never
// returning into gtest). REQUIRES: the test has no other threads running.
inline pid_t ForkChild(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

// The child's exit code, or 128 + the signal that killed it.
inline int WaitChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_UNIT_SHMCACHE_SHM_TEST_UTIL_H_
