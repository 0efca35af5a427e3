// Copyright 2026 The overlay Authors.

#include "core/store/csv_loader.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"
#include "glog/logging.h"

namespace overlay {
namespace {

constexpr int kFields = 13;
// Work units (runs of consecutive files parsed into one builder) per
// thread: enough for dynamic balancing, few enough that each builder's site
// dictionary (rebuilt per unit) is paid rarely.
constexpr size_t kUnitsPerThread = 4;

struct Field {
  std::string_view text;      // without the enclosing quotes
  const char* raw = nullptr;  // where the field starts in the line
  bool escaped = false;       // holds doubled quotes to undo
};

// Splits one line (no line end) into fields. Returns the field count, or -1
// for bad quoting; only the first kFields + 1 fields are stored.
int SplitLine(std::string_view line, Field* fields) {
  const char* p = line.data();
  const char* const end = p + line.size();
  int n = 0;
  for (;;) {
    Field field;
    field.raw = p;
    if (p < end && *p == '"') {
      const char* const start = ++p;
      // Fields are short: a byte loop beats a memchr call per field.
      for (;;) {
        while (p < end && *p != '"') ++p;
        if (p == end) return -1;  // unterminated
        if (p + 1 < end && p[1] == '"') {
          field.escaped = true;
          p += 2;
          continue;
        }
        field.text = std::string_view(start, p - start);
        ++p;
        break;
      }
      if (p < end && *p != ',') return -1;  // text after the closing quote
    } else {
      const char* const start = p;
      while (p < end && *p != ',') ++p;
      field.text = std::string_view(start, p - start);
    }
    if (n <= kFields) fields[n] = field;
    ++n;
    if (p >= end) return n;
    ++p;             // the comma
    if (p == end) {  // a trailing comma: one more, empty field
      if (n <= kFields) fields[n] = Field{std::string_view(), p, false};
      return n + 1;
    }
  }
}

std::string Unescape(const Field& field) {
  std::string out(field.text);
  if (!field.escaped) return out;
  std::string result;
  result.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    result += out[i];
    if (out[i] == '"' && i + 1 < out.size() && out[i + 1] == '"') ++i;
  }
  return result;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// The common shape [-]digits[.digits] with at most 15 digits: the mantissa
// and the power of ten are exact doubles, so one division gives the
// correctly rounded value, the same double std::from_chars returns (Clinger's
// fast path). False for anything else, which the caller hands to from_chars.
bool FastDecimal(std::string_view text, double* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p < end && *p == '-';
  p += negative;
  uint64_t mantissa = 0;
  int digits = 0, fraction = 0;
  while (p < end && static_cast<unsigned>(*p - '0') < 10) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    ++digits;
    ++p;
  }
  if (p < end && *p == '.') {
    ++p;
    while (p < end && static_cast<unsigned>(*p - '0') < 10) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
      ++digits;
      ++fraction;
      ++p;
    }
  }
  if (p != end || digits == 0 || digits > 15) return false;
  const double value = static_cast<double>(mantissa) / kPow10[fraction];
  *out = negative ? -value : value;
  return true;
}

// A number, NaN for missing (-999 or empty); false if not a number.
bool ParseMeasure(std::string_view text, double* out) {
  text = Trim(text);
  if (text.empty()) {
    *out = std::nan("");
    return true;
  }
  if (!FastDecimal(text, out)) {
    const char* begin = text.data();
    if (*begin == '+') {
      ++begin;
      if (begin == text.data() + text.size() || *begin == '-') return false;
    }
    auto r = std::from_chars(begin, text.data() + text.size(), *out);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() ||
        !std::isfinite(*out)) {
      return false;
    }
  }
  if (*out == -999) *out = std::nan("");
  return true;
}

// An integer in [lo, hi], `missing` for -999 or empty.
template <typename T>
bool ParseSmallInt(std::string_view text, T missing, int lo, int hi, T* out) {
  text = Trim(text);
  if (text.empty()) {
    *out = missing;
    return true;
  }
  int value;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    // AirNow writes integers, but tolerate "62.0".
    double d;
    auto rd = std::from_chars(text.data(), text.data() + text.size(), d);
    if (rd.ec != std::errc() || rd.ptr != text.data() + text.size() ||
        d != std::floor(d) || std::fabs(d) > 1e9) {
      return false;
    }
    value = static_cast<int>(d);
  }
  if (value == -999) {
    *out = missing;
    return true;
  }
  if (value < lo || value > hi) return false;
  *out = static_cast<T>(value);
  return true;
}

