// Copyright 2026 The overlay Authors.

#include "core/config/overlay_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"

namespace overlay {
namespace {

constexpr absl::string_view kNoSource = "overlay config";

// Strategy knob ranges (inclusive); documented in configs/README.md.
struct KnobRange {
  absl::string_view name;
  int StrategyOptions::*field;
  int min;
  int max;
};
constexpr KnobRange kKnobs[] = {
    {"chunk_size", &StrategyOptions::chunk_size, 1, 20000},
    {"result_ttl_seconds", &StrategyOptions::result_ttl_seconds, 1, 86400},
    {"prefetch_chunks", &StrategyOptions::prefetch_chunks, 0, 64},
    {"scan_threads", &StrategyOptions::scan_threads, 1, 64},
    {"reactor_threads", &StrategyOptions::reactor_threads, 1, 64},
    {"neighbor_timeout_ms", &StrategyOptions::neighbor_timeout_ms, 1, 600000},
    {"max_hops", &StrategyOptions::max_hops, 1, 64},
    {"max_results_held", &StrategyOptions::max_results_held, 1, 1000000},
    {"max_result_mb", &StrategyOptions::max_result_mb, 1, 1000000},
    {"default_query_deadline_ms", &StrategyOptions::default_query_deadline_ms,
     1, 3600000},
    {"max_results_per_client", &StrategyOptions::max_results_per_client, 1,
     1000000},
    {"result_claim_grace_ms", &StrategyOptions::result_claim_grace_ms, 1,
     3600000},
    {"shared_cache_mb", &StrategyOptions::shared_cache_mb, 0, 1048576},
    {"shared_cache_ttl_seconds", &StrategyOptions::shared_cache_ttl_seconds,
     1, 86400},
};

// Admission knob ranges (inclusive); documented in configs/README.md.
struct AdmissionKnob {
  absl::string_view name;
  int AdmissionOptions::*field;
  int min;
  int max;
};
constexpr AdmissionKnob kAdmissionKnobs[] = {
    {"max_concurrency", &AdmissionOptions::max_concurrency, 1, 100000},
    {"max_concurrent_scans", &AdmissionOptions::max_concurrent_scans, 1,
     100000},
    {"max_queue_total", &AdmissionOptions::max_queue_total, 1, 1000000},
    {"max_queue_per_client", &AdmissionOptions::max_queue_per_client, 1,
     1000000},
    {"codel_target_ms", &AdmissionOptions::codel_target_ms, 1, 10000},
    {"codel_interval_ms", &AdmissionOptions::codel_interval_ms, 1, 600000},
};
constexpr int kMaxShareWeight = 1000;  // team and client weights: 1..1000

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool ParseDigits(absl::string_view text, int64_t* out) {
  if (text.empty()) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

// Ids and host groups end up in file and segment names.
bool IsSafeName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string Source(const OverlayConfig& config) {
  return config.path.empty() ? std::string(kNoSource) : config.path;
}

std::string ProcessContext(const ProcessConfig& p, size_t index) {
  return p.id.empty() ? absl::StrCat("processes[", index, "]")
                      : absl::StrCat("process '", p.id, "'");
}

std::string DayList(const std::vector<int64_t>& days) {
  std::vector<std::string> parts;
  parts.reserve(days.size());
  for (int64_t day : days) parts.push_back(FormatConfigDate(day));
  return absl::StrJoin(parts, ",");
}

// The first day both shares hold, if any. Shares are valid (checked first).
std::optional<int64_t> FirstCommonDay(const DataShare& a, const DataShare& b) {
  const bool a_list = !a.days.empty();
  const bool b_list = !b.days.empty();
  if (!a_list && !b_list) {
    const int64_t lo = std::max(*a.first_day, *b.first_day);
    const int64_t hi = std::min(*a.last_day, *b.last_day);
    if (lo <= hi) return lo;
    return std::nullopt;
  }
  if (a_list && b_list) {
    size_t i = 0;
    size_t j = 0;
    while (i < a.days.size() && j < b.days.size()) {
      if (a.days[i] == b.days[j]) return a.days[i];
      if (a.days[i] < b.days[j]) {
        ++i;
      } else {
        ++j;
      }
    }
    return std::nullopt;
  }
  const DataShare& list = a_list ? a : b;
  const DataShare& range = a_list ? b : a;
  for (int64_t day : list.days) {
    if (range.Contains(day)) return day;
  }
  return std::nullopt;
}

absl::Status ValidateShare(const DataShare& share) {
  const bool has_range =
      share.first_day.has_value() || share.last_day.has_value();
  if (has_range && !share.days.empty()) {
    return absl::InvalidArgumentError("has both a range and a day list");
  }
  if (has_range) {
    if (!share.first_day.has_value() || !share.last_day.has_value()) {
      return absl::InvalidArgumentError("range needs both 'from' and 'to'");
    }
    if (*share.first_day > *share.last_day) {
      return absl::InvalidArgumentError(
          absl::StrCat("'from' ", FormatConfigDate(*share.first_day),
                       " is after 'to' ", FormatConfigDate(*share.last_day)));
    }
    return absl::OkStatus();
  }
  if (share.days.empty()) {
    return absl::InvalidArgumentError("holds no days");
  }
  for (size_t i = 1; i < share.days.size(); ++i) {
    if (share.days[i] == share.days[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "day ", FormatConfigDate(share.days[i]), " listed twice"));
    }
    if (share.days[i] < share.days[i - 1]) {
      return absl::InvalidArgumentError("days are not sorted");
    }
  }
  return absl::OkStatus();
}

// The admission section and the client table; messages without the source.
absl::Status ValidateAdmission(const AdmissionOptions& admission,
                               const std::vector<ClientConfig>& clients) {
  auto error = [](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat("admission: ", message));
  };
  for (const AdmissionKnob& knob : kAdmissionKnobs) {
    const int value = admission.*knob.field;
    if (value < knob.min || value > knob.max) {
      return error(absl::StrCat(knob.name, " ", value, " out of range ",
                                knob.min, "..", knob.max));
    }
  }
  if (admission.max_queue_per_client > admission.max_queue_total) {
    return error(absl::StrCat(
        "max_queue_per_client ", admission.max_queue_per_client,
        " is more than max_queue_total ", admission.max_queue_total));
  }
  if (admission.codel_target_ms > admission.codel_interval_ms) {
    return error(absl::StrCat("codel_target_ms ", admission.codel_target_ms,
                              " is more than codel_interval_ms ",
                              admission.codel_interval_ms));
  }
  if (!IsSafeName(admission.default_team)) {
    return error(absl::StrCat("default_team '", admission.default_team,
                              "' must be non-empty letters, digits, '_', "
                              "'-' or '.'"));
  }
  const absl::string_view strategy_name(
      AdmissionStrategyName(admission.strategy).data(),
      AdmissionStrategyName(admission.strategy).size());
  std::set<std::string> names;
  int floors = 0;
  for (size_t i = 0; i < admission.teams.size(); ++i) {
    const TeamConfig& team = admission.teams[i];
    if (!IsSafeName(team.name)) {
      return error(absl::StrCat(
          team.name.empty() ? absl::StrCat("teams[", i, "]")
                            : absl::StrCat("team '", team.name, "'"),
          ": name must be non-empty letters, digits, '_', '-' or '.'"));
    }
    const std::string context = absl::StrCat("team '", team.name, "': ");
    if (!names.insert(team.name).second) {
      return error(absl::StrCat("team '", team.name, "' listed twice"));
    }
    if (team.weight < 1 || team.weight > kMaxShareWeight) {
      return error(absl::StrCat(context, "weight ", team.weight,
                                " out of range 1..", kMaxShareWeight));
    }
    for (const auto& [key, value, wanted] :
         {std::make_tuple("max_slots", team.max_slots,
                          AdmissionStrategy::kStrict),
          std::make_tuple("min_slots", team.min_slots,
                          AdmissionStrategy::kHybrid)}) {
      if (value < 0 || value > admission.max_concurrency) {
        return error(absl::StrCat(context, key, " ", value, " out of range 0..",
                                  admission.max_concurrency,
                                  " (max_concurrency)"));
      }
      if (value > 0 && admission.strategy != wanted) {
        const std::string_view wanted_name = AdmissionStrategyName(wanted);
        return error(absl::StrCat(
            context, key, " needs strategy '",
            absl::string_view(wanted_name.data(), wanted_name.size()),
            "' (strategy is '", strategy_name, "')"));
      }
    }
    floors += team.min_slots;
  }
  if (floors > admission.max_concurrency) {
    return error(absl::StrCat("min_slots of all teams add up to ", floors,
                              ", more than max_concurrency ",
                              admission.max_concurrency));
  }

