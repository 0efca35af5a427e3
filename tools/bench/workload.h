// Copyright 2026 The overlay Authors.
//
// Workload: the weighted mix of queries a benchmark sends. Each entry is a
// QueryRequest parsed from overlay_client's query words (see
// core/wire/query_words.h) and a positive weight. Entry(index) picks an
// entry for a request index deterministically from a seed, so a run's mix
// does not depend on which thread issues which request.
// Immutable after construction; thread-safe for concurrent readers.
//
//   ASSIGN_OR_RETURN(Workload mix, Workload::FromFile("mix.txt"));
//   const v1::QueryRequest& request = mix.Entry(i, seed).request;
//
// A mix file has one entry a line, `WEIGHT WORDS...`; blank lines and text
// after '#' are ignored:
//   # 80% small PM2.5 queries, 20% a large ozone scan
//   8 query --param PM2.5 --min 10 --max 50 --limit 500
//   2 query --param OZONE --limit 20000

#ifndef OVERLAY_TOOLS_BENCH_WORKLOAD_H_
#define OVERLAY_TOOLS_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "protos/overlay.pb.h"

namespace overlay::bench {

struct WorkloadEntry {
  double weight = 1;  // > 0; relative share of requests
  std::string words;  // the words as given, for reports
  v1::QueryRequest request;
};

class Workload final {
 public:
  // One entry with weight 1, e.g. "query --param PM2.5 --limit 500".
  static absl::StatusOr<Workload> FromWords(absl::string_view words);
  // The mix format above; errors name the line: "mix.txt:3: ...".
  static absl::StatusOr<Workload> FromFile(const std::string& path);
  static absl::StatusOr<Workload> FromText(absl::string_view text,
                                           absl::string_view name);
  // An already-built request (tests).
  static Workload FromRequest(v1::QueryRequest request, std::string words = "");

  const std::vector<WorkloadEntry>& entries() const { return entries_; }
  // REQUIRES: !entries().empty().
  const WorkloadEntry& Entry(int64_t request_index, uint64_t seed) const;
  // "query --param PM2.5" or "8 x query ...; 2 x query ..." for titles.
  std::string Describe() const;

 private:
  Workload() = default;
  static absl::StatusOr<WorkloadEntry> ParseEntry(double weight,
                                                  absl::string_view words);
  void Finish();  // computes cumulative_

  std::vector<WorkloadEntry> entries_;
  std::vector<double> cumulative_;  // running sum of weights
};

// Splits a command line into words: whitespace separates; '...' and "..."
// group (without the quotes); a backslash escapes the next character.
absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view text);

}  // namespace overlay::bench

#endif  // OVERLAY_TOOLS_BENCH_WORKLOAD_H_
