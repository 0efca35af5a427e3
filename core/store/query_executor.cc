// Copyright 2026 The overlay Authors.

#include "core/store/query_executor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "core/common/status_macros.h"

namespace overlay {
namespace {

// Rows (or candidates) per call of a match loop.
constexpr size_t kBlock = 4096;
// The bitmap window that merges several row lists: 64 rows a list, within
// these bounds, so a window's bookkeeping (a pass over the lists, a pass
// over the words) stays small next to the rows it covers.
constexpr size_t kMinWindowWords = 8192 / 64;
constexpr size_t kMaxWindowWords = 131072 / 64;

// The cost model, in rows of a contiguous match loop (about 1 ns each on
// one core). A candidate from one list costs its decode, one from several
// lists also its trip through the merge bitmap; reading a column for a
// condition the list leaves open costs a gather (random reads) on top.
// Measured with bench/store_benchmarks.cc (BM_Path*, forcing each path on
// the real data); only the ratios matter.
constexpr double kScanRowCost = 1.0;
constexpr double kListRowCost = 0.25;
constexpr double kMergedRowCost = 2.5;
constexpr double kGatherRowCost = 1.5;

absl::string_view View(const std::string& s) {
  return absl::string_view(s.data(), s.size());
}

// The row conditions left to the match loops, lowered to flat arrays and
// bounds over the table's codes.
struct Conditions {
  bool check_parameter = false;
  std::array<uint8_t, 256> parameter_ok{};
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

