# libFuzzer targets (test/fuzz/), opt-in: -DOVERLAY_FUZZ=ON with clang.
#
#   cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
#         -DOVERLAY_FUZZ=ON
#   scripts/fuzz.sh 60            # builds them and runs each for 60 s
#
# With the option on, every target of the build (libraries, tests, binaries)
# is compiled with ASan + UBSan (-fno-sanitize-recover: any UB aborts) and
# libFuzzer's coverage instrumentation, so a fuzz target can link any of our
# libraries; only the targets declared with overlay_fuzz_target link
# libFuzzer's main. The rest of the build stays a normal clang build with
# -Wthread-safety -Werror (CompilerWarnings.cmake).
option(OVERLAY_FUZZ "Build the libFuzzer targets (clang; instruments the whole build with ASan+UBSan)" OFF)

if(OVERLAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "OVERLAY_FUZZ=ON needs clang: configure with "
      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(OVERLAY_FUZZ_SANITIZERS -fsanitize=address,undefined
      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${OVERLAY_FUZZ_SANITIZERS} -fsanitize=fuzzer-no-link -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# overlay_fuzz_target(NAME request_fuzzer SRCS request_fuzzer.cc DEPS overlay::wire)
# adds a libFuzzer executable (build/bin/NAME) and records it in
# ${CMAKE_BINARY_DIR}/fuzz_targets.txt, the list scripts/fuzz.sh runs. Its
# seed corpus is test/fuzz/corpus/NAME/.
function(overlay_fuzz_target)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  target_link_options(${A_NAME} PRIVATE -fsanitize=fuzzer)
  overlay_set_warnings(${A_NAME})
  overlay_use_pch(${A_NAME})
  set_property(GLOBAL APPEND PROPERTY OVERLAY_FUZZ_TARGETS ${A_NAME})
  get_property(targets GLOBAL PROPERTY OVERLAY_FUZZ_TARGETS)
  string(REPLACE ";" "\n" lines "${targets}")
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${lines}\n")
endfunction()
