// Copyright 2026 The overlay Authors.

#include "core/metrics/process_stats.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace overlay {

double ProcessCpuSeconds() {
  rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int64_t ProcessRssBytes() {
  // Kept open: one pread per call instead of open/read/close, since the
  // metrics RPC asks on every call.
  static const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[128];
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  long pages_total = 0;
  long pages_resident = 0;
  if (std::sscanf(buffer, "%ld %ld", &pages_total, &pages_resident) != 2) {
    return 0;
  }
  static const long page_size = sysconf(_SC_PAGESIZE);
  return static_cast<int64_t>(pages_resident) * page_size;
}

int64_t ProcessShmemRssBytes() {
  const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  const char* line = std::strstr(buffer, "RssShmem:");
  long kib = 0;
  if (line == nullptr || std::sscanf(line, "RssShmem: %ld", &kib) != 1) {
    return 0;
  }
  return static_cast<int64_t>(kib) * 1024;
}

}  // namespace overlay
