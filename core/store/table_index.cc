// Copyright 2026 The overlay Authors.

#include "core/store/table_index.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "core/store/table.h"

namespace overlay {
namespace {

template <typename T>
size_t CapacityBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Heap bytes of a string beyond its object (none for short strings).
size_t HeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

TableIndex::TableIndex() = default;

void TableIndex::Build(const Table& table) {
  const size_t n = table.num_rows();
  const std::vector<Site>& sites = table.sites();

  // Time: runs of non-decreasing UTC.
  const absl::Span<const int64_t> utc = table.utc();
  time_indexed_ = true;
  time_runs_.clear();
  if (n > 0) time_runs_.push_back(0);
  for (size_t i = 1; i < n; ++i) {
    if (utc[i] >= utc[i - 1]) continue;
    if (time_runs_.size() == kMaxTimeRuns) {
      time_indexed_ = false;
      time_runs_.clear();
      break;
    }
    time_runs_.push_back(static_cast<uint32_t>(i));
  }
  time_runs_.shrink_to_fit();

  parameter_rows_.Build(table.parameter(), table.parameter_names().size());
  site_rows_.Build(table.site_index(), sites.size());

  // AQS id and full AQS id -> sites. A site whose two ids are equal is
  // listed once under that key.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_key;
  for (uint32_t s = 0; s < sites.size(); ++s) {
    by_key[sites[s].aqs_id].push_back(s);
    if (sites[s].full_aqs_id != sites[s].aqs_id) {
      by_key[sites[s].full_aqs_id].push_back(s);
    }
  }
  key_sites_.clear();
  key_sites_.reserve(by_key.size());
  key_site_ids_.clear();
  key_site_ids_.reserve(2 * sites.size());
  for (auto& [key, ids] : by_key) {
    const uint32_t begin = static_cast<uint32_t>(key_site_ids_.size());
    key_site_ids_.insert(key_site_ids_.end(), ids.begin(), ids.end());
    key_sites_.emplace(
        key,
        std::make_pair(begin, static_cast<uint32_t>(key_site_ids_.size())));
  }
  key_site_ids_.shrink_to_fit();

  // Sorted dictionaries for prefix lookups.
  for (int field = 0; field < kNumFields; ++field) {
    auto text = [&sites, field](uint32_t s) -> const std::string& {
      return field == kAqsId       ? sites[s].aqs_id
             : field == kFullAqsId ? sites[s].full_aqs_id
                                   : sites[s].site_name;
    };
    std::vector<uint32_t>& sorted = sites_by_field_[field];
    sorted.resize(sites.size());
    for (uint32_t s = 0; s < sites.size(); ++s) sorted[s] = s;
    std::sort(sorted.begin(), sorted.end(), [&text](uint32_t a, uint32_t b) {
      const int order = text(a).compare(text(b));
      return order < 0 || (order == 0 && a < b);
    });
    sorted.shrink_to_fit();
  }
}

void TableIndex::TimeRanges(const Table& table, int64_t from_utc,
                            int64_t to_utc, size_t begin, size_t end,
                            std::vector<RowRange>* out) const {
  const int64_t* utc = table.utc().data();
  const size_t n = table.num_rows();
  // The first run that ends after `begin`.
  size_t r = static_cast<size_t>(
      std::upper_bound(time_runs_.begin(), time_runs_.end(), begin) -
      time_runs_.begin());
  r = r > 0 ? r - 1 : 0;
  for (; r < time_runs_.size() && time_runs_[r] < end; ++r) {
    const size_t run_end = r + 1 < time_runs_.size() ? time_runs_[r + 1] : n;
    const size_t first = std::max<size_t>(time_runs_[r], begin);
    const size_t last = std::min(run_end, end);
    if (first >= last) continue;
    const int64_t* lo = std::lower_bound(utc + first, utc + last, from_utc);
    const int64_t* hi = std::upper_bound(lo, utc + last, to_utc);
    if (lo < hi) {
      out->push_back(RowRange{static_cast<uint32_t>(lo - utc),
                              static_cast<uint32_t>(hi - utc)});
    }
  }
}

absl::Span<const uint32_t> TableIndex::SitesWithKey(
    std::string_view key) const {
  auto it = key_sites_.find(View(key));
  if (it == key_sites_.end()) return {};
  return absl::MakeConstSpan(key_site_ids_.data() + it->second.first,
                             it->second.second - it->second.first);
}

void TableIndex::SitesWithPrefix(const Table& table, std::string_view prefix,
                                 std::vector<uint32_t>* out) const {
  const std::vector<Site>& sites = table.sites();
  const size_t first_out = out->size();
  for (int field = 0; field < kNumFields; ++field) {
    auto text = [&sites, field](uint32_t s) -> const std::string& {
      return field == kAqsId       ? sites[s].aqs_id
             : field == kFullAqsId ? sites[s].full_aqs_id
                                   : sites[s].site_name;
    };
    const std::vector<uint32_t>& sorted = sites_by_field_[field];
    // Strings starting with `prefix` sort together, from the first one
    // not less than it.
    auto it = std::lower_bound(sorted.begin(), sorted.end(), prefix,
                               [&text](uint32_t s, std::string_view p) {
                                 return std::string_view(text(s)) < p;
                               });
    for (;
         it != sorted.end() && absl::StartsWith(View(text(*it)), View(prefix));
         ++it) {
      out->push_back(*it);
    }
  }
  std::sort(out->begin() + first_out, out->end());
  out->erase(std::unique(out->begin() + first_out, out->end()), out->end());
}

size_t TableIndex::MemoryBytes() const {
  size_t bytes = CapacityBytes(time_runs_) + parameter_rows_.MemoryBytes() +
                 site_rows_.MemoryBytes() + CapacityBytes(key_site_ids_);
  // A flat_hash_map slot per bucket plus one control byte.
  bytes +=
      key_sites_.bucket_count() *
      (sizeof(std::pair<const std::string, std::pair<uint32_t, uint32_t>>) + 1);
  for (const auto& [key, range] : key_sites_) bytes += HeapBytes(key);
  for (const std::vector<uint32_t>& sorted : sites_by_field_) {
    bytes += CapacityBytes(sorted);
  }
  return bytes;
}

}  // namespace overlay
