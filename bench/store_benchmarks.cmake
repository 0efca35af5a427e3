overlay_cc_benchmark(NAME store_benchmark
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/store_benchmarks.cc
  DEPS overlay::store overlay::datagen glog::glog)
