// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_slice.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
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

namespace {

// The general join: parse every part, append, serialize. Any valid wire
// form is accepted.
absl::StatusOr<std::string> ConcatChunksByMessage(
    const std::vector<std::string>& parts) {
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

}  // namespace

// The fast join, on the wire form our encoder writes (every column one
// packed field): sites and the columns that need no remapping are copied
// as bytes; only the site, parameter and unit indexes are rewritten.
// nullopt when a part is in another (valid) wire form: the caller then
// takes the general path.
namespace wirejoin {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

constexpr int kSites = 1;
constexpr int kParameterNames = 2;
constexpr int kUnitNames = 3;
constexpr int kSite = 4;
constexpr int kParameter = 6;
constexpr int kUnit = 8;
constexpr int kLastColumn = 12;
constexpr bool IsFixed64Column(int field) { return field == 7 || field == 9; }

struct Part {
  std::vector<absl::string_view> sites;
  std::vector<std::string> parameter_names;
  std::vector<std::string> unit_names;
  absl::string_view columns[kLastColumn + 1];  // packed payloads, 4..12
};

// Splits `bytes` into its fields; false if it is not in our encoder's form.
bool Split(const std::string& bytes, Part* part) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage();  // end, or garbage
    const int field = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    if (WireFormatLite::GetTagWireType(tag) !=
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      return false;  // an unpacked column or an unknown field
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return false;
    const int at = in.CurrentPosition();
    if (length > bytes.size() - static_cast<size_t>(at)) return false;
    absl::string_view payload(bytes.data() + at, length);
    if (!in.Skip(static_cast<int>(length))) return false;
    switch (field) {
      case kSites:
        part->sites.push_back(payload);
        break;
      case kParameterNames:
        part->parameter_names.emplace_back(payload);
        break;
      case kUnitNames:
        part->unit_names.emplace_back(payload);
        break;
      default:
        if (field < kSite || field > kLastColumn ||
            !part->columns[field].empty()) {
          return false;  // unknown, or a column split over several fields
        }
        part->columns[field] = payload;
    }
  }
}

// Entries of a packed column.
int64_t Count(int field, absl::string_view payload) {
  if (IsFixed64Column(field)) {
    return payload.size() % 8 == 0 ? static_cast<int64_t>(payload.size() / 8)
                                   : -1;
  }
  int64_t n = 0;
  for (char c : payload) n += (static_cast<uint8_t>(c) & 0x80) == 0;
  if (!payload.empty() && (static_cast<uint8_t>(payload.back()) & 0x80)) {
    return -1;  // a varint cut short
  }
  return n;
}

// Rewrites a packed uint32 column through `map` (after adding `base`).
bool Remap(absl::string_view payload, const std::vector<uint32_t>& map,
           uint32_t base, std::string* out) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(payload.data()),
                      static_cast<int>(payload.size()));
  google::protobuf::io::StringOutputStream stream(out);
  CodedOutputStream coded(&stream);
  while (in.CurrentPosition() < static_cast<int>(payload.size())) {
    uint32_t value = 0;
    if (!in.ReadVarint32(&value)) return false;
    if (map.empty()) {
      coded.WriteVarint32(base + value);
    } else {
      if (value >= map.size()) return false;
      coded.WriteVarint32(map[value]);
    }
  }
  return true;
}

void WriteBytesField(int field, absl::string_view bytes,
                     CodedOutputStream* out) {
  out->WriteTag(WireFormatLite::MakeTag(
      field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out->WriteVarint32(static_cast<uint32_t>(bytes.size()));
  out->WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
}

std::optional<absl::StatusOr<std::string>> Join(
    const std::vector<std::string>& parts) {
  std::vector<Part> split(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    if (!Split(parts[p], &split[p])) return std::nullopt;
  }
  std::vector<std::string> parameter_names;
  std::vector<std::string> unit_names;
  absl::flat_hash_map<std::string, uint32_t> parameter_index;
  absl::flat_hash_map<std::string, uint32_t> unit_index;
  auto merge = [](const std::vector<std::string>& names,
                  std::vector<std::string>* merged,
                  absl::flat_hash_map<std::string, uint32_t>* index) {
    std::vector<uint32_t> map;
    for (const std::string& name : names) {
      auto [it, inserted] =
          index->try_emplace(name, static_cast<uint32_t>(merged->size()));
      if (inserted) merged->push_back(name);
      map.push_back(it->second);
    }
    return map;
  };
  std::string columns[kLastColumn + 1];
  uint32_t site_base = 0;
  for (size_t p = 0; p < split.size(); ++p) {
    const Part& part = split[p];
    const int64_t n = Count(5, part.columns[5]);
    for (int field = kSite; field <= kLastColumn; ++field) {
      if (Count(field, part.columns[field]) != n || n < 0) {
        return absl::StatusOr<std::string>(absl::InvalidArgumentError(
            absl::StrCat("part ", p, ": chunk columns differ in length")));
      }
    }
    const std::vector<uint32_t> parameters =
        merge(part.parameter_names, &parameter_names, &parameter_index);
    const std::vector<uint32_t> units =
        merge(part.unit_names, &unit_names, &unit_index);
    // Every site index below the part's site count: remap through an
    // identity table shifted by the sites before.
    std::vector<uint32_t> sites(part.sites.size());
    for (size_t i = 0; i < sites.size(); ++i) {
      sites[i] = site_base + static_cast<uint32_t>(i);
    }
    const bool ok =
        (n == 0 || (!sites.empty() && !parameters.empty() && !units.empty())) &&
        Remap(part.columns[kSite], sites, 0, &columns[kSite]) &&
        Remap(part.columns[kParameter], parameters, 0, &columns[kParameter]) &&
        Remap(part.columns[kUnit], units, 0, &columns[kUnit]);
    if (!ok) {
      return absl::StatusOr<std::string>(absl::InvalidArgumentError(
          absl::StrCat("part ", p, ": an index is outside its dictionary")));
    }
    for (int field = kSite + 1; field <= kLastColumn; ++field) {
      if (field == kParameter || field == kUnit) continue;
      columns[field].append(part.columns[field].data(),
                            part.columns[field].size());
    }
    site_base += static_cast<uint32_t>(part.sites.size());
  }
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    for (const Part& part : split) {
      for (absl::string_view site : part.sites) {
        WriteBytesField(kSites, site, &coded);
      }
    }
    for (const std::string& name : parameter_names) {
      WriteBytesField(kParameterNames, name, &coded);
    }
    for (const std::string& name : unit_names) {
      WriteBytesField(kUnitNames, name, &coded);
    }
    for (int field = kSite; field <= kLastColumn; ++field) {
      if (!columns[field].empty()) {
        WriteBytesField(field, columns[field], &coded);
      }
    }
  }
  return absl::StatusOr<std::string>(std::move(out));
}

}  // namespace wirejoin

absl::StatusOr<std::string> ConcatChunks(
    const std::vector<std::string>& parts) {
  if (parts.size() == 1) return parts[0];
  if (std::optional<absl::StatusOr<std::string>> joined =
          wirejoin::Join(parts)) {
    return *std::move(joined);
  }
  return ConcatChunksByMessage(parts);
}

}  // namespace overlay
