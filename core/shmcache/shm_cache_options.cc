// Copyright 2026 The overlay Authors.

#include "core/shmcache/shm_cache_options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace overlay {

std::string ShmSegmentName(std::string_view config_name,
                           std::string_view host_group) {
  std::string name = absl::StrCat(
      kSegmentNamePrefix,
      absl::string_view(config_name.data(), config_name.size()), "-",
      absl::string_view(host_group.data(), host_group.size()));
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      c = '_';
    }
  }
  return name;
}

}  // namespace overlay
