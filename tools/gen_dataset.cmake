overlay_cc_binary(NAME gen_dataset
  SRCS gen_dataset.cc
  DEPS overlay::datagen absl::flags absl::flags_parse absl::flags_usage
       absl::strings absl::str_format)
