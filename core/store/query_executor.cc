// Copyright 2026 The overlay Authors.

#include "core/store/query_executor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/common/status_macros.h"

namespace overlay {
namespace {

constexpr size_t kBlock = 4096;

// A Filter lowered to flat arrays and bounds over the table's codes.
struct CompiledFilter {
  std::array<uint8_t, 256> parameter_ok;
  bool check_concentration = false;
  double min_concentration = -std::numeric_limits<double>::infinity();
  double max_concentration = std::numeric_limits<double>::infinity();
  bool check_aqi = false;
  int32_t min_aqi = std::numeric_limits<int16_t>::min() + 1;  // excludes missing
  int32_t max_aqi = std::numeric_limits<int16_t>::max();
  bool check_category = false;
  std::array<uint8_t, 256> category_ok;
  bool check_time = false;
  int64_t from_utc = std::numeric_limits<int64_t>::min();
  int64_t to_utc = std::numeric_limits<int64_t>::max();
  bool check_site = false;
  std::vector<uint8_t> site_ok;
  bool impossible = false;  // e.g. no site can match
};

CompiledFilter Compile(const Table& table, const Filter& f) {
  CompiledFilter c;
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

// Appends the matching rows of [begin, end) to `out` (as row indices).
// Every condition is evaluated without branches; disabled ones pass.
size_t MatchBlock(const Table& t, const CompiledFilter& c, size_t begin,
                  size_t end, uint32_t* out) {
  const uint8_t* parameter = t.parameter().data();
  const double* concentration = t.concentration().data();
  size_t n = 0;
  if (!c.check_aqi && !c.check_category && !c.check_time && !c.check_site) {
    // The common case: parameters and a concentration range.
    if (c.check_concentration) {
      const double lo = c.min_concentration;
      const double hi = c.max_concentration;
      for (size_t i = begin; i < end; ++i) {
        const double v = concentration[i];
        out[n] = static_cast<uint32_t>(i);
        n += c.parameter_ok[parameter[i]] & (v >= lo) & (v <= hi);
      }
    } else {
      for (size_t i = begin; i < end; ++i) {
        out[n] = static_cast<uint32_t>(i);
        n += c.parameter_ok[parameter[i]];
      }
    }
    return n;
  }
  const int16_t* aqi = t.aqi().data();
  const int8_t* category = t.category().data();
  const int64_t* utc = t.utc().data();
  const uint32_t* site = t.site_index().data();
  const uint8_t* site_ok = c.check_site ? c.site_ok.data() : nullptr;
  const uint32_t skip_concentration = c.check_concentration ? 0 : 1;
  const uint32_t skip_aqi = c.check_aqi ? 0 : 1;
  const uint32_t skip_category = c.check_category ? 0 : 1;
  const uint32_t skip_time = c.check_time ? 0 : 1;
  for (size_t i = begin; i < end; ++i) {
    const double v = concentration[i];
    const int32_t a = aqi[i];
    const int64_t time = utc[i];
    uint32_t match = c.parameter_ok[parameter[i]];
    match &= skip_concentration |
             ((v >= c.min_concentration) & (v <= c.max_concentration));
    match &= skip_aqi | ((a >= c.min_aqi) & (a <= c.max_aqi));
    match &= skip_category |
             c.category_ok[static_cast<uint8_t>(category[i])];
    match &= skip_time | ((time >= c.from_utc) & (time <= c.to_utc));
    if (site_ok != nullptr) match &= site_ok[site[i]];
    out[n] = static_cast<uint32_t>(i);
    n += match;
  }
  return n;
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
  uint32_t block[kBlock];
  for (size_t begin = first; begin < rows && remaining > 0; begin += kBlock) {
    const size_t end = std::min(rows, begin + kBlock);
    size_t n = MatchBlock(table, compiled, begin, end, block);
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

absl::StatusOr<int64_t> CountMatches(const Table& table,
                                     const Filter& filter) {
  RETURN_IF_ERROR(ValidateFilter(filter));
  int64_t count = 0;
  Scan(table, filter, 0, table.num_rows(), 0,
       [&count](const uint32_t*, size_t n) { count += static_cast<int64_t>(n); });
  return count;
}

}  // namespace overlay
