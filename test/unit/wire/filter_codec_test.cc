// Copyright 2026 The overlay Authors.

#include "core/wire/filter_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

Filter FullFilter() {
  Filter filter;
  filter.parameters = {Parameter::kPm25, Parameter::kOzone, Parameter::kCo};
  filter.min_concentration = 5.5;
  filter.max_concentration = 35.25;
  filter.min_aqi = 10;
  filter.max_aqi = 150;
  filter.categories = {1, 2, 6};
  filter.from_utc = 1597017600;  // 2020-08-10T00:00
  filter.to_utc = 1597622399;    // 2020-08-16T23:59:59
  filter.bbox = BoundingBox{37.5, -124.5, 42.25, -120.125};
  filter.site_keys = {"060010007", "840060010007"};
  filter.prefix = "Crescent";
  filter.limit = 17;
  return filter;
}

void ExpectSameFilter(const Filter& a, const Filter& b) {
  EXPECT_EQ(a.parameters, b.parameters);
  EXPECT_EQ(a.min_concentration, b.min_concentration);
  EXPECT_EQ(a.max_concentration, b.max_concentration);
  EXPECT_EQ(a.min_aqi, b.min_aqi);
  EXPECT_EQ(a.max_aqi, b.max_aqi);
  EXPECT_EQ(a.categories, b.categories);
  EXPECT_EQ(a.from_utc, b.from_utc);
  EXPECT_EQ(a.to_utc, b.to_utc);
  ASSERT_EQ(a.bbox.has_value(), b.bbox.has_value());
  if (a.bbox) {
    EXPECT_EQ(a.bbox->min_latitude, b.bbox->min_latitude);
    EXPECT_EQ(a.bbox->min_longitude, b.bbox->min_longitude);
    EXPECT_EQ(a.bbox->max_latitude, b.bbox->max_latitude);
    EXPECT_EQ(a.bbox->max_longitude, b.bbox->max_longitude);
  }
  EXPECT_EQ(a.site_keys, b.site_keys);
  EXPECT_EQ(a.prefix, b.prefix);
  EXPECT_EQ(a.limit, b.limit);
}

TEST(FilterCodecTest, EveryFieldRoundTrips) {
  const Filter filter = FullFilter();
  const v1::Filter proto = FilterToProto(filter);
  EXPECT_THAT(proto.parameters(),
              ::testing::ElementsAre(v1::PM25, v1::OZONE, v1::CO));
  EXPECT_EQ(proto.min_concentration(), 5.5);
  EXPECT_EQ(proto.max_aqi(), 150);
  EXPECT_EQ(proto.bbox().max_longitude(), -120.125);
  EXPECT_EQ(proto.prefix(), "Crescent");
  ASSERT_OK_AND_ASSIGN(Filter back, FilterFromProto(proto, filter.limit));
  ExpectSameFilter(back, filter);
  // And the proto survives a second trip unchanged.
  EXPECT_EQ(FilterToProto(back).SerializeAsString(), proto.SerializeAsString());
}

TEST(FilterCodecTest, EmptyFilterStaysEmpty) {
  const v1::Filter proto = FilterToProto(Filter());
  EXPECT_EQ(proto.ByteSizeLong(), 0u);
  EXPECT_FALSE(proto.has_min_concentration());
  EXPECT_FALSE(proto.has_bbox());
  EXPECT_FALSE(proto.has_prefix());
  ASSERT_OK_AND_ASSIGN(Filter back, FilterFromProto(proto, 0));
  ExpectSameFilter(back, Filter());
}

TEST(FilterCodecTest, ZeroBoundsAndEmptyPrefixArePresent) {
  // proto3 `optional`: a bound of 0 and an empty prefix are still set.
  Filter filter;
  filter.min_concentration = 0;
  filter.max_aqi = 0;
  filter.min_aqi = 0;
  filter.from_utc = 0;
  filter.prefix.emplace();  // empty, but present
  const v1::Filter proto = FilterToProto(filter);
  EXPECT_TRUE(proto.has_min_concentration());
  EXPECT_TRUE(proto.has_max_aqi());
  EXPECT_TRUE(proto.has_from_utc_seconds());
  EXPECT_TRUE(proto.has_prefix());
  ASSERT_OK_AND_ASSIGN(Filter back, FilterFromProto(proto, 0));
  ExpectSameFilter(back, filter);
}