// 64-bit mix of a few 8-byte loads; only spreads keys over the slots of
// SiteCache, which compares whole keys, so it need not read every byte.
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t Mix(uint64_t h, uint64_t v) {
  h = (h ^ v) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}
uint64_t HashTail(uint64_t h, std::string_view s) {
  h = Mix(h, s.size());
  if (s.size() >= 16) {
    h = Mix(h, Load64(s.data()));
    h = Mix(h, Load64(s.data() + s.size() - 16));
    return Mix(h, Load64(s.data() + s.size() - 8));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    h = Mix(h, static_cast<unsigned char>(s[i]));
  }
  return h;
}

// Per-parser map from a site's raw text to its builder code. The raw text is
// two spans of the line: latitude and longitude (fields 1-2) and site name
// through full AQS id (fields 10-13). Equal raw text always parses to the
// same site, so the loader parses and copies each site once per builder and
// afterwards only hashes and compares bytes.
class SiteCache {
 public:
  SiteCache() : slots_(1024) {}

  // The code of the site with this raw text, or nullopt if not seen yet;
  // `hash` is set for Insert.
  std::optional<uint32_t> Find(std::string_view coordinates,
                               std::string_view names, uint64_t* hash) {
    // Consecutive rows often belong to one site (one row per parameter).
    if (last_ != nullptr && last_->Equals(coordinates, names)) {
      return last_->site;
    }
    *hash = HashTail(HashTail(0x12345, coordinates), names);
    for (size_t i = *hash & (slots_.size() - 1);;
         i = (i + 1) & (slots_.size() - 1)) {
      const Slot& slot = slots_[i];
      if (slot.entry == 0) return std::nullopt;
      if (slot.hash != *hash) continue;
      const Entry& entry = entries_[slot.entry - 1];
      if (entry.Equals(coordinates, names)) {
        last_ = &entry;
        return entry.site;
      }
    }
  }

  void Insert(std::string_view coordinates, std::string_view names,
              uint64_t hash, uint32_t site) {
    if (2 * (entries_.size() + 1) > slots_.size()) Grow();
    entries_.push_back(Entry{
        absl::StrCat(absl::string_view(coordinates.data(), coordinates.size()),
                     absl::string_view(names.data(), names.size())),
        coordinates.size(), hash, site});
    last_ = nullptr;  // entries_ may have moved
    Place(hash, static_cast<uint32_t>(entries_.size()));
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t entry = 0;  // index into entries_ plus one; 0: empty
  };
  struct Entry {
    std::string key;  // coordinates then names
    size_t coordinates_size;
    uint64_t hash;
    uint32_t site;
    bool Equals(std::string_view coordinates, std::string_view names) const {
      return coordinates.size() == coordinates_size &&
             key.size() == coordinates.size() + names.size() &&
             std::memcmp(key.data(), coordinates.data(), coordinates.size()) ==
                 0 &&
             std::memcmp(key.data() + coordinates_size, names.data(),
                         names.size()) == 0;
    }
  };

  void Place(uint64_t hash, uint32_t entry) {
    size_t i = hash & (slots_.size() - 1);
    while (slots_[i].entry != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = Slot{hash, entry};
  }
  void Grow() {
    slots_.assign(slots_.size() * 2, Slot());
    for (size_t e = 0; e < entries_.size(); ++e) {
      Place(entries_[e].hash, static_cast<uint32_t>(e + 1));
    }
  }

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::vector<Entry> entries_;
  const Entry* last_ = nullptr;
};

// Floor division (UTC times before 1970 are negative).
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Per-builder parse state: dictionary caches keyed by raw text.
class FileParser {
 public:
  // `warnings` counts the LOG(WARNING)s of every parser of one load, so a
  // load logs at most `max_errors` of them however many threads it uses.
  FileParser(TableBuilder& builder, LoadStats& stats, int max_errors,
             std::atomic<int>* warnings)
      : builder_(builder),
        stats_(stats),
        max_errors_(max_errors),
        warnings_(warnings) {}

