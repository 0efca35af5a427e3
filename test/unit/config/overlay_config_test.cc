// Copyright 2026 The overlay Authors.

#include "core/config/overlay_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "test/test_util/status_matchers.h"

namespace overlay {

// Readable failures for EXPECT_EQ on configs.
void PrintTo(const OverlayConfig& config, std::ostream* os) {
  *os << "path=" << config.path << "\n" << ConfigToJson(config);
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

int64_t Day(std::string_view text) {
  absl::StatusOr<int64_t> day = ParseConfigDate(text);
  EXPECT_TRUE(day.ok()) << day.status();
  return day.value_or(0);
}

// A small valid overlay: A (portal) - B - C, B and C hold data.
constexpr char kValid[] = R"({
  "name": "t",
  "data_root": "/data",
  "portal": "A",
  "processes": [
    {"id": "A", "role": "leader", "port": 1001, "neighbors": ["B"]},
    {"id": "B", "role": "team_leader", "port": 1002, "neighbors": ["C"],
     "share": {"from": "2020-08-10", "to": "2020-08-12"}},
    {"id": "C", "role": "worker", "port": 1003,
     "share": {"days": ["20200813", "2020-08-15"]}}
  ]
})";

// kValid with one substring replaced (which must occur).
std::string Edit(absl::string_view from, absl::string_view to) {
  std::string json = kValid;
  EXPECT_NE(json.find(std::string(from)), std::string::npos) << from;
  return absl::StrReplaceAll(json, {{from, to}});
}

// kValid with top-level `sections` (e.g. R"("clients": [])") added.
std::string With(absl::string_view sections) {
  return Edit(R"("portal": "A",)",
              absl::StrCat(R"("portal": "A", )", sections, ","));
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "overlay_config_test_XXXXXX";
    path_ = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = absl::StrCat(path_, "/", name);
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

// --- dates and shares
// ---------------------------------------------------------

TEST(ConfigDateTest, ParsesBothFormats) {
  EXPECT_EQ(Day("1970-01-01"), 0);
  EXPECT_EQ(Day("2020-08-10"), 18484);
  EXPECT_EQ(Day("20200810"), 18484);
  EXPECT_EQ(Day("2020-02-29"), Day("2020-03-01") - 1);
  EXPECT_EQ(FormatConfigDate(18484), "2020-08-10");
  EXPECT_EQ(FormatConfigDate(Day("2020-09-24")), "2020-09-24");
  for (const char* bad : {"2020-8-10", "2020-13-01", "2019-02-29", "2020-00-10",
                          "2020081", "2020/08/10", "", "2020-08-1x"}) {
    EXPECT_FALSE(ParseConfigDate(bad).ok()) << bad;
  }
}

TEST(DataShareTest, RangeAndList) {
  DataShare range;
  range.first_day = Day("2020-08-10");
  range.last_day = Day("2020-08-12");
  EXPECT_TRUE(range.Contains(Day("2020-08-12")));
  EXPECT_FALSE(range.Contains(Day("2020-08-13")));
  EXPECT_EQ(range.FirstDay(), Day("2020-08-10"));
  EXPECT_EQ(range.DebugString(), "2020-08-10..2020-08-12");

  DataShare list;
  list.days = {Day("2020-08-13"), Day("2020-08-15")};
  EXPECT_TRUE(list.Contains(Day("2020-08-15")));
  EXPECT_FALSE(list.Contains(Day("2020-08-14")));
  EXPECT_EQ(list.FirstDay(), Day("2020-08-13"));
  EXPECT_EQ(list.DebugString(), "2020-08-13,2020-08-15");
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kLeader, Role::kTeamLeader, Role::kWorker}) {
    EXPECT_EQ(ParseRole(RoleName(role)).value(), role);
  }
  EXPECT_FALSE(ParseRole("boss").ok());
}

// --- parsing -----------------------------------------------------------------

TEST(ParseOverlayConfigTest, ParsesValidConfigWithDefaults) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  EXPECT_EQ(config.name, "t");
  EXPECT_EQ(config.data_root, "/data");
  EXPECT_EQ(config.portal, "A");
  EXPECT_EQ(config.shutdown_token, "");
  EXPECT_EQ(config.strategy, StrategyOptions());
  ASSERT_EQ(config.processes.size(), 3u);
  const ProcessConfig& c = config.processes[2];
  EXPECT_EQ(c.role, Role::kWorker);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.host_group, "127.0.0.1");  // defaults to the host
  EXPECT_EQ(c.Address(), "127.0.0.1:1003");
  ASSERT_TRUE(c.share.has_value());
  EXPECT_THAT(c.share->days, ElementsAre(Day("2020-08-13"), Day("2020-08-15")));
  EXPECT_FALSE(config.processes[0].share.has_value());
  EXPECT_EQ(config.Find("B"), &config.processes[1]);
  EXPECT_EQ(config.Find("Z"), nullptr);
  EXPECT_THAT(config.ProcessesInGroup("127.0.0.1"), ElementsAre("A", "B", "C"));
}

TEST(ParseOverlayConfigTest, MakesNeighboursSymmetric) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  EXPECT_THAT(config.Find("A")->neighbors, ElementsAre("B"));
  EXPECT_THAT(config.Find("B")->neighbors, ElementsAre("C", "A"));
  EXPECT_THAT(config.Find("C")->neighbors, ElementsAre("B"));
}

