// Copyright 2026 The overlay Authors.

#include "core/wire/query_words.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/status_macros.h"
#include "core/store/record.h"
#include "core/wire/filter_codec.h"

namespace overlay {
namespace {

absl::StatusOr<double> ParseDouble(const std::string& flag,
                                   const std::string& text) {
  double value;
  if (!absl::SimpleAtod(text, &value) || std::isnan(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not a number: '", text, "'"));
  }
  return value;
}

absl::StatusOr<int64_t> ParseInt(const std::string& flag,
                                 const std::string& text) {
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not an integer: '", text, "'"));
  }
  return value;
}

// For the int32 fields of the request: wider values are an error, never
// wrapped.
absl::StatusOr<int32_t> ParseInt32(const std::string& flag,
                                   const std::string& text) {
  ASSIGN_OR_RETURN(int64_t value, ParseInt(flag, text));
  if (value < std::numeric_limits<int32_t>::min() ||
      value > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": out of range: ", value));
  }
  return static_cast<int32_t>(value);
}

absl::Status AddParameters(const std::string& text, v1::Filter* filter) {
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::optional<Parameter> parameter =
        ParseParameter(std::string_view(name.data(), name.size()));
    if (!parameter) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown parameter '", name,
                       "'; known: OZONE, PM2.5, PM10, NO2, SO2, CO"));
    }
    filter->add_parameters(ParameterToProto(*parameter));
  }
  return absl::OkStatus();
}

// "2020-08-18T00:00" as is; a bare day "2020-08-18" is its first second, or
// its last second when `end_of_day`.
absl::StatusOr<int64_t> ParseTime(const std::string& flag,
                                  const std::string& text, bool end_of_day) {
  if (text.find('T') == std::string::npos) {
    absl::StatusOr<int64_t> day = ParseDay(text);
    if (!day.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": expected 2020-08-18T00:00 or 2020-08-18, got '", text, "'"));
    }
    return *day * 86400 + (end_of_day ? 86399 : 0);
  }
  absl::StatusOr<UnixSeconds> seconds = ParseUtc(text);
  if (!seconds.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": expected 2020-08-18T00:00, got '", text, "'"));
  }
  return *seconds;
}

}  // namespace

bool IsQueryCommand(const std::string& word) {
  return word == "query" || word == "get_all" || word == "get_by_key" ||
         word == "get_by_prefix";
}

const char* QueryWordsUsage() {
  return "  query [PARAM [MIN [MAX]]] [--param P[,P]] [--min X] [--max X]\n"
         "        [--aqi-min N] [--aqi-max N] [--category C[,C]]\n"
         "        [--from T] [--to T] [--bbox LAT1,LON1,LAT2,LON2]\n"
         "  get_all\n"
         "  get_by_key K [K...]\n"
         "  get_by_prefix P\n"
         "  any of them: [--limit N] [--chunk-size N] [--client-id ID]\n"
         "        [--allow-partial] [--no-cache]\n"
         "  --allow-partial: accept an answer missing some shares (marked\n"
         "        incomplete); --no-cache: bypass the overlay's caches\n"
         "  T: 2020-08-18T00:00 (or 2020-08-18), both ends inclusive\n";
}

