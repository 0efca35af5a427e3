// Copyright 2026 The overlay Authors.
//
// How the synthetic set is built:
//  * Sites are made once from the seed: a state (weighted, with its FIPS code
//    and a bounding box), coordinates inside it, a name, an agency, a unique
//    9-digit AQS id, and the parameters the site measures. The number of
//    (site, parameter) pairs per parameter follows the real mix exactly.
//    Sites are sorted by longitude, as rows are in the real files.
//  * Every file (day, hour) has its own random stream seeded from
//    (seed, day, hour), so files can be written in any order by any number
//    of threads and still come out byte-identical.
//  * Values are site level x diurnal cycle x regional smoke episodes (fires
//    placed from the seed inside the date range) x log-normal noise, rounded
//    to one decimal as in the real files; AQI follows the EPA breakpoints
//    from the rounded concentration (CO has no AQI, as in the real set).

#include "core/datagen/dataset_generator.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"

namespace overlay {
namespace {

constexpr double kPi = 3.14159265358979323846;

// (site, parameter) pairs per site, and the share of pairs that report in a
// given hour; 1.7 x 0.95 x 1,400 sites ~ 2,260 rows per file, as in the real
// set.
constexpr double kPairsPerSite = 1.7;
constexpr double kAvailability = 0.95;
// Raw concentration missing while the concentration is present (OZONE and
// PM only, ~0.26% of their rows in the real set).
constexpr double kRawOnlyMissing = 0.0026;

// ---------------------------------------------------------------------------
// Random numbers: our own generator and transforms, so the bytes do not
// depend on the standard library's distribution implementations.

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(SplitMix(seed)) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n).
  size_t Below(size_t n) {
    return static_cast<size_t>(Uniform() * static_cast<double>(n));
  }
  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * kPi * u2);
    has_spare_ = true;
    return r * std::cos(2 * kPi * u2);
  }

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// ---------------------------------------------------------------------------
// Parameters and AQI.

struct Breakpoint {
  double c_lo, c_hi;
  int i_lo, i_hi;
};

enum Parameter { kOzone, kPm25, kPm10, kNo2, kSo2, kCo, kNumParameters };

struct ParameterSpec {
  const char* name;
  const char* unit;
  double weight;          // share of rows in the real set
  double median;          // typical concentration away from smoke
  double site_sigma;      // log-normal spread between sites
  double hour_sigma;      // log-normal spread hour to hour
  double additive_sd;     // instrument noise; lets gases go slightly negative
  double smoke_power;     // how strongly smoke episodes raise it
  double diurnal;         // amplitude of the daily cycle
  double diurnal_peak;    // local hour of the peak
  bool integer;           // whole numbers ("31.0"), as OZONE and PM10 are
  bool raw_differs;       // raw concentration differs from the reported one
  double missing_weight;  // relative share of -999 concentrations
  std::array<Breakpoint, 7> breakpoints;
};