TEST(ParseOverlayConfigTest, ReadsStrategy) {
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(Edit(R"("portal": "A",)",
                              R"("portal": "A", "strategy": {"chunk_size": 7,
                                 "max_hops": 3, "prefetch_chunks": 0},)"),
                         "/x"));
  EXPECT_EQ(config.strategy.chunk_size, 7);
  EXPECT_EQ(config.strategy.max_hops, 3);
  EXPECT_EQ(config.strategy.prefetch_chunks, 0);
  EXPECT_EQ(config.strategy.result_ttl_seconds, 300);
}

TEST(ParseOverlayConfigTest, ReadsSharedCacheKnobs) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig defaults,
                       ParseOverlayConfig(kValid, "/x"));
  EXPECT_EQ(defaults.strategy.shared_cache_mb, 0);  // off
  EXPECT_EQ(defaults.strategy.shared_cache_ttl_seconds, 300);
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(Edit(R"("portal": "A",)",
                              R"("portal": "A", "strategy": {
                                 "shared_cache_mb": 64,
                                 "shared_cache_ttl_seconds": 30},)"),
                         "/x"));
  EXPECT_EQ(config.strategy.shared_cache_mb, 64);
  EXPECT_EQ(config.strategy.shared_cache_ttl_seconds, 30);
  // Both round-trip through the written form.
  ASSERT_OK_AND_ASSIGN(OverlayConfig again,
                       ParseOverlayConfig(ConfigToJson(config), "/x"));
  EXPECT_EQ(again.strategy, config.strategy);
}

TEST(ParseOverlayConfigTest, ResolvesRelativeDataRoot) {
  auto root = [](absl::string_view data_root, const std::string& base) {
    absl::StatusOr<OverlayConfig> config = ParseOverlayConfig(
        Edit(R"("data_root": "/data")",
             absl::StrCat(R"("data_root": ")", data_root, R"(")")),
        base);
    EXPECT_OK(config);
    return config.ok() ? config->data_root : "";
  };
  EXPECT_EQ(root("../../shared/data", "/work/main/configs"),
            "/work/shared/data");
  EXPECT_EQ(root("data/", "/a/b"), "/a/b/data");
  EXPECT_EQ(root("/abs/./root", "/a/b"), "/abs/root");
  EXPECT_EQ(root("", "/a/b"), "");  // unset: the node must get --data
  const std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(root("d", ""), cwd + "/d");
  EXPECT_EQ(root("d", "rel"), cwd + "/rel/d");
}

// --- validation errors
// ----------------------------------------------------------

struct BadCase {
  const char* name;
  std::string json;
  const char* message;
};

