// Copyright 2026 The overlay Authors.
//
// Host overrides for tools that dial an overlay from elsewhere: the config
// says where processes listen as their peers see them (often 127.0.0.x);
// "--host_override host2=10.0.0.7" redirects every process of host group
// "host2" to 10.0.0.7, ports unchanged. Pure functions; thread-safe.

#ifndef OVERLAY_TOOLS_TOP_HOST_OVERRIDE_H_
#define OVERLAY_TOOLS_TOP_HOST_OVERRIDE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/config/overlay_config.h"

namespace overlay::top {

// Each spec is "GROUP=HOST". Sets the host of every process whose
// host_group is GROUP. INVALID_ARGUMENT (and `config` unchanged) for a spec
// without '=', an empty group or host, a group given twice, or a group no
// process belongs to.
[[nodiscard]] absl::Status ApplyHostOverrides(
    const std::vector<std::string>& specs, OverlayConfig& config);

}  // namespace overlay::top

#endif  // OVERLAY_TOOLS_TOP_HOST_OVERRIDE_H_