// clang-format off
constexpr ParameterSpec kParameters[kNumParameters] = {
    {"OZONE", "PPB", 0.41, 27, 0.2, 0.22, 0.0, 0.06, 0.55, 15, true, true, 1.65,
     {{{0, 54, 0, 50},
       {55, 70, 51, 100},
       {71, 85, 101, 150},
       {86, 105, 151, 200},
       {106, 200, 201, 300},
       {201, 504, 301, 400},
       {505, 604, 401, 500}}}},
    {"PM2.5", "UG/M3", 0.29, 6.5, 0.45, 0.5, 0.0, 1.0, 0.15, 22, false, true,
     0.24,
     {{{0, 12, 0, 50},
       {12.1, 35.4, 51, 100},
       {35.5, 55.4, 101, 150},
       {55.5, 150.4, 151, 200},
       {150.5, 250.4, 201, 300},
       {250.5, 350.4, 301, 400},
       {350.5, 500.4, 401, 500}}}},
    {"PM10", "UG/M3", 0.11, 22, 0.45, 0.5, 0.0, 0.5, 0.15, 18, true, true, 0.18,
     {{{0, 54, 0, 50},
       {55, 154, 51, 100},
       {155, 254, 101, 150},
       {255, 354, 151, 200},
       {355, 424, 201, 300},
       {425, 504, 301, 400},
       {505, 604, 401, 500}}}},
    {"NO2", "PPB", 0.08, 5, 0.6, 0.6, 0.5, 0.1, 0.35, 7, false, false, 0,
     {{{0, 53, 0, 50},
       {54, 100, 51, 100},
       {101, 360, 101, 150},
       {361, 649, 151, 200},
       {650, 1249, 201, 300},
       {1250, 1649, 301, 400},
       {1650, 2049, 401, 500}}}},
    {"SO2", "PPB", 0.06, 0.35, 0.8, 0.9, 0.25, 0.1, 0.2, 12, false, false, 0,
     {{{0, 35, 0, 50},
       {36, 75, 51, 100},
       {76, 185, 101, 150},
       {186, 304, 151, 200},
       {305, 604, 201, 300},
       {605, 804, 301, 400},
       {805, 1004, 401, 500}}}},
    {"CO", "PPM", 0.05, 0.28, 0.4, 0.45, 0.04, 0.3, 0.3, 7, false, false, 0,
     {{{0, 4.4, 0, 50},
       {4.5, 9.4, 51, 100},
       {9.5, 12.4, 101, 150},
       {12.5, 15.4, 151, 200},
       {15.5, 30.4, 201, 300},
       {30.5, 40.4, 301, 400},
       {40.5, 50.4, 401, 500}}}},
};

// clang-format on

// EPA piecewise-linear AQI; above the table it extends the last segment, as
// the real files do (PM10 7294 -> 7190).
int AqiOf(const ParameterSpec& spec, double c) {
  if (c <= 0) return 0;
  const auto& bp = spec.breakpoints;
  size_t i = 0;
  while (i + 1 < bp.size() && c >= bp[i + 1].c_lo) ++i;
  const Breakpoint& b = bp[i];
  const double clamped = std::max(c, b.c_lo);
  const double aqi =
      (b.i_hi - b.i_lo) / (b.c_hi - b.c_lo) * (clamped - b.c_lo) + b.i_lo;
  return static_cast<int>(std::lround(aqi));
}

int CategoryOf(int aqi) {
  if (aqi <= 50) return 1;
  if (aqi <= 100) return 2;
  if (aqi <= 150) return 3;
  if (aqi <= 200) return 4;
  if (aqi <= 300) return 5;
  return 6;
}

// ---------------------------------------------------------------------------
// Geography.

struct StateSpec {
  const char* fips;
  double lat, lon;  // centre
  double half_lat, half_lon;
  double weight;
  const char* agency;
};

