// Copyright 2026 The overlay Authors.

#include "tools/top/frame_renderer.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace overlay::top {
namespace {

constexpr int kEdgesPerLine = 10;

// The p99 of the client-facing Query RPC, if the node has served one.
std::optional<double> QueryP99(const v1::MetricsResponse& m) {
  for (const v1::LatencySummary& s : m.latency()) {
    if (s.rpc() == "Query" && s.count() > 0) return s.p99_ms();
  }
  return std::nullopt;
}

// 1234567 -> "1,234,567".
std::string Grouped(int64_t value) {
  std::string digits = absl::StrCat(value < 0 ? -value : value);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string Bytes(int64_t bytes) {
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib >= 10240) return absl::StrFormat("%.1fG", mib / 1024.0);
  return absl::StrFormat("%.1fM", mib);
}

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::max(0.0, seconds));
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, s % 3600 / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, s % 86400 / 3600);
}

std::string Optional(const std::optional<double>& v, int decimals) {
  return v ? absl::StrFormat("%.*f", decimals, *v) : "-";
}

enum class Align { kLeft, kRight };

struct Column {
  const char* title;
  Align align;
};

// The table's columns; a row's cells come in this order.
constexpr Column kColumns[] = {
    {"ID", Align::kLeft},      {"ROLE", Align::kLeft},
    {"TEAM", Align::kLeft},    {"HOST", Align::kLeft},
    {"STATE", Align::kLeft},   {"QPS", Align::kRight},
    {"INFL", Align::kRight},   {"QUEUE", Align::kRight},
    {"P99ms", Align::kRight},  {"ROWS", Align::kRight},
    {"RSS", Align::kRight},    {"CPU%", Align::kRight},
    {"UPTIME", Align::kRight},
};
constexpr size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);

// The admission rows: per node, its Query pool / Execute pool.
constexpr Column kAdmissionColumns[] = {
    {"ADMISSION", Align::kLeft}, {"SLOTS q/e", Align::kRight},
    {"BUSY q/e", Align::kRight}, {"QUEUED q/e", Align::kRight},
    {"ADM/s", Align::kRight},    {"REJ/s", Align::kRight},
    {"WAITp99ms", Align::kRight}, {"REJECTED", Align::kLeft},
};
constexpr size_t kNumAdmissionColumns =
    sizeof(kAdmissionColumns) / sizeof(kAdmissionColumns[0]);

// "q/e" of the Query and Execute pools' `field`, "-" without them.
template <typename Field>
std::string PerPool(const v1::MetricsResponse& m, Field field) {
  const v1::AdmissionPoolMetrics* query = nullptr;
  const v1::AdmissionPoolMetrics* execute = nullptr;
  for (const v1::AdmissionPoolMetrics& pool : m.admission()) {
    if (pool.pool() == "Query") query = &pool;
    if (pool.pool() == "Execute") execute = &pool;
  }
  auto one = [&](const v1::AdmissionPoolMetrics* pool) {
    return pool == nullptr ? std::string("-") : absl::StrCat(field(*pool));
  };
  return absl::StrCat(one(query), "/", one(execute));
}

