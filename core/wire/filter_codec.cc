// Copyright 2026 The overlay Authors.

#include "core/wire/filter_codec.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/wire/request_limits.h"

namespace overlay {
namespace {

absl::StatusOr<Parameter> ParameterFromProto(int value) {
  switch (value) {
    case v1::OZONE:
      return Parameter::kOzone;
    case v1::PM25:
      return Parameter::kPm25;
    case v1::PM10:
      return Parameter::kPm10;
    case v1::NO2:
      return Parameter::kNo2;
    case v1::SO2:
      return Parameter::kSo2;
    case v1::CO:
      return Parameter::kCo;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown parameter (enum value ", value,
          "); known: OZONE, PM2.5, PM10, NO2, SO2, CO"));
  }
}

}  // namespace

v1::Parameter ParameterToProto(Parameter parameter) {
  switch (parameter) {
    case Parameter::kOzone:
      return v1::OZONE;
    case Parameter::kPm25:
      return v1::PM25;
    case Parameter::kPm10:
      return v1::PM10;
    case Parameter::kNo2:
      return v1::NO2;
    case Parameter::kSo2:
      return v1::SO2;
    case Parameter::kCo:
      return v1::CO;
    default:
      return v1::PARAMETER_UNSPECIFIED;
  }
}

absl::StatusOr<Filter> FilterFromProto(const v1::Filter& proto,
                                       int64_t limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be >= 0 (0 means no limit), got ", limit));
  }
  // Sizes, counts, enum values and the time range first: nothing below
  // (nor ValidateFilter's messages) sees an unbounded value.
  RETURN_IF_ERROR(wire::ValidateFilterLimits(proto));
  Filter filter;
  filter.limit = limit;
  for (int value : proto.parameters()) {
    ASSIGN_OR_RETURN(Parameter parameter, ParameterFromProto(value));
    filter.parameters.push_back(parameter);
  }
  if (proto.has_min_concentration()) {
    filter.min_concentration = proto.min_concentration();
  }
  if (proto.has_max_concentration()) {
    filter.max_concentration = proto.max_concentration();
  }
  if (proto.has_min_aqi()) filter.min_aqi = proto.min_aqi();
  if (proto.has_max_aqi()) filter.max_aqi = proto.max_aqi();
  filter.categories.assign(proto.categories().begin(),
                           proto.categories().end());
  if (proto.has_from_utc_seconds()) filter.from_utc = proto.from_utc_seconds();
  if (proto.has_to_utc_seconds()) filter.to_utc = proto.to_utc_seconds();
  if (proto.has_bbox()) {
    filter.bbox = BoundingBox{proto.bbox().min_latitude(),
                              proto.bbox().min_longitude(),
                              proto.bbox().max_latitude(),
                              proto.bbox().max_longitude()};
  }
  filter.site_keys.assign(proto.site_keys().begin(), proto.site_keys().end());
  if (proto.has_prefix()) filter.prefix = proto.prefix();
  RETURN_IF_ERROR(ValidateFilter(filter));
  return filter;
}

v1::Filter FilterToProto(const Filter& filter) {
  v1::Filter proto;
  for (Parameter parameter : filter.parameters) {
    proto.add_parameters(ParameterToProto(parameter));
  }
  if (filter.min_concentration) {
    proto.set_min_concentration(*filter.min_concentration);
  }
  if (filter.max_concentration) {
    proto.set_max_concentration(*filter.max_concentration);
  }
  if (filter.min_aqi) proto.set_min_aqi(*filter.min_aqi);
  if (filter.max_aqi) proto.set_max_aqi(*filter.max_aqi);
  for (int category : filter.categories) proto.add_categories(category);
  if (filter.from_utc) proto.set_from_utc_seconds(*filter.from_utc);
  if (filter.to_utc) proto.set_to_utc_seconds(*filter.to_utc);
  if (filter.bbox) {
    v1::BoundingBox* bbox = proto.mutable_bbox();
    bbox->set_min_latitude(filter.bbox->min_latitude);
    bbox->set_min_longitude(filter.bbox->min_longitude);
    bbox->set_max_latitude(filter.bbox->max_latitude);
    bbox->set_max_longitude(filter.bbox->max_longitude);
  }
  for (const std::string& key : filter.site_keys) proto.add_site_keys(key);
  if (filter.prefix) proto.set_prefix(*filter.prefix);
  return proto;
}

}  // namespace overlay
