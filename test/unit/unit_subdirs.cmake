# Unit tests for core/reactor, core/results, core/wire, core/metrics and
# core/fanout; included from test/CMakeLists.txt.
add_subdirectory(unit/reactor)
add_subdirectory(unit/results)
add_subdirectory(unit/wire)
add_subdirectory(unit/metrics)
add_subdirectory(unit/fanout)
