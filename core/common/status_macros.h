// Copyright 2026 The overlay Authors.
//
// RETURN_IF_ERROR / ASSIGN_OR_RETURN, because abseil 20220623 has neither.
// Modelled on GRPC_RETURN_IF_ERROR. Header-only; usable from any thread.
//
//   RETURN_IF_ERROR(file.Open());
//   ASSIGN_OR_RETURN(Table table, LoadTable(root));

#ifndef OVERLAY_CORE_COMMON_STATUS_MACROS_H_
#define OVERLAY_CORE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define OVERLAY_STATUS_CONCAT_INNER_(a, b) a##b
#define OVERLAY_STATUS_CONCAT_(a, b) OVERLAY_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status overlay_status_ = (expr);         \
    if (!overlay_status_.ok()) return overlay_status_; \
  } while (0)

#define OVERLAY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  OVERLAY_ASSIGN_OR_RETURN_IMPL_(    \
      OVERLAY_STATUS_CONCAT_(overlay_statusor_, __LINE__), lhs, rexpr)

#endif  // OVERLAY_CORE_COMMON_STATUS_MACROS_H_
