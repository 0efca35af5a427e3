# The Python client (tools/overlay_client.py) against an in-process fake
# QueryService; included by test/CMakeLists.txt.
#
# Needs the Python stubs of the proto_python target, which is part of ALL, so
# a plain `cmake --build` makes them before `ctest` runs (CTest itself cannot
# depend on a build target). Also compares its output with the C++
# overlay_client when that binary has been built (skipped otherwise).
# Runs under /usr/bin/python3: Debian's python3-grpcio and python3-protobuf.
set(OVERLAY_TEST_PYTHON /usr/bin/python3)
if(NOT TARGET proto_python)
  message(WARNING "python_client test not added: no grpc_python_plugin, so no "
                  "Python stubs (target proto_python)")
elseif(NOT EXISTS ${OVERLAY_TEST_PYTHON})
  message(WARNING "python_client test not added: no ${OVERLAY_TEST_PYTHON}")
else()
  execute_process(
    COMMAND ${OVERLAY_TEST_PYTHON} -c "import grpc, google.protobuf"
    RESULT_VARIABLE overlay_python_grpc_missing
    OUTPUT_QUIET ERROR_QUIET)
  if(overlay_python_grpc_missing)
    message(WARNING "python_client test not added: ${OVERLAY_TEST_PYTHON} "
                    "cannot import grpc (apt-get install python3-grpcio "
                    "python3-protobuf)")
  else()
    add_test(NAME python_client
      COMMAND ${OVERLAY_TEST_PYTHON}
              ${CMAKE_CURRENT_LIST_DIR}/test_overlay_client.py)
    set_tests_properties(python_client PROPERTIES
      ENVIRONMENT
        "OVERLAY_PY_STUBS=${PROJECT_BINARY_DIR}/python;OVERLAY_CPP_CLIENT=${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/overlay_client"
      LABELS "python"
      TIMEOUT 300
      FIXTURES_REQUIRED overlay_shm_segments)
    # Hostile requests to every RPC of a real overlay (overlay_node).
    add_test(NAME python_hostile_requests
      COMMAND ${OVERLAY_TEST_PYTHON}
              ${CMAKE_CURRENT_LIST_DIR}/test_hostile_requests.py)
    set_tests_properties(python_hostile_requests PROPERTIES
      ENVIRONMENT
        "OVERLAY_PY_STUBS=${PROJECT_BINARY_DIR}/python;OVERLAY_BIN=${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
      LABELS "python"
      TIMEOUT 300
      FIXTURES_REQUIRED overlay_shm_segments)
  endif()
endif()