  std::set<std::string> ids;
  for (size_t i = 0; i < clients.size(); ++i) {
    const ClientConfig& client = clients[i];
    if (client.id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("clients[", i, "]: id must not be empty"));
    }
    const std::string context = absl::StrCat("client '", client.id, "'");
    if (!ids.insert(client.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(context, " listed twice"));
    }
    if (client.weight < 1 || client.weight > kMaxShareWeight) {
      return absl::InvalidArgumentError(
          absl::StrCat(context, ": weight ", client.weight, " out of range 1..",
                       kMaxShareWeight));
    }
    if (!client.team.empty() && client.team != admission.default_team &&
        names.count(client.team) == 0) {
      std::vector<std::string> declared(names.begin(), names.end());
      return absl::InvalidArgumentError(absl::StrCat(
          context, ": unknown team '", client.team, "' (declared: ",
          declared.empty() ? "none" : absl::StrJoin(declared, ", "),
          "; default team: ", admission.default_team, ")"));
    }
  }
  return absl::OkStatus();
}

std::string ResolveDataRoot(const std::string& data_root,
                            const std::string& base_dir) {
  if (data_root.empty()) return data_root;
  namespace fs = std::filesystem;
  fs::path path(data_root);
  if (path.is_relative()) {
    path = fs::path(base_dir.empty() ? "." : base_dir) / path;
  }
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (!error) path = absolute;
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// ---------------------------------------------------------------------------
// JSON reading. Every error names the source file and the context (a
// process, "strategy", ...), then the problem.

using rapidjson::Value;

class JsonReader {
 public:
  explicit JsonReader(std::string source) : source_(std::move(source)) {}

  absl::Status Error(absl::string_view context,
                     absl::string_view message) const {
    if (context.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", message));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": ", context, ": ", message));
  }

  // Rejects keys not in `allowed` and keys given twice.
  absl::Status CheckKeys(
      const Value& object, absl::string_view context,
      std::initializer_list<absl::string_view> allowed) const {
    std::set<absl::string_view> seen;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
      absl::string_view key(it->name.GetString(), it->name.GetStringLength());
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return Error(context, absl::StrCat("unknown key '", key, "' (allowed: ",
                                           absl::StrJoin(allowed, ", "), ")"));
      }
      if (!seen.insert(key).second) {
        return Error(context, absl::StrCat("key '", key, "' given twice"));
      }
    }
    return absl::OkStatus();
  }

  // nullptr if absent.
  static const Value* Member(const Value& object, const char* key) {
    auto it = object.FindMember(key);
    return it == object.MemberEnd() ? nullptr : &it->value;
  }

  absl::Status GetString(const Value& object, const char* key,
                         absl::string_view context, bool required,
                         std::string* out) const {
    const Value* value = Member(object, key);
    if (value == nullptr) {
      return required ? Error(context, absl::StrCat("missing key '", key, "'"))
                      : absl::OkStatus();
    }
    if (!value->IsString()) {
      return Error(context, absl::StrCat("key '", key, "' must be a string"));
    }
    out->assign(value->GetString(), value->GetStringLength());
    return absl::OkStatus();
  }

  absl::Status GetInt(const Value& object, const char* key,
                      absl::string_view context, bool required,
                      int* out) const {
    const Value* value = Member(object, key);
    if (value == nullptr) {
      return required ? Error(context, absl::StrCat("missing key '", key, "'"))
                      : absl::OkStatus();
    }
    if (!value->IsInt64()) {
      return Error(context, absl::StrCat("key '", key, "' must be an integer"));
    }
    const int64_t v = value->GetInt64();
    if (v < std::numeric_limits<int>::min() ||
        v > std::numeric_limits<int>::max()) {
      return Error(context,
                   absl::StrCat("key '", key, "' value ", v, " out of range"));
    }
    *out = static_cast<int>(v);
    return absl::OkStatus();
  }

  absl::Status GetStringArray(const Value& object, const char* key,
                              absl::string_view context,
                              std::vector<std::string>* out) const {
    const Value* value = Member(object, key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->IsArray()) {
      return Error(context,
                   absl::StrCat("key '", key, "' must be an array of strings"));
    }
    out->clear();
    for (const Value& item : value->GetArray()) {
      if (!item.IsString()) {
        return Error(context, absl::StrCat("key '", key,
                                           "' must be an array of strings"));
      }
      out->emplace_back(item.GetString(), item.GetStringLength());
    }
    return absl::OkStatus();
  }

  absl::Status GetDate(const Value& object, const char* key,
                       absl::string_view context, int64_t* out) const {
    std::string text;
    RETURN_IF_ERROR(GetString(object, key, context, /*required=*/true, &text));
    absl::StatusOr<int64_t> day = ParseConfigDate(text);
    if (!day.ok()) {
      return Error(context,
                   absl::StrCat("key '", key, "': ", day.status().message()));
    }
    *out = *day;
    return absl::OkStatus();
  }

  absl::Status ReadStrategy(const Value& value, StrategyOptions* out) const {
    constexpr absl::string_view kContext = "strategy";
    if (!value.IsObject()) return Error(kContext, "must be an object");
    RETURN_IF_ERROR(
        CheckKeys(value, kContext,
                  {"chunk_size", "result_ttl_seconds", "prefetch_chunks",
                   "scan_threads", "reactor_threads", "neighbor_timeout_ms",
                   "max_hops", "max_results_held", "max_result_mb",
                   "default_query_deadline_ms", "max_results_per_client",
                   "result_claim_grace_ms", "shared_cache_mb", "shared_cache_ttl_seconds"}));
    for (const KnobRange& knob : kKnobs) {
      const std::string key(knob.name);
      RETURN_IF_ERROR(GetInt(value, key.c_str(), kContext, /*required=*/false,
                             &(out->*knob.field)));
    }
    return absl::OkStatus();
  }

  absl::Status ReadTeam(const Value& value, size_t index,
                        TeamConfig* out) const {
    std::string context = absl::StrCat("admission: teams[", index, "]");
    if (!value.IsObject()) return Error(context, "must be an object");
    RETURN_IF_ERROR(
        GetString(value, "name", context, /*required=*/true, &out->name));
    if (!out->name.empty()) {
      context = absl::StrCat("admission: team '", out->name, "'");
    }
    RETURN_IF_ERROR(CheckKeys(value, context,
                              {"name", "weight", "max_slots", "min_slots"}));
    RETURN_IF_ERROR(
        GetInt(value, "weight", context, /*required=*/false, &out->weight));
    RETURN_IF_ERROR(GetInt(value, "max_slots", context, /*required=*/false,
                           &out->max_slots));
    return GetInt(value, "min_slots", context, /*required=*/false,
                  &out->min_slots);
  }

  absl::Status ReadAdmission(const Value& value, AdmissionOptions* out) const {
    constexpr absl::string_view kContext = "admission";
    if (!value.IsObject()) return Error(kContext, "must be an object");
    RETURN_IF_ERROR(
        CheckKeys(value, kContext,
                  {"max_concurrency", "max_concurrent_scans", "max_queue_total",
                   "max_queue_per_client", "strategy", "default_team",
                   "codel_target_ms", "codel_interval_ms", "teams"}));
    for (const AdmissionKnob& knob : kAdmissionKnobs) {
      const std::string key(knob.name);
      RETURN_IF_ERROR(GetInt(value, key.c_str(), kContext, /*required=*/false,
                             &(out->*knob.field)));
    }
    if (Member(value, "strategy") != nullptr) {
      std::string strategy;
      RETURN_IF_ERROR(GetString(value, "strategy", kContext,
                                /*required=*/true, &strategy));
      absl::StatusOr<AdmissionStrategy> parsed =
          ParseAdmissionStrategy(strategy);
      if (!parsed.ok()) return Error(kContext, parsed.status().message());
      out->strategy = *parsed;
    }
    RETURN_IF_ERROR(GetString(value, "default_team", kContext,
                              /*required=*/false, &out->default_team));
    if (const Value* teams = Member(value, "teams")) {
      if (!teams->IsArray()) {
        return Error(kContext, "key 'teams' must be an array of objects");
      }
      size_t index = 0;
      for (const Value& item : teams->GetArray()) {
        TeamConfig team;
        RETURN_IF_ERROR(ReadTeam(item, index++, &team));
        out->teams.push_back(std::move(team));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadClients(const Value& value,
                           std::vector<ClientConfig>* out) const {
    if (!value.IsArray()) {
      return Error("", "key 'clients' must be an array of objects");
    }
    size_t index = 0;
    for (const Value& item : value.GetArray()) {
      std::string context = absl::StrCat("clients[", index++, "]");
      if (!item.IsObject()) return Error(context, "must be an object");
      ClientConfig client;
      RETURN_IF_ERROR(
          GetString(item, "id", context, /*required=*/true, &client.id));
      if (!client.id.empty()) {
        context = absl::StrCat("client '", client.id, "'");
      }
      RETURN_IF_ERROR(CheckKeys(item, context, {"id", "team", "weight"}));
      RETURN_IF_ERROR(
          GetString(item, "team", context, /*required=*/false, &client.team));
      RETURN_IF_ERROR(
          GetInt(item, "weight", context, /*required=*/false, &client.weight));
      out->push_back(std::move(client));
    }
    return absl::OkStatus();
  }

  absl::Status ReadShare(const Value& value, absl::string_view process_context,
                         DataShare* out) const {
    const std::string context = absl::StrCat(process_context, ": share");
    if (!value.IsObject()) return Error(context, "must be an object");
    RETURN_IF_ERROR(CheckKeys(value, context, {"from", "to", "days"}));
    const bool has_days = Member(value, "days") != nullptr;
    const bool has_from = Member(value, "from") != nullptr;
    const bool has_to = Member(value, "to") != nullptr;
    if (has_days && (has_from || has_to)) {
      return Error(context, "give either 'from'/'to' or 'days', not both");
    }
    if (has_days) {
      const Value& days = *Member(value, "days");
      if (!days.IsArray()) {
        return Error(context, "key 'days' must be an array of dates");
      }
      for (const Value& item : days.GetArray()) {
        if (!item.IsString()) {
          return Error(context, "key 'days' must be an array of dates");
        }
        absl::StatusOr<int64_t> day = ParseConfigDate(
            std::string_view(item.GetString(), item.GetStringLength()));
        if (!day.ok()) {
          return Error(context,
                       absl::StrCat("key 'days': ", day.status().message()));
        }
        out->days.push_back(*day);
      }
      std::sort(out->days.begin(), out->days.end());
      return absl::OkStatus();
    }
    if (!has_from && !has_to) {
      return Error(context, "needs 'from' and 'to', or 'days'");
    }
    int64_t first = 0;
    int64_t last = 0;
    RETURN_IF_ERROR(GetDate(value, "from", context, &first));
    RETURN_IF_ERROR(GetDate(value, "to", context, &last));
    out->first_day = first;
    out->last_day = last;
    return absl::OkStatus();
  }

  absl::Status ReadProcess(const Value& value, size_t index,
                           ProcessConfig* out) const {
    std::string context = absl::StrCat("processes[", index, "]");
    if (!value.IsObject()) return Error(context, "must be an object");
    RETURN_IF_ERROR(
        GetString(value, "id", context, /*required=*/true, &out->id));
    if (!out->id.empty()) context = absl::StrCat("process '", out->id, "'");
    RETURN_IF_ERROR(CheckKeys(value, context,
                              {"id", "role", "team", "host", "port",
                               "host_group", "neighbors", "share"}));
    std::string role;
    RETURN_IF_ERROR(
        GetString(value, "role", context, /*required=*/true, &role));
    absl::StatusOr<Role> parsed_role = ParseRole(role);
    if (!parsed_role.ok()) {
      return Error(context, parsed_role.status().message());
    }
    out->role = *parsed_role;
    RETURN_IF_ERROR(
        GetString(value, "team", context, /*required=*/false, &out->team));
    RETURN_IF_ERROR(
        GetString(value, "host", context, /*required=*/false, &out->host));
    RETURN_IF_ERROR(
        GetInt(value, "port", context, /*required=*/true, &out->port));
    out->host_group = out->host;
    RETURN_IF_ERROR(GetString(value, "host_group", context,
                              /*required=*/false, &out->host_group));
    RETURN_IF_ERROR(
        GetStringArray(value, "neighbors", context, &out->neighbors));
    if (const Value* share = Member(value, "share")) {
      DataShare parsed;
      RETURN_IF_ERROR(ReadShare(*share, context, &parsed));
      out->share = std::move(parsed);
    }
    return absl::OkStatus();
  }

  absl::Status GetBool(const Value& object, const char* key,
                       absl::string_view context, bool* out) const {
    const Value* value = Member(object, key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->IsBool()) {
      return Error(context, absl::StrCat("key '", key, "' must be true or false"));
    }
    *out = value->GetBool();
    return absl::OkStatus();
  }

  absl::Status ReadTls(const Value& value, const std::string& base_dir,
                       TlsOptions* out) const {
    constexpr absl::string_view kContext = "tls";
    if (!value.IsObject()) return Error(kContext, "must be an object");
    RETURN_IF_ERROR(CheckKeys(value, kContext,
                              {"cert_file", "key_file", "ca_file", "mutual"}));
    for (auto [key, field] :
         {std::pair{"cert_file", &TlsOptions::cert_file},
          std::pair{"key_file", &TlsOptions::key_file},
          std::pair{"ca_file", &TlsOptions::ca_file}}) {
      RETURN_IF_ERROR(
          GetString(value, key, kContext, /*required=*/true, &(out->*field)));
      if ((out->*field).empty()) {
        return Error(kContext, absl::StrCat("key '", key, "' is empty"));
      }
      out->*field = ResolveDataRoot(out->*field, base_dir);
    }
    return GetBool(value, "mutual", kContext, &out->mutual);
  }

  absl::Status ReadPeerSecret(const Value& root, const std::string& base_dir,
                              OverlayConfig* out) const {
    RETURN_IF_ERROR(GetString(root, "peer_secret", "", /*required=*/false,
                              &out->peer_secret));
    RETURN_IF_ERROR(GetString(root, "peer_secret_file", "",
                              /*required=*/false, &out->peer_secret_file));
    const bool has_secret = Member(root, "peer_secret") != nullptr;
    const bool has_file = Member(root, "peer_secret_file") != nullptr;
    if (has_secret && has_file) {
      return Error("", "give either 'peer_secret' or 'peer_secret_file', "
                       "not both");
    }
    if (has_secret && out->peer_secret.empty()) {
      return Error("", "key 'peer_secret' is empty");
    }
    if (!has_file) return absl::OkStatus();
    if (out->peer_secret_file.empty()) {
      return Error("", "key 'peer_secret_file' is empty");
    }
    out->peer_secret_file = ResolveDataRoot(out->peer_secret_file, base_dir);
    absl::StatusOr<std::string> secret =
        ReadPeerSecretFile(out->peer_secret_file);
    if (!secret.ok()) {
      return absl::Status(secret.status().code(),
                          absl::StrCat(source_, ": peer_secret_file: ",
                                       secret.status().message()));
    }
    out->peer_secret = *std::move(secret);
    return absl::OkStatus();
  }

  absl::Status ReadConfig(const Value& root, const std::string& base_dir,
                          OverlayConfig* out) const {
    if (!root.IsObject()) return Error("", "the top level must be an object");
    RETURN_IF_ERROR(
        CheckKeys(root, "",
                  {"name", "data_root", "portal", "shutdown_token",
                   "peer_secret", "peer_secret_file", "tls", "strategy",
                   "admission", "clients", "processes"}));
    RETURN_IF_ERROR(
        GetString(root, "name", "", /*required=*/false, &out->name));
    RETURN_IF_ERROR(
        GetString(root, "data_root", "", /*required=*/false, &out->data_root));
    out->data_root = ResolveDataRoot(out->data_root, base_dir);
    RETURN_IF_ERROR(
        GetString(root, "portal", "", /*required=*/true, &out->portal));
    RETURN_IF_ERROR(GetString(root, "shutdown_token", "", /*required=*/false,
                              &out->shutdown_token));
    RETURN_IF_ERROR(ReadPeerSecret(root, base_dir, out));
    if (const Value* tls = Member(root, "tls")) {
      RETURN_IF_ERROR(ReadTls(*tls, base_dir, &out->tls));
    }
    if (const Value* strategy = Member(root, "strategy")) {
      RETURN_IF_ERROR(ReadStrategy(*strategy, &out->strategy));
    }
    if (const Value* admission = Member(root, "admission")) {
      RETURN_IF_ERROR(ReadAdmission(*admission, &out->admission));
    }
    if (const Value* clients = Member(root, "clients")) {
      RETURN_IF_ERROR(ReadClients(*clients, &out->clients));
    }
    const Value* processes = Member(root, "processes");
    if (processes == nullptr) return Error("", "missing key 'processes'");
    if (!processes->IsArray()) {
      return Error("", "key 'processes' must be an array of objects");
    }
    size_t index = 0;
    for (const Value& item : processes->GetArray()) {
      ProcessConfig process;
      RETURN_IF_ERROR(ReadProcess(item, index++, &process));
      out->processes.push_back(std::move(process));
    }
    return absl::OkStatus();
  }

 private:
  std::string source_;
};

absl::StatusOr<OverlayConfig> Parse(absl::string_view json,
                                    const std::string& base_dir,
                                    const std::string& path) {
  const std::string source = path.empty() ? std::string(kNoSource) : path;
  const JsonReader reader(source);
  rapidjson::Document document;
  document.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  if (document.HasParseError()) {
    const size_t offset = document.GetErrorOffset();
    const size_t end = std::min(offset, json.size());
    const size_t line = 1 + static_cast<size_t>(std::count(
                                json.begin(), json.begin() + end, '\n'));
    return reader.Error(
        "", absl::StrCat(
                "not valid JSON at offset ", offset, " (line ", line,
                "): ", rapidjson::GetParseError_En(document.GetParseError())));
  }
  OverlayConfig config;
  config.path = path;
  RETURN_IF_ERROR(reader.ReadConfig(document, base_dir, &config));
  MakeNeighborsSymmetric(config);
  RETURN_IF_ERROR(ValidateOverlayConfig(config));
  return config;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kLeader:
      return "leader";
    case Role::kTeamLeader:
      return "team_leader";
    case Role::kWorker:
      return "worker";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(std::string_view std_name) {
  const absl::string_view name(std_name.data(), std_name.size());
  for (Role role : {Role::kLeader, Role::kTeamLeader, Role::kWorker}) {
    if (RoleName(role) == std_name) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role '", name, "' (expected leader, team_leader or worker)"));
}

absl::StatusOr<int64_t> ParseConfigDate(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  bool ok = false;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    ok = ParseDigits(text.substr(0, 4), &year) &&
         ParseDigits(text.substr(5, 2), &month) &&
         ParseDigits(text.substr(8, 2), &day);
  } else if (text.size() == 8) {
    ok = ParseDigits(text.substr(0, 4), &year) &&
         ParseDigits(text.substr(4, 2), &month) &&
         ParseDigits(text.substr(6, 2), &day);
  }
  if (ok) {
    ok = month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, static_cast<unsigned>(month));
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad date '", text, "' (expected YYYY-MM-DD or YYYYMMDD)"));
  }
  return DaysFromCivil(year, static_cast<unsigned>(month),
                       static_cast<unsigned>(day));
}

std::string FormatConfigDate(int64_t day) {
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(day, &y, &m, &d);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02u-%02u",
                static_cast<long long>(y), m, d);
  return buffer;
}

std::string_view AdmissionStrategyName(AdmissionStrategy strategy) {
  switch (strategy) {
    case AdmissionStrategy::kStrict:
      return "strict";
    case AdmissionStrategy::kWeighted:
      return "weighted";
    case AdmissionStrategy::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

absl::StatusOr<AdmissionStrategy> ParseAdmissionStrategy(
    std::string_view std_name) {
  for (AdmissionStrategy strategy :
       {AdmissionStrategy::kStrict, AdmissionStrategy::kWeighted,
        AdmissionStrategy::kHybrid}) {
    if (AdmissionStrategyName(strategy) == std_name) return strategy;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown strategy '", absl::string_view(std_name.data(), std_name.size()),
      "' (expected strict, weighted or hybrid)"));
}

bool operator==(const TeamConfig& a, const TeamConfig& b) {
  return a.name == b.name && a.weight == b.weight &&
         a.max_slots == b.max_slots && a.min_slots == b.min_slots;
}

const TeamConfig* AdmissionOptions::FindTeam(std::string_view name) const {
  for (const TeamConfig& team : teams) {
    if (team.name == name) return &team;
  }
  return nullptr;
}

AdmissionOptions AdmissionOptions::ScanPool() const {
  AdmissionOptions pool = *this;
  pool.max_concurrency = max_concurrent_scans;
  const int64_t from = max_concurrency;
  const int64_t to = max_concurrent_scans;
  for (TeamConfig& team : pool.teams) {
    if (team.max_slots > 0) {
      team.max_slots = static_cast<int>(std::clamp<int64_t>(
          (int64_t{team.max_slots} * to + from - 1) / from, 1, to));
    }
    team.min_slots = static_cast<int>(int64_t{team.min_slots} * to / from);
  }
  return pool;
}

bool operator==(const AdmissionOptions& a, const AdmissionOptions& b) {
  for (const AdmissionKnob& knob : kAdmissionKnobs) {
    if (a.*knob.field != b.*knob.field) return false;
  }
  return a.strategy == b.strategy && a.default_team == b.default_team &&
         a.teams == b.teams;
}

bool operator==(const ClientConfig& a, const ClientConfig& b) {
  return a.id == b.id && a.team == b.team && a.weight == b.weight;
}

bool DataShare::Contains(int64_t day) const {
  if (!days.empty()) return std::binary_search(days.begin(), days.end(), day);
  return first_day.has_value() && last_day.has_value() && *first_day <= day &&
         day <= *last_day;
}

int64_t DataShare::FirstDay() const {
  return days.empty() ? first_day.value_or(0) : days.front();
}

std::string DataShare::DebugString() const {
  if (!days.empty()) return DayList(days);
  if (first_day.has_value() && last_day.has_value()) {
    return absl::StrCat(FormatConfigDate(*first_day), "..",
                        FormatConfigDate(*last_day));
  }
  return "(empty)";
}

bool operator==(const DataShare& a, const DataShare& b) {
  return a.first_day == b.first_day && a.last_day == b.last_day &&
         a.days == b.days;
}

std::string ProcessConfig::Address() const {
  return absl::StrCat(host, ":", port);
}

bool operator==(const ProcessConfig& a, const ProcessConfig& b) {
  return a.id == b.id && a.role == b.role && a.team == b.team &&
         a.host == b.host && a.port == b.port && a.host_group == b.host_group &&
         a.neighbors == b.neighbors && a.share == b.share;
}

bool operator==(const StrategyOptions& a, const StrategyOptions& b) {
  for (const KnobRange& knob : kKnobs) {
    if (a.*knob.field != b.*knob.field) return false;
  }
  return true;
}

const ProcessConfig* OverlayConfig::Find(std::string_view id) const {
  for (const ProcessConfig& p : processes) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::vector<std::string> OverlayConfig::ProcessesInGroup(
    std::string_view group) const {
  std::vector<std::string> ids;
  for (const ProcessConfig& p : processes) {
    if (p.host_group == group) ids.push_back(p.id);
  }
  return ids;
}

bool operator==(const TlsOptions& a, const TlsOptions& b) {
  return a.cert_file == b.cert_file && a.key_file == b.key_file &&
         a.ca_file == b.ca_file && a.mutual == b.mutual;
}

absl::Status ValidatePeerSecret(std::string_view secret) {
  if (secret.size() < kMinPeerSecretBytes ||
      secret.size() > kMaxPeerSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer secret is ", secret.size(), " characters; it must "
                     "have ", kMinPeerSecretBytes, "..", kMaxPeerSecretBytes));
  }
  for (size_t i = 0; i < secret.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(secret[i]);
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "peer secret: character ", i, " (byte ", static_cast<int>(c),
          ") is not printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPeerSecretFile(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return PosixError(absl::StrCat("peer secret file ", path), errno);
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer secret file ", path, " is not a regular file"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "peer secret file %s is accessible by group or others (mode %04o); "
        "chmod 600 it",
        path, info.st_mode & 07777));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return PosixError(absl::StrCat("cannot open ", path), errno);
  std::string text(kMaxPeerSecretBytes + 64, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(
                              text.back()))) {
    text.pop_back();
  }
  if (absl::Status valid = ValidatePeerSecret(text); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer secret file ", path, ": ", valid.message()));
  }
  return text;
}