std::vector<BadCase> BadCases() {
  return {
      {"not_json", "{\"portal\": \"A\",\n ]",
       "not valid JSON at offset 17 (line 2)"},
      {"not_object", "[]", "the top level must be an object"},
      {"unknown_top_key", Edit(R"("name")", R"("nmae")"), "unknown key 'nmae'"},
      {"duplicate_key", Edit(R"("name": "t",)", R"("name": "t", "name": "u",)"),
       "key 'name' given twice"},
      {"missing_portal", Edit(R"("portal": "A",)", ""), "missing key 'portal'"},
      {"portal_not_string", Edit(R"("portal": "A")", R"("portal": 1)"),
       "key 'portal' must be a string"},
      {"missing_processes", R"({"portal": "A"})", "missing key 'processes'"},
      {"processes_not_array", R"({"portal": "A", "processes": {}})",
       "key 'processes' must be an array"},
      {"no_processes", R"({"portal": "A", "processes": []})", "no processes"},
      {"process_not_object", R"({"portal": "A", "processes": [1]})",
       "processes[0]: must be an object"},
      {"missing_id", Edit(R"("id": "C", )", ""),
       "processes[2]: missing key 'id'"},
      {"bad_id", Edit(R"("id": "C")", R"("id": "C/1")"),
       "process 'C/1': id must be"},
      {"unknown_process_key", Edit(R"("port": 1003)", R"("prot": 1003)"),
       "process 'C': unknown key 'prot'"},
      {"missing_port", Edit(R"(, "port": 1003)", ""),
       "process 'C': missing key 'port'"},
      {"port_not_int", Edit(R"("port": 1003)", R"("port": "1003")"),
       "process 'C': key 'port' must be an integer"},
      {"port_fraction", Edit(R"("port": 1003)", R"("port": 1003.5)"),
       "process 'C': key 'port' must be an integer"},
      {"port_range", Edit(R"("port": 1003)", R"("port": 65536)"),
       "process 'C': port 65536 out of range 1..65535"},
      {"port_zero", Edit(R"("port": 1003)", R"("port": 0)"),
       "process 'C': port 0 out of range 1..65535"},
      {"missing_role", Edit(R"("role": "worker", )", ""),
       "process 'C': missing key 'role'"},
      {"unknown_role", Edit(R"("role": "worker")", R"("role": "boss")"),
       "process 'C': unknown role 'boss'"},
      {"neighbors_not_array",
       Edit(R"("neighbors": ["C"])", R"("neighbors": "C")"),
       "process 'B': key 'neighbors' must be an array of strings"},
      {"unknown_neighbour",
       Edit(R"("neighbors": ["C"])", R"("neighbors": ["Z"])"),
       "process 'B': unknown neighbour 'Z'"},
      {"self_neighbour",
       Edit(R"("neighbors": ["C"])", R"("neighbors": ["C", "B"])"),
       "process 'B': lists itself as a neighbour"},
      {"repeated_neighbour",
       Edit(R"("neighbors": ["C"])", R"("neighbors": ["C", "C"])"),
       "process 'B': neighbour 'C' listed twice"},
      {"duplicate_id", Edit(R"("id": "C")", R"("id": "B")"),
       "duplicate process id 'B'"},
      {"duplicate_address", Edit(R"("port": 1003)", R"("port": 1002)"),
       "process 'C': address 127.0.0.1:1002 already used by process 'B'"},
      {"same_port_other_host",
       Edit(R"("port": 1003)", R"("port": 1002, "host": "127.0.0.2")"),
       ""},  // valid: host:port differs
      {"empty_host", Edit(R"("port": 1003)", R"("port": 1003, "host": "")"),
       "process 'C': empty host"},
      {"bad_group",
       Edit(R"("port": 1003)", R"("port": 1003, "host_group": "a b")"),
       "process 'C': host_group 'a b' must be"},
      {"unknown_portal", Edit(R"("portal": "A")", R"("portal": "Q")"),
       "portal 'Q' is not a process"},
      {"empty_portal", Edit(R"("portal": "A")", R"("portal": "")"),
       "no portal"},
      {"unreachable_share",
       Edit(R"("neighbors": ["C"],)", R"("neighbors": [],)"),
       "process 'C': holds data but is unreachable from portal 'A'"},
      {"unreachable_without_data_is_fine",
       Edit(R"("2020-08-15"]}})",
            R"("2020-08-15"]}},
               {"id": "D", "role": "worker", "port": 1004})"),
       ""},
      {"overlap_range_list",
       Edit(R"("to": "2020-08-12")", R"("to": "2020-08-20")"),
       "shares of process 'B' and process 'C' overlap (both hold 2020-08-13)"},
      {"overlap_range_range",
       Edit(R"({"days": ["20200813", "2020-08-15"]})",
            R"({"from": "2020-08-01", "to": "20200811"})"),
       "shares of process 'B' and process 'C' overlap (both hold 2020-08-10)"},
      {"overlap_list_list",
       Edit(R"({"from": "2020-08-10", "to": "2020-08-12"})",
            R"({"days": ["2020-08-15"]})"),
       "shares of process 'B' and process 'C' overlap (both hold 2020-08-15)"},
      {"share_from_after_to",
       Edit(R"("to": "2020-08-12")", R"("to": "2020-08-09")"),
       "process 'B': share: 'from' 2020-08-10 is after 'to' 2020-08-09"},
      {"share_bad_date", Edit(R"("2020-08-12")", R"("2020-08-32")"),
       "process 'B': share: key 'to': bad date '2020-08-32'"},
      {"share_missing_to", Edit(R"(, "to": "2020-08-12")", ""),
       "process 'B': share: missing key 'to'"},
      {"share_both_forms",
       Edit(R"("to": "2020-08-12")", R"("to": "2020-08-12", "days": [])"),
       "process 'B': share: give either 'from'/'to' or 'days', not both"},
      {"share_empty_days", Edit(R"(["20200813", "2020-08-15"])", "[]"),
       "process 'C': share: holds no days"},
      {"share_repeated_day",
       Edit(R"(["20200813", "2020-08-15"])", R"(["20200813", "2020-08-13"])"),
       "process 'C': share: day 2020-08-13 listed twice"},
      {"share_unknown_key",
       Edit(R"("to": "2020-08-12")", R"("to": "2020-08-12", "step": 1)"),
       "process 'B': share: unknown key 'step'"},
      {"share_empty",
       Edit(R"({"from": "2020-08-10", "to": "2020-08-12"})", "{}"),
       "process 'B': share: needs 'from' and 'to', or 'days'"},
      {"strategy_unknown_key",
       Edit(R"("portal": "A",)", R"("portal": "A", "strategy": {"chunk": 1},)"),
       "strategy: unknown key 'chunk'"},
      {"strategy_not_object",
       Edit(R"("portal": "A",)", R"("portal": "A", "strategy": 5,)"),
       "strategy: must be an object"},
      {"chunk_size_zero",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"chunk_size": 0},)"),
       "strategy: chunk_size 0 out of range 1..20000"},
      {"chunk_size_big",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"chunk_size": 20001},)"),
       "strategy: chunk_size 20001 out of range 1..20000"},
      {"ttl_zero",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"result_ttl_seconds": 0},)"),
       "strategy: result_ttl_seconds 0 out of range"},
      {"threads_zero",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"reactor_threads": 0},)"),
       "strategy: reactor_threads 0 out of range"},
      {"shared_cache_negative",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"shared_cache_mb": -1},)"),
       "strategy: shared_cache_mb -1 out of range 0..1048576"},
      {"shared_cache_ttl_zero",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"shared_cache_ttl_seconds": 0},)"),
       "strategy: shared_cache_ttl_seconds 0 out of range 1..86400"},
      {"knob_huge",
       Edit(R"("portal": "A",)",
            R"("portal": "A", "strategy": {"max_hops": 99999999999},)"),
       "strategy: key 'max_hops' value 99999999999 out of range"},
      // admission and clients
      {"admission_not_object", With(R"("admission": 5)"),
       "admission: must be an object"},
      {"admission_unknown_key", With(R"("admission": {"max_conc": 1})"),
       "admission: unknown key 'max_conc'"},
      {"admission_bad_strategy", With(R"("admission": {"strategy": "fair"})"),
       "admission: unknown strategy 'fair' (expected strict, weighted or "
       "hybrid)"},
      {"admission_strategy_not_string", With(R"("admission": {"strategy": 1})"),
       "admission: key 'strategy' must be a string"},
      {"concurrency_zero", With(R"("admission": {"max_concurrency": 0})"),
       "admission: max_concurrency 0 out of range 1..100000"},
      {"scans_zero", With(R"("admission": {"max_concurrent_scans": 0})"),
       "admission: max_concurrent_scans 0 out of range 1..100000"},
      {"queue_total_zero", With(R"("admission": {"max_queue_total": 0})"),
       "admission: max_queue_total 0 out of range 1..1000000"},
      {"per_client_above_total", With(R"("admission": {"max_queue_total": 50,
                             "max_queue_per_client": 100})"),
       "admission: max_queue_per_client 100 is more than max_queue_total 50"},
      {"codel_target_above_interval",
       With(R"("admission": {"codel_target_ms": 200})"),
       "admission: codel_target_ms 200 is more than codel_interval_ms 100"},
      {"codel_interval_zero", With(R"("admission": {"codel_interval_ms": 0})"),
       "admission: codel_interval_ms 0 out of range 1..600000"},
      {"default_team_empty", With(R"("admission": {"default_team": ""})"),
       "admission: default_team '' must be non-empty letters"},
      {"teams_not_array", With(R"("admission": {"teams": {}})"),
       "admission: key 'teams' must be an array of objects"},
      {"team_not_object", With(R"("admission": {"teams": [1]})"),
       "admission: teams[0]: must be an object"},
      {"team_missing_name", With(R"("admission": {"teams": [{"weight": 1}]})"),
       "admission: teams[0]: missing key 'name'"},
      {"team_bad_name", With(R"("admission": {"teams": [{"name": "a b"}]})"),
       "admission: team 'a b': name must be non-empty letters"},
      {"team_unknown_key",
       With(R"("admission": {"teams": [{"name": "green", "share": 2}]})"),
       "admission: team 'green': unknown key 'share'"},
      {"team_twice",
       With(
           R"("admission": {"teams": [{"name": "green"}, {"name": "green"}]})"),
       "admission: team 'green' listed twice"},
      {"team_weight_zero",
       With(R"("admission": {"teams": [{"name": "green", "weight": 0}]})"),
       "admission: team 'green': weight 0 out of range 1..1000"},
      {"team_weight_big",
       With(R"("admission": {"teams": [{"name": "green", "weight": 1001}]})"),
       "admission: team 'green': weight 1001 out of range 1..1000"},
      {"cap_needs_strict",
       With(R"("admission": {"teams": [{"name": "green", "max_slots": 2}]})"),
       "admission: team 'green': max_slots needs strategy 'strict' (strategy "
       "is 'weighted')"},
      {"floor_needs_hybrid", With(R"("admission": {"strategy": "strict",
               "teams": [{"name": "green", "min_slots": 2}]})"),
       "admission: team 'green': min_slots needs strategy 'hybrid' (strategy "
       "is 'strict')"},
      {"cap_above_limit", With(R"("admission": {"strategy": "strict",
               "teams": [{"name": "green", "max_slots": 40}]})"),
       "admission: team 'green': max_slots 40 out of range 0..32 "
       "(max_concurrency)"},
      {"cap_negative", With(R"("admission": {"strategy": "strict",
               "teams": [{"name": "green", "max_slots": -1}]})"),
       "admission: team 'green': max_slots -1 out of range 0..32"},
      {"floors_above_limit",
       With(R"("admission": {"strategy": "hybrid", "max_concurrency": 8,
               "teams": [{"name": "green", "min_slots": 5},
                         {"name": "pink", "min_slots": 4}]})"),
       "admission: min_slots of all teams add up to 9, more than "
       "max_concurrency 8"},
      {"clients_not_array", With(R"("clients": {})"),
       "overlay config: key 'clients' must be an array of objects"},
      {"client_not_object", With(R"("clients": [1])"),
       "clients[0]: must be an object"},
      {"client_missing_id", With(R"("clients": [{"team": "default"}])"),
       "clients[0]: missing key 'id'"},
      {"client_empty_id", With(R"("clients": [{"id": ""}])"),
       "clients[0]: id must not be empty"},
      {"client_unknown_key", With(R"("clients": [{"id": "a", "teem": "x"}])"),
       "client 'a': unknown key 'teem'"},
      {"client_twice", With(R"("clients": [{"id": "a"}, {"id": "a"}])"),
       "client 'a' listed twice"},
      {"client_weight_zero", With(R"("clients": [{"id": "a", "weight": 0}])"),
       "client 'a': weight 0 out of range 1..1000"},
      {"client_unknown_team",
       With(R"("admission": {"teams": [{"name": "green"}]},
               "clients": [{"id": "a", "team": "pnk"}])"),
       "client 'a': unknown team 'pnk' (declared: green; default team: "
       "default)"},
      {"client_unknown_team_none_declared",
       With(R"("clients": [{"id": "a", "team": "pnk"}])"),
       "client 'a': unknown team 'pnk' (declared: none; default team: "
       "default)"},
      {"client_of_default_team",
       With(R"("clients": [{"id": "a", "team": "default"}, {"id": "b"}])"),
       ""},  // valid: the default team need not be declared
      {"hybrid_floors_at_limit",
       With(R"("admission": {"strategy": "hybrid", "max_concurrency": 8,
               "teams": [{"name": "green", "min_slots": 8}]})"),
       ""},  // valid: floors may add up to the limit
  };
}

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, ReportsTheProblem) {
  const BadCase& c = GetParam();
  absl::StatusOr<OverlayConfig> config = ParseOverlayConfig(c.json, "/x");
  if (std::string(c.message).empty()) {
    EXPECT_OK(config);
    return;
  }
  ASSERT_FALSE(config.ok()) << c.json;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith("overlay config: "));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(All, BadConfigTest, ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(LoadOverlayConfigTest, NamesTheFileAndFindsDataRootNextToIt) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string bad = dir.Write(
      "bad.json", Edit(R"("neighbors": ["C"])", R"("neighbors": ["Z"])"));
  absl::StatusOr<OverlayConfig> config = LoadOverlayConfig(bad);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()),
            bad + ": process 'B': unknown neighbour 'Z'");

  const std::string good = dir.Write(
      "good.json", Edit(R"("data_root": "/data")", R"("data_root": "data")"));
  ASSERT_OK_AND_ASSIGN(OverlayConfig loaded, LoadOverlayConfig(good));
  EXPECT_EQ(loaded.path, good);
  EXPECT_EQ(loaded.data_root, dir.path() + "/data");
}

