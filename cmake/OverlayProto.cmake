# overlay_proto_library(NAME PROTOS a.proto ... [ROOT dir] [NO_PYTHON]): protoc +
# grpc_cpp_plugin into one static library whose generated headers are included
# by their path below ROOT (default: the repo, so "protos/a.pb.h"). ROOT names
# where protos installed by a package live, e.g. Debian's grpc-proto:
#   overlay_proto_library(NAME health_proto ROOT /usr/share/grpc-proto
#                         PROTOS grpc/health/v1/health.proto NO_PYTHON)
# gives "grpc/health/v1/health.grpc.pb.h".
# Also generates Python stubs (a_pb2.py, a_pb2_grpc.py) into build/python/ when
# grpc_python_plugin is available, unless NO_PYTHON.
function(overlay_proto_library)
  cmake_parse_arguments(A "NO_PYTHON" "NAME;ROOT" "PROTOS" ${ARGN})
  set(root ${PROJECT_SOURCE_DIR})
  if(A_ROOT)
    set(root ${A_ROOT})
  endif()
  set(py_dir ${PROJECT_BINARY_DIR}/python)
  file(MAKE_DIRECTORY ${py_dir})
  set(srcs)
  set(py_outs)
  foreach(proto ${A_PROTOS})
    if(A_ROOT)
      set(abs ${root}/${proto})
    else()
      get_filename_component(abs ${proto} ABSOLUTE)
    endif()
    if(NOT EXISTS ${abs})
      message(FATAL_ERROR "${abs} not found (Debian: apt-get install grpc-proto; "
                          "scripts/setup.sh installs it)")
    endif()
    file(RELATIVE_PATH rel ${root} ${abs})
    get_filename_component(rel_dir ${rel} DIRECTORY)
    get_filename_component(stem ${proto} NAME_WE)
    set(out_dir ${PROJECT_BINARY_DIR}/${rel_dir})
    file(MAKE_DIRECTORY ${out_dir})
    set(gen ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h
            ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc
        --proto_path=${root}
        --cpp_out=${PROJECT_BINARY_DIR}
        --grpc_out=${PROJECT_BINARY_DIR}
        --plugin=protoc-gen-grpc=${OVERLAY_GRPC_CPP_PLUGIN}
        ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND srcs ${gen})
    if(OVERLAY_GRPC_PYTHON_PLUGIN AND NOT A_NO_PYTHON)
      set(py ${py_dir}/protos/${stem}_pb2.py ${py_dir}/protos/${stem}_pb2_grpc.py)
      add_custom_command(
        OUTPUT ${py}
        COMMAND protobuf::protoc
          --proto_path=${root}
          --python_out=${py_dir}
          --grpc_python_out=${py_dir}
          --plugin=protoc-gen-grpc_python=${OVERLAY_GRPC_PYTHON_PLUGIN}
          ${abs}
        COMMAND ${CMAKE_COMMAND} -E touch ${py_dir}/protos/__init__.py
        DEPENDS ${abs} protobuf::protoc
        COMMENT "protoc (python) ${proto}")
      list(APPEND py_outs ${py})
    endif()
  endforeach()
  add_library(overlay_${A_NAME} STATIC ${srcs})
  target_include_directories(overlay_${A_NAME} PUBLIC ${PROJECT_BINARY_DIR})
  target_link_libraries(overlay_${A_NAME} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  add_library(overlay::${A_NAME} ALIAS overlay_${A_NAME})
  if(py_outs)
    add_custom_target(${A_NAME}_python ALL DEPENDS ${py_outs})
  endif()
endfunction()