bool operator==(const OverlayConfig& a, const OverlayConfig& b) {
  return a.name == b.name && a.path == b.path && a.data_root == b.data_root &&
         a.portal == b.portal && a.shutdown_token == b.shutdown_token &&
         a.peer_secret == b.peer_secret &&
         a.peer_secret_file == b.peer_secret_file && a.tls == b.tls &&
         a.strategy == b.strategy && a.admission == b.admission &&
         a.clients == b.clients && a.processes == b.processes;
}

absl::StatusOr<OverlayConfig> LoadOverlayConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return PosixError(absl::StrCat("cannot open config ", path), errno);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return PosixError(absl::StrCat("cannot read config ", path), errno);
  }
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return Parse(text.str(), base_dir, path);
}

absl::StatusOr<OverlayConfig> ParseOverlayConfig(std::string_view json,
                                                 const std::string& base_dir) {
  return Parse(absl::string_view(json.data(), json.size()), base_dir,
               /*path=*/"");
}

void MakeNeighborsSymmetric(OverlayConfig& config) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < config.processes.size(); ++i) {
    index.emplace(config.processes[i].id, i);
  }
  // Collect first so appends do not disturb the iteration.
  std::vector<std::pair<size_t, std::string>> missing;
  for (const ProcessConfig& p : config.processes) {
    for (const std::string& n : p.neighbors) {
      auto it = index.find(n);
      if (it == index.end() || n == p.id) continue;
      const std::vector<std::string>& back =
          config.processes[it->second].neighbors;
      if (std::find(back.begin(), back.end(), p.id) == back.end()) {
        missing.emplace_back(it->second, p.id);
      }
    }
  }
  for (auto& [target, id] : missing) {
    std::vector<std::string>& list = config.processes[target].neighbors;
    if (std::find(list.begin(), list.end(), id) == list.end()) {
      list.push_back(std::move(id));
    }
  }
}