absl::StatusOr<v1::QueryRequest> ParseQueryWords(
    const std::vector<std::string>& words) {
  if (words.empty() || !IsQueryCommand(words[0])) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected query, get_all, get_by_key or get_by_prefix",
                     words.empty() ? "" : absl::StrCat(", got '", words[0], "'")));
  }
  const std::string& command = words[0];
  v1::QueryRequest request;
  v1::Filter* filter = request.mutable_filter();
  std::vector<std::string> positional;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) {
      positional.push_back(word);
      continue;
    }
    std::string flag = word;
    std::string value;
    size_t eq = flag.find('=');
    const std::string name = flag.substr(0, eq);
    if (name == "--allow-partial" || name == "--no-cache") {
      // Switches take no value: the next word stays a word of its own.
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " takes no value"));
      }
      if (name == "--allow-partial") {
        request.set_allow_partial(true);
      } else {
        request.set_fresh(true);
      }
      continue;
    }
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else {
      if (i + 1 >= words.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " needs a value"));
      }
      value = words[++i];
    }
    const bool is_query = command == "query";
    if (flag == "--limit") {
      ASSIGN_OR_RETURN(int64_t limit, ParseInt(flag, value));
      request.set_limit(limit);
    } else if (flag == "--chunk-size") {
      ASSIGN_OR_RETURN(int64_t size, ParseInt(flag, value));
      if (size < 0 || size > 1'000'000) {
        return absl::InvalidArgumentError(
            absl::StrCat("--chunk-size out of range: ", size));
      }
      request.set_chunk_size(static_cast<int32_t>(size));
    } else if (flag == "--client-id") {
      request.set_client_id(value);
    } else if (is_query && flag == "--param") {
      RETURN_IF_ERROR(AddParameters(value, filter));
    } else if (is_query && flag == "--min") {
      ASSIGN_OR_RETURN(double v, ParseDouble(flag, value));
      filter->set_min_concentration(v);
    } else if (is_query && flag == "--max") {
      ASSIGN_OR_RETURN(double v, ParseDouble(flag, value));
      filter->set_max_concentration(v);
    } else if (is_query && flag == "--aqi-min") {
      ASSIGN_OR_RETURN(int32_t v, ParseInt32(flag, value));
      filter->set_min_aqi(v);
    } else if (is_query && flag == "--aqi-max") {
      ASSIGN_OR_RETURN(int32_t v, ParseInt32(flag, value));
      filter->set_max_aqi(v);
    } else if (is_query && flag == "--category") {
      for (absl::string_view c : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        ASSIGN_OR_RETURN(int32_t v, ParseInt32(flag, std::string(c)));
        filter->add_categories(v);
      }
    } else if (is_query && flag == "--from") {
      ASSIGN_OR_RETURN(int64_t t, ParseTime(flag, value, false));
      filter->set_from_utc_seconds(t);
    } else if (is_query && flag == "--to") {
      ASSIGN_OR_RETURN(int64_t t, ParseTime(flag, value, true));
      filter->set_to_utc_seconds(t);
    } else if (is_query && flag == "--bbox") {
      std::vector<std::string> parts = absl::StrSplit(value, ',');
      if (parts.size() != 4) {
        return absl::InvalidArgumentError(
            "--bbox needs LAT1,LON1,LAT2,LON2");
      }
      double v[4];
      for (int k = 0; k < 4; ++k) {
        ASSIGN_OR_RETURN(v[k], ParseDouble(flag, parts[k]));
      }
      v1::BoundingBox* bbox = filter->mutable_bbox();
      bbox->set_min_latitude(std::min(v[0], v[2]));
      bbox->set_max_latitude(std::max(v[0], v[2]));
      bbox->set_min_longitude(std::min(v[1], v[3]));
      bbox->set_max_longitude(std::max(v[1], v[3]));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option for ", command, ": ", flag));
    }
  }
  if (command == "query") {
    // Positional form of the reference client: query PARAM [MIN [MAX]].
    if (positional.size() > 3) {
      return absl::InvalidArgumentError(
          "query takes at most PARAM MIN MAX as positional words");
    }
    if (!positional.empty()) RETURN_IF_ERROR(AddParameters(positional[0], filter));
    if (positional.size() > 1) {
      ASSIGN_OR_RETURN(double v, ParseDouble("MIN", positional[1]));
      filter->set_min_concentration(v);
    }
    if (positional.size() > 2) {
      ASSIGN_OR_RETURN(double v, ParseDouble("MAX", positional[2]));
      filter->set_max_concentration(v);
    }
  } else if (command == "get_all") {
    if (!positional.empty()) {
      return absl::InvalidArgumentError("get_all takes no words");
    }
  } else if (command == "get_by_key") {
    if (positional.empty()) {
      return absl::InvalidArgumentError("get_by_key needs at least one key");
    }
    for (const std::string& key : positional) filter->add_site_keys(key);
  } else if (command == "get_by_prefix") {
    if (positional.size() != 1) {
      return absl::InvalidArgumentError("get_by_prefix needs one prefix");
    }
    filter->set_prefix(positional[0]);
  }
  return request;
}

}  // namespace overlay