  bool any() const {
    return check_parameter || check_concentration || check_aqi ||
           check_category || check_time || check_site;
  }
};

// The row conditions of `f`; the plan clears those its access path settles.
void LowerRowConditions(const Filter& f, Conditions* c) {
  c->check_parameter = !f.parameters.empty();
  for (Parameter p : f.parameters) {
    c->parameter_ok[static_cast<uint8_t>(p)] = 1;
  }
  if (f.min_concentration || f.max_concentration) {
    c->check_concentration = true;
    if (f.min_concentration) c->min_concentration = *f.min_concentration;
    if (f.max_concentration) c->max_concentration = *f.max_concentration;
  }
  if (f.min_aqi || f.max_aqi) {
    c->check_aqi = true;
    if (f.min_aqi) c->min_aqi = std::max(c->min_aqi, *f.min_aqi);
    if (f.max_aqi) c->max_aqi = *f.max_aqi;
  }
  if (!f.categories.empty()) {
    c->check_category = true;
    for (int category : f.categories) {
      c->category_ok[static_cast<uint8_t>(static_cast<int8_t>(category))] = 1;
    }
  }
  if (f.from_utc || f.to_utc) {
    c->check_time = true;
    if (f.from_utc) c->from_utc = *f.from_utc;
    if (f.to_utc) c->to_utc = *f.to_utc;
  }
}

// Writes the rows of the n candidates that pass the conditions to `out` and
// returns how many. Candidates are rows begin, begin + 1, ... (contiguous)
// or candidates[0..n) (kGather; `out` may be `candidates`). One
// instantiation per combination of conditions, so each loop reads only the
// columns it tests and runs without branches: every row is written and the
// count advances by the match bit. The common query, parameters plus a
// concentration range, is 9 bytes a row contiguous, over 1 G rows/s.
template <bool kGather, bool kParameter, bool kConcentration, bool kAqi,
          bool kCategory, bool kTime, bool kSite>
size_t MatchRows(const Table& t, const Conditions& c, size_t begin,
                 const uint32_t* candidates, size_t n, uint32_t* out) {
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
  // The match bit of row i.
  auto matches = [&](size_t i) {
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
    return match;
  };
  size_t m = 0;
  if constexpr (kGather) {
    for (size_t k = 0; k < n; ++k) {
      const uint32_t i = candidates[k];
      const uint32_t match = matches(i);
      out[m] = i;
      m += match;
    }
  } else {
    for (size_t i = begin, end = begin + n; i < end; ++i) {
      const uint32_t match = matches(i);
      out[m] = static_cast<uint32_t>(i);
      m += match;
    }
  }
  return m;
}

using MatchFn = size_t (*)(const Table&, const Conditions&, size_t,
                           const uint32_t*, size_t, uint32_t*);

// The 128 instantiations, indexed by the condition bits (see SelectMatch).
template <size_t... kBits>
constexpr std::array<MatchFn, sizeof...(kBits)> MakeMatchTable(
    std::index_sequence<kBits...>) {
  return {{&MatchRows<(kBits & 64) != 0, (kBits & 1) != 0, (kBits & 2) != 0,
                      (kBits & 4) != 0, (kBits & 8) != 0, (kBits & 16) != 0,
                      (kBits & 32) != 0>...}};
}
constexpr std::array<MatchFn, 128> kMatchTable =
    MakeMatchTable(std::make_index_sequence<128>());

MatchFn SelectMatch(const Conditions& c, bool gather) {
  const size_t bits = (c.check_parameter ? 1 : 0) |
                      (c.check_concentration ? 2 : 0) | (c.check_aqi ? 4 : 0) |
                      (c.check_category ? 8 : 0) | (c.check_time ? 16 : 0) |
                      (c.check_site ? 32 : 0) | (gather ? 64 : 0);
  return kMatchTable[bits];
}

bool InBox(const BoundingBox& b, const Site& s) {
  return s.latitude >= b.min_latitude && s.latitude <= b.max_latitude &&
         s.longitude >= b.min_longitude && s.longitude <= b.max_longitude;
}

bool HasPrefix(const Site& s, const std::string& prefix) {
  return absl::StartsWith(View(s.aqs_id), View(prefix)) ||
         absl::StartsWith(View(s.full_aqs_id), View(prefix)) ||
         absl::StartsWith(View(s.site_name), View(prefix));
}

// The sites that pass the site-level part of `f` (SiteMatches), ascending.
// Keys resolve by hash lookup, a prefix by the sorted dictionaries; only
// with neither is every site visited (for the bounding box).
std::vector<uint32_t> MatchingSites(const Table& table, const Filter& f) {
  const TableIndex& index = table.index();
  const std::vector<Site>& sites = table.sites();
  const bool has_prefix = f.prefix && !f.prefix->empty();
  std::vector<uint32_t> candidates;
  bool prefix_checked = false;
  if (!f.site_keys.empty()) {
    std::vector<uint8_t> seen(sites.size(), 0);
    for (const std::string& key : f.site_keys) {
      for (uint32_t s : index.SitesWithKey(key)) {
        if (seen[s] != 0) continue;
        seen[s] = 1;
        candidates.push_back(s);
      }
    }
    std::sort(candidates.begin(), candidates.end());
  } else if (has_prefix) {
    index.SitesWithPrefix(table, *f.prefix, &candidates);
    prefix_checked = true;
  } else {
    candidates.resize(sites.size());
    for (uint32_t s = 0; s < sites.size(); ++s) candidates[s] = s;
  }
  const bool check_prefix = has_prefix && !prefix_checked;
  if (!check_prefix && !f.bbox) return candidates;
  size_t kept = 0;
  for (uint32_t s : candidates) {
    if (check_prefix && !HasPrefix(sites[s], *f.prefix)) continue;
    if (f.bbox && !InBox(*f.bbox, sites[s])) continue;
    candidates[kept++] = s;
  }
  candidates.resize(kept);
  return candidates;
}

// The cost of reading `rows` candidates from `lists` row lists spread over
// `hull` rows, `gather` if a column must still be read for each.
double ListCost(size_t rows, size_t lists, size_t hull, bool gather) {
  const double per_row = (lists <= 1 ? kListRowCost : kMergedRowCost) +
                         (gather ? kGatherRowCost : 0.0);
  double cost = per_row * static_cast<double>(rows);
  if (lists > 1) {  // each window passes over the lists and its words
    const size_t words =
        std::clamp<size_t>(lists, kMinWindowWords, kMaxWindowWords);
    const double windows = std::min<double>(
        static_cast<double>(rows),
        std::ceil(static_cast<double>(hull) / static_cast<double>(64 * words)));
    cost += windows * static_cast<double>(2 * lists + 2 * words);
  }
  return cost;
}

}  // namespace

std::string_view AccessPathName(AccessPath path) {
  switch (path) {
    case AccessPath::kNone:
      return "none";
    case AccessPath::kRowRanges:
      return "row_ranges";
    case AccessPath::kParameterRows:
      return "parameter_rows";
    case AccessPath::kSiteRows:
      return "site_rows";
  }
  return "unknown";
}

struct ScanCursor::Plan {
  // Plans `f` over rows [begin, end) of `t` (clipped); leaves the plan
  // kNone (done) when nothing can match.
  void Prepare(const Table& t, const Filter& f, size_t begin, size_t end,
               size_t matches_before);