TEST(FilterCodecTest, EachParameterMapsBothWays) {
  const std::vector<std::pair<Parameter, v1::Parameter>> pairs = {
      {Parameter::kOzone, v1::OZONE}, {Parameter::kPm25, v1::PM25},
      {Parameter::kPm10, v1::PM10},   {Parameter::kNo2, v1::NO2},
      {Parameter::kSo2, v1::SO2},     {Parameter::kCo, v1::CO}};
  for (const auto& [store, wire] : pairs) {
    EXPECT_EQ(ParameterToProto(store), wire);
    v1::Filter proto;
    proto.add_parameters(wire);
    ASSERT_OK_AND_ASSIGN(Filter filter, FilterFromProto(proto, 0));
    ASSERT_EQ(filter.parameters.size(), 1u);
    EXPECT_EQ(filter.parameters[0], store);
  }
  EXPECT_EQ(ParameterToProto(Parameter::kOther), v1::PARAMETER_UNSPECIFIED);
}

TEST(FilterCodecTest, UnknownEnumValueIsInvalidArgument) {
  v1::Filter proto;
  proto.add_parameters(v1::PM25);
  proto.mutable_parameters()->Add(42);  // proto3 enums are open
  absl::StatusOr<Filter> filter = FilterFromProto(proto, 0);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(filter.status().message(), HasSubstr("unknown parameter"));
  EXPECT_THAT(filter.status().message(), HasSubstr("42"));
}

TEST(FilterCodecTest, UnspecifiedParameterIsInvalidArgument) {
  v1::Filter proto;
  proto.add_parameters(v1::PARAMETER_UNSPECIFIED);
  absl::StatusOr<Filter> filter = FilterFromProto(proto, 0);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(filter.status().message(), HasSubstr("enum value 0"));
}

TEST(FilterCodecTest, NegativeLimitIsInvalidArgument) {
  absl::StatusOr<Filter> filter = FilterFromProto(v1::Filter(), -1);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(filter.status().message(), HasSubstr("limit must be >= 0"));
  EXPECT_THAT(filter.status().message(), HasSubstr("-1"));
}

// Every invalid proto gives INVALID_ARGUMENT with a message naming the cause.
TEST(FilterCodecTest, InvalidFiltersAreRejectedWithAClearMessage) {
  struct Case {
    const char* name;
    std::function<void(v1::Filter*)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"min > max concentration",
       [](v1::Filter* f) {
         f->set_min_concentration(50);
         f->set_max_concentration(10);
       },
       "min concentration 50 is greater than max concentration 10"},
      {"min > max AQI",
       [](v1::Filter* f) {
         f->set_min_aqi(200);
         f->set_max_aqi(100);
       },
       "min AQI 200 is greater than max AQI 100"},
      {"NaN bound",
       [](v1::Filter* f) {
         f->set_min_concentration(std::numeric_limits<double>::quiet_NaN());
       },
       "NaN"},
      {"category 7", [](v1::Filter* f) { f->add_categories(7); },
       "category must be 1..6, got 7"},
      {"category 0", [](v1::Filter* f) { f->add_categories(0); },
       "category must be 1..6, got 0"},
      {"from > to",
       [](v1::Filter* f) {
         f->set_from_utc_seconds(1597622400);
         f->set_to_utc_seconds(1597017600);
       },
       "time range is empty"},
      {"inverted bbox",
       [](v1::Filter* f) {
         f->mutable_bbox()->set_min_latitude(45);
         f->mutable_bbox()->set_max_latitude(40);
         f->mutable_bbox()->set_min_longitude(-125);
         f->mutable_bbox()->set_max_longitude(-120);
       },
       "bounding box is inverted"},
      {"bbox out of range",
       [](v1::Filter* f) {
         f->mutable_bbox()->set_min_latitude(-91);
         f->mutable_bbox()->set_max_latitude(40);
         f->mutable_bbox()->set_min_longitude(-125);
         f->mutable_bbox()->set_max_longitude(-120);
       },
       "bounding box outside"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Filter proto;
    c.mutate(&proto);
    absl::StatusOr<Filter> filter = FilterFromProto(proto, 0);
    ASSERT_FALSE(filter.ok());
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(filter.status().message(), HasSubstr(c.message));
  }
}

