// Copyright 2026 The overlay Authors.

#include "tools/top/host_override.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace overlay::top {

absl::Status ApplyHostOverrides(const std::vector<std::string>& specs,
                                OverlayConfig& config) {
  std::map<std::string, std::string> hosts;  // group -> host
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("host override '", spec, "': expected GROUP=HOST"));
    }
    const std::string group(
        absl::StripAsciiWhitespace(absl::string_view(spec).substr(0, eq)));
    const std::string host(
        absl::StripAsciiWhitespace(absl::string_view(spec).substr(eq + 1)));
    if (group.empty() || host.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host override '", spec, "': empty group or host"));
    }
    if (!hosts.emplace(group, host).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host override '", spec, "': group '", group, "' given twice"));
    }
    if (config.ProcessesInGroup(group).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host override '", spec,
                       "': no process has host_group '", group, "'"));
    }
  }
  for (ProcessConfig& p : config.processes) {
    auto it = hosts.find(p.host_group);
    if (it != hosts.end()) p.host = it->second;
  }
  return absl::OkStatus();
}

}  // namespace overlay::top
