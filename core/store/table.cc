// Copyright 2026 The overlay Authors.

#include "core/store/table.h"

#include <cmath>
#include <cstring>
#include <utility>

namespace overlay {
namespace {

// The six site fields, encoded without loss or ambiguity: the coordinates'
// bit patterns (so two sites that differ only in a late decimal stay apart),
// then each string with its length in front.
std::string SiteKey(const Site& s) {
  std::string key;
  key.reserve(2 * sizeof(double) + 4 * sizeof(uint32_t) + s.site_name.size() +
              s.agency.size() + s.aqs_id.size() + s.full_aqs_id.size());
  char bits[sizeof(double)];
  std::memcpy(bits, &s.latitude, sizeof(bits));
  key.append(bits, sizeof(bits));
  std::memcpy(bits, &s.longitude, sizeof(bits));
  key.append(bits, sizeof(bits));
  for (const std::string* field :
       {&s.site_name, &s.agency, &s.aqs_id, &s.full_aqs_id}) {
    const uint32_t size = static_cast<uint32_t>(field->size());
    char length[sizeof(size)];
    std::memcpy(length, &size, sizeof(size));
    key.append(length, sizeof(length));
    key.append(*field);
  }
  return key;
}

template <typename T>
size_t CapacityBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

Table::Table() {
  for (int p = 0; p < kNumKnownParameters; ++p) {
    parameter_names_.emplace_back(ParameterName(static_cast<Parameter>(p)));
  }
  index_.Build(*this);  // so that even an empty table has a valid index
}

Record Table::GetRecord(size_t row) const {
  Record r;
  const Site& site = sites_[site_index_[row]];
  r.latitude = site.latitude;
  r.longitude = site.longitude;
  r.utc = utc_[row];
  r.parameter = parameter_names_[parameter_[row]];
  if (!std::isnan(concentration_[row])) r.concentration = concentration_[row];
  r.unit = unit_names_[unit_[row]];
  if (!std::isnan(raw_concentration_[row])) {
    r.raw_concentration = raw_concentration_[row];
  }
  if (aqi_[row] != kMissingAqi) r.aqi = aqi_[row];
  if (category_[row] != kMissingCategory) r.category = category_[row];
  r.site_name = site.site_name;
  r.agency = site.agency;
  r.aqs_id = site.aqs_id;
  r.full_aqs_id = site.full_aqs_id;
  return r;
}

size_t Table::MemoryBytes() const {
  size_t bytes = CapacityBytes(site_index_) + CapacityBytes(utc_) +
                 CapacityBytes(parameter_) + CapacityBytes(concentration_) +
                 CapacityBytes(raw_concentration_) + CapacityBytes(aqi_) +
                 CapacityBytes(category_) + CapacityBytes(unit_);
  for (const Site& s : sites_) {
    bytes += sizeof(Site) + s.site_name.capacity() + s.agency.capacity() +
             s.aqs_id.capacity() + s.full_aqs_id.capacity();
  }
  for (const std::string& name : parameter_names_) {
    bytes += sizeof(name) + name.capacity();
  }
  for (const std::string& name : unit_names_) {
    bytes += sizeof(name) + name.capacity();
  }
  return bytes + index_.MemoryBytes();
}

TableBuilder::TableBuilder() {
  for (int p = 0; p < kNumKnownParameters; ++p) {
    parameter_lookup_.emplace(table_.parameter_names_[p],
                              static_cast<uint8_t>(p));
  }
}

void TableBuilder::Reserve(size_t rows) {
  table_.site_index_.reserve(rows);
  table_.utc_.reserve(rows);
  table_.parameter_.reserve(rows);
  table_.concentration_.reserve(rows);
  table_.raw_concentration_.reserve(rows);
  table_.aqi_.reserve(rows);
  table_.category_.reserve(rows);
  table_.unit_.reserve(rows);
}

uint32_t TableBuilder::InternSite(const Site& site) {
  auto [it, inserted] = site_lookup_.try_emplace(
      SiteKey(site), static_cast<uint32_t>(table_.sites_.size()));
  if (inserted) table_.sites_.push_back(site);
  return it->second;
}

uint8_t TableBuilder::InternParameter(std::string_view name) {
  std::string key(name);
  // Known names are matched case-insensitively to their canonical code.
  if (std::optional<Parameter> known = ParseParameter(name)) {
    return static_cast<uint8_t>(*known);
  }
  auto [it, inserted] = parameter_lookup_.try_emplace(
      key, static_cast<uint8_t>(table_.parameter_names_.size()));
  if (inserted) table_.parameter_names_.push_back(key);
  return it->second;
}

uint8_t TableBuilder::InternUnit(std::string_view name) {
  std::string key(name);
  auto [it, inserted] = unit_lookup_.try_emplace(
      key, static_cast<uint8_t>(table_.unit_names_.size()));
  if (inserted) table_.unit_names_.push_back(key);
  return it->second;
}

void TableBuilder::AddRow(uint32_t site, int64_t utc, uint8_t parameter,
                          double concentration, uint8_t unit,
                          double raw_concentration, int16_t aqi,
                          int8_t category) {
  table_.site_index_.push_back(site);
  table_.utc_.push_back(utc);
  table_.parameter_.push_back(parameter);
  table_.concentration_.push_back(concentration);
  table_.unit_.push_back(unit);
  table_.raw_concentration_.push_back(raw_concentration);
  table_.aqi_.push_back(aqi);
  table_.category_.push_back(category);
}

void TableBuilder::AddRecord(const Record& r) {
  Site site{r.latitude, r.longitude, r.site_name,
            r.agency,   r.aqs_id,    r.full_aqs_id};
  const double nan = std::nan("");
  AddRow(InternSite(site), r.utc, InternParameter(r.parameter),
         r.concentration.value_or(nan), InternUnit(r.unit),
         r.raw_concentration.value_or(nan),
         r.aqi ? static_cast<int16_t>(*r.aqi) : kMissingAqi,
         r.category ? static_cast<int8_t>(*r.category) : kMissingCategory);
}

void TableBuilder::Append(TableBuilder&& other) {
  Table& t = other.table_;
  // Remap the other builder's dictionary codes into ours.
  std::vector<uint32_t> site_map(t.sites_.size());
  for (size_t i = 0; i < t.sites_.size(); ++i) {
    site_map[i] = InternSite(t.sites_[i]);
  }
  std::vector<uint8_t> parameter_map(t.parameter_names_.size());
  for (size_t i = 0; i < t.parameter_names_.size(); ++i) {
    parameter_map[i] = InternParameter(t.parameter_names_[i]);
  }
  std::vector<uint8_t> unit_map(t.unit_names_.size());
  for (size_t i = 0; i < t.unit_names_.size(); ++i) {
    unit_map[i] = InternUnit(t.unit_names_[i]);
  }
  const size_t n = t.num_rows();
  Reserve(table_.num_rows() + n);
  for (size_t i = 0; i < n; ++i) {
    table_.site_index_.push_back(site_map[t.site_index_[i]]);
    table_.parameter_.push_back(parameter_map[t.parameter_[i]]);
    table_.unit_.push_back(unit_map[t.unit_[i]]);
  }
  table_.utc_.insert(table_.utc_.end(), t.utc_.begin(), t.utc_.end());
  table_.concentration_.insert(table_.concentration_.end(),
                               t.concentration_.begin(),
                               t.concentration_.end());
  table_.raw_concentration_.insert(table_.raw_concentration_.end(),
                                   t.raw_concentration_.begin(),
                                   t.raw_concentration_.end());
  table_.aqi_.insert(table_.aqi_.end(), t.aqi_.begin(), t.aqi_.end());
  table_.category_.insert(table_.category_.end(), t.category_.begin(),
                          t.category_.end());
  other = TableBuilder();
}

Table TableBuilder::Build() {
  Table& t = table_;
  t.site_index_.shrink_to_fit();
  t.utc_.shrink_to_fit();
  t.parameter_.shrink_to_fit();
  t.concentration_.shrink_to_fit();
  t.raw_concentration_.shrink_to_fit();
  t.aqi_.shrink_to_fit();
  t.category_.shrink_to_fit();
  t.unit_.shrink_to_fit();
  t.sites_.shrink_to_fit();
  t.index_.Build(t);
  Table built = std::move(table_);
  *this = TableBuilder();
  return built;
}

}  // namespace overlay
