# overlay_top: a live terminal view of an overlay (tools/top/).
overlay_cc_library(NAME top_frame
  SRCS ${CMAKE_CURRENT_LIST_DIR}/top/top_frame.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/top/top_frame.h
  DEPS overlay::config overlay::proto absl::strings absl::str_format)
overlay_cc_binary(NAME overlay_top
  SRCS ${CMAKE_CURRENT_LIST_DIR}/top/overlay_top.cc
  DEPS overlay::top_frame overlay::config overlay::proto gRPC::grpc++
       absl::flags absl::flags_parse absl::flags_usage)
