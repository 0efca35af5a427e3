// Copyright 2026 The overlay Authors.

#include "tools/bench/run_stats.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace overlay::bench {
namespace {

constexpr size_t kMaxMessageLength = 160;

}  // namespace

std::string StatusCodeName(int code) {
  if (code < 0 || code > 16) return absl::StrCat("CODE_", code);
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

SecondStats& RunStats::Second(int64_t t_ns) {
  const size_t index =
      static_cast<size_t>(std::max<int64_t>(0, t_ns) / 1'000'000'000);
  while (seconds.size() <= index) {
    seconds.push_back(std::make_unique<SecondStats>());
  }
  return *seconds[index];
}

void RunStats::AddOk(int64_t t_ns, int64_t latency_ns, int64_t records,
                     int64_t bytes, int64_t chunks, bool is_partial) {
  ++ok;
  if (is_partial) ++partial;
  records_total += records;
  records_min = records_min < 0 ? records : std::min(records_min, records);
  records_max = std::max(records_max, records);
  bytes_total += bytes;
  chunks_total += chunks;
  latency.Record(latency_ns);
  Second(t_ns).latency.Record(latency_ns);
}

void RunStats::AddError(int64_t t_ns, int64_t latency_ns, int code,
                        absl::string_view rpc, absl::string_view message,
                        int64_t retry_pushback_ms) {
  ++errors;
  error_latency.Record(latency_ns);
  if (retry_pushback_ms >= 0) {
    // A day at most: the recorder clamps far below int64 overflow anyway.
    retry_pushback.Record(std::min<int64_t>(retry_pushback_ms, 86'400'000) *
                          1'000'000);
  }
  ++Second(t_ns).errors;
  ++errors_by_code[code];
  std::string key = absl::StrCat(rpc, ": ", StatusCodeName(code), ": ",
                                 message.substr(0, kMaxMessageLength));
  auto it = errors_by_message.find(key);
  if (it != errors_by_message.end()) {
    ++it->second;
  } else if (errors_by_message.size() < kMaxMessages) {
    errors_by_message.emplace(std::move(key), 1);
  } else {
    ++errors_by_message[std::string(kOtherMessages)];
  }
}

void RunStats::Merge(const RunStats& other) {
  ok += other.ok;
  errors += other.errors;
  partial += other.partial;
  release_failures += other.release_failures;
  records_total += other.records_total;
  if (other.records_min >= 0) {
    records_min = records_min < 0 ? other.records_min
                                  : std::min(records_min, other.records_min);
  }
  records_max = std::max(records_max, other.records_max);
  bytes_total += other.bytes_total;
  chunks_total += other.chunks_total;
  latency.Merge(other.latency);
  error_latency.Merge(other.error_latency);
  query_latency.Merge(other.query_latency);
  chunk_latency.Merge(other.chunk_latency);
  release_latency.Merge(other.release_latency);
  start_lag.Merge(other.start_lag);
  retry_pushback.Merge(other.retry_pushback);
  for (const auto& [code, count] : other.errors_by_code) {
    errors_by_code[code] += count;
  }
  for (const auto& [message, count] : other.errors_by_message) {
    auto it = errors_by_message.find(message);
    if (it != errors_by_message.end()) {
      it->second += count;
    } else if (errors_by_message.size() < kMaxMessages) {
      errors_by_message.emplace(message, count);
    } else {
      errors_by_message[std::string(kOtherMessages)] += count;
    }
  }
  for (size_t i = 0; i < other.seconds.size(); ++i) {
    SecondStats& mine = Second(static_cast<int64_t>(i) * 1'000'000'000);
    mine.latency.Merge(other.seconds[i]->latency);
    mine.errors += other.seconds[i]->errors;
  }
}

}  // namespace overlay::bench
