// Copyright 2026 The overlay Authors.

#include "core/datagen/dataset_generator.h"

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"

namespace overlay {
namespace {

struct ParameterSpec {
  const char* name;
  const char* unit;
  double weight;      // share of rows
  double typical;     // median concentration
  double spread;      // log-normal sigma
  double aqi_scale;   // AQI ≈ concentration * aqi_scale (roughly)
  int decimals;
};

constexpr ParameterSpec kParameters[] = {
    {"OZONE", "PPB", 0.41, 32, 0.45, 1.0, 1},
    {"PM2.5", "UG/M3", 0.29, 12, 0.9, 3.2, 1},
    {"PM10", "UG/M3", 0.11, 25, 0.8, 0.9, 1},
    {"NO2", "PPB", 0.08, 9, 0.8, 1.0, 1},
    {"SO2", "PPB", 0.06, 1.2, 1.0, 1.4, 1},
    {"CO", "PPM", 0.05, 0.35, 0.6, 9.0, 3},
};

constexpr const char* kPlaces[] = {
    "Crescent City", "Jacobs",      "Florence",  "Bend",      "Medford",
    "Redding",       "Chico",       "Fresno",    "Visalia",   "Bakersfield",
    "Sacramento",    "Modesto",     "Stockton",  "Oakland",   "San Jose",
    "Salinas",       "Reno",        "Carson City", "Boise",   "Missoula",
    "Spokane",       "Yakima",      "Seattle",   "Tacoma",    "Portland",
    "Eugene",        "Salem",       "Denver",    "Phoenix",   "Tucson",
    "Las Vegas",     "Los Angeles", "Riverside", "San Diego", "Houston",
    "Dallas",        "Atlanta",     "Chicago",   "Detroit",   "New York"};
constexpr const char* kSuffixes[] = {"",          "-Airport",  "-Downtown",
                                     " North",    " Road",     "-Dept of Forestry",
                                     " Park",     " School"};
constexpr const char* kAgencies[] = {
    "North Coast Unified Air Quality Management District",
    "Lane Regional Air Protection Agency",
    "California Air Resources Board",
    "San Joaquin Valley Unified APCD",
    "Washington State Department of Ecology",
    "Oregon Department of Environmental Quality",
    "Idaho Department of Environmental Quality",
    "Maricopa County Air Quality Department",
    "Texas Commission on Environmental Quality",
    "Forest Service Wildland Fire Emissions",
    "South Coast Air Quality Management District",
    "Bay Area Air Quality Management District"};

struct SiteSpec {
  std::string latitude;   // formatted once: stable across rows
  std::string longitude;
  std::string name;       // CSV-escaped (doubled quotes)
  std::string agency;
  std::string aqs_id;
  std::string full_aqs_id;
  int parameter_mask = 0;  // which parameters it measures
  double level = 1;        // site multiplier
};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  return out;
}

std::string FormatFixed(double value, int decimals) {
  char buffer[48];
  auto r = std::to_chars(buffer, buffer + sizeof(buffer), value,
                         std::chars_format::fixed, decimals);
  return std::string(buffer, r.ptr);
}

std::vector<SiteSpec> MakeSites(const GeneratorOptions& options) {
  std::mt19937_64 rng(options.seed * 7919 + 17);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<SiteSpec> sites;
  sites.reserve(options.sites);
  for (int i = 0; i < options.sites; ++i) {
    SiteSpec s;
    const double lat = 25 + u(rng) * 24;
    const double lon = -124.5 + u(rng) * 57;
    const int lat_decimals = 4 + static_cast<int>(u(rng) * 3);
    s.latitude = FormatFixed(lat, lat_decimals);
    s.longitude = FormatFixed(lon, lat_decimals);
    std::string name = absl::StrCat(
        kPlaces[static_cast<size_t>(u(rng) * std::size(kPlaces))],
        kSuffixes[static_cast<size_t>(u(rng) * std::size(kSuffixes))]);
    if (i % 37 == 5) name += ", Unit 2";           // commas, as in the real set
    if (i % 211 == 9) name += " \"Old\" Station";  // quotes inside a field
    if (i % 3 == 0) name = absl::StrCat(name, " ", i);
    s.name = Escape(name);
    s.agency = kAgencies[static_cast<size_t>(u(rng) * std::size(kAgencies))];
    const int state = 1 + static_cast<int>(u(rng) * 56);
    const int county = static_cast<int>(u(rng) * 999);
    const int site = 1000 + i;
    char aqs[32];
    std::snprintf(aqs, sizeof(aqs), "%02d%03d%04d", state, county, site % 10000);
    s.aqs_id = aqs;
    s.full_aqs_id = absl::StrCat("840", aqs, i % 7 == 0 ? "0" : "");
    if (s.full_aqs_id.size() > 12) s.full_aqs_id.resize(12);
    while (s.full_aqs_id.size() < 12) s.full_aqs_id += '0';
    for (int p = 0; p < 6; ++p) {
      if (u(rng) < kParameters[p].weight * 2.2) s.parameter_mask |= 1 << p;
    }
    if (s.parameter_mask == 0) s.parameter_mask = 1;
    s.level = std::exp((u(rng) - 0.5) * 0.8);
    sites.push_back(std::move(s));
  }
  return sites;
}

int CategoryOf(int aqi) {
  if (aqi <= 50) return 1;
  if (aqi <= 100) return 2;
  if (aqi <= 150) return 3;
  if (aqi <= 200) return 4;
  if (aqi <= 300) return 5;
  return 6;
}

// Writes one file for (day, hour); returns rows and bytes written.
absl::Status WriteFile(const GeneratorOptions& options,
                       const std::vector<SiteSpec>& sites, int64_t day,
                       int hour, const std::string& path, int64_t* rows,
                       int64_t* bytes) {
  std::mt19937_64 rng(options.seed * 1'000'003 + day * 31 + hour);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> normal(0, 1);
  // Fire season: smoke grows towards mid-September.
  const double smoke =
      1 + 1.5 * std::exp(-std::pow((day - 18520.0) / 8.0, 2));  // ~2020-09-15
  const int64_t seconds = day * 86400 + hour * 3600;
  const int64_t civil_day = seconds / 86400;
  // Format the timestamp once.
  int64_t z = civil_day + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2));
  char utc[24];
  std::snprintf(utc, sizeof(utc), "%04d-%02d-%02dT%02d:00", y, m, d, hour);

  // About 2,260 rows per file at scale 1 with ~1,400 sites.
  const double keep = std::min(1.0, options.scale * 0.73);
  std::string out;
  out.reserve(static_cast<size_t>(sites.size() * 6 * keep * 200) + 1024);
  int64_t n = 0;
  for (const SiteSpec& s : sites) {
    for (int p = 0; p < 6; ++p) {
      if (!(s.parameter_mask & (1 << p))) continue;
      if (u(rng) >= keep) continue;
      const ParameterSpec& spec = kParameters[p];
      const double factor = (p == 1 || p == 2) ? smoke : 1.0;
      double value = spec.typical * s.level * factor *
                     std::exp(spec.spread * normal(rng));
      const double raw = value * (1 + 0.05 * normal(rng));
      int aqi = static_cast<int>(std::lround(value * spec.aqi_scale));
      if (aqi < 0) aqi = 0;
      std::string concentration = FormatFixed(value, spec.decimals);
      std::string raw_text = FormatFixed(raw, spec.decimals);
      std::string aqi_text = absl::StrCat(aqi);
      std::string category_text = absl::StrCat(CategoryOf(aqi));
      if (u(rng) < options.missing_concentration_share) {
        concentration = "-999";
        raw_text = "-999";
      }
      if (u(rng) < options.missing_category_share) {
        aqi_text = "-999";
        category_text = "-999";
      }
      absl::StrAppend(&out, "\"", s.latitude, "\",\"", s.longitude, "\",\"",
                      utc, "\",\"", spec.name, "\",\"", concentration,
                      "\",\"", spec.unit, "\",\"", raw_text, "\",\"",
                      aqi_text, "\",\"", category_text, "\",\"", s.name,
                      "\",\"", s.agency, "\",\"", s.aqs_id, "\",\"",
                      s.full_aqs_id, "\"\n");
      ++n;
    }
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return PosixError(absl::StrCat("create ", path), errno);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file) return PosixError(absl::StrCat("write ", path), errno);
  *rows = n;
  *bytes = static_cast<int64_t>(out.size());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseOptionDay(const std::string& text) {
  int y, m, d;
  char tail;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 &&
      std::sscanf(text.c_str(), "%4d%2d%2d%c", &y, &m, &d, &tail) != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a day like 2020-08-10: '", text, "'"));
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) {
    return absl::InvalidArgumentError(absl::StrCat("bad day '", text, "'"));
  }
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

