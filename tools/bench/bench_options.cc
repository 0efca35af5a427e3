// Copyright 2026 The overlay Authors.

#include "tools/bench/bench_options.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

namespace {

bool IsClientNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

absl::StatusOr<ClientSpec> ParseClientSpec(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--client '", text, "': ", why));
  };
  ClientSpec spec;
  const size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (spec.name.empty()) return bad("needs a name before ':'");
  if (!std::all_of(spec.name.begin(), spec.name.end(), IsClientNameChar)) {
    return bad("the name may only hold letters, digits, '_', '-' and '.'");
  }
  if (colon == absl::string_view::npos) return spec;
  absl::string_view rest = text.substr(colon + 1);
  std::set<std::string> seen;
  while (!rest.empty()) {
    const size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) {
      return bad(absl::StrCat("expected KEY=VALUE, got '", rest, "'"));
    }
    const std::string key(rest.substr(0, eq));
    if (!seen.insert(key).second) return bad(absl::StrCat(key, " given twice"));
    rest.remove_prefix(eq + 1);
    if (key == "query" || key == "query_file") {
      // Takes the rest: query words may hold commas (--param PM2.5,NO2).
      if (rest.empty()) return bad(absl::StrCat(key, " is empty"));
      (key == "query" ? spec.query : spec.query_file) = std::string(rest);
      rest = {};
      break;
    }
    const size_t comma = rest.find(',');
    const absl::string_view value = rest.substr(0, comma);
    rest = comma == absl::string_view::npos ? absl::string_view()
                                            : rest.substr(comma + 1);
    double number = 0;
    int64_t integer = 0;
    const bool is_number = absl::SimpleAtod(value, &number);
    const bool is_integer = absl::SimpleAtoi(value, &integer);
    auto need_integer = [&]() -> absl::Status {
      if (!is_integer) {
        return bad(absl::StrCat(key, ": not an integer: '", value, "'"));
      }
      return absl::OkStatus();
    };
    if (key == "rate" || key == "duration") {
      if (!is_number || !std::isfinite(number)) {
        return bad(absl::StrCat(key, ": not a number: '", value, "'"));
      }
      (key == "rate" ? spec.rate : spec.duration_s) = number;
    } else if (key == "requests" || key == "deadline") {
      if (absl::Status s = need_integer(); !s.ok()) return s;
      (key == "requests" ? spec.requests : spec.deadline_ms) = integer;
    } else if (key == "concurrency" || key == "channels" || key == "parallel") {
      if (absl::Status s = need_integer(); !s.ok()) return s;
      if (integer < 0 || integer > 1'000'000) {
        return bad(absl::StrCat(key, ": out of range: ", integer));
      }
      const int value_int = static_cast<int>(integer);
      if (key == "concurrency") {
        spec.concurrency = value_int;
      } else if (key == "channels") {
        spec.channels = value_int;
      } else {
        spec.parallel = value_int;
      }
    } else {
      return bad(absl::StrCat(
          "unknown key '", key,
          "'; known: rate, concurrency, duration, requests, channels, "
          "parallel, deadline, query, query_file"));
    }
  }
  if (!spec.query.empty() && !spec.query_file.empty()) {
    return bad("give query or query_file, not both");
  }
  return spec;
}

BenchOptions OptionsForClient(const BenchOptions& run, const ClientSpec& spec) {
  BenchOptions options = run;
  options.clients.clear();
  options.client_id = spec.name;
  if (spec.rate) {
    options.rate = *spec.rate;
    options.concurrency = spec.concurrency.value_or(
        *spec.rate > 0 ? kDefaultOpenLoopCap : kDefaultConcurrency);
  } else if (spec.concurrency) {
    options.rate = 0;
    options.concurrency = *spec.concurrency;
  }
  if (spec.duration_s) {
    options.duration_s = *spec.duration_s;
    options.requests = spec.requests.value_or(0);
  } else if (spec.requests) {
    options.requests = *spec.requests;
  }
  if (spec.channels) options.channels = *spec.channels;
  if (spec.parallel) options.parallel = *spec.parallel;
  if (spec.deadline_ms) options.deadline_ms = *spec.deadline_ms;
  return options;
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
  if (!options.clients.empty()) {
    std::set<std::string> names;
    for (const ClientSpec& spec : options.clients) {
      if (spec.name.empty() ||
          !std::all_of(spec.name.begin(), spec.name.end(), IsClientNameChar)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "client name '", spec.name,
            "' must be non-empty, of letters, digits, '_', '-' and '.'"));
      }
      if (!names.insert(spec.name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("client '", spec.name, "' given twice"));
      }
      BenchOptions client = OptionsForClient(options, spec);
      if (absl::Status s = ValidateBenchOptions(client); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("client '", spec.name, "': ", s.message()));
      }
    }
  }
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
  if (options.parallel < 1 || options.parallel > kMaxParallel) {
    return bad(absl::StrCat("parallel must be in [1, ", kMaxParallel, "]"),
               options.parallel);
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
