// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_slice.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "protos/overlay.pb.h"

namespace overlay {
namespace {

// Keeps [offset, offset + count) of a column of `size` entries.
template <typename Field>
bool Keep(Field* field, int64_t size, int offset, int count) {
  if (field->size() != size) return false;
  field->erase(field->begin() + offset + count, field->end());
  field->erase(field->begin(), field->begin() + offset);
  return true;
}

}  // namespace

absl::StatusOr<std::string> SliceChunk(const std::string& records,
                                       int64_t offset, int64_t count) {
  v1::RecordChunk chunk;
  if (!chunk.ParseFromString(records)) {
    return absl::InvalidArgumentError("not a serialized RecordChunk");
  }
  const int64_t size = chunk.utc_seconds_size();
  if (offset < 0 || count < 0 || offset > size || count > size - offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "records [", offset, ", +", count, ") are not in a chunk of ", size));
  }
  const int o = static_cast<int>(offset);
  const int n = static_cast<int>(count);
  const bool ok = Keep(chunk.mutable_site(), size, o, n) &&
                  Keep(chunk.mutable_utc_seconds(), size, o, n) &&
                  Keep(chunk.mutable_parameter(), size, o, n) &&
                  Keep(chunk.mutable_concentration(), size, o, n) &&
                  Keep(chunk.mutable_unit(), size, o, n) &&
                  Keep(chunk.mutable_raw_concentration(), size, o, n) &&
                  Keep(chunk.mutable_aqi(), size, o, n) &&
                  Keep(chunk.mutable_category(), size, o, n) &&
                  Keep(chunk.mutable_missing(), size, o, n);
  if (!ok) {
    return absl::InvalidArgumentError("chunk columns differ in length");
  }
  return chunk.SerializeAsString();
}

namespace {

// Index of `name` in the merged dictionary `names`, adding it if new.
uint32_t Remap(const std::string& name,
               google::protobuf::RepeatedPtrField<std::string>* names,
               absl::flat_hash_map<std::string, uint32_t>* index) {
  auto [it, inserted] =
      index->try_emplace(name, static_cast<uint32_t>(names->size()));
  if (inserted) names->Add()->assign(name);
  return it->second;
}

}  // namespace

absl::StatusOr<std::string> ConcatChunks(
    const std::vector<std::string>& parts) {
  if (parts.size() == 1) return parts[0];
  v1::RecordChunk out;
  absl::flat_hash_map<std::string, uint32_t> parameters;
  absl::flat_hash_map<std::string, uint32_t> units;
  for (size_t p = 0; p < parts.size(); ++p) {
    v1::RecordChunk part;
    if (!part.ParseFromString(parts[p])) {
      return absl::InvalidArgumentError(
          absl::StrCat("part ", p, " is not a serialized RecordChunk"));
    }
    const int n = part.utc_seconds_size();
    if (part.site_size() != n || part.parameter_size() != n ||
        part.concentration_size() != n || part.unit_size() != n ||
        part.raw_concentration_size() != n || part.aqi_size() != n ||
        part.category_size() != n || part.missing_size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("part ", p, ": chunk columns differ in length"));
    }
    std::vector<uint32_t> parameter_map;
    for (const std::string& name : part.parameter_names()) {
      parameter_map.push_back(Remap(name, out.mutable_parameter_names(),
                                    &parameters));
    }
    std::vector<uint32_t> unit_map;
    for (const std::string& name : part.unit_names()) {
      unit_map.push_back(Remap(name, out.mutable_unit_names(), &units));
    }
    const uint32_t site_base = static_cast<uint32_t>(out.sites_size());
    for (v1::Site& site : *part.mutable_sites()) {
      *out.add_sites() = std::move(site);
    }
    for (int i = 0; i < n; ++i) {
      const uint32_t site = part.site(i);
      const uint32_t parameter = part.parameter(i);
      const uint32_t unit = part.unit(i);
      if (site >= static_cast<uint32_t>(part.sites_size()) ||
          parameter >= parameter_map.size() || unit >= unit_map.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("part ", p, " record ", i,
                         ": an index is outside its dictionary"));
      }
      out.add_site(site_base + site);
      out.add_utc_seconds(part.utc_seconds(i));
      out.add_parameter(parameter_map[parameter]);
      out.add_concentration(part.concentration(i));
      out.add_unit(unit_map[unit]);
      out.add_raw_concentration(part.raw_concentration(i));
      out.add_aqi(part.aqi(i));
      out.add_category(part.category(i));
      out.add_missing(part.missing(i));
    }
  }
  return out.SerializeAsString();
}

}  // namespace overlay
