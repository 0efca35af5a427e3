# Unit tests for core/reactor, core/results, core/wire, core/metrics,
# core/fanout, core/shmcache and core/admission; included from
# test/CMakeLists.txt.
add_subdirectory(unit/reactor)
add_subdirectory(unit/results)
add_subdirectory(unit/wire)
add_subdirectory(unit/metrics)
add_subdirectory(unit/fanout)
add_subdirectory(unit/shmcache)
add_subdirectory(unit/admission)