constexpr StateSpec kStates[] = {
    {"06", 37.2, -119.6, 3.6, 3.2, 0.150, "California Air Resources Board"},
    {"41", 44.0, -120.5, 1.6, 3.0, 0.035,
     "Oregon Dept. of Environmental Quality"},
    {"53", 47.4, -120.5, 1.3, 3.0, 0.035, "Washington State Dept. of Ecology"},
    {"16", 44.5, -114.8, 2.5, 1.8, 0.015,
     "Idaho Dept. of Environmental Quality"},
    {"32", 39.0, -117.0, 3.0, 2.5, 0.015,
     "Nevada Division of Environmental Protection"},
    {"04", 34.2, -111.7, 2.5, 2.5, 0.030,
     "Arizona Dept. of Environmental Quality"},
    {"49", 39.5, -111.6, 2.0, 1.8, 0.020, "Utah Division of Air Quality"},
    {"08", 39.0, -105.5, 1.8, 3.3, 0.030,
     "Colorado Department of Public Health and Environment"},
    {"30", 47.0, -109.6, 1.9, 5.5, 0.015,
     "Montana Dept. of Environmental Quality"},
    {"56", 43.0, -107.5, 1.9, 3.3, 0.012,
     "Wyoming Dept. of Environmental Quality"},
    {"35", 34.4, -106.1, 2.4, 2.6, 0.012, "New Mexico Environment Department"},
    {"48", 31.2, -99.3, 4.5, 6.0, 0.080,
     "Texas Commission on Environmental Quality"},
    {"40", 35.5, -97.5, 1.3, 3.5, 0.015,
     "Oklahoma Dept. of Environmental Quality"},
    {"20", 38.5, -98.4, 1.2, 3.5, 0.010,
     "Kansas Dept. of Health and Environment"},
    {"29", 38.4, -92.5, 2.0, 3.0, 0.025,
     "Missouri Department of Natural Resources"},
    {"19", 42.0, -93.5, 1.2, 3.0, 0.020, "Iowa Dept. of Natural Resources"},
    {"27", 46.0, -94.3, 2.5, 2.5, 0.020, "Minnesota Pollution Control Agency"},
    {"55", 44.6, -89.8, 2.0, 2.2, 0.025,
     "Wisconsin Dept. of Natural Resources"},
    {"17", 40.0, -89.2, 2.5, 1.5, 0.030, "Illinois EPA"},
    {"18", 39.9, -86.3, 1.8, 1.2, 0.035,
     "Indiana Dept. of Environmental Management"},
    {"26", 43.5, -84.6, 1.8, 1.8, 0.025,
     "Michigan Department of Environment, Great Lakes, and Energy"},
    {"39", 40.3, -82.8, 1.4, 2.0, 0.045, "Ohio EPA-DAPC"},
    {"42", 40.9, -77.6, 1.0, 2.8, 0.030,
     "Pennsylvania Dept. of Environmental Protection"},
    {"36", 42.8, -75.5, 1.3, 3.0, 0.030,
     "New York State Dept. of Environmental Conservation"},
    {"37", 35.5, -79.4, 0.9, 3.5, 0.028,
     "North Carolina DEQ - Division of Air Quality"},
    {"13", 32.7, -83.4, 1.8, 1.6, 0.020,
     "Georgia Environmental Protection Division"},
    {"12", 28.5, -82.0, 2.5, 2.0, 0.035,
     "Florida Dept. of Environmental Protection"},
    {"22", 31.0, -92.0, 1.5, 2.2, 0.015,
     "Louisiana Dept. of Environmental Quality"},
    {"47", 35.8, -86.3, 0.5, 3.3, 0.020,
     "Tennessee Dept. of Environment and Conservation"},
    {"21", 37.5, -85.5, 0.9, 3.0, 0.015, "Kentucky Division for Air Quality"},
    {"51", 37.5, -78.8, 1.0, 2.8, 0.020,
     "Virginia Dept. of Environmental Quality"},
    {"01", 32.8, -86.8, 1.8, 1.2, 0.012,
     "Alabama Dept. of Environmental Management"},
    {"45", 33.9, -80.9, 1.0, 1.8, 0.012, "South Carolina DHEC"},
};

constexpr const char* kCaliforniaDistricts[] = {
    "South Coast AQMD",
    "San Joaquin Valley Unified APCD",
    "Bay Area AQMD",
    "Sacramento Metropolitan AQMD",
    "North Coast Unified Air Quality Management District",
    "Mendocino County AQMD",
    "San Diego County APCD",
};

constexpr const char* kFederalAgencies[] = {
    "Forest Service", "National Park Service",
    "EPA Office of Atmospheric Protection", "AIRSIS",
    "Bureau of Land Management"};

constexpr const char* kTowns[] = {
    "Riverside",   "Lakeview",      "Fairview",      "Springfield",
    "Georgetown",  "Franklin",      "Greenville",    "Clinton",
    "Salem",       "Madison",       "Oak Grove",     "Crescent City",
    "Florence",    "Jacobs",        "Klamath Glen",  "Fort Bragg",
    "Pine Ridge",  "Cedar Falls",   "Bluff Springs", "Mount Vernon",
    "Ashland",     "Burlington",    "Centerville",   "Dover",
    "Eagle Point", "Fremont",       "Glendale",      "Hamilton",
    "Jackson",     "Kingston",      "Lincoln",       "Marion",
    "Newport",     "Oxford",        "Plymouth",      "Quincy",
    "Richmond",    "Shelby",        "Troy",          "Union",
    "Vienna",      "Warren",        "Winchester",    "Yorktown",
    "Bristol",     "Camden",        "Dayton",        "Elgin",
    "Fulton",      "Granite Falls", "Hudson",        "Independence",
    "Jasper",      "Kent",          "Laurel",        "Milford",
    "Northfield",  "Orange",        "Princeton",     "Rockport",
    "Sheridan",    "Three Rivers",  "Valley Center", "Waverly",
    "Westfield",
};

