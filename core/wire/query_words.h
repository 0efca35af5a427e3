// Copyright 2026 The overlay Authors.
//
// Parses the query words shared by overlay_client and overlay_bench into a
// QueryRequest:
//   query [PARAM [MIN [MAX]]] [--param P[,P...]] [--min X] [--max X]
//         [--aqi-min N] [--aqi-max N] [--category C[,C...]]
//         [--from T] [--to T] [--bbox LAT1,LON1,LAT2,LON2]
//   get_all
//   get_by_key K [K...]
//   get_by_prefix P
// and, after any of them: [--limit N] [--chunk-size N] [--client-id ID]
// [--allow-partial] [--no-cache]. --allow-partial (QueryRequest.allow_partial)
// accepts an answer that misses shares, marked incomplete; --no-cache
// (QueryRequest.fresh) bypasses every cache. Both take no value.
// Times T are "2020-08-18T00:00" (or a day "2020-08-18"), both ends
// inclusive: a bare day as --to means its last second.
// Stateless; thread-safe.

#ifndef OVERLAY_CORE_WIRE_QUERY_WORDS_H_
#define OVERLAY_CORE_WIRE_QUERY_WORDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/overlay.pb.h"

namespace overlay {

absl::StatusOr<v1::QueryRequest> ParseQueryWords(
    const std::vector<std::string>& words);

// True if `word` starts a query (query, get_all, get_by_key, get_by_prefix).
bool IsQueryCommand(const std::string& word);

// Help text for the words above.
const char* QueryWordsUsage();

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_QUERY_WORDS_H_