absl::Status ValidateOverlayConfig(const OverlayConfig& config) {
  const std::string source = Source(config);
  auto error = [&source](absl::string_view context, absl::string_view message) {
    return absl::InvalidArgumentError(
        context.empty() ? absl::StrCat(source, ": ", message)
                        : absl::StrCat(source, ": ", context, ": ", message));
  };

  for (const KnobRange& knob : kKnobs) {
    const int value = config.strategy.*knob.field;
    if (value < knob.min || value > knob.max) {
      return error("strategy",
                   absl::StrCat(knob.name, " ", value, " out of range ",
                                knob.min, "..", knob.max));
    }
  }
  if (absl::Status status = ValidateAdmission(config.admission, config.clients);
      !status.ok()) {
    return error("", status.message());
  }
  if (config.processes.empty()) return error("", "no processes");
  if (!config.peer_secret.empty()) {
    if (absl::Status valid = ValidatePeerSecret(config.peer_secret);
        !valid.ok()) {
      return error("", valid.message());
    }
  }
  if (config.tls.enabled() || !config.tls.key_file.empty() ||
      !config.tls.ca_file.empty()) {
    for (auto [key, file] : {std::pair{"cert_file", &config.tls.cert_file},
                             std::pair{"key_file", &config.tls.key_file},
                             std::pair{"ca_file", &config.tls.ca_file}}) {
      if (file->empty()) {
        return error("tls", absl::StrCat("key '", key, "' is missing"));
      }
      std::ifstream in(*file, std::ios::binary);
      if (!in) {
        return error("tls", absl::StrCat(key, " ", *file,
                                         " cannot be read: ",
                                         std::strerror(errno)));
      }
    }
  }

  // Per process: id, host, port, group, share; then unique ids/addresses.
  std::map<std::string, size_t> ids;
  std::map<std::string, std::string> addresses;
  for (size_t i = 0; i < config.processes.size(); ++i) {
    const ProcessConfig& p = config.processes[i];
    const std::string context = ProcessContext(p, i);
    if (!IsSafeName(p.id)) {
      return error(context,
                   "id must be non-empty letters, digits, '_', '-' or '.'");
    }
    if (!ids.emplace(p.id, i).second) {
      return error("", absl::StrCat("duplicate process id '", p.id, "'"));
    }
    if (p.host.empty()) return error(context, "empty host");
    if (p.port < 1 || p.port > 65535) {
      return error(context,
                   absl::StrCat("port ", p.port, " out of range 1..65535"));
    }
    if (!p.host_group.empty() && !IsSafeName(p.host_group)) {
      return error(context,
                   absl::StrCat("host_group '", p.host_group,
                                "' must be letters, digits, '_', '-' or '.'"));
    }
    auto [it, inserted] = addresses.emplace(p.Address(), p.id);
    if (!inserted) {
      return error(context,
                   absl::StrCat("address ", p.Address(),
                                " already used by process '", it->second, "'"));
    }
    if (p.share.has_value()) {
      absl::Status status = ValidateShare(*p.share);
      if (!status.ok()) {
        return error(absl::StrCat(context, ": share"), status.message());
      }
    }
  }

  // Neighbours: known, not self, not repeated.
  std::vector<std::vector<size_t>> adjacency(config.processes.size());
  for (size_t i = 0; i < config.processes.size(); ++i) {
    const ProcessConfig& p = config.processes[i];
    const std::string context = ProcessContext(p, i);
    std::set<std::string> seen;
    for (const std::string& n : p.neighbors) {
      if (n == p.id) return error(context, "lists itself as a neighbour");
      auto it = ids.find(n);
      if (it == ids.end()) {
        return error(context, absl::StrCat("unknown neighbour '", n, "'"));
      }
      if (!seen.insert(n).second) {
        return error(context, absl::StrCat("neighbour '", n, "' listed twice"));
      }
      adjacency[i].push_back(it->second);
      adjacency[it->second].push_back(i);  // edges are undirected
    }
  }

  // The portal, and every share reachable from it.
  if (config.portal.empty()) return error("", "no portal");
  auto portal = ids.find(config.portal);
  if (portal == ids.end()) {
    return error("",
                 absl::StrCat("portal '", config.portal, "' is not a process"));
  }
  std::vector<bool> reached(config.processes.size(), false);
  std::vector<size_t> frontier = {portal->second};
  reached[portal->second] = true;
  while (!frontier.empty()) {
    const size_t at = frontier.back();
    frontier.pop_back();
    for (size_t next : adjacency[at]) {
      if (!reached[next]) {
        reached[next] = true;
        frontier.push_back(next);
      }
    }
  }
  for (size_t i = 0; i < config.processes.size(); ++i) {
    const ProcessConfig& p = config.processes[i];
    if (p.share.has_value() && !reached[i]) {
      return error(ProcessContext(p, i),
                   absl::StrCat("holds data but is unreachable from portal '",
                                config.portal, "'"));
    }
  }

  // Shares do not overlap.
  for (size_t i = 0; i < config.processes.size(); ++i) {
    const ProcessConfig& a = config.processes[i];
    if (!a.share.has_value()) continue;
    for (size_t j = i + 1; j < config.processes.size(); ++j) {
      const ProcessConfig& b = config.processes[j];
      if (!b.share.has_value()) continue;
      if (std::optional<int64_t> day = FirstCommonDay(*a.share, *b.share)) {
        return error(
            "",
            absl::StrCat("shares of process '", a.id, "' and process '", b.id,
                         "' overlap (both hold ", FormatConfigDate(*day), ")"));
      }
    }
  }
  return absl::OkStatus();
}