constexpr const char* kSuffixes[] = {
    "Airport",
    "High School",
    "Water Tower",
    "Fire Station",
    "Department of Forestry",
    "Downtown",
    "Park",
    "Elementary",
    "Road",
    "Ranger Station",
    "Community Center",
    "Library",
    "North",
    "East",
    "Treatment Plant",
};

constexpr const char* kNicknames[] = {"Old Mill", "Smokey", "The Pines",
                                      "Hilltop", "Big Tree"};

// ---------------------------------------------------------------------------
// Sites and fires.

struct Site {
  double lat = 0;
  double lon = 0;
  // `"lat","lon","` and `","name","agency","aqs","full"\n`: each site's
  // tuple is formatted once, so it is identical in every row.
  std::string head;
  std::string tail;
  std::array<bool, kNumParameters> measures{};
  std::array<double, kNumParameters> level{};  // site median per parameter
};

struct Fire {
  double lat, lon;
  double radius_km;
  double peak_day;   // days since the first day
  double half_days;  // width of the episode
  double intensity;  // PM2.5 multiplier at the centre, at the peak
};

// Shortest text of `value` rounded to `decimals` (trailing zeros dropped,
// as in the real coordinates "44.1158").
std::string FormatCoordinate(double value, int decimals) {
  const double p = std::pow(10.0, decimals);
  const double rounded = std::round(value * p) / p;
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), rounded);
  return std::string(buffer, result.ptr);
}

std::string EscapeCsv(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  return out;
}

std::string MakeName(Rng& rng, int index) {
  const std::string town = kTowns[rng.Below(std::size(kTowns))];
  const std::string suffix = kSuffixes[rng.Below(std::size(kSuffixes))];
  const double shape = rng.Uniform();
  // A few fixed indices make every set, however small, carry the awkward
  // cases: a comma and a doubled quote inside a quoted field.
  if (index == 1 || shape < 0.012) return absl::StrCat(town, ", ", suffix);
  if (index == 2 || shape < 0.015) {
    return absl::StrCat(town, " \"",
                        kNicknames[rng.Below(std::size(kNicknames))], "\" ",
                        suffix);
  }
  if (shape < 0.35) return town;
  if (shape < 0.6) return absl::StrCat(town, "-", suffix);
  if (shape < 0.9) return absl::StrCat(town, " ", suffix);
  return absl::StrCat(town, " ", 1 + rng.Below(12));
}

