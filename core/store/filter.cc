// Copyright 2026 The overlay Authors.

#include "core/store/filter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace overlay {

absl::Status ValidateFilter(const Filter& f) {
  auto bad = [](auto... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (f.limit < 0) {
    return bad("limit must be >= 0 (0 means no limit), got ", f.limit);
  }
  if ((f.min_concentration && std::isnan(*f.min_concentration)) ||
      (f.max_concentration && std::isnan(*f.max_concentration))) {
    return bad("concentration bounds must be numbers, not NaN");
  }
  if (f.min_concentration && f.max_concentration &&
      *f.min_concentration > *f.max_concentration) {
    return bad("min concentration ", *f.min_concentration,
               " is greater than max concentration ", *f.max_concentration);
  }
  if (f.min_aqi && f.max_aqi && *f.min_aqi > *f.max_aqi) {
    return bad("min AQI ", *f.min_aqi, " is greater than max AQI ",
               *f.max_aqi);
  }
  for (int category : f.categories) {
    if (category < 1 || category > 6) {
      return bad("category must be 1..6, got ", category);
    }
  }
  for (Parameter p : f.parameters) {
    if (static_cast<int>(p) >= kNumKnownParameters) {
      return bad("unknown parameter code ", static_cast<int>(p));
    }
  }
  if (f.from_utc && f.to_utc && *f.from_utc > *f.to_utc) {
    return bad("time range is empty: from ", FormatUtc(*f.from_utc),
               " is after to ", FormatUtc(*f.to_utc));
  }
  if (f.bbox) {
    const BoundingBox& b = *f.bbox;
    for (double v : {b.min_latitude, b.max_latitude, b.min_longitude,
                     b.max_longitude}) {
      if (std::isnan(v)) return bad("bounding box corners must be numbers");
    }
    if (b.min_latitude < -90 || b.max_latitude > 90 ||
        b.min_longitude < -180 || b.max_longitude > 180) {
      return bad("bounding box outside latitude -90..90, longitude -180..180");
    }
    if (b.min_latitude > b.max_latitude || b.min_longitude > b.max_longitude) {
      return bad("bounding box is inverted: min corner above max corner");
    }
  }
  return absl::OkStatus();
}

bool SiteMatches(const Filter& f, double latitude, double longitude,
                 const std::string& site_name, const std::string& aqs_id,
                 const std::string& full_aqs_id) {
  if (f.bbox) {
    const BoundingBox& b = *f.bbox;
    if (!(latitude >= b.min_latitude && latitude <= b.max_latitude &&
          longitude >= b.min_longitude && longitude <= b.max_longitude)) {
      return false;
    }
  }
  if (!f.site_keys.empty()) {
    bool any = false;
    for (const std::string& key : f.site_keys) {
      if (key == aqs_id || key == full_aqs_id) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (f.prefix && !f.prefix->empty()) {
    if (!absl::StartsWith(aqs_id, *f.prefix) &&
        !absl::StartsWith(full_aqs_id, *f.prefix) &&
        !absl::StartsWith(site_name, *f.prefix)) {
      return false;
    }
  }
  return true;
}

bool RecordMatches(const Filter& f, const Record& r) {
  if (!f.parameters.empty()) {
    bool any = false;
    for (Parameter p : f.parameters) {
      if (r.parameter == ParameterName(p)) any = true;
    }
    if (!any) return false;
  }
  if (f.min_concentration &&
      !(r.concentration && *r.concentration >= *f.min_concentration)) {
    return false;
  }
  if (f.max_concentration &&
      !(r.concentration && *r.concentration <= *f.max_concentration)) {
    return false;
  }
  if (f.min_aqi && !(r.aqi && *r.aqi >= *f.min_aqi)) return false;
  if (f.max_aqi && !(r.aqi && *r.aqi <= *f.max_aqi)) return false;
  if (!f.categories.empty() &&
      !(r.category && std::find(f.categories.begin(), f.categories.end(),
                                *r.category) != f.categories.end())) {
    return false;
  }
  if (f.from_utc && r.utc < *f.from_utc) return false;
  if (f.to_utc && r.utc > *f.to_utc) return false;
  return SiteMatches(f, r.latitude, r.longitude, r.site_name, r.aqs_id,
                     r.full_aqs_id);
}

}  // namespace overlay
