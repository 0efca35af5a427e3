// Copyright 2026 The overlay Authors.

#include "core/store/canonical_filter.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace overlay {
namespace {

// Exact: 17 significant digits read back as the same double; -0.0 is 0.0
// (every comparison of the store treats them alike).
std::string Number(double value) {
  if (value == 0) value = 0;  // -0.0 == 0.0
  return absl::StrFormat("%.17g", value);
}

template <typename T, typename Format>
std::string Optional(const std::optional<T>& value, Format format) {
  return value ? format(*value) : std::string("*");
}

template <typename T>
std::vector<T> SortedUnique(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// "<length>:<bytes>": no separator inside a string can be mistaken.
void AppendString(std::string* out, const std::string& text) {
  absl::StrAppend(out, text.size(), ":", text);
}

}  // namespace

std::string CanonicalFilterKey(const Filter& filter) {
  const auto integer = [](int64_t v) { return absl::StrCat(v); };
  std::string key = "f1";
  absl::StrAppend(&key, ";p=");
  std::vector<int> parameters;
  for (Parameter p : filter.parameters) {
    parameters.push_back(static_cast<int>(p));
  }
  bool first = true;
  for (int p : SortedUnique(std::move(parameters))) {
    absl::StrAppend(&key, first ? "" : ",", p);
    first = false;
  }
  absl::StrAppend(&key, ";c=", Optional(filter.min_concentration, Number),
                  ",", Optional(filter.max_concentration, Number));
  absl::StrAppend(&key, ";a=", Optional(filter.min_aqi, integer), ",",
                  Optional(filter.max_aqi, integer));
  absl::StrAppend(&key, ";k=");
  first = true;
  for (int category : SortedUnique(filter.categories)) {
    absl::StrAppend(&key, first ? "" : ",", category);
    first = false;
  }
  absl::StrAppend(&key, ";t=", Optional(filter.from_utc, integer), ",",
                  Optional(filter.to_utc, integer));
  absl::StrAppend(&key, ";b=");
  if (filter.bbox) {
    const BoundingBox& b = *filter.bbox;
    absl::StrAppend(&key, Number(b.min_latitude), ",", Number(b.min_longitude),
                    ",", Number(b.max_latitude), ",",
                    Number(b.max_longitude));
  } else {
    absl::StrAppend(&key, "*");
  }
  absl::StrAppend(&key, ";s=");
  const std::vector<std::string> keys = SortedUnique(filter.site_keys);
  absl::StrAppend(&key, keys.size());
  for (const std::string& site_key : keys) {
    absl::StrAppend(&key, ",");
    AppendString(&key, site_key);
  }
  absl::StrAppend(&key, ";x=");
  if (filter.prefix && !filter.prefix->empty()) {
    AppendString(&key, *filter.prefix);
  } else {
    absl::StrAppend(&key, "*");
  }
  absl::StrAppend(&key, ";l=", filter.limit);
  return key;
}

}  // namespace overlay