  // `day` (days since the epoch): the day folder the file is in; a row
  // whose time falls on another day is malformed. nullopt: not checked.
  void Parse(std::string_view buffer, std::string_view file_name,
             std::optional<int64_t> day = std::nullopt) {
    day_ = day;
    size_t line_number = 0;
    const char* p = buffer.data();
    const char* const end = p + buffer.size();
    // A UTF-8 byte-order mark is not data.
    if (buffer.size() >= 3 && buffer.substr(0, 3) == "\xEF\xBB\xBF") p += 3;
    while (p < end) {
      const char* eol = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (eol == nullptr) eol = end;
      std::string_view line(p, eol - p);
      p = eol + 1;
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      ParseLine(line, file_name, line_number);
    }
  }

 private:
  void Malformed(std::string_view file_name, size_t line_number,
                 std::string_view why) {
    ++stats_.malformed_rows;
    if (static_cast<int>(stats_.errors.size()) >= max_errors_) return;
    std::string message = absl::StrCat(
        absl::string_view(file_name.data(), file_name.size()), ":", line_number,
        ": ", absl::string_view(why.data(), why.size()));
    // Relaxed: only a cap on log lines, it orders nothing.
    if (warnings_->fetch_add(1, std::memory_order_relaxed) < max_errors_) {
      LOG(WARNING) << "malformed row skipped: " << message;
    }
    stats_.errors.push_back(std::move(message));
  }

  void ParseLine(std::string_view line, std::string_view file_name,
                 size_t line_number) {
    Field f[kFields + 1];
    const int n = SplitLine(line, f);
    if (n < 0) {
      Malformed(file_name, line_number, "bad quoting");
      return;
    }
    if (n != kFields) {
      Malformed(file_name, line_number,
                absl::StrCat("expected 13 fields, got ", n));
      return;
    }
    // UTC time: most rows of a file share it.
    int64_t utc;
    if (f[2].text == last_utc_text_ && !last_utc_text_.empty()) {
      utc = last_utc_;
    } else {
      absl::StatusOr<UnixSeconds> parsed = ParseUtc(Trim(f[2].text));
      if (!parsed.ok()) {
        Malformed(file_name, line_number,
                  absl::StrCat("column 3 (UTC): ", parsed.status().message()));
        return;
      }
      utc = *parsed;
      // Shares hold whole days, and queries skip shares by day: a row must
      // be on its file's day.
      if (day_.has_value() && FloorDiv(utc, 86400) != *day_) {
        Malformed(file_name, line_number,
                  absl::StrCat("column 3 (UTC): ", FormatUtc(utc),
                               " is not on the file's day ",
                               FormatDayCompact(*day_)));
        return;
      }
      last_utc_text_.assign(f[2].text);
      last_utc_ = utc;
    }
    double concentration, raw;
    if (!ParseMeasure(f[4].text, &concentration)) {
      Malformed(file_name, line_number,
                "column 5 (concentration): not a number");
      return;
    }
    if (!ParseMeasure(f[6].text, &raw)) {
      Malformed(file_name, line_number,
                "column 7 (raw concentration): not a number");
      return;
    }
    int16_t aqi;
    if (!ParseSmallInt<int16_t>(f[7].text, kMissingAqi, -32767, 32767, &aqi)) {
      Malformed(file_name, line_number, "column 8 (AQI): not an integer");
      return;
    }
    int8_t category;
    if (!ParseSmallInt<int8_t>(f[8].text, kMissingCategory, -127, 127,
                               &category)) {
      Malformed(file_name, line_number, "column 9 (category): not an integer");
      return;
    }
    const std::string_view parameter_text = Trim(f[3].text);
    if (parameter_text.empty()) {
      Malformed(file_name, line_number, "column 4 (parameter): empty");
      return;
    }
    // Site: keyed by the raw text of its six fields, found as two spans.
    const std::string_view coordinates(line.data(), f[2].raw - line.data());
    const std::string_view names(f[9].raw,
                                 line.data() + line.size() - f[9].raw);
    uint64_t hash = 0;
    uint32_t site;
    if (std::optional<uint32_t> known =
            sites_.Find(coordinates, names, &hash)) {
      site = *known;
    } else {
      double latitude, longitude;
      if (!ParseMeasure(f[0].text, &latitude) ||
          !ParseMeasure(f[1].text, &longitude)) {
        Malformed(file_name, line_number,
                  "columns 1-2 (latitude, longitude): not a number");
        return;
      }
      Site s{latitude,        longitude,       Unescape(f[9]),
             Unescape(f[10]), Unescape(f[11]), Unescape(f[12])};
      site = builder_.InternSite(s);
      sites_.Insert(coordinates, names, hash, site);
    }
    builder_.AddRow(site, utc, Intern(parameter_text, parameters_, true),
                    concentration, Intern(Trim(f[5].text), units_, false), raw,
                    aqi, category);
    ++stats_.rows;
    stats_.missing_concentrations += std::isnan(concentration) ? 1 : 0;
  }

