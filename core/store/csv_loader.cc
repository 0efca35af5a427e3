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
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"
#include "glog/logging.h"

namespace overlay {
namespace {

constexpr int kFields = 13;
constexpr size_t kFilesPerUnit = 8;  // files parsed into one builder

struct Field {
  std::string_view text;  // without the enclosing quotes
  bool escaped = false;   // holds doubled quotes to undo
};

// Splits one line (no line end) into fields. Returns the field count, or -1
// for bad quoting. Stops counting past kFields + 1.
int SplitLine(std::string_view line, Field* fields) {
  const char* p = line.data();
  const char* end = p + line.size();
  int n = 0;
  for (;;) {
    Field field;
    if (p < end && *p == '"') {
      const char* start = ++p;
      for (;;) {
        const char* quote =
            static_cast<const char*>(std::memchr(p, '"', end - p));
        if (quote == nullptr) return -1;  // unterminated
        if (quote + 1 < end && quote[1] == '"') {
          field.escaped = true;
          p = quote + 2;
          continue;
        }
        field.text = std::string_view(start, quote - start);
        p = quote + 1;
        break;
      }
      if (p < end && *p != ',') return -1;  // text after the closing quote
    } else {
      const char* comma =
          static_cast<const char*>(std::memchr(p, ',', end - p));
      const char* stop = comma == nullptr ? end : comma;
      field.text = std::string_view(p, stop - p);
      p = stop;
    }
    if (n <= kFields) fields[n] = field;
    ++n;
    if (p >= end) return n;
    ++p;  // the comma
    if (p == end) {  // a trailing comma: one more, empty field
      if (n <= kFields) fields[n] = Field();
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

// A number, NaN for missing (-999 or empty); false if not a number.
bool ParseMeasure(std::string_view text, double* out) {
  text = Trim(text);
  if (text.empty()) {
    *out = std::nan("");
    return true;
  }
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto r = std::from_chars(begin, text.data() + text.size(), *out);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() ||
      !std::isfinite(*out)) {
    return false;
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

// Per-builder parse state: dictionary caches keyed by raw text.
class FileParser {
 public:
  FileParser(TableBuilder& builder, LoadStats& stats, int max_errors)
      : builder_(builder), stats_(stats), max_errors_(max_errors) {}

  void Parse(std::string_view buffer, std::string_view file_name) {
    size_t line_number = 0;
    size_t pos = 0;
    // A UTF-8 byte-order mark is not data.
    if (buffer.size() >= 3 && buffer.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
    while (pos < buffer.size()) {
      size_t eol = buffer.find('\n', pos);
      if (eol == std::string_view::npos) eol = buffer.size();
      std::string_view line = buffer.substr(pos, eol - pos);
      pos = eol + 1;
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
    if (static_cast<int>(stats_.errors.size()) < max_errors_) {
      std::string message = absl::StrCat(
          absl::string_view(file_name.data(), file_name.size()), ":",
          line_number, ": ", absl::string_view(why.data(), why.size()));
      LOG(WARNING) << "malformed row: " << message;
      stats_.errors.push_back(std::move(message));
    }
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
      last_utc_text_.assign(f[2].text);
      last_utc_ = utc;
    }
    double concentration, raw;
    if (!ParseMeasure(f[4].text, &concentration)) {
      Malformed(file_name, line_number, "column 5 (concentration): not a number");
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
    // Site: keyed by the raw text of its six fields.
    site_key_.assign(f[0].text);
    site_key_ += '\x1f';
    site_key_.append(f[1].text);
    for (int i = 9; i < kFields; ++i) {
      site_key_ += '\x1f';
      site_key_.append(f[i].text);
    }
    uint32_t site;
    auto it = site_cache_.find(site_key_);
    if (it != site_cache_.end()) {
      site = it->second;
    } else {
      double latitude, longitude;
      if (!ParseMeasure(f[0].text, &latitude) ||
          !ParseMeasure(f[1].text, &longitude)) {
        Malformed(file_name, line_number,
                  "columns 1-2 (latitude, longitude): not a number");
        return;
      }
      Site s{latitude,        longitude,        Unescape(f[9]),
             Unescape(f[10]), Unescape(f[11]), Unescape(f[12])};
      site = builder_.InternSite(s);
      site_cache_.emplace(site_key_, site);
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
    const uint8_t code = parameter ? builder_.InternParameter(text)
                                   : builder_.InternUnit(text);
    cache.emplace_back(std::string(text), code);
    return code;
  }

  TableBuilder& builder_;
  LoadStats& stats_;
  const int max_errors_;
  std::string last_utc_text_;
  int64_t last_utc_ = 0;
  std::string site_key_;
  absl::flat_hash_map<std::string, uint32_t> site_cache_;
  std::vector<std::pair<std::string, uint8_t>> parameters_;
  std::vector<std::pair<std::string, uint8_t>> units_;
};

absl::Status ReadFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return PosixError(absl::StrCat("stat ", path), error);
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
  if (dir == nullptr) return PosixError(absl::StrCat("open directory ", path), errno);
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
  return name.size() == 8 &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool EndsWithCsv(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
}

}  // namespace

void ParseCsvBuffer(std::string_view buffer, std::string_view file_name,
                    TableBuilder& builder, LoadStats& stats,
                    int max_reported_errors) {
  FileParser parser(builder, stats, max_reported_errors);
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
  ASSIGN_OR_RETURN(std::vector<std::string> folders, ListDir(options.root));
  for (const std::string& folder : folders) {
    if (!IsDayFolder(folder)) continue;
    absl::StatusOr<int64_t> day = ParseDay(folder);
    if (!day.ok()) continue;
    if (options.first_day && *day < *options.first_day) continue;
    if (options.last_day && *day > *options.last_day) continue;
    if (!options.days.empty() &&
        std::find(options.days.begin(), options.days.end(), *day) ==
            options.days.end()) {
      continue;
    }
    const std::string dir = absl::StrCat(options.root, "/", folder);
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    for (const std::string& name : names) {
      if (EndsWithCsv(name)) files.push_back(absl::StrCat(dir, "/", name));
    }
  }

  const size_t units = (files.size() + kFilesPerUnit - 1) / kFilesPerUnit;
  std::vector<TableBuilder> builders(units);
  std::vector<LoadStats> unit_stats(units);
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(units)));
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  auto work = [&] {
    std::string buffer;
    for (;;) {
      const size_t unit = next.fetch_add(1, std::memory_order_relaxed);
      if (unit >= units) return;
      LoadStats& stats = unit_stats[unit];
      FileParser parser(builders[unit], stats, options.max_reported_errors);
      const size_t end = std::min(files.size(), (unit + 1) * kFilesPerUnit);
      for (size_t i = unit * kFilesPerUnit; i < end; ++i) {
        absl::Status read = ReadFile(files[i], &buffer);
        if (!read.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = read;
          return;
        }
        if (i == unit * kFilesPerUnit) {
          builders[unit].Reserve(buffer.size() / 150 * (end - i) + 64);
        }
        stats.files += 1;
        stats.bytes += static_cast<int64_t>(buffer.size());
        // Error messages name the file relative to the root.
        parser.Parse(buffer, std::string_view(files[i]).substr(
                                 options.root.size() + 1));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  RETURN_IF_ERROR(first_error);

  LoadedTable loaded;
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
