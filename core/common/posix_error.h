// Copyright 2026 The overlay Authors.
//
// PosixError(context, errno): the only place errno becomes an absl::Status,
// in the style of LevelDB's env_posix.cc. Stateless; thread-safe.

#ifndef OVERLAY_CORE_COMMON_POSIX_ERROR_H_
#define OVERLAY_CORE_COMMON_POSIX_ERROR_H_

#include <string_view>

#include "absl/status/status.h"

namespace overlay {

// Maps ENOENT to NOT_FOUND, EACCES/EPERM to PERMISSION_DENIED, ENOSPC/ENOMEM
// to RESOURCE_EXHAUSTED, EEXIST to ALREADY_EXISTS, others to INTERNAL. The
// message is "<context>: <strerror>".
absl::Status PosixError(std::string_view context, int error_number);

}  // namespace overlay

#endif  // OVERLAY_CORE_COMMON_POSIX_ERROR_H_
