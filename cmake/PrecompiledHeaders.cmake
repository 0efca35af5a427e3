# Precompiled headers (OVERLAY_PCH, on by default). Nearly every one of the
# ~170 files includes the same heavy headers (gRPC, protobuf and the
# generated protocol, abseil; GoogleTest in the tests), and parsing them is
# most of a small file's compile time. Two producer targets compile them
# once a build; every target reuses one of them:
#
#   overlay_use_pch(my_target)        # libraries, binaries, benchmarks
#   overlay_use_pch(my_test TEST)     # GoogleTest suites (adds gtest/gmock)
#
# Nothing depends on them for correctness: every file still includes what it
# uses, and a build with -DOVERLAY_PCH=OFF is the same program. A user must
# compile with the producers' language flags (standard, optimisation,
# -pthread); CMake's -Winvalid-pch and our -Werror make a mismatch an error
# rather than a silent slow build. Measured on this 2-core machine: a clean
# Release build 313 -> 258 s, the clang ASan build of scripts/fuzz.sh
# --build-all (BENCHMARKS.md).
option(OVERLAY_PCH "Reuse precompiled common headers across targets" ON)

set(OVERLAY_PCH_HEADERS
  <algorithm> <atomic> <chrono> <cstdint> <functional> <map> <memory>
  <optional> <string> <string_view> <thread> <utility> <vector>
  <absl/container/flat_hash_map.h>
  <absl/status/status.h>
  <absl/status/statusor.h>
  <absl/strings/str_cat.h>
  <absl/strings/string_view.h>
  <absl/synchronization/mutex.h>
  <absl/time/time.h>
  <grpcpp/grpcpp.h>
  <grpcpp/generic/generic_stub.h>
  <grpcpp/security/credentials.h>
  <google/protobuf/message_lite.h>
  "${PROJECT_BINARY_DIR}/protos/overlay.pb.h"
  "${PROJECT_BINARY_DIR}/protos/overlay.grpc.pb.h")

# Call once the protocol's library exists (the headers include its
# generated code).
function(overlay_define_pch)
  if(NOT OVERLAY_PCH)
    return()
  endif()
  set(stub ${PROJECT_BINARY_DIR}/overlay_pch_stub.cc)
  if(NOT EXISTS ${stub})
    file(WRITE ${stub} "// The precompiled headers' producer; compiles nothing else.\n")
  endif()
  set(kinds main)
  if(OVERLAY_BUILD_TESTS)
    list(APPEND kinds test)
  endif()
  foreach(kind ${kinds})
    add_library(overlay_pch_${kind} OBJECT ${stub})
    target_include_directories(overlay_pch_${kind} PRIVATE
      ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    # No glog: its targets define macros (GLOG_CUSTOM_PREFIX_SUPPORT)
    # that the targets without glog do not, and a precompiled logging.h
    # would fix its API for the ones that do.
    target_link_libraries(overlay_pch_${kind} PRIVATE overlay::proto
      absl::status absl::statusor absl::strings absl::synchronization
      absl::time absl::flat_hash_map)
    overlay_set_warnings(overlay_pch_${kind})
  endforeach()
  target_precompile_headers(overlay_pch_main PRIVATE ${OVERLAY_PCH_HEADERS})
  if(OVERLAY_BUILD_TESTS)
    target_link_libraries(overlay_pch_test PRIVATE GTest::gmock GTest::gtest)
    target_precompile_headers(overlay_pch_test PRIVATE ${OVERLAY_PCH_HEADERS}
      <gmock/gmock.h> <gtest/gtest.h>)
  endif()
endfunction()

function(overlay_use_pch target)
  cmake_parse_arguments(A "TEST" "" "" ${ARGN})
  if(NOT OVERLAY_PCH)
    return()
  endif()
  # The producers compile with -pthread (gRPC's targets ask for it), which
  # defines _REENTRANT: a file without it could not use the header.
  target_compile_options(${target} PRIVATE -pthread)
  if(A_TEST)
    target_precompile_headers(${target} REUSE_FROM overlay_pch_test)
  else()
    target_precompile_headers(${target} REUSE_FROM overlay_pch_main)
  endif()
endfunction()