TEST(LoadOverlayConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<OverlayConfig> config =
      LoadOverlayConfig("/nonexistent/overlay.json");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("/nonexistent/overlay.json"));
}

TEST(ValidateOverlayConfigTest, ChecksEditedConfigs) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  config.path = "edited.json";
  EXPECT_OK(ValidateOverlayConfig(config));
  config.processes[1].neighbors.push_back("Y");
  EXPECT_EQ(std::string(ValidateOverlayConfig(config).message()),
            "edited.json: process 'B': unknown neighbour 'Y'");
  config.processes[1].neighbors.pop_back();
  config.strategy.max_results_held = 0;
  EXPECT_THAT(std::string(ValidateOverlayConfig(config).message()),
              HasSubstr("max_results_held 0 out of range"));
}

// --- ConfigToJson, overrides
// --------------------------------------------------

TEST(ParseOverlayConfigTest, AdmissionAndClientsDefaultWhenAbsent) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  EXPECT_EQ(config.admission, AdmissionOptions());
  EXPECT_EQ(config.admission.max_concurrency, 32);
  EXPECT_EQ(config.admission.max_concurrent_scans, 8);
  EXPECT_EQ(config.admission.max_queue_total, 256);
  EXPECT_EQ(config.admission.max_queue_per_client, 64);
  EXPECT_EQ(config.admission.strategy, AdmissionStrategy::kWeighted);
  EXPECT_EQ(config.admission.default_team, "default");
  EXPECT_EQ(config.admission.codel_target_ms, 5);
  EXPECT_EQ(config.admission.codel_interval_ms, 100);
  EXPECT_TRUE(config.admission.teams.empty());
  EXPECT_TRUE(config.clients.empty());
}