absl::StatusOr<GeneratedDataset> GenerateDataset(
    const GeneratorOptions& options) {
  if (options.root.empty()) {
    return absl::InvalidArgumentError("generator: empty output root");
  }
  if (options.sites <= 0 || options.sites > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: sites must be 1..100000, got ", options.sites));
  }
  if (!(options.scale > 0) || options.scale > 1.37) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator: scale must be in (0, 1.37] (rows per site and hour are "
        "bounded by the six parameters; add sites to grow further), got ",
        options.scale));
  }
  if (options.hour_step < 1 || options.hour_step > 24) {
    return absl::InvalidArgumentError("generator: hour_step must be 1..24");
  }
  ASSIGN_OR_RETURN(int64_t first, ParseOptionDay(options.first_day));
  ASSIGN_OR_RETURN(int64_t last, ParseOptionDay(options.last_day));
  if (last < first) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: last day ", options.last_day,
                     " is before first day ", options.first_day));
  }
  const std::vector<SiteSpec> sites = MakeSites(options);

  struct Job {
    int64_t day;
    int hour;
    std::string path;
  };
  std::vector<Job> jobs;
  std::mt19937_64 skip_rng(options.seed ^ 0x5eed);
  std::uniform_real_distribution<double> u(0, 1);
  std::error_code error;
  std::filesystem::create_directories(options.root, error);
  if (error) {
    return absl::PermissionDeniedError(absl::StrCat(
        "generator: cannot create ", options.root, ": ", error.message()));
  }
  for (int64_t day = first; day <= last; ++day) {
    // Days are skipped from their own draw, so skipping is stable.
    if (u(skip_rng) < options.skip_day_probability) continue;
    // Folder name YYYYMMDD.
    int64_t z = day + 719468;
    const int64_t era = z / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int y = static_cast<int>(yoe + era * 400 + (m <= 2));
    char folder[16];
    std::snprintf(folder, sizeof(folder), "%04d%02d%02d", y, m, d);
    const std::string dir = absl::StrCat(options.root, "/", folder);
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::PermissionDeniedError(absl::StrCat(
          "generator: cannot create ", dir, ": ", error.message()));
    }
    for (int hour = options.hour_step >= 2 ? 1 : 0; hour < 24;
         hour += options.hour_step) {
      char name[32];
      std::snprintf(name, sizeof(name), "%s-%02d.csv", folder, hour);
      jobs.push_back({day, hour, absl::StrCat(dir, "/", name)});
    }
  }

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(jobs.size())));
  absl::Mutex mu;
  GeneratedDataset total;
  absl::Status first_error;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= jobs.size()) return;
      int64_t rows = 0, bytes = 0;
      absl::Status status = WriteFile(options, sites, jobs[i].day,
                                      jobs[i].hour, jobs[i].path, &rows, &bytes);
      absl::MutexLock lock(&mu);
      if (!status.ok() && first_error.ok()) first_error = status;
      total.files += 1;
      total.rows += rows;
      total.bytes += bytes;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  RETURN_IF_ERROR(first_error);
  return total;
}

}  // namespace overlay
