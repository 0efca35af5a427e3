# Every external dependency, from Debian 12's packages.
find_package(Threads REQUIRED)
# protobuf 3.21 on Debian ships no CMake config: use CMake's FindProtobuf module.
find_package(Protobuf MODULE REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(glog CONFIG REQUIRED)
if(OVERLAY_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(OVERLAY_BUILD_TESTS OR OVERLAY_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

# RapidJSON defines no usable target: wrap its include dir.
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(overlay_rapidjson INTERFACE)
target_include_directories(overlay_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
add_library(overlay::rapidjson ALIAS overlay_rapidjson)

find_program(OVERLAY_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_program(OVERLAY_GRPC_PYTHON_PLUGIN grpc_python_plugin)