TEST(ParseOverlayConfigTest, ReadsAdmissionAndClients) {
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(
          With(R"("admission": {"max_concurrency": 16, "max_queue_total": 100,
                 "max_concurrent_scans": 3,
                 "max_queue_per_client": 10, "strategy": "hybrid",
                 "default_team": "public", "codel_target_ms": 10,
                 "codel_interval_ms": 200,
                 "teams": [{"name": "green", "weight": 3, "min_slots": 4},
                           {"name": "pink"}]},
               "clients": [{"id": "dashboard", "team": "green", "weight": 2},
                           {"id": "cli"}])"),
          "/x"));
  const AdmissionOptions& a = config.admission;
  EXPECT_EQ(a.max_concurrency, 16);
  EXPECT_EQ(a.max_concurrent_scans, 3);
  EXPECT_EQ(a.max_queue_total, 100);
  EXPECT_EQ(a.max_queue_per_client, 10);
  EXPECT_EQ(a.strategy, AdmissionStrategy::kHybrid);
  EXPECT_EQ(a.default_team, "public");
  EXPECT_EQ(a.codel_target_ms, 10);
  EXPECT_EQ(a.codel_interval_ms, 200);
  ASSERT_EQ(a.teams.size(), 2u);
  EXPECT_EQ(a.teams[0], (TeamConfig{"green", 3, 0, 4}));
  EXPECT_EQ(a.teams[1], (TeamConfig{"pink", 1, 0, 0}));
  EXPECT_EQ(a.FindTeam("pink"), &a.teams[1]);
  EXPECT_EQ(a.FindTeam("public"), nullptr);  // implied, not declared
  ASSERT_EQ(config.clients.size(), 2u);
  EXPECT_EQ(config.clients[0], (ClientConfig{"dashboard", "green", 2}));
  EXPECT_EQ(config.clients[1], (ClientConfig{"cli", "", 1}));
}

TEST(AdmissionOptionsTest, ScanPoolScalesTeamCapsAndFloors) {
  AdmissionOptions options;
  options.max_concurrency = 16;
  options.max_concurrent_scans = 4;
  options.teams = {{"green", 3, /*max_slots=*/6, /*min_slots=*/7},
                   {"pink", 1, /*max_slots=*/1, /*min_slots=*/3},
                   {"grey", 1, 0, 0}};
  const AdmissionOptions pool = options.ScanPool();
  EXPECT_EQ(pool.max_concurrency, 4);
  EXPECT_EQ(pool.max_queue_total, options.max_queue_total);
  ASSERT_EQ(pool.teams.size(), 3u);
  EXPECT_EQ(pool.teams[0], (TeamConfig{"green", 3, 2, 1}));  // 1.5 up, 1.75
  EXPECT_EQ(pool.teams[1], (TeamConfig{"pink", 1, 1, 0}));   // a cap stays
  EXPECT_EQ(pool.teams[2], (TeamConfig{"grey", 1, 0, 0}));   // none: none
  // More scan slots than query slots: caps and floors grow, capped.
  options.max_concurrent_scans = 64;
  const AdmissionOptions wide = options.ScanPool();
  EXPECT_EQ(wide.teams[0].max_slots, 24);
  EXPECT_EQ(wide.teams[0].min_slots, 28);
  EXPECT_EQ(wide.teams[1].min_slots, 12);
}