  const Table* table = nullptr;
  AccessPath path = AccessPath::kNone;
  Conditions conditions;  // those the path leaves to the match loop
  MatchFn match = nullptr;
  uint64_t remaining = std::numeric_limits<uint64_t>::max();  // the limit's
  size_t estimated = 0;
  size_t touched = 0;
  size_t matched = 0;
  bool done = true;

  // kRowRanges: the ranges, the current one and the next row in it.
  std::vector<RowRange> ranges;
  size_t range = 0;
  size_t next_row = 0;

  // List paths: the lists not yet exhausted (never a done cursor). With
  // more than one they merge through `bits`, a window of 64 * bits.size()
  // rows from window_start; words [word, words) may hold bits, and
  // bits[word] does whenever word < words.
  std::vector<RowLists::Cursor> lists;
  std::vector<uint64_t> bits;
  uint64_t window_start = 0;
  size_t word = 0;
  size_t words = 0;

  bool exhausted() const {
    switch (path) {
      case AccessPath::kNone:
        return true;
      case AccessPath::kRowRanges:
        return range == ranges.size();
      case AccessPath::kParameterRows:
      case AccessPath::kSiteRows:
        return lists.empty() && word >= words;
    }
    return true;
  }

  // Marks the next window of candidates in `bits`; false if none is left.
  bool FillWindow() {
    if (lists.empty()) return false;
    uint64_t first = std::numeric_limits<uint64_t>::max();
    for (const RowLists::Cursor& c : lists) {
      first = std::min<uint64_t>(first, c.row());
    }
    const uint64_t limit = first + 64 * bits.size();
    size_t kept = 0;
    for (RowLists::Cursor& c : lists) {
      c.MarkBelow(first, limit, bits.data());
      if (!c.done()) lists[kept++] = c;
    }
    lists.resize(kept);
    window_start = first;
    word = 0;  // holds `first`
    words = bits.size();
    while (words > 0 && bits[words - 1] == 0) --words;
    return true;
  }

  // Reads up to `max` candidates of several lists, in row order.
  size_t ReadMerged(size_t max, uint32_t* out) {
    size_t n = 0;
    while (n < max) {
      if (word >= words && !FillWindow()) break;
      uint64_t* b = bits.data();
      while (word < words && n < max) {
        uint64_t w = b[word];
        const uint64_t base = window_start + 64 * word;
        while (w != 0 && n < max) {
          out[n++] = static_cast<uint32_t>(base + __builtin_ctzll(w));
          w &= w - 1;
        }
        b[word] = w;
        while (word < words && b[word] == 0) ++word;
      }
    }
    return n;
  }

  // Reads up to `max` candidates of the path.
  size_t ReadCandidates(size_t max, uint32_t* out) {
    if (lists.size() == 1 && word >= words) {
      const size_t n = lists[0].Read(max, out);
      if (lists[0].done()) lists.clear();
      return n;
    }
    return ReadMerged(max, out);
  }