TEST(FilterCodecTest, EqualBoundsAreAllowed) {
  v1::Filter proto;
  proto.set_min_concentration(12.5);
  proto.set_max_concentration(12.5);
  proto.set_min_aqi(50);
  proto.set_max_aqi(50);
  proto.set_from_utc_seconds(1597017600);
  proto.set_to_utc_seconds(1597017600);
  EXPECT_OK(FilterFromProto(proto, 0));
}

// The limits of wire::ValidateFilterLimits hold on every path into a Filter.
TEST(FilterCodecTest, WireLimitsAreEnforced) {
  struct Case {
    const char* name;
    std::function<void(v1::Filter*)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"10,001 site keys",
       [](v1::Filter* f) {
         for (int i = 0; i <= 10'000; ++i) f->add_site_keys("k");
       },
       "filter.site_keys has 10001 entries; the limit is 10000"},
      {"long site key",
       [](v1::Filter* f) { f->add_site_keys(std::string(33, '1')); },
       "filter.site_keys[0] is 33 bytes; the limit is 32"},
      {"long prefix",
       [](v1::Filter* f) { f->set_prefix(std::string(257, 'C')); },
       "filter.prefix is 257 bytes; the limit is 256"},
      {"bad UTF-8 prefix", [](v1::Filter* f) { f->set_prefix("Cr\xE9s"); },
       "filter.prefix is not valid UTF-8: at byte 2: 0xE9 0x73"},
      {"bad UTF-8 key", [](v1::Filter* f) { f->add_site_keys("\xFF"); },
       "filter.site_keys[0] is not valid UTF-8: at byte 0: 0xFF"},
      {"many parameters",
       [](v1::Filter* f) {
         for (int i = 0; i < 65; ++i) f->add_parameters(v1::NO2);
       },
       "filter.parameters has 65 entries; the limit is 64"},
      {"many categories",
       [](v1::Filter* f) {
         for (int i = 0; i < 65; ++i) f->add_categories(2);
       },
       "filter.categories has 65 entries; the limit is 64"},
      // Formerly formatted by ValidateFilter's message: signed overflow.
      {"to at INT64_MIN",
       [](v1::Filter* f) {
         f->set_from_utc_seconds(0);
         f->set_to_utc_seconds(std::numeric_limits<int64_t>::min());
       },
       "filter.to_utc_seconds must be -62167219200..253402300799"},
      {"from at INT64_MAX",
       [](v1::Filter* f) {
         f->set_from_utc_seconds(std::numeric_limits<int64_t>::max());
       },
       "filter.from_utc_seconds must be -62167219200..253402300799"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Filter proto;
    c.mutate(&proto);
    absl::StatusOr<Filter> filter = FilterFromProto(proto, 0);
    ASSERT_FALSE(filter.ok());
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(filter.status().message(), HasSubstr(c.message));
  }
  v1::Filter at_limits;
  for (int i = 0; i < 10'000; ++i) {
    at_limits.add_site_keys(std::string(32, 'k'));
  }
  at_limits.set_prefix(std::string(256, 'C'));
  at_limits.set_from_utc_seconds(-62'167'219'200);
  at_limits.set_to_utc_seconds(253'402'300'799);
  ASSERT_OK_AND_ASSIGN(Filter filter, FilterFromProto(at_limits, 0));
  EXPECT_EQ(filter.site_keys.size(), 10'000u);
}

}  // namespace
}  // namespace overlay