std::vector<Site> MakeSites(uint64_t seed, int count) {
  Rng rng(seed ^ 0x51735173ULL);
  double total_weight = 0;
  for (const StateSpec& s : kStates) total_weight += s.weight;
  std::set<std::string> used_ids;
  std::vector<Site> sites(count);
  for (int i = 0; i < count; ++i) {
    Site& site = sites[i];
    double pick = rng.Uniform() * total_weight;
    size_t state_index = 0;
    while (state_index + 1 < std::size(kStates) &&
           pick >= kStates[state_index].weight) {
      pick -= kStates[state_index].weight;
      ++state_index;
    }
    const StateSpec& state = kStates[state_index];
    site.lat = state.lat + rng.Uniform(-1, 1) * state.half_lat;
    site.lon = state.lon + rng.Uniform(-1, 1) * state.half_lon;
    // Real coordinates have 1 to 6 decimals, mostly 6 or 4.
    const double d = rng.Uniform();
    const int decimals = d < 0.46 ? 6 : d < 0.60 ? 5 : d < 0.96 ? 4 : 3;
    const std::string lat = FormatCoordinate(site.lat, decimals);
    const std::string lon = FormatCoordinate(site.lon, decimals);
    std::from_chars(lat.data(), lat.data() + lat.size(), site.lat);
    std::from_chars(lon.data(), lon.data() + lon.size(), site.lon);

    const std::string name = MakeName(rng, i);
    const double a = rng.Uniform();
    std::string agency;
    if (a < 0.15) {
      agency = kFederalAgencies[rng.Below(std::size(kFederalAgencies))];
    } else if (state.fips == std::string_view("06") && a < 0.6) {
      agency = kCaliforniaDistricts[rng.Below(std::size(kCaliforniaDistricts))];
    } else {
      agency = state.agency;
    }
    std::string aqs;
    do {
      const int county = 1 + 2 * static_cast<int>(rng.Below(100));
      const int number = 1 + static_cast<int>(rng.Below(9999));
      aqs = absl::StrFormat("%s%03d%04d", state.fips, county, number);
    } while (!used_ids.insert(aqs).second);
    const std::string full = absl::StrCat("840", aqs);
    // ~5% of real rows carry the 12-digit id in both columns.
    const std::string& short_id = rng.Uniform() < 0.05 ? full : aqs;

    site.head = absl::StrCat("\"", lat, "\",\"", lon, "\",\"");
    site.tail =
        absl::StrCat("\",\"", EscapeCsv(name), "\",\"", EscapeCsv(agency),
                     "\",\"", short_id, "\",\"", full, "\"\n");
  }

  // Each site measures one primary parameter (drawn by the mix) and more
  // are added until every parameter has its share of kPairsPerSite * count
  // pairs; so the row mix matches the real one.
  std::array<double, kNumParameters> cumulative{};
  double sum = 0;
  for (int p = 0; p < kNumParameters; ++p) {
    sum += kParameters[p].weight;
    cumulative[p] = sum;
  }
  for (Site& site : sites) {
    const double u = rng.Uniform() * sum;
    int p = 0;
    while (p + 1 < kNumParameters && u >= cumulative[p]) ++p;
    site.measures[p] = true;
  }
  std::vector<int> order(count);
  for (int p = 0; p < kNumParameters; ++p) {
    const int target = std::min<int>(
        count, static_cast<int>(std::lround(kPairsPerSite * count *
                                            kParameters[p].weight / sum)));
    int have = 0;
    for (const Site& site : sites) have += site.measures[p];
    for (int i = 0; i < count; ++i) order[i] = i;
    for (int i = count - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(order[i], order[rng.Below(static_cast<size_t>(i) + 1)]);
    }
    for (int i = 0; i < count && have < target; ++i) {
      Site& site = sites[order[i]];
      if (!site.measures[p]) {
        site.measures[p] = true;
        ++have;
      }
    }
  }
  for (Site& site : sites) {
    for (int p = 0; p < kNumParameters; ++p) {
      site.level[p] = kParameters[p].median *
                      std::exp(kParameters[p].site_sigma * rng.Normal());
    }
  }
  std::stable_sort(sites.begin(), sites.end(),
                   [](const Site& a, const Site& b) { return a.lon < b.lon; });
  return sites;
}

std::vector<Fire> MakeFires(uint64_t seed, int64_t days) {
  Rng rng(seed ^ 0xf1f1f1f1ULL);
  const int count = 4 + static_cast<int>(days / 6);
  std::vector<Fire> fires;
  for (int i = 0; i < count; ++i) {
    Fire f;
    // Mostly in the West, like the 2020 season.
    const bool west = rng.Uniform() < 0.85;
    f.lat = west ? rng.Uniform(34, 48) : rng.Uniform(29, 46);
    f.lon = west ? rng.Uniform(-124, -106) : rng.Uniform(-100, -78);
    f.radius_km = rng.Uniform(100, 450);
    f.peak_day =
        rng.Uniform(0, static_cast<double>(std::max<int64_t>(days, 1)));
    f.half_days = rng.Uniform(1.5, 6);
    f.intensity = std::exp(rng.Uniform(std::log(1.5), std::log(40.0)));
    fires.push_back(f);
  }
  return fires;
}