  // Touches up to `budget` rows (at least one), handing each block of
  // matches to `sink(rows, n)`.
  template <typename Sink>
  void Run(size_t budget, Sink&& sink) {
    budget = std::max<size_t>(budget, 1);
    uint32_t block[kBlock];
    while (!done && budget > 0) {
      const size_t want = std::min(budget, kBlock);
      size_t n = 0, m = 0;
      if (path == AccessPath::kRowRanges) {
        const RowRange& r = ranges[range];
        n = std::min<size_t>(want, r.end - next_row);
        m = match(*table, conditions, next_row, nullptr, n, block);
        next_row += n;
        if (next_row == r.end && ++range < ranges.size()) {
          next_row = ranges[range].begin;
        }
      } else {
        n = ReadCandidates(want, block);
        m = match(*table, conditions, 0, block, n, block);
      }
      touched += n;
      budget -= std::min(budget, n);
      if (m > remaining) m = static_cast<size_t>(remaining);
      remaining -= m;
      matched += m;
      if (m > 0) sink(block, m);
      done = remaining == 0 || exhausted();
    }
  }
};

ScanCursor::ScanCursor(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
ScanCursor::ScanCursor(ScanCursor&&) noexcept = default;
ScanCursor& ScanCursor::operator=(ScanCursor&&) noexcept = default;
ScanCursor::~ScanCursor() = default;

absl::StatusOr<ScanCursor> ScanCursor::Create(const Table& table,
                                              const Filter& filter) {
  return Create(table, filter, 0, table.num_rows(), 0);
}

absl::StatusOr<ScanCursor> ScanCursor::Create(const Table& table,
                                              const Filter& filter,
                                              size_t begin, size_t end,
                                              size_t matches_before) {
  RETURN_IF_ERROR(ValidateFilter(filter));
  auto plan = std::make_unique<Plan>();
  plan->Prepare(table, filter, begin, end, matches_before);
  return ScanCursor(std::move(plan));
}

AccessPath ScanCursor::path() const { return plan_->path; }
size_t ScanCursor::estimated_rows() const { return plan_->estimated; }
size_t ScanCursor::rows_touched() const { return plan_->touched; }
size_t ScanCursor::matches() const { return plan_->matched; }
bool ScanCursor::done() const { return plan_->done; }

bool ScanCursor::Next(size_t max_rows_touched, std::vector<uint32_t>* rows) {
  Plan& p = *plan_;
  if (p.done) return true;
  const size_t left = p.estimated - p.touched;
  if (!p.conditions.any() && max_rows_touched >= left) {
    // Every candidate matches: the answer's size is known.
    rows->reserve(rows->size() +
                  static_cast<size_t>(std::min<uint64_t>(left, p.remaining)));
  }
  p.Run(max_rows_touched, [rows](const uint32_t* block, size_t n) {
    rows->insert(rows->end(), block, block + n);
  });
  return p.done;
}

size_t ScanCursor::CountRest() {
  Plan& p = *plan_;
  const size_t before = p.matched;
  if (p.done) return 0;
  if (!p.conditions.any()) {
    // Every candidate matches: count without reading them.
    const size_t n = static_cast<size_t>(
        std::min<uint64_t>(p.estimated - p.touched, p.remaining));
    p.touched = p.estimated;
    p.matched += n;
    p.remaining -= n;
    p.done = true;
    return n;
  }
  p.Run(std::numeric_limits<size_t>::max(), [](const uint32_t*, size_t) {});
  return p.matched - before;
}

void ScanCursor::Plan::Prepare(const Table& t, const Filter& f, size_t begin,
                               size_t end, size_t matches_before) {
  table = &t;
  end = std::min(end, t.num_rows());
  begin = std::min(begin, end);
  if (f.limit > 0) {
    const uint64_t limit = static_cast<uint64_t>(f.limit);
    if (matches_before >= limit) return;
    remaining = limit - matches_before;
  }
  Conditions& c = conditions;
  LowerRowConditions(f, &c);
  const TableIndex& index = t.index();

  // Row ranges: the time window's when time is indexed (exact), else all.
  bool time_settled = false;  // by `ranges`, for the contiguous path
  if (begin < end) {
    if (c.check_time && index.time_indexed()) {
      index.TimeRanges(t, c.from_utc, c.to_utc, begin, end, &ranges);
      time_settled = true;
    } else {
      ranges.push_back(
          RowRange{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
    }
  }
  if (ranges.empty()) return;
  size_t range_rows = 0;
  for (const RowRange& r : ranges) range_rows += r.size();
  // Lists are clipped to the hull of the ranges, which settles the time
  // condition only when it is a single exact range.
  const size_t hull_begin = ranges.front().begin;
  const size_t hull_end = ranges.back().end;
  const size_t hull = hull_end - hull_begin;
  const bool whole_table = hull_begin == 0 && hull_end == t.num_rows();
  const bool time_settled_by_hull =
      !c.check_time || (time_settled && ranges.size() == 1);

  const bool site_filter = f.bbox.has_value() || !f.site_keys.empty() ||
                           (f.prefix && !f.prefix->empty());
  std::vector<uint32_t> sites;
  if (site_filter) {
    sites = MatchingSites(t, f);
    if (sites.empty()) return;
  }

  // The candidates of each path, and its cost. A list path leaves the value
  // conditions open, the time when the hull is not exact, and the other
  // list's condition.
  const bool values_open = c.check_concentration || c.check_aqi ||
                           c.check_category ||
                           (c.check_time && !time_settled_by_hull);
  AccessPath best = AccessPath::kRowRanges;
  size_t best_rows = range_rows;
  double best_cost = kScanRowCost * static_cast<double>(range_rows);
  std::vector<uint32_t> parameter_codes;
  if (c.check_parameter) {
    const RowLists& by_code = index.parameter_rows();
    size_t rows = 0;
    for (uint32_t code = 0; code < by_code.num_codes() && code < 256; ++code) {
      if (c.parameter_ok[code] == 0) continue;
      const size_t n = whole_table ? by_code.size(code)
                                   : by_code.Count(code, hull_begin, hull_end);
      if (n == 0) continue;
      rows += n;
      parameter_codes.push_back(code);
    }
    if (rows == 0) return;  // no row of those parameters in range
    const double cost = ListCost(rows, parameter_codes.size(), hull,
                                 values_open || site_filter);
    if (cost < best_cost) {
      best = AccessPath::kParameterRows;
      best_rows = rows;
      best_cost = cost;
    }
  }
  if (site_filter) {
    const RowLists& by_site = index.site_rows();
    size_t rows = 0, nonempty = 0;
    for (uint32_t s : sites) {
      const size_t n = whole_table ? by_site.size(s)
                                   : by_site.Count(s, hull_begin, hull_end);
      rows += n;
      nonempty += n > 0;
    }
    if (rows == 0) return;  // the matching sites have no row in range
    const double cost =
        ListCost(rows, nonempty, hull, values_open || c.check_parameter);
    if (cost < best_cost) {
      best = AccessPath::kSiteRows;
      best_rows = rows;
      best_cost = cost;
    }
  }

  path = best;
  estimated = best_rows;
  done = false;
  if (best == AccessPath::kRowRanges) {
    c.check_time = c.check_time && !time_settled;
    next_row = ranges.front().begin;
  } else {
    c.check_time = c.check_time && !time_settled_by_hull;
    const bool by_parameter = best == AccessPath::kParameterRows;
    const RowLists& source =
        by_parameter ? index.parameter_rows() : index.site_rows();
    for (uint32_t code : by_parameter ? parameter_codes : sites) {
      RowLists::Cursor cursor = source.Find(code, hull_begin, hull_end);
      if (!cursor.done()) lists.push_back(cursor);
    }
    if (lists.size() > 1) {
      bits.assign(std::clamp(lists.size(), kMinWindowWords, kMaxWindowWords),
                  0);
    }
    if (by_parameter) c.check_parameter = false;
  }
  if (site_filter && best != AccessPath::kSiteRows) {
    c.check_site = true;
    c.site_ok.assign(t.sites().size(), 0);
    for (uint32_t s : sites) c.site_ok[s] = 1;
  }
  match = SelectMatch(c, best != AccessPath::kRowRanges);
}

absl::StatusOr<std::vector<uint32_t>> ExecuteFilter(const Table& table,
                                                    const Filter& filter) {
  ASSIGN_OR_RETURN(ScanCursor cursor, ScanCursor::Create(table, filter));
  std::vector<uint32_t> rows;
  cursor.Next(std::numeric_limits<size_t>::max(), &rows);
  rows.shrink_to_fit();
  return rows;
}

absl::Status ExecuteFilterRange(const Table& table, const Filter& filter,
                                size_t begin, size_t end,
                                std::vector<uint32_t>* rows) {
  ASSIGN_OR_RETURN(ScanCursor cursor,
                   ScanCursor::Create(table, filter, begin, end, rows->size()));
  cursor.Next(std::numeric_limits<size_t>::max(), rows);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountMatches(const Table& table, const Filter& filter) {
  ASSIGN_OR_RETURN(ScanCursor cursor, ScanCursor::Create(table, filter));
  return static_cast<int64_t>(cursor.CountRest());
}

size_t EstimateScanRows(const Table& table, const Filter& filter) {
  absl::StatusOr<ScanCursor> cursor = ScanCursor::Create(table, filter);
  return cursor.ok() ? cursor->estimated_rows() : 0;
}

}  // namespace overlay
