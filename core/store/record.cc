// Copyright 2026 The overlay Authors.

#include "core/store/record.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace overlay {
namespace {

constexpr std::string_view kParameterNames[] = {"OZONE", "PM2.5", "PM10",
                                                "NO2",   "SO2",   "CO"};

bool ReadDigits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

bool ValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  if (day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(y + (m <= 2));
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

}  // namespace

std::string_view ParameterName(Parameter parameter) {
  const int code = static_cast<int>(parameter);
  if (code >= 0 && code < kNumKnownParameters) return kParameterNames[code];
  return "OTHER";
}

std::optional<Parameter> ParseParameter(std::string_view name) {
  for (int i = 0; i < kNumKnownParameters; ++i) {
    const std::string_view known = kParameterNames[i];
    if (known.size() != name.size()) continue;
    bool equal = true;
    for (size_t k = 0; k < known.size(); ++k) {
      if (absl::ascii_toupper(static_cast<unsigned char>(name[k])) !=
          known[k]) {
        equal = false;
        break;
      }
    }
    if (equal) return static_cast<Parameter>(i);
  }
  return std::nullopt;
}

int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

absl::StatusOr<UnixSeconds> ParseUtc(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:SS][Z]
  int year, month, day, hour, minute, second = 0;
  const bool shape =
      text.size() >= 16 && ReadDigits(text, 0, 4, &year) && text[4] == '-' &&
      ReadDigits(text, 5, 2, &month) && text[7] == '-' &&
      ReadDigits(text, 8, 2, &day) && (text[10] == 'T' || text[10] == ' ') &&
      ReadDigits(text, 11, 2, &hour) && text[13] == ':' &&
      ReadDigits(text, 14, 2, &minute);
  size_t pos = 16;
  bool ok = shape;
  if (ok && pos < text.size() && text[pos] == ':') {
    ok = ReadDigits(text, pos + 1, 2, &second);
    pos += 3;
  }
  if (ok && pos < text.size() && text[pos] == 'Z') ++pos;
  if (!ok || pos != text.size() || !ValidDate(year, month, day) || hour > 23 ||
      minute > 59 || second > 59) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a UTC time like 2020-08-10T01:00: '",
        absl::string_view(text.data(), text.size()), "'"));
  }
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
         second;
}

std::string FormatUtc(UnixSeconds seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  int year, month, day;
  CivilFromDays(days, &year, &month, &day);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d", year,
                month, day, static_cast<int>(rest / 3600),
                static_cast<int>(rest % 3600 / 60));
  return buffer;
}

absl::StatusOr<int64_t> ParseDay(std::string_view text) {
  int year, month, day;
  bool ok = false;
  if (text.size() == 8) {
    ok = ReadDigits(text, 0, 4, &year) && ReadDigits(text, 4, 2, &month) &&
         ReadDigits(text, 6, 2, &day);
  } else if (text.size() == 10) {
    ok = ReadDigits(text, 0, 4, &year) && text[4] == '-' &&
         ReadDigits(text, 5, 2, &month) && text[7] == '-' &&
         ReadDigits(text, 8, 2, &day);
  }
  if (!ok || !ValidDate(year, month, day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a day like 2020-08-10 or 20200810: '",
                     absl::string_view(text.data(), text.size()), "'"));
  }
  return DaysFromCivil(year, month, day);
}

std::string FormatDayCompact(int64_t day) {
  int y, m, d;
  CivilFromDays(day, &y, &m, &d);
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d%02d%02d", y, m, d);
  return buffer;
}

bool operator==(const Record& a, const Record& b) {
  return a.latitude == b.latitude && a.longitude == b.longitude &&
         a.utc == b.utc && a.parameter == b.parameter &&
         a.concentration == b.concentration && a.unit == b.unit &&
         a.raw_concentration == b.raw_concentration && a.aqi == b.aqi &&
         a.category == b.category && a.site_name == b.site_name &&
         a.agency == b.agency && a.aqs_id == b.aqs_id &&
         a.full_aqs_id == b.full_aqs_id;
}

std::string DebugString(const Record& r) {
  auto opt = [](const auto& v) {
    return v ? absl::StrCat(*v) : std::string("missing");
  };
  return absl::StrCat(r.latitude, ",", r.longitude, " ", FormatUtc(r.utc), " ",
                      r.parameter, " conc=", opt(r.concentration), " ", r.unit,
                      " raw=", opt(r.raw_concentration), " aqi=", opt(r.aqi),
                      " cat=", opt(r.category), " '", r.site_name, "' '",
                      r.agency, "' ", r.aqs_id, " ", r.full_aqs_id);
}

}  // namespace overlay
