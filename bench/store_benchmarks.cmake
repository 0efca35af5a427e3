overlay_cc_benchmark(NAME store_benchmark
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/store_benchmarks.cc
  DEPS overlay::store overlay::datagen glog::glog)
# Where the real data lives when $OVERLAY_DATA is unset: beside the repo.
target_compile_definitions(store_benchmark PRIVATE
  OVERLAY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
