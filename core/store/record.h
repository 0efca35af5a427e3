// Copyright 2026 The overlay Authors.
//
// The typed AirNow record model: the 13 columns of an AirNow hourly file
// (see airnow-output-desc.pdf) as typed values, plus the Parameter enum and
// the civil-time helpers every layer shares. Missing values (`-999` or an
// empty field in the file) are std::nullopt here and never a number.
// Value types only; thread-compatible.

#ifndef OVERLAY_CORE_STORE_RECORD_H_
#define OVERLAY_CORE_STORE_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace overlay {

// The six AirNow pollutants. Codes are stable: they index Table's parameter
// dictionary, whose first six entries are always these names in this order.
// Names the store does not know are kept (as dictionary entries >= kOther).
enum class Parameter : uint8_t {
  kOzone = 0,
  kPm25 = 1,
  kPm10 = 2,
  kNo2 = 3,
  kSo2 = 4,
  kCo = 5,
  kOther = 6,  // first code of the names the store does not know
};
inline constexpr int kNumKnownParameters = 6;

// "OZONE", "PM2.5", "PM10", "NO2", "SO2", "CO"; "OTHER" for kOther.
std::string_view ParameterName(Parameter parameter);
// Case-insensitive match on the six known names; nullopt otherwise.
std::optional<Parameter> ParseParameter(std::string_view name);

// Seconds since the Unix epoch, UTC. AirNow times are whole hours.
using UnixSeconds = int64_t;

// Parses "2020-08-10T01:00" (also accepts ":SS" seconds and a trailing 'Z').
absl::StatusOr<UnixSeconds> ParseUtc(std::string_view text);
// Formats as "2020-08-10T01:00".
std::string FormatUtc(UnixSeconds seconds);
// Days since the Unix epoch for a civil date; used for "YYYYMMDD" folders.
int64_t DaysFromCivil(int year, int month, int day);
// Parses "YYYYMMDD" or "YYYY-MM-DD" into days since the epoch.
absl::StatusOr<int64_t> ParseDay(std::string_view text);
// Formats days since the epoch as "YYYYMMDD".
std::string FormatDayCompact(int64_t day);

// One row, fully materialised. Used by tests, clients and reference scans;
// the store itself is columnar (table.h).
struct Record {
  double latitude = 0;
  double longitude = 0;
  UnixSeconds utc = 0;
  std::string parameter;  // "PM2.5", or the unknown name as written
  std::optional<double> concentration;
  std::string unit;
  std::optional<double> raw_concentration;
  std::optional<int> aqi;
  std::optional<int> category;
  std::string site_name;
  std::string agency;
  std::string aqs_id;
  std::string full_aqs_id;

  friend bool operator==(const Record& a, const Record& b);
  friend bool operator!=(const Record& a, const Record& b) { return !(a == b); }
};

// A one-line human-readable rendering, for test failure messages.
std::string DebugString(const Record& record);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_RECORD_H_