// PM2.5 multiplier from smoke at a site and time (>= 1).
double SmokeAt(const std::vector<Fire>& fires, const Site& site, double t) {
  double smoke = 1;
  const double cos_lat = std::cos(site.lat * kPi / 180);
  for (const Fire& f : fires) {
    const double dt = (t - f.peak_day) / f.half_days;
    if (dt * dt > 25) continue;
    const double dy = (site.lat - f.lat) * 111.0;
    const double dx = (site.lon - f.lon) * 111.0 * cos_lat;
    const double d2 = (dx * dx + dy * dy) / (f.radius_km * f.radius_km);
    if (d2 > 25) continue;
    smoke += f.intensity * std::exp(-d2 - dt * dt);
  }
  return smoke;
}

// ---------------------------------------------------------------------------
// Writing.

struct MissingRates {
  // Concentration, raw, AQI and category -999, per parameter.
  std::array<double, kNumParameters> concentration{};
  double aqi_co = 0;     // AQI/category -999 on a CO row
  double aqi_other = 0;  // ... on any other row
};

void AppendValue(std::string* out, double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value,
                              std::chars_format::fixed, 1);
  out->append(buffer, result.ptr);
}

void AppendInt(std::string* out, int value) {
  char buffer[16];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

double RoundValue(double value, bool integer) {
  const double r = integer ? std::round(value) : std::round(value * 10) / 10;
  return r == 0 ? 0.0 : r;  // never "-0.0"
}

struct FileJob {
  int64_t day_index = 0;  // days since the first day
  int hour = 0;
  std::string time;  // 2020-08-10T01:00
  std::string path;
};

struct Plan {
  std::vector<Site> sites;
  std::vector<Fire> fires;
  MissingRates missing;
  double keep = 1;  // probability that a pair reports in a file
  uint64_t seed = 0;
};

void BuildFile(const Plan& plan, const FileJob& job, std::string* out,
               int64_t* rows) {
  Rng rng(SplitMix(plan.seed) ^
          SplitMix(static_cast<uint64_t>(job.day_index * 24 + job.hour + 1)));
  const double t = job.day_index + job.hour / 24.0;
  out->clear();
  int64_t n = 0;
  for (const Site& site : plan.sites) {
    bool smoke_known = false;
    double smoke = 1;
    // Local solar hour, for the daily cycles.
    const double local_hour = job.hour + site.lon / 15.0;
    for (int p = 0; p < kNumParameters; ++p) {
      if (!site.measures[p]) continue;
      if (rng.Uniform() >= plan.keep) continue;
      const ParameterSpec& spec = kParameters[p];
      if (!smoke_known) {
        smoke = SmokeAt(plan.fires, site, t);
        smoke_known = true;
      }
      const double cycle =
          1 + spec.diurnal *
                  std::cos(2 * kPi * (local_hour - spec.diurnal_peak) / 24);
      double value = site.level[p] * cycle * std::pow(smoke, spec.smoke_power) *
                         std::exp(spec.hour_sigma * rng.Normal()) +
                     spec.additive_sd * rng.Normal();
      if (spec.additive_sd == 0 && value < 0) value = 0;
      value = RoundValue(value, spec.integer);
      double raw = value;
      if (spec.raw_differs) {
        raw = RoundValue(
            value * std::exp(0.25 * rng.Normal()) + 0.5 * rng.Normal(),
            spec.integer || rng.Uniform() < 0.5);
      }
      const bool missing = rng.Uniform() < plan.missing.concentration[p];
      const bool raw_missing =
          missing || (spec.raw_differs && rng.Uniform() < kRawOnlyMissing);
      const bool aqi_missing =
          missing || rng.Uniform() < (p == kCo ? plan.missing.aqi_co
                                               : plan.missing.aqi_other);
      out->append(site.head);
      out->append(job.time);
      out->append("\",\"");
      out->append(spec.name);
      out->append("\",\"");
      if (missing) {
        out->append("-999.0");
      } else {
        AppendValue(out, value);
      }
      out->append("\",\"");
      out->append(spec.unit);
      out->append("\",\"");
      if (raw_missing) {
        out->append("-999.0");
      } else {
        AppendValue(out, raw);
      }
      out->append("\",\"");
      if (aqi_missing) {
        out->append("-999\",\"-999");
      } else {
        const int aqi = AqiOf(spec, value);
        AppendInt(out, aqi);
        out->append("\",\"");
        AppendInt(out, CategoryOf(aqi));
      }
      out->append(site.tail);
      ++n;
    }
  }
  *rows = n;
}

absl::Status WriteWholeFile(const std::string& path, const std::string& data) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return PosixError(absl::StrCat("write ", path), error);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return PosixError(absl::StrCat("close ", path), errno);
  return absl::OkStatus();
}

