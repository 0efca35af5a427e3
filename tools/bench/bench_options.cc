// Copyright 2026 The overlay Authors.

#include "tools/bench/bench_options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace overlay::bench {

absl::string_view RpcKindName(RpcKind kind) {
  switch (kind) {
    case RpcKind::kQuery:
      return "query";
    case RpcKind::kMetrics:
      return "metrics";
    case RpcKind::kHealth:
      return "health";
  }
  return "unknown";
}

absl::StatusOr<RpcKind> ParseRpcKind(absl::string_view name) {
  if (name == "query") return RpcKind::kQuery;
  if (name == "metrics" || name == "GetMetrics") return RpcKind::kMetrics;
  if (name == "health" || name == "Check") return RpcKind::kHealth;
  return absl::InvalidArgumentError(absl::StrCat(
      "rpc: unknown '", name, "'; known: query, metrics, health"));
}

int64_t PlannedRequests(const BenchOptions& options) {
  if (options.rate > 0) {
    int64_t by_time = -1;
    if (options.duration_s > 0) {
      by_time = static_cast<int64_t>(
          std::llround(std::ceil(options.rate * options.duration_s - 1e-9)));
    }
    if (options.requests > 0 && by_time >= 0) {
      return std::min(options.requests, by_time);
    }
    return options.requests > 0 ? options.requests : by_time;
  }
  return options.requests > 0 ? options.requests : -1;
}

absl::Status ValidateBenchOptions(const BenchOptions& options) {
  auto bad = [](absl::string_view what, auto value) {
    return absl::InvalidArgumentError(absl::StrCat(what, " (got ", value, ")"));
  };
  if (options.target.empty()) {
    return absl::InvalidArgumentError("target must not be empty");
  }
  if (options.requests < 0)
    return bad("requests must be >= 0", options.requests);
  if (options.requests == 0 && options.duration_s <= 0) {
    return absl::InvalidArgumentError(
        "requests is 0: give a duration (or a number of requests)");
  }
  if (options.concurrency < 1) {
    return bad("concurrency must be >= 1", options.concurrency);
  }
  if (!(options.duration_s >= 0) || options.duration_s > 86400) {
    return bad("duration must be in [0, 86400] s", options.duration_s);
  }
  if (!(options.rate >= 0) || options.rate > 1e7) {
    return bad("rate must be in [0, 1e7] requests/s", options.rate);
  }
  if (options.warmup < 0) return bad("warmup must be >= 0", options.warmup);
  if (options.deadline_ms < 0) {
    return bad("deadline must be >= 0 ms", options.deadline_ms);
  }
  if (options.connect_timeout_ms <= 0) {
    return bad("connect timeout must be > 0 ms", options.connect_timeout_ms);
  }
  if (options.channels < 1 || options.channels > 1024) {
    return bad("channels must be in [1, 1024]", options.channels);
  }
  if (options.cq_threads < 1 || options.cq_threads > 256) {
    return bad("cq_threads must be in [1, 256]", options.cq_threads);
  }
  if (!(options.scrape_interval_s > 0)) {
    return bad("scrape interval must be > 0 s", options.scrape_interval_s);
  }
  if (options.scrape_timeout_ms <= 0) {
    return bad("scrape timeout must be > 0 ms", options.scrape_timeout_ms);
  }
  for (const ScrapeTarget& node : options.scrape_targets) {
    if (node.address.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scrape target '", node.id, "' has no address"));
    }
  }
  return absl::OkStatus();
}

}  // namespace overlay::bench
