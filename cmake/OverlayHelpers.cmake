# absl_cc_library-style helpers: declarative targets, explicit deps.
#
#   overlay_cc_library(NAME store SRCS a.cc HDRS a.h DEPS absl::status)
#     -> target overlay_store, alias overlay::store
#   overlay_cc_binary(NAME overlay_node SRCS main.cc DEPS ...)   -> build/bin/
#   overlay_cc_test(NAME store_test SRCS t.cc DEPS ...)          -> CTest
#   overlay_cc_benchmark(NAME scan_benchmark SRCS b.cc DEPS ...) -> also a CTest smoke run

function(overlay_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target overlay_${A_NAME})
  if(A_SRCS)
    add_library(${target} STATIC ${A_SRCS} ${A_HDRS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${target} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
    overlay_set_warnings(${target})
    overlay_use_pch(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${target} INTERFACE ${A_DEPS})
  endif()
  add_library(overlay::${A_NAME} ALIAS ${target})
endfunction()

function(overlay_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  overlay_set_warnings(${A_NAME})
  overlay_use_pch(${A_NAME})
endfunction()

# SERIAL: CTest runs these tests alone (tests whose fake-clock steps wait
# for real replies between nodes, which a loaded machine makes slow).
function(overlay_cc_test)
  cmake_parse_arguments(A "SERIAL" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} overlay::test_util GTest::gmock GTest::gtest_main)
  overlay_set_warnings(${A_NAME})
  overlay_use_pch(${A_NAME} TEST)
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set(serial)
  if(A_SERIAL)
    set(serial RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${A_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES FIXTURES_REQUIRED overlay_shm_segments TIMEOUT ${A_TIMEOUT}
      ${serial} LABELS "${A_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

function(overlay_cc_benchmark)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark)
  overlay_set_warnings(${A_NAME})
  overlay_use_pch(${A_NAME})
  if(OVERLAY_BUILD_TESTS)
    # Smoke run: every benchmark once, briefly, so a broken benchmark fails CI.
    add_test(NAME ${A_NAME}_smoke
      COMMAND ${A_NAME} --benchmark_min_time=0.001 --benchmark_filter=.
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${A_NAME}_smoke PROPERTIES TIMEOUT 300 LABELS smoke
      FIXTURES_REQUIRED overlay_shm_segments
      ENVIRONMENT "OVERLAY_BENCH_SMOKE=1")
  endif()
endfunction()