// "over_share 30, overloaded 2" over both pools, most first; "-" if none.
std::string Rejections(const v1::MetricsResponse& m) {
  std::map<std::string, int64_t> by_reason;
  for (const v1::AdmissionPoolMetrics& pool : m.admission()) {
    for (const v1::RejectionCount& count : pool.rejected_by_reason()) {
      by_reason[count.reason()] += count.count();
    }
  }
  std::vector<std::pair<std::string, int64_t>> sorted(by_reason.begin(),
                                                      by_reason.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) {
                     return a.second > b.second;
                   });
  std::vector<std::string> parts;
  for (const auto& [reason, count] : sorted) {
    parts.push_back(absl::StrCat(reason, " ", Grouped(count)));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

// Pads `table`'s cells to their column's width.
void AppendTable(const std::vector<std::vector<std::string>>& table,
                 const Column* columns, size_t num_columns,
                 const std::vector<std::string>& reasons,
                 std::vector<std::string>* lines) {
  std::vector<size_t> widths(num_columns, 0);
  for (const auto& row : table) {
    for (size_t i = 0; i < num_columns; ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (size_t r = 0; r < table.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < num_columns; ++i) {
      const std::string& cell = table[r][i];
      const std::string pad(widths[i] - cell.size(), ' ');
      if (i > 0) line += "  ";
      line += columns[i].align == Align::kLeft ? cell + pad : pad + cell;
    }
    if (r < reasons.size() && !reasons[r].empty()) {
      absl::StrAppend(&line, "  ", reasons[r]);
    }
    // Left-aligned last cells leave trailing blanks; drop them.
    line.erase(line.find_last_not_of(' ') + 1);
    lines->push_back(std::move(line));
  }
}

}  // namespace

NodeRates ComputeRates(const NodeSample* before, const NodeSample& now) {
  NodeRates rates;
  if (before == nullptr || !before->metrics || !now.metrics) return rates;
  const v1::MetricsResponse& a = *before->metrics;
  const v1::MetricsResponse& b = *now.metrics;
  // A restarted node's counters start again: no rate across a restart.
  if (a.pid() != b.pid() || b.queries_received() < a.queries_received() ||
      b.cpu_s() < a.cpu_s() || b.admitted() < a.admitted() ||
      b.rejected() < a.rejected()) {
    return rates;
  }
  double elapsed = 0;
  if (a.uptime_s() > 0 && b.uptime_s() > 0) {
    if (b.uptime_s() < a.uptime_s()) return rates;  // restarted
    elapsed = b.uptime_s() - a.uptime_s();
  } else {
    elapsed = now.at_s - before->at_s;
  }
  if (elapsed <= 0) return rates;
  rates.qps = static_cast<double>(b.queries_received() - a.queries_received()) /
              elapsed;
  rates.cpu_percent = 100.0 * (b.cpu_s() - a.cpu_s()) / elapsed;
  rates.admitted_per_s =
      static_cast<double>(b.admitted() - a.admitted()) / elapsed;
  rates.rejected_per_s =
      static_cast<double>(b.rejected() - a.rejected()) / elapsed;
  return rates;
}

std::string DownReason(int status_code, const std::string& message) {
  const auto code = static_cast<absl::StatusCode>(status_code);
  if (code == absl::StatusCode::kDeadlineExceeded) return "no answer in time";
  struct Known {
    const char* needle;
    const char* reason;
  };
  static constexpr Known kKnown[] = {
      {"connection refused", "connection refused"},
      {"no route to host", "no route to host"},
      {"network is unreachable", "network unreachable"},
      {"dns resolution failed", "unknown host"},
      {"name or service not known", "unknown host"},
      {"connection reset", "connection reset"},
      {"socket closed", "connection closed"},
  };
  const std::string lower = absl::AsciiStrToLower(message);
  for (const Known& known : kKnown) {
    if (absl::StrContains(lower, known.needle)) return known.reason;
  }
  std::string name = absl::AsciiStrToLower(absl::StatusCodeToString(code));
  std::string text = message.substr(0, 60);
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text.empty() ? name : absl::StrCat(name, ": ", text);
}

std::vector<std::pair<std::string, std::string>> UndirectedEdges(
    const OverlayConfig& config) {
  std::vector<std::pair<std::string, std::string>> edges;
  std::set<std::pair<std::string, std::string>> seen;
  for (const ProcessConfig& p : config.processes) {
    for (const std::string& n : p.neighbors) {
      if (n == p.id) continue;
      auto key = p.id < n ? std::make_pair(p.id, n) : std::make_pair(n, p.id);
      if (seen.insert(key).second) edges.emplace_back(p.id, n);
    }
  }
  return edges;
}

FrameRenderer::FrameRenderer(OverlayConfig config)
    : config_(std::move(config)) {}

std::vector<std::string> FrameRenderer::SharedCacheLines(
    const Snapshot& current) const {
  struct Group {
    std::string name;
    const v1::SharedCacheMetrics* segment = nullptr;  // an attached node's
    int nodes = 0;
    int attached = 0;
    int64_t attach_errors = 0;
    int64_t plan_hits = 0;
  };
  std::vector<Group> groups;  // in config order
  bool any = false;
  for (const ProcessConfig& p : config_.processes) {
    const NodeSample* now = current.Find(p.id);
    if (now == nullptr || !now->up() || !now->metrics->has_shared_cache()) {
      continue;
    }
    const v1::SharedCacheMetrics& cache = now->metrics->shared_cache();
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.name == p.host_group;
    });
    if (it == groups.end()) {
      groups.push_back(Group{p.host_group});
      it = std::prev(groups.end());
    }
    ++it->nodes;
    it->attach_errors += cache.attach_errors();
    it->plan_hits += cache.plan_hits();
    any |= cache.enabled() || cache.attach_errors() > 0;
    if (cache.enabled()) {
      ++it->attached;
      if (it->segment == nullptr) it->segment = &cache;
    }
  }
  std::vector<std::string> lines;
  if (!any) return lines;
  lines.push_back("");
  for (const Group& g : groups) {
    std::string line = absl::StrFormat(
        "cache %s  %d/%d attached", g.name.empty() ? "-" : g.name, g.attached,
        g.nodes);
    if (g.segment != nullptr) {
      const v1::SharedCacheMetrics& c = *g.segment;
      const v1::SharedCacheCounters& n = c.segment_counters();
      const int64_t lookups = n.hits() + n.misses();
      absl::StrAppend(
          &line, "  ", Bytes(c.bytes_used()), "/", Bytes(c.segment_bytes()),
          "  entries ", Grouped(c.entries()), "  hits ", Grouped(n.hits()),
          lookups > 0 ? absl::StrFormat(" (%.0f%%)", 100.0 * n.hits() / lookups)
                      : std::string(),
          "  misses ", Grouped(n.misses()), "  inserts ", Grouped(n.inserts()),
          "  evicted ", Grouped(n.evictions()), "  expired ",
          Grouped(n.expired()), "  torn ", Grouped(n.torn_read_retries()),
          "  plans hit ", Grouped(g.plan_hits));
    } else {
      absl::StrAppend(&line, "  off");
    }
    if (g.attach_errors > 0) {
      absl::StrAppend(&line, "  attach errors ", Grouped(g.attach_errors));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> FrameRenderer::Render(const Snapshot* previous,
                                               const Snapshot& current) const {
  std::vector<std::vector<std::string>> table;
  table.emplace_back();
  for (const Column& c : kColumns) table.back().push_back(c.title);
  std::vector<std::string> reasons = {""};  // per table row
  std::vector<std::vector<std::string>> admission;
  admission.emplace_back();
  for (const Column& c : kAdmissionColumns) admission.back().push_back(c.title);
  std::set<std::string> down;
  std::vector<std::string> down_ids;
  for (const ProcessConfig& p : config_.processes) {
    const NodeSample* now = current.Find(p.id);
    std::vector<std::string> row = {p.id, std::string(RoleName(p.role)),
                                    p.team.empty() ? "-" : p.team,
                                    now ? now->address : p.Address()};
    if (now == nullptr || !now->up()) {
      down.insert(p.id);
      down_ids.push_back(p.id);
      row.push_back("DOWN");
      while (row.size() < kNumColumns) row.push_back("-");
      std::vector<std::string>& adm = admission.emplace_back();
      adm.push_back(p.id);
      while (adm.size() < kNumAdmissionColumns) adm.push_back("-");
      reasons.push_back(now == nullptr
                            ? "not polled"
                            : DownReason(now->status_code, now->error));
    } else {
      const v1::MetricsResponse& m = *now->metrics;
      const NodeRates rates = ComputeRates(
          previous == nullptr ? nullptr : previous->Find(p.id), *now);
      row.push_back("up");
      row.push_back(Optional(rates.qps, 1));
      row.push_back(absl::StrCat(m.in_flight()));
      row.push_back(absl::StrCat(m.queue_depth()));
      row.push_back(Optional(QueryP99(m), 2));
      row.push_back(Grouped(m.rows_loaded()));
      row.push_back(Bytes(m.rss_bytes()));
      row.push_back(Optional(rates.cpu_percent, 1));
      row.push_back(Duration(m.uptime_s()));
      admission.push_back(
          {p.id,
           PerPool(m, [](const auto& pool) { return pool.limit(); }),
           PerPool(m, [](const auto& pool) { return pool.in_flight(); }),
           PerPool(m, [](const auto& pool) { return pool.queued(); }),
           Optional(rates.admitted_per_s, 1), Optional(rates.rejected_per_s, 1),
           absl::StrFormat("%.2f", m.queue_wait_p99_ms()), Rejections(m)});
      reasons.push_back(m.node_id().empty() || m.node_id() == p.id
                            ? ""
                            : absl::StrCat("answers as '", m.node_id(), "'"));
    }
    table.push_back(std::move(row));
  }

  std::vector<std::string> lines;
  const int total = static_cast<int>(config_.processes.size());
  std::string title = absl::StrFormat(
      "overlay %s  %d/%d up", config_.name.empty() ? "-" : config_.name,
      total - static_cast<int>(down_ids.size()), total);
  if (!down_ids.empty()) {
    absl::StrAppend(&title, "  DOWN: ", absl::StrJoin(down_ids, " "));
  }
  if (!config_.path.empty()) absl::StrAppend(&title, "  (", config_.path, ")");
  lines.push_back(std::move(title));
  lines.push_back("");
  AppendTable(table, kColumns, kNumColumns, reasons, &lines);
  lines.push_back("");
  AppendTable(admission, kAdmissionColumns, kNumAdmissionColumns, {},
              &lines);

  for (std::string& line : SharedCacheLines(current)) {
    lines.push_back(std::move(line));
  }

  lines.push_back("");
  const auto edges = UndirectedEdges(config_);
  bool any_broken = false;
  std::string line = absl::StrCat("edges (", edges.size(), "):");
  for (size_t i = 0; i < edges.size(); ++i) {
    const auto& [a, b] = edges[i];
    const bool broken = down.count(a) > 0 || down.count(b) > 0;
    any_broken |= broken;
    if (i > 0 && i % kEdgesPerLine == 0) {
      lines.push_back(std::move(line));
      line = "      ";
    }
    absl::StrAppend(&line, "  ", a, "-", b, broken ? "(x)" : "");
  }
  lines.push_back(std::move(line));
  if (any_broken) lines.push_back("(x): an end of the edge is DOWN");
  return lines;
}

}  // namespace overlay::top