// Missing concentrations fall mostly on OZONE, then PM, as in the real set
// (uniformly if that cannot reach the requested share). Missing AQI: every
// row with a missing concentration, then CO rows (the real set has no CO
// AQI at all), then the rest evenly.
MissingRates PlanMissing(const std::vector<Site>& sites,
                         const GeneratorOptions& options) {
  std::array<double, kNumParameters> share{};
  double pairs = 0;
  for (const Site& site : sites) {
    for (int p = 0; p < kNumParameters; ++p) {
      share[p] += site.measures[p];
      pairs += site.measures[p];
    }
  }
  for (double& s : share) s /= std::max(pairs, 1.0);
  MissingRates rates;
  const double c = options.missing_concentration_share;
  double weighted = 0;
  for (int p = 0; p < kNumParameters; ++p) {
    weighted += share[p] * kParameters[p].missing_weight;
  }
  bool fits = weighted > 0;
  for (int p = 0; p < kNumParameters && fits; ++p) {
    rates.concentration[p] = c * kParameters[p].missing_weight / weighted;
    fits = rates.concentration[p] <= 1;
  }
  if (!fits) rates.concentration.fill(c);
  const double co_present = share[kCo] * (1 - rates.concentration[kCo]);
  const double other_present = 1 - c - co_present;
  const double rest = std::max(0.0, options.missing_category_share - c);
  if (rest <= co_present) {
    rates.aqi_co = co_present > 0 ? rest / co_present : 0;
  } else {
    rates.aqi_co = 1;
    rates.aqi_other =
        other_present > 0 ? (rest - co_present) / other_present : 0;
  }
  return rates;
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text,
                                        const char* what) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day) ||
      absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day()) !=
          text) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator: ", what, " '", text, "' is not a date like 2020-08-10"));
  }
  return day;
}

absl::Status ValidateBasics(const GeneratorOptions& o) {
  if (o.root.empty()) {
    return absl::InvalidArgumentError("generator: empty output root");
  }
  if (o.sites <= 0 || o.sites > 1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: sites must be in 1..1000000, got ", o.sites));
  }
  if (!(o.scale > 0) || o.scale > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: scale must be in (0, 1000], got ", o.scale));
  }
  if (o.hour_step < 1 || o.hour_step > 24) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator: hour_step must be in 1..24, got ", o.hour_step));
  }
  if (!(o.skip_day_probability >= 0) || !(o.skip_day_probability < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: skip_day_probability must be in [0, 1), got ",
                     o.skip_day_probability));
  }
  if (!(o.missing_concentration_share >= 0) ||
      !(o.missing_concentration_share <= 1) ||
      !(o.missing_category_share <= 1) ||
      !(o.missing_category_share >= o.missing_concentration_share)) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: need 0 <= missing_concentration_share (",
                     o.missing_concentration_share,
                     ") <= missing_category_share (", o.missing_category_share,
                     ") <= 1: a missing concentration has a missing AQI"));
  }
  if (o.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: threads must be >= 0, got ", o.threads));
  }
  return absl::OkStatus();
}