  uint8_t Intern(std::string_view text,
                 std::vector<std::pair<std::string, uint8_t>>& cache,
                 bool parameter) {
    for (const auto& [name, code] : cache) {
      if (name == text) return code;
    }
    const uint8_t code =
        parameter ? builder_.InternParameter(text) : builder_.InternUnit(text);
    cache.emplace_back(std::string(text), code);
    return code;
  }

  TableBuilder& builder_;
  LoadStats& stats_;
  const int max_errors_;
  std::atomic<int>* const warnings_;
  std::string last_utc_text_;
  int64_t last_utc_ = 0;
  std::optional<int64_t> day_;
  SiteCache sites_;
  std::vector<std::pair<std::string, uint8_t>> parameters_;
  std::vector<std::pair<std::string, uint8_t>> units_;
};

// What the data generation is made of, per file.
struct FileStamp {
  int64_t size = 0;
  int64_t mtime_seconds = 0;
  int64_t mtime_nanos = 0;
};

// FNV-1a, 64 bit: stable across processes and builds (the generation is
// compared between nodes and runs), unlike absl::Hash.
void Fnv1a(uint64_t* hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    *hash ^= bytes[i];
    *hash *= 0x100000001b3ULL;
  }
}

absl::Status ReadFile(const std::string& path, std::string* out,
                      FileStamp* stamp = nullptr) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return PosixError(absl::StrCat("stat ", path), error);
  }
  if (stamp != nullptr) {
    stamp->size = static_cast<int64_t>(st.st_size);
    stamp->mtime_seconds = static_cast<int64_t>(st.st_mtim.tv_sec);
    stamp->mtime_nanos = static_cast<int64_t>(st.st_mtim.tv_nsec);
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t r = read(fd, out->data() + done, out->size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int error = errno;
      close(fd);
      return PosixError(absl::StrCat("read ", path), error);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  out->resize(done);
  close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    return PosixError(absl::StrCat("open directory ", path), errno);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool IsDayFolder(const std::string& name) {
  return name.size() == 8 && std::all_of(name.begin(), name.end(), [](char c) {
           return c >= '0' && c <= '9';
         });
}

bool EndsWithCsv(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
}

}  // namespace

void ParseCsvBuffer(std::string_view buffer, std::string_view file_name,
                    TableBuilder& builder, LoadStats& stats,
                    int max_reported_errors) {
  std::atomic<int> warnings{0};
  FileParser parser(builder, stats, max_reported_errors, &warnings);
  parser.Parse(buffer, file_name);
}

absl::StatusOr<LoadedTable> LoadDataRoot(const LoadOptions& options) {
  struct stat st;
  if (options.root.empty()) {
    return absl::InvalidArgumentError("data root: no path given");
  }
  if (stat(options.root.c_str(), &st) != 0) {
    return PosixError(absl::StrCat("data root ", options.root), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("data root ", options.root, " is not a directory"));
  }
  // Files in row order: day folders, then file names, both sorted.
  std::vector<std::string> files;
  std::vector<int64_t> file_days;  // parallel to files
  ASSIGN_OR_RETURN(std::vector<std::string> folders, ListDir(options.root));
  for (const std::string& folder : folders) {
    if (!IsDayFolder(folder)) continue;  // README and the like
    const std::string dir = absl::StrCat(options.root, "/", folder);
    struct stat folder_stat;
    if (stat(dir.c_str(), &folder_stat) != 0) {
      return PosixError(absl::StrCat("stat ", dir), errno);
    }
    if (!S_ISDIR(folder_stat.st_mode)) continue;  // a file named like a day
    absl::StatusOr<int64_t> day = ParseDay(folder);
    if (!day.ok()) {
      // Eight digits but no date (20201340): its files cannot be placed in
      // row order, so they are left out, loudly.
      LOG(WARNING) << dir << " skipped: " << day.status().message();
      continue;
    }
    if (options.first_day && *day < *options.first_day) continue;
    if (options.last_day && *day > *options.last_day) continue;
    if (!options.days.empty() &&
        std::find(options.days.begin(), options.days.end(), *day) ==
            options.days.end()) {
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    for (const std::string& name : names) {
      if (!EndsWithCsv(name)) continue;
      files.push_back(absl::StrCat(dir, "/", name));
      file_days.push_back(*day);
    }
  }

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(files.size())));
  const size_t files_per_unit =
      std::max<size_t>(1, (files.size() + threads * kUnitsPerThread - 1) /
                              (threads * kUnitsPerThread));
  const size_t units = (files.size() + files_per_unit - 1) / files_per_unit;
  std::vector<TableBuilder> builders(units);
  std::vector<LoadStats> unit_stats(units);
  std::vector<FileStamp> stamps(files.size());
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  std::atomic<int> warnings{0};
  auto work = [&] {
    std::string buffer;
    for (;;) {
      const size_t unit = next.fetch_add(1, std::memory_order_relaxed);
      if (unit >= units) return;
      LoadStats& stats = unit_stats[unit];
      FileParser parser(builders[unit], stats, options.max_reported_errors,
                        &warnings);
      const size_t first = unit * files_per_unit;
      const size_t end = std::min(files.size(), first + files_per_unit);
      for (size_t i = first; i < end; ++i) {
        absl::Status read = ReadFile(files[i], &buffer, &stamps[i]);
        if (!read.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = read;
          return;
        }
        if (i == first) {
          builders[unit].Reserve(buffer.size() / 150 * (end - i) + 64);
        }
        stats.files += 1;
        stats.bytes += static_cast<int64_t>(buffer.size());
        // Error messages name the file relative to the root.
        parser.Parse(
            buffer, std::string_view(files[i]).substr(options.root.size() + 1),
            file_days[i]);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  RETURN_IF_ERROR(first_error);

  LoadedTable loaded;
  // The generation: every file's name below the root, size and mtime, in
  // row order.
  uint64_t generation = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string_view name =
        std::string_view(files[i]).substr(options.root.size() + 1);
    Fnv1a(&generation, name.data(), name.size());
    Fnv1a(&generation, "", 1);  // the name's end
    Fnv1a(&generation, &stamps[i], sizeof(FileStamp));
  }
  loaded.stats.generation = generation == 0 ? 1 : generation;
  TableBuilder merged;
  size_t total_rows = 0;
  for (const TableBuilder& b : builders) total_rows += b.num_rows();
  merged.Reserve(total_rows);
  for (size_t u = 0; u < units; ++u) {
    merged.Append(std::move(builders[u]));
    const LoadStats& s = unit_stats[u];
    loaded.stats.files += s.files;
    loaded.stats.bytes += s.bytes;
    loaded.stats.rows += s.rows;
    loaded.stats.malformed_rows += s.malformed_rows;
    loaded.stats.missing_concentrations += s.missing_concentrations;
    for (const std::string& e : s.errors) {
      if (static_cast<int>(loaded.stats.errors.size()) <
          options.max_reported_errors) {
        loaded.stats.errors.push_back(e);
      }
    }
  }
  builders.clear();
  builders.shrink_to_fit();
  loaded.table = merged.Build();
  // The per-unit columns were freed; give their pages back so the resident
  // size reflects the table alone.
  malloc_trim(0);
  if (loaded.stats.malformed_rows > 0) {
    LOG(WARNING) << options.root << ": " << loaded.stats.malformed_rows
                 << " malformed rows skipped";
  }
  return loaded;
}

}  // namespace overlay
