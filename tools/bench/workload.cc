// Copyright 2026 The overlay Authors.

#include "tools/bench/workload.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/wire/query_words.h"

namespace overlay::bench {
namespace {

// SplitMix64: a good 64-bit mix of (seed, index) without shared state.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word.push_back(text[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word.push_back(text[++i]);
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unterminated ", std::string(1, quote), " quote"));
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

absl::StatusOr<WorkloadEntry> Workload::ParseEntry(double weight,
                                                   absl::string_view words) {
  absl::StatusOr<std::vector<std::string>> split = SplitWords(words);
  if (!split.ok()) return split.status();
  if (split->empty()) return absl::InvalidArgumentError("no query words");
  absl::StatusOr<v1::QueryRequest> request = ParseQueryWords(*split);
  if (!request.ok()) return request.status();
  WorkloadEntry entry;
  entry.weight = weight;
  entry.words = absl::StrJoin(*split, " ");
  entry.request = *std::move(request);
  return entry;
}

absl::StatusOr<Workload> Workload::FromWords(absl::string_view words) {
  absl::StatusOr<WorkloadEntry> entry = ParseEntry(1, words);
  if (!entry.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("query '", words, "': ", entry.status().message()));
  }
  Workload workload;
  workload.entries_.push_back(*std::move(entry));
  workload.Finish();
  return workload;
}

absl::StatusOr<Workload> Workload::FromText(absl::string_view text,
                                            absl::string_view name) {
  Workload workload;
  int line_number = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    absl::string_view rest = line;
    if (const size_t hash = rest.find('#'); hash != absl::string_view::npos) {
      rest = rest.substr(0, hash);
    }
    rest = absl::StripAsciiWhitespace(rest);
    if (rest.empty()) continue;
    auto error = [&](absl::string_view message) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", line_number, ": ", message));
    };
    const size_t space = rest.find_first_of(" \t");
    if (space == absl::string_view::npos) {
      return error("expected 'WEIGHT WORDS...'");
    }
    double weight = 0;
    if (!absl::SimpleAtod(rest.substr(0, space), &weight) || !(weight > 0) ||
        weight > 1e9) {
      return error(absl::StrCat("weight must be a number > 0, got '",
                                rest.substr(0, space), "'"));
    }
    absl::StatusOr<WorkloadEntry> entry =
        ParseEntry(weight, rest.substr(space + 1));
    if (!entry.ok()) return error(entry.status().message());
    workload.entries_.push_back(*std::move(entry));
  }
  if (workload.entries_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no entries"));
  }
  workload.Finish();
  return workload;
}

absl::StatusOr<Workload> Workload::FromFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read failed"));
  }
  return FromText(text.str(), path);
}

Workload Workload::FromRequest(v1::QueryRequest request, std::string words) {
  Workload workload;
  WorkloadEntry entry;
  entry.words = words.empty() ? request.ShortDebugString() : std::move(words);
  entry.request = std::move(request);
  workload.entries_.push_back(std::move(entry));
  workload.Finish();
  return workload;
}

void Workload::Finish() {
  cumulative_.clear();
  double sum = 0;
  for (const WorkloadEntry& entry : entries_) {
    sum += entry.weight;
    cumulative_.push_back(sum);
  }
}

const WorkloadEntry& Workload::Entry(int64_t request_index,
                                     uint64_t seed) const {
  if (entries_.size() == 1) return entries_.front();
  const uint64_t bits =
      Mix(seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(request_index));
  // 53 random bits -> [0, 1).
  const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
  const double point = u * cumulative_.back();
  const size_t i = static_cast<size_t>(
      std::upper_bound(cumulative_.begin(), cumulative_.end(), point) -
      cumulative_.begin());
  return entries_[std::min(i, entries_.size() - 1)];
}

std::string Workload::Describe() const {
  if (entries_.size() == 1) return entries_.front().words;
  std::vector<std::string> parts;
  for (const WorkloadEntry& entry : entries_) {
    parts.push_back(absl::StrCat(entry.weight, " x ", entry.words));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace overlay::bench
