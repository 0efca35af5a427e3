# overlay_top: a live terminal view of an overlay (tools/top/).
overlay_cc_library(NAME top_view
  SRCS ${CMAKE_CURRENT_LIST_DIR}/top/frame_renderer.cc
       ${CMAKE_CURRENT_LIST_DIR}/top/metrics_poller.cc
       ${CMAKE_CURRENT_LIST_DIR}/top/host_override.cc
       ${CMAKE_CURRENT_LIST_DIR}/top/terminal_session.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/top/snapshot.h
       ${CMAKE_CURRENT_LIST_DIR}/top/frame_renderer.h
       ${CMAKE_CURRENT_LIST_DIR}/top/metrics_poller.h
       ${CMAKE_CURRENT_LIST_DIR}/top/host_override.h
       ${CMAKE_CURRENT_LIST_DIR}/top/terminal_session.h
  DEPS overlay::config overlay::common overlay::proto gRPC::grpc++
       absl::status absl::statusor absl::strings absl::str_format
  PRIVATE_DEPS glog::glog)
overlay_cc_binary(NAME overlay_top
  SRCS ${CMAKE_CURRENT_LIST_DIR}/top/overlay_top.cc
  DEPS overlay::top_view overlay::config overlay::security glog::glog
       absl::flags absl::flags_parse
       absl::flags_usage absl::strings)