// Checks everything and returns the first day and the number of days.
absl::StatusOr<std::pair<absl::CivilDay, int64_t>> CheckOptions(
    const GeneratorOptions& options) {
  RETURN_IF_ERROR(ValidateBasics(options));
  ASSIGN_OR_RETURN(const absl::CivilDay first,
                   ParseDay(options.first_day, "first day"));
  ASSIGN_OR_RETURN(const absl::CivilDay last,
                   ParseDay(options.last_day, "last day"));
  if (last < first) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: last day ", options.last_day,
                     " is before first day ", options.first_day));
  }
  const int64_t days = last - first + 1;
  if (days > 366 * 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: ", days, " days is more than 20 years"));
  }
  // Each state has ~10^6 AQS ids (3-digit county, 4-digit site).
  if (std::ceil(options.sites * std::max(1.0, options.scale) - 1e-9) >
      1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator: sites x scale must be at most 1,000,000, got ",
                     options.sites, " x ", options.scale));
  }
  return std::make_pair(first, days);
}

}  // namespace

absl::Status ValidateGeneratorOptions(const GeneratorOptions& options) {
  return CheckOptions(options).status();
}

absl::StatusOr<GeneratedDataset> GenerateDataset(
    const GeneratorOptions& options) {
  ASSIGN_OR_RETURN(const auto checked, CheckOptions(options));
  const absl::CivilDay first = checked.first;
  const int64_t days = checked.second;

  // Scale <= 1 thins the hourly reports; above 1 it adds sites, because the
  // real set has at most one row per site, parameter and hour.
  Plan plan;
  plan.seed = options.seed;
  const double site_count =
      std::ceil(options.sites * std::max(1.0, options.scale) - 1e-9);
  plan.keep = kAvailability * std::min(1.0, options.scale);
  plan.sites = MakeSites(options.seed, static_cast<int>(site_count));
  plan.fires = MakeFires(options.seed, days);

  plan.missing = PlanMissing(plan.sites, options);

  std::error_code error;
  std::filesystem::create_directories(options.root, error);
  if (error) {
    return PosixError(absl::StrCat("generator: create ", options.root),
                      error.value());
  }
  std::vector<FileJob> jobs;
  Rng skip_rng(options.seed ^ 0x5eed5eedULL);
  const int first_hour = options.hour_step % 2 == 0 ? 1 : 0;
  for (int64_t i = 0; i < days; ++i) {
    // One draw per day whether or not it is skipped: the set of skipped
    // days does not shift with the range's other days.
    if (skip_rng.Uniform() < options.skip_day_probability) continue;
    const absl::CivilDay day = first + i;
    const std::string folder =
        absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
    const std::string dir = absl::StrCat(options.root, "/", folder);
    std::filesystem::create_directories(dir, error);
    if (error) {
      return PosixError(absl::StrCat("generator: create ", dir), error.value());
    }
    for (int hour = first_hour; hour < 24; hour += options.hour_step) {
      FileJob job;
      job.day_index = i;
      job.hour = hour;
      job.time = absl::StrFormat("%04d-%02d-%02dT%02d:00", day.year(),
                                 day.month(), day.day(), hour);
      job.path = absl::StrFormat("%s/%s-%02d.csv", dir, folder, hour);
      jobs.push_back(std::move(job));
    }
  }

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(jobs.size())));
  absl::Mutex mu;
  GeneratedDataset total;
  total.sites = static_cast<int64_t>(plan.sites.size());
  absl::Status first_error;
  // Relaxed: the counter only hands out indices; results are joined below.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    std::string buffer;
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= jobs.size()) return;
      int64_t rows = 0;
      BuildFile(plan, jobs[i], &buffer, &rows);
      absl::Status status = WriteWholeFile(jobs[i].path, buffer);
      absl::MutexLock lock(&mu);
      if (!status.ok()) {
        if (first_error.ok()) first_error = status;
        failed.store(true, std::memory_order_relaxed);
        return;
      }
      total.files += 1;
      total.rows += rows;
      total.bytes += static_cast<int64_t>(buffer.size());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  RETURN_IF_ERROR(first_error);
  return total;
}

}  // namespace overlay