TEST(AdmissionStrategyTest, NamesRoundTrip) {
  for (AdmissionStrategy strategy :
       {AdmissionStrategy::kStrict, AdmissionStrategy::kWeighted,
        AdmissionStrategy::kHybrid}) {
    EXPECT_EQ(ParseAdmissionStrategy(AdmissionStrategyName(strategy)).value(),
              strategy);
  }
  EXPECT_EQ(AdmissionStrategyName(AdmissionStrategy::kStrict), "strict");
  EXPECT_FALSE(ParseAdmissionStrategy("fair").ok());
}

TEST(ValidateOverlayConfigTest, ChecksEditedAdmission) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  config.path = "edited.json";
  config.admission.strategy = AdmissionStrategy::kStrict;
  config.admission.teams.push_back({"green", 1, 4, 0});
  config.clients.push_back({"a", "green", 1});
  EXPECT_OK(ValidateOverlayConfig(config));
  config.admission.max_concurrency = 2;
  EXPECT_EQ(std::string(ValidateOverlayConfig(config).message()),
            "edited.json: admission: team 'green': max_slots 4 out of range "
            "0..2 (max_concurrency)");
  config.admission.max_concurrency = 32;
  config.clients.push_back({"b", "blue", 1});
  EXPECT_EQ(std::string(ValidateOverlayConfig(config).message()),
            "edited.json: client 'b': unknown team 'blue' (declared: green; "
            "default team: default)");
}

TEST(ConfigToJsonTest, RoundTripsAdmissionAndClients) {
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(
          With(R"("admission": {"max_concurrency": 8, "strategy": "strict",
                 "default_team": "rest",
                 "teams": [{"name": "green", "weight": 2, "max_slots": 3},
                           {"name": "rest", "weight": 5}]},
               "clients": [{"id": "x\"y", "team": "green", "weight": 7},
                           {"id": "z", "team": "rest"}])"),
          "/x"));
  const std::string json = ConfigToJson(config);
  EXPECT_THAT(json, HasSubstr(R"("strategy": "strict")"));
  ASSERT_OK_AND_ASSIGN(OverlayConfig again, ParseOverlayConfig(json, "/y"));
  EXPECT_EQ(again, config);
  EXPECT_EQ(ConfigToJson(again), json);
  again.clients[0].weight = 6;
  EXPECT_NE(again, config);
}

TEST(ConfigToJsonTest, RoundTripsExactly) {
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(Edit(R"("portal": "A",)",
                              R"("portal": "A", "shutdown_token": "s\"e/cr\\et",
                  "strategy": {"chunk_size": 17, "result_ttl_seconds": 9,
                    "prefetch_chunks": 0, "scan_threads": 3,
                    "reactor_threads": 2, "neighbor_timeout_ms": 250,
                    "max_hops": 4, "max_results_held": 12},)"),
                         "/x"));
  EXPECT_EQ(config.shutdown_token, "s\"e/cr\\et");
  const std::string json = ConfigToJson(config);
  ASSERT_OK_AND_ASSIGN(OverlayConfig again, ParseOverlayConfig(json, "/y"));
  EXPECT_EQ(again, config);
  EXPECT_EQ(ConfigToJson(again), json);
}

TEST(ApplyPortOffsetTest, MovesEveryPortOrNone) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, ParseOverlayConfig(kValid, "/x"));
  ASSERT_OK(ApplyPortOffset(config, 1000));
  EXPECT_EQ(config.processes[0].port, 2001);
  EXPECT_EQ(config.processes[2].port, 2003);
  ASSERT_OK(ApplyPortOffset(config, -1000));
  EXPECT_EQ(config.processes[0].port, 1001);

  const absl::Status status = ApplyPortOffset(config, 64533);  // C: 65536
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("process 'C': port 1003 + offset 64533 = 65536"));
  EXPECT_EQ(config.processes[0].port, 1001);  // unchanged
  EXPECT_FALSE(ApplyPortOffset(config, -1001).ok());
}

// --- the shipped configs (the test runs in the repo root)
// ---------------------

constexpr const char* kShipped[] = {
    "configs/one_host.json", "configs/two_hosts.json",
    "configs/three_hosts.json", "configs/five_nodes.json"};

class ShippedConfigTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedConfigTest, LoadsValidatesAndRoundTrips) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, LoadOverlayConfig(GetParam()));
  EXPECT_EQ(config.portal, "A");
  EXPECT_TRUE(std::filesystem::path(config.data_root).is_absolute());
  EXPECT_THAT(config.data_root,
              ::testing::EndsWith("/shared/data/2020-fire/data"));
  EXPECT_EQ(config.data_root,
            std::filesystem::absolute("../shared/data/2020-fire/data")
                .lexically_normal()
                .string());

  // Symmetric edges.
  for (const ProcessConfig& p : config.processes) {
    for (const std::string& n : p.neighbors) {
      const std::vector<std::string>& back = config.Find(n)->neighbors;
      EXPECT_NE(std::find(back.begin(), back.end(), p.id), back.end())
          << p.id << " -> " << n;
    }
  }

  // Shares in id order are contiguous and cover 2020-08-10..2020-09-24.
  int64_t next = Day("2020-08-10");
  for (const ProcessConfig& p : config.processes) {
    if (!p.share.has_value()) continue;
    EXPECT_EQ(p.share->FirstDay(), next) << p.id;
    next = *p.share->last_day + 1;
  }
  EXPECT_EQ(next, Day("2020-09-25"));

  // The nodes of a host group share a 256 MiB cache segment.
  EXPECT_EQ(config.strategy.shared_cache_mb, 256);
  EXPECT_EQ(config.strategy.shared_cache_ttl_seconds, 300);

  // Round trip through a written file.
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string copy = dir.path() + "/copy.json";
  ASSERT_OK(WriteOverlayConfig(config, copy));
  ASSERT_OK_AND_ASSIGN(OverlayConfig again, LoadOverlayConfig(copy));
  again.path = config.path;
  EXPECT_EQ(again, config);
}

