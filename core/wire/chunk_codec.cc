// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_codec.h"

#include <charconv>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/wire/request_limits.h"

namespace overlay {

void EncodeChunk(const Table& table, absl::Span<const uint32_t> rows,
                 v1::RecordChunk* chunk) {
  chunk->Clear();
  for (const std::string& name : table.parameter_names()) {
    chunk->add_parameter_names(name);
  }
  for (const std::string& name : table.unit_names()) {
    chunk->add_unit_names(name);
  }
  const int n = static_cast<int>(rows.size());
  chunk->mutable_site()->Reserve(n);
  chunk->mutable_utc_seconds()->Reserve(n);
  chunk->mutable_parameter()->Reserve(n);
  chunk->mutable_concentration()->Reserve(n);
  chunk->mutable_unit()->Reserve(n);
  chunk->mutable_raw_concentration()->Reserve(n);
  chunk->mutable_aqi()->Reserve(n);
  chunk->mutable_category()->Reserve(n);
  chunk->mutable_missing()->Reserve(n);

  absl::flat_hash_map<uint32_t, uint32_t> local_site;
  const auto site_index = table.site_index();
  const auto utc = table.utc();
  const auto parameter = table.parameter();
  const auto concentration = table.concentration();
  const auto unit = table.unit();
  const auto raw = table.raw_concentration();
  const auto aqi = table.aqi();
  const auto category = table.category();
  for (uint32_t row : rows) {
    const uint32_t site = site_index[row];
    auto [it, inserted] =
        local_site.try_emplace(site, static_cast<uint32_t>(local_site.size()));
    if (inserted) {
      const Site& s = table.sites()[site];
      v1::Site* out = chunk->add_sites();
      out->set_latitude(s.latitude);
      out->set_longitude(s.longitude);
      out->set_site_name(s.site_name);
      out->set_agency(s.agency);
      out->set_aqs_id(s.aqs_id);
      out->set_full_aqs_id(s.full_aqs_id);
    }
    uint32_t missing = 0;
    const double c = concentration[row];
    const double r = raw[row];
    if (std::isnan(c)) missing |= v1::RecordChunk::MISSING_CONCENTRATION;
    if (std::isnan(r)) missing |= v1::RecordChunk::MISSING_RAW_CONCENTRATION;
    if (aqi[row] == kMissingAqi) missing |= v1::RecordChunk::MISSING_AQI;
    if (category[row] == kMissingCategory) {
      missing |= v1::RecordChunk::MISSING_CATEGORY;
    }
    chunk->add_site(it->second);
    chunk->add_utc_seconds(utc[row]);
    chunk->add_parameter(parameter[row]);
    chunk->add_concentration(std::isnan(c) ? 0.0 : c);
    chunk->add_unit(unit[row]);
    chunk->add_raw_concentration(std::isnan(r) ? 0.0 : r);
    chunk->add_aqi(aqi[row] == kMissingAqi ? 0 : aqi[row]);
    chunk->add_category(category[row] == kMissingCategory ? 0 : category[row]);
    chunk->add_missing(missing);
  }
}

int RecordCount(const v1::RecordChunk& chunk) { return chunk.site_size(); }

absl::StatusOr<std::vector<Record>> DecodeChunk(const v1::RecordChunk& chunk) {
  const int n = chunk.site_size();
  if (chunk.utc_seconds_size() != n || chunk.parameter_size() != n ||
      chunk.concentration_size() != n || chunk.unit_size() != n ||
      chunk.raw_concentration_size() != n || chunk.aqi_size() != n ||
      chunk.category_size() != n || chunk.missing_size() != n) {
    return absl::InvalidArgumentError(
        "corrupt chunk: columns have different lengths");
  }
  // Every record copies its site's strings: a few records naming one huge
  // site would decode to far more memory than the chunk holds. Check the
  // indexes, the bits and the total size before allocating anything.
  const uint32_t sites = static_cast<uint32_t>(chunk.sites_size());
  const uint32_t parameters =
      static_cast<uint32_t>(chunk.parameter_names_size());
  const uint32_t units = static_cast<uint32_t>(chunk.unit_names_size());
  std::vector<size_t> site_bytes(sites);
  for (uint32_t i = 0; i < sites; ++i) {
    const v1::Site& s = chunk.sites(static_cast<int>(i));
    site_bytes[i] = s.site_name().size() + s.agency().size() +
                    s.aqs_id().size() + s.full_aqs_id().size();
  }
  constexpr uint32_t kKnownMissingBits =
      v1::RecordChunk::MISSING_CONCENTRATION |
      v1::RecordChunk::MISSING_RAW_CONCENTRATION |
      v1::RecordChunk::MISSING_AQI | v1::RecordChunk::MISSING_CATEGORY;
  size_t decoded_bytes = 0;
  for (int i = 0; i < n; ++i) {
    const uint32_t site = chunk.site(i);
    const uint32_t parameter = chunk.parameter(i);
    const uint32_t unit = chunk.unit(i);
    if (site >= sites || parameter >= parameters || unit >= units) {
      return absl::InvalidArgumentError(absl::StrCat(
          "corrupt chunk: record ", i, " refers past a dictionary"));
    }
    if (chunk.missing(i) & ~kKnownMissingBits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "corrupt chunk: record ", i, " has unknown missing bits 0x",
          absl::Hex(chunk.missing(i) & ~kKnownMissingBits)));
    }
    const int64_t utc = chunk.utc_seconds(i);
    if (utc < wire::kMinUtcSeconds || utc > wire::kMaxUtcSeconds) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt chunk: record ", i, " has time ", utc,
                       " s, outside years 0000..9999"));
    }
    // Each term is bounded by the chunk's size, so the sum cannot wrap.
    decoded_bytes += sizeof(Record) + site_bytes[site] +
                     chunk.parameter_names(static_cast<int>(parameter)).size() +
                     chunk.unit_names(static_cast<int>(unit)).size();
    if (decoded_bytes > kMaxDecodedChunkBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "corrupt chunk: its ", n, " records decode to more than ",
          kMaxDecodedChunkBytes >> 20, " MiB"));
    }
  }
  std::vector<Record> records;
  records.reserve(n);
  for (int i = 0; i < n; ++i) {
    const v1::Site& s = chunk.sites(static_cast<int>(chunk.site(i)));
    const uint32_t missing = chunk.missing(i);
    Record record;
    record.latitude = s.latitude();
    record.longitude = s.longitude();
    record.utc = chunk.utc_seconds(i);
    record.parameter =
        chunk.parameter_names(static_cast<int>(chunk.parameter(i)));
    if (!(missing & v1::RecordChunk::MISSING_CONCENTRATION)) {
      record.concentration = chunk.concentration(i);
    }
    record.unit = chunk.unit_names(static_cast<int>(chunk.unit(i)));
    if (!(missing & v1::RecordChunk::MISSING_RAW_CONCENTRATION)) {
      record.raw_concentration = chunk.raw_concentration(i);
    }
    if (!(missing & v1::RecordChunk::MISSING_AQI)) record.aqi = chunk.aqi(i);
    if (!(missing & v1::RecordChunk::MISSING_CATEGORY)) {
      record.category = chunk.category(i);
    }
    record.site_name = s.site_name();
    record.agency = s.agency();
    record.aqs_id = s.aqs_id();
    record.full_aqs_id = s.full_aqs_id();
    records.push_back(std::move(record));
  }
  return records;
}

std::string FormatDouble(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string RecordToJson(const Record& r) {
  auto optional_double = [](const std::optional<double>& v) {
    return v ? FormatDouble(*v) : std::string("null");
  };
  auto optional_int = [](const std::optional<int>& v) {
    return v ? absl::StrCat(*v) : std::string("null");
  };
  return absl::StrCat(
      "{\"latitude\":", FormatDouble(r.latitude),
      ",\"longitude\":", FormatDouble(r.longitude),
      ",\"utc\":", JsonQuote(FormatUtc(r.utc)),
      ",\"parameter\":", JsonQuote(r.parameter),
      ",\"concentration\":", optional_double(r.concentration),
      ",\"unit\":", JsonQuote(r.unit),
      ",\"raw_concentration\":", optional_double(r.raw_concentration),
      ",\"aqi\":", optional_int(r.aqi), ",\"category\":",
      optional_int(r.category), ",\"site_name\":", JsonQuote(r.site_name),
      ",\"agency\":", JsonQuote(r.agency), ",\"aqs_id\":", JsonQuote(r.aqs_id),
      ",\"full_aqs_id\":", JsonQuote(r.full_aqs_id), "}");
}

}  // namespace overlay