std::string ConfigToJson(const OverlayConfig& config) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  writer.SetFormatOptions(rapidjson::kFormatSingleLineArray);
  // Takes std::string_view, absl::string_view or std::string.
  auto string = [&writer](const auto& s) {
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  writer.StartObject();
  writer.Key("name");
  string(config.name);
  writer.Key("data_root");
  string(config.data_root);
  writer.Key("portal");
  string(config.portal);
  writer.Key("shutdown_token");
  string(config.shutdown_token);
  if (!config.peer_secret_file.empty()) {
    writer.Key("peer_secret_file");
    string(config.peer_secret_file);
  } else if (!config.peer_secret.empty()) {
    writer.Key("peer_secret");
    string(config.peer_secret);
  }
  if (config.tls.enabled()) {
    writer.Key("tls");
    writer.StartObject();
    writer.Key("cert_file");
    string(config.tls.cert_file);
    writer.Key("key_file");
    string(config.tls.key_file);
    writer.Key("ca_file");
    string(config.tls.ca_file);
    writer.Key("mutual");
    writer.Bool(config.tls.mutual);
    writer.EndObject();
  }
  writer.Key("strategy");
  writer.StartObject();
  for (const KnobRange& knob : kKnobs) {
    string(knob.name);
    writer.Int(config.strategy.*knob.field);
  }
  writer.EndObject();
  writer.Key("admission");
  writer.StartObject();
  for (const AdmissionKnob& knob : kAdmissionKnobs) {
    string(knob.name);
    writer.Int(config.admission.*knob.field);
  }
  writer.Key("strategy");
  string(AdmissionStrategyName(config.admission.strategy));
  writer.Key("default_team");
  string(config.admission.default_team);
  writer.Key("teams");
  writer.StartArray();
  for (const TeamConfig& team : config.admission.teams) {
    writer.StartObject();
    writer.Key("name");
    string(team.name);
    writer.Key("weight");
    writer.Int(team.weight);
    writer.Key("max_slots");
    writer.Int(team.max_slots);
    writer.Key("min_slots");
    writer.Int(team.min_slots);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  writer.Key("clients");
  writer.StartArray();
  for (const ClientConfig& client : config.clients) {
    writer.StartObject();
    writer.Key("id");
    string(client.id);
    writer.Key("team");
    string(client.team);
    writer.Key("weight");
    writer.Int(client.weight);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("processes");
  writer.StartArray();
  for (const ProcessConfig& p : config.processes) {
    writer.StartObject();
    writer.Key("id");
    string(p.id);
    writer.Key("role");
    string(RoleName(p.role));
    writer.Key("team");
    string(p.team);
    writer.Key("host");
    string(p.host);
    writer.Key("port");
    writer.Int(p.port);
    writer.Key("host_group");
    string(p.host_group);
    writer.Key("neighbors");
    writer.StartArray();
    for (const std::string& n : p.neighbors) string(n);
    writer.EndArray();
    if (p.share.has_value()) {
      writer.Key("share");
      writer.StartObject();
      if (!p.share->days.empty()) {
        writer.Key("days");
        writer.StartArray();
        for (int64_t day : p.share->days) string(FormatConfigDate(day));
        writer.EndArray();
      } else {
        if (p.share->first_day.has_value()) {
          writer.Key("from");
          string(FormatConfigDate(*p.share->first_day));
        }
        if (p.share->last_day.has_value()) {
          writer.Key("to");
          string(FormatConfigDate(*p.share->last_day));
        }
      }
      writer.EndObject();
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

absl::Status WriteOverlayConfig(const OverlayConfig& config,
                                const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return PosixError(absl::StrCat("cannot create ", path), errno);
  out << ConfigToJson(config);
  out.close();
  if (!out) return PosixError(absl::StrCat("cannot write ", path), errno);
  return absl::OkStatus();
}

absl::Status ApplyPortOffset(OverlayConfig& config, int offset) {
  for (const ProcessConfig& p : config.processes) {
    const int64_t port = int64_t{p.port} + offset;
    if (port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          Source(config), ": process '", p.id, "': port ", p.port, " + offset ",
          offset, " = ", port, " out of range 1..65535"));
    }
  }
  for (ProcessConfig& p : config.processes) p.port += offset;
  return absl::OkStatus();
}

}  // namespace overlay