INSTANTIATE_TEST_SUITE_P(All, ShippedConfigTest, ::testing::ValuesIn(kShipped));

std::vector<std::string> Edges(const OverlayConfig& config) {
  std::vector<std::string> edges;
  for (const ProcessConfig& p : config.processes) {
    for (const std::string& n : p.neighbors) {
      if (p.id < n) edges.push_back(p.id + n);
    }
  }
  return edges;
}

TEST(ShippedLayoutTest, OneHostLayout) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config,
                       LoadOverlayConfig("configs/one_host.json"));
  ASSERT_EQ(config.processes.size(), 6u);
  const std::vector<std::string> roles = {"leader", "team_leader", "worker",
                                          "worker", "team_leader", "worker"};
  const std::vector<std::string> teams = {"green", "green", "green",
                                          "pink",  "pink",  "pink"};
  const std::vector<std::string> shares = {
      "2020-08-10..2020-08-13", "2020-08-14..2020-08-17",
      "2020-08-18..2020-08-20", "2020-08-21..2020-09-01",
      "2020-09-02..2020-09-12", "2020-09-13..2020-09-24"};
  for (int i = 0; i < 6; ++i) {
    const ProcessConfig& p = config.processes[i];
    EXPECT_EQ(p.id, std::string(1, static_cast<char>('A' + i)));
    EXPECT_EQ(RoleName(p.role), roles[i]);
    EXPECT_EQ(p.team, teams[i]);
    EXPECT_EQ(p.Address(), absl::StrCat("127.0.0.1:", 60051 + i));
    EXPECT_EQ(p.host_group, "host1");
    ASSERT_TRUE(p.share.has_value());
    EXPECT_EQ(p.share->DebugString(), shares[i]);
  }
  EXPECT_THAT(Edges(config),
              UnorderedElementsAre("AB", "AE", "BC", "BD", "DE", "EF"));
}

TEST(ShippedLayoutTest, HostGroups) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig two,
                       LoadOverlayConfig("configs/two_hosts.json"));
  EXPECT_THAT(two.ProcessesInGroup("host1"), ElementsAre("A", "B", "D"));
  EXPECT_THAT(two.ProcessesInGroup("host2"), ElementsAre("C", "E", "F"));
  EXPECT_EQ(two.Find("C")->Address(), "127.0.0.2:60053");

  ASSERT_OK_AND_ASSIGN(OverlayConfig three,
                       LoadOverlayConfig("configs/three_hosts.json"));
  EXPECT_THAT(three.ProcessesInGroup("host1"), ElementsAre("A", "C"));
  EXPECT_THAT(three.ProcessesInGroup("host2"), ElementsAre("B", "D"));
  EXPECT_THAT(three.ProcessesInGroup("host3"), ElementsAre("E", "F"));
  EXPECT_EQ(three.Find("F")->Address(), "127.0.0.3:60056");
  for (const OverlayConfig* c : {&two, &three}) {
    EXPECT_THAT(Edges(*c),
                UnorderedElementsAre("AB", "AE", "BC", "BD", "DE", "EF"));
  }
}

TEST(ShippedLayoutTest, FiveNodesLayout) {
  ASSERT_OK_AND_ASSIGN(OverlayConfig config,
                       LoadOverlayConfig("configs/five_nodes.json"));
  ASSERT_EQ(config.processes.size(), 5u);
  EXPECT_FALSE(config.Find("A")->share.has_value());
  EXPECT_EQ(config.Find("A")->role, Role::kLeader);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(config.processes[i].port, 50051 + i);
  }
  EXPECT_EQ(config.Find("B")->share->DebugString(), "2020-08-10..2020-08-21");
  EXPECT_EQ(config.Find("E")->share->DebugString(), "2020-09-14..2020-09-24");
  EXPECT_THAT(config.ProcessesInGroup("host1"), ElementsAre("A", "B"));
  EXPECT_THAT(config.ProcessesInGroup("host2"), ElementsAre("C", "D", "E"));
  EXPECT_THAT(Edges(config),
              UnorderedElementsAre("AB", "BC", "BD", "CE", "DE"));
}


// --- peer secret and TLS
// ---------------------------------------------------------

constexpr char kSecret[] = "0123456789abcdef-secret";

TEST(PeerSecretTest, InlineSecretIsValidated) {
  ASSERT_OK_AND_ASSIGN(
      OverlayConfig config,
      ParseOverlayConfig(With(absl::StrCat(R"("peer_secret": ")", kSecret,
                                           R"(")")),
                         "/x"));
  EXPECT_EQ(config.peer_secret, kSecret);
  EXPECT_EQ(config.peer_secret_file, "");
  ASSERT_OK_AND_ASSIGN(OverlayConfig plain, ParseOverlayConfig(kValid, "/x"));
  EXPECT_EQ(plain.peer_secret, "");  // an open overlay
  struct Case {
    std::string sections;
    const char* message;
  };
  const std::vector<Case> cases = {
      {R"("peer_secret": "short")",
       "peer secret is 5 characters; it must have 16..1024"},
      {R"("peer_secret": "")", "key 'peer_secret' is empty"},
      {R"("peer_secret": "has a space in it, quite long")",
       "character 3 (byte 32) is not printable ASCII without spaces"},
      {R"("peer_secret": 7)", "key 'peer_secret' must be a string"},
      {absl::StrCat(R"("peer_secret": ")", std::string(1025, 'x'), R"(")"),
       "peer secret is 1025 characters"},
      {R"("peer_secret": "0123456789abcdef0", "peer_secret_file": "f")",
       "give either 'peer_secret' or 'peer_secret_file', not both"},
      {R"("peer_secret_file": "")", "key 'peer_secret_file' is empty"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<OverlayConfig> bad =
        ParseOverlayConfig(With(c.sections), "/x");
    ASSERT_FALSE(bad.ok()) << c.sections;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.message))
        << c.sections;
  }
  // Edited configs are checked too.
  config.peer_secret = "tiny";
  EXPECT_THAT(std::string(ValidateOverlayConfig(config).message()),
              HasSubstr("peer secret is 4 characters"));
}

