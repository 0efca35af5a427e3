# overlay_bench: the overlay's load tool (tools/bench/). The run logic is the
# library overlay::bench, which the tests in test/unit/bench call
# in-process; overlay_bench.cc is the thin main.
#
# overlay_cc_library(NAME bench) would make a target named overlay_bench,
# the executable's name, so the library is overlay_bench_lib (alias
# overlay::bench), set up the way overlay_cc_library sets up a library.
set(_bench ${CMAKE_CURRENT_LIST_DIR}/bench)

add_library(overlay_bench_lib STATIC
  ${_bench}/bench_options.cc ${_bench}/bench_options.h
  ${_bench}/workload.cc ${_bench}/workload.h
  ${_bench}/latency_recorder.cc ${_bench}/latency_recorder.h
  ${_bench}/run_stats.cc ${_bench}/run_stats.h
  ${_bench}/request_call.cc ${_bench}/request_call.h
  ${_bench}/load_driver.cc ${_bench}/load_driver.h
  ${_bench}/metrics_scraper.cc ${_bench}/metrics_scraper.h
  ${_bench}/bench_result.h
  ${_bench}/bench_runner.cc ${_bench}/bench_runner.h
  ${_bench}/report_json.cc ${_bench}/report_json.h
  ${_bench}/report_svg.cc ${_bench}/report_svg.h
  ${_bench}/terminal_report.cc ${_bench}/terminal_report.h)
target_include_directories(overlay_bench_lib
  PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
target_link_libraries(overlay_bench_lib
  PUBLIC overlay::proto overlay::health_proto overlay::wire overlay::reactor
         gRPC::grpc++ absl::status absl::statusor absl::synchronization absl::time
         Threads::Threads
  PRIVATE overlay::metrics overlay::common absl::strings absl::str_format)
overlay_set_warnings(overlay_bench_lib)
overlay_use_pch(overlay_bench_lib)
add_library(overlay::bench ALIAS overlay_bench_lib)

overlay_cc_binary(NAME overlay_bench
  SRCS ${_bench}/overlay_bench.cc
  DEPS overlay::bench overlay::config overlay::security overlay::wire
       glog::glog absl::flags
       absl::flags_parse absl::flags_usage absl::flags_reflection
       absl::strings absl::str_format)