TEST(PeerSecretTest, SecretFileIsReadRelativeToTheConfigAndMustBePrivate) {
  TempDir dir;
  const std::string file = dir.Write("secret", absl::StrCat(kSecret, "\n\n"));
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  const std::string config_path =
      dir.Write("c.json", With(R"("peer_secret_file": "secret")"));
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, LoadOverlayConfig(config_path));
  EXPECT_EQ(config.peer_secret, kSecret);  // trailing whitespace dropped
  EXPECT_EQ(config.peer_secret_file, file);
  // Round trip: the file is named again, not the secret written out.
  const std::string json = ConfigToJson(config);
  EXPECT_THAT(json, HasSubstr("peer_secret_file"));
  EXPECT_THAT(json, ::testing::Not(HasSubstr(kSecret)));
  ASSERT_OK_AND_ASSIGN(OverlayConfig again, ParseOverlayConfig(json, "/x"));
  EXPECT_EQ(again.peer_secret, kSecret);

  ASSERT_EQ(chmod(file.c_str(), 0640), 0);
  absl::StatusOr<OverlayConfig> shared = LoadOverlayConfig(config_path);
  ASSERT_FALSE(shared.ok());
  EXPECT_THAT(std::string(shared.status().message()),
              HasSubstr("is accessible by group or others (mode 0640); "
                        "chmod 600 it"));
  EXPECT_THAT(std::string(shared.status().message()),
              StartsWith(config_path + ": peer_secret_file: "));
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);

  const std::string missing =
      dir.Write("m.json", With(R"("peer_secret_file": "nope")"));
  EXPECT_EQ(LoadOverlayConfig(missing).status().code(),
            absl::StatusCode::kNotFound);
  const std::string weak = dir.Write("weak", "abc\n");
  ASSERT_EQ(chmod(weak.c_str(), 0600), 0);
  absl::StatusOr<std::string> read = ReadPeerSecretFile(weak);
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("peer secret is 3 characters"));
  EXPECT_THAT(std::string(ReadPeerSecretFile(dir.path()).status().message()),
              HasSubstr("is not a regular file"));
}

TEST(TlsConfigTest, FilesAreResolvedAndMustBeReadable) {
  TempDir dir;
  for (const char* name : {"node.pem", "node.key", "ca.pem"}) {
    dir.Write(name, "-----BEGIN X-----\n");
  }
  const std::string tls =
      R"("tls": {"cert_file": "node.pem", "key_file": "node.key",
                 "ca_file": "ca.pem", "mutual": true})";
  const std::string config_path = dir.Write("c.json", With(tls));
  ASSERT_OK_AND_ASSIGN(OverlayConfig config, LoadOverlayConfig(config_path));
  EXPECT_TRUE(config.tls.enabled());
  EXPECT_TRUE(config.tls.mutual);
  EXPECT_EQ(config.tls.cert_file, dir.path() + "/node.pem");
  EXPECT_EQ(config.tls.ca_file, dir.path() + "/ca.pem");
  ASSERT_OK_AND_ASSIGN(OverlayConfig again,
                       ParseOverlayConfig(ConfigToJson(config), "/x"));
  again.path = config.path;
  EXPECT_EQ(again, config);
  ASSERT_OK_AND_ASSIGN(OverlayConfig plain, ParseOverlayConfig(kValid, "/x"));
  EXPECT_FALSE(plain.tls.enabled());

  struct Case {
    std::string sections;
    const char* message;
  };
  const std::vector<Case> cases = {
      {R"("tls": {"cert_file": "node.pem", "key_file": "node.key"})",
       "tls: missing key 'ca_file'"},
      {R"("tls": {"cert_file": "", "key_file": "k", "ca_file": "c"})",
       "tls: key 'cert_file' is empty"},
      {R"("tls": {"cert_file": "a", "key_file": "b", "ca_file": "c",
                  "mutual": 1})",
       "tls: key 'mutual' must be true or false"},
      {R"("tls": {"cert_file": "a", "key_file": "b", "ca_file": "c",
                  "verify": true})",
       "tls: unknown key 'verify'"},
      {R"("tls": {"cert_file": "node.pem", "key_file": "gone.key",
                  "ca_file": "ca.pem"})",
       "tls: key_file " },
  };
  for (const Case& c : cases) {
    absl::StatusOr<OverlayConfig> bad =
        LoadOverlayConfig(dir.Write("bad.json", With(c.sections)));
    ASSERT_FALSE(bad.ok()) << c.sections;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.message))
        << c.sections;
  }
  EXPECT_THAT(std::string(LoadOverlayConfig(dir.Write(
                  "gone.json",
                  With(R"("tls": {"cert_file": "node.pem",
                                  "key_file": "gone.key",
                                  "ca_file": "ca.pem"})")))
                  .status()
                  .message()),
              HasSubstr("gone.key cannot be read"));
}

}  // namespace
}  // namespace overlay
