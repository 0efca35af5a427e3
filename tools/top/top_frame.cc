// Copyright 2026 The overlay Authors.

#include "tools/top/top_frame.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace overlay::top {
namespace {

const NodePoll* Find(const std::vector<NodePoll>& polls, const std::string& id) {
  for (const NodePoll& p : polls) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

double QueryP99(const v1::MetricsResponse& m) {
  for (const v1::LatencySummary& s : m.latency()) {
    if (s.rpc() == "Query") return s.p99_ms();
  }
  return 0;
}

}  // namespace

std::vector<std::string> RenderFrame(const OverlayConfig& config,
                                     const std::vector<NodePoll>& previous,
                                     const std::vector<NodePoll>& current) {
  std::vector<std::string> lines;
  int up = 0;
  for (const NodePoll& p : current) up += p.metrics.has_value();
  lines.push_back(absl::StrFormat(
      "overlay %s: %d/%d nodes up   (q quits)",
      config.name.empty() ? config.path : config.name, up,
      static_cast<int>(config.processes.size())));
  lines.push_back(absl::StrFormat(
      "%-4s %-12s %-6s %-21s %-5s %8s %6s %6s %9s %9s %8s %6s", "ID", "ROLE",
      "TEAM", "HOST", "STATE", "QPS", "INFLT", "QUEUE", "P99_MS", "ROWS",
      "RSS_MB", "CPU%"));
  std::set<std::string> down;
  for (const ProcessConfig& p : config.processes) {
    const NodePoll* now = Find(current, p.id);
    const NodePoll* before = Find(previous, p.id);
    if (now == nullptr || !now->metrics) {
      down.insert(p.id);
      lines.push_back(absl::StrFormat(
          "%-4s %-12s %-6s %-21s %-5s %s", p.id, std::string(RoleName(p.role)),
          p.team, p.Address(), "DOWN",
          now == nullptr ? "" : now->error.substr(0, 60)));
      continue;
    }
    const v1::MetricsResponse& m = *now->metrics;
    std::string qps = "-";
    std::string cpu = "-";
    if (before != nullptr && before->metrics && now->at_s > before->at_s &&
        before->metrics->pid() == m.pid()) {
      const double dt = now->at_s - before->at_s;
      qps = absl::StrFormat(
          "%.1f",
          (m.queries_received() - before->metrics->queries_received()) / dt);
      cpu = absl::StrFormat("%.1f",
                            100.0 * (m.cpu_s() - before->metrics->cpu_s()) / dt);
    }
    lines.push_back(absl::StrFormat(
        "%-4s %-12s %-6s %-21s %-5s %8s %6d %6d %9.3f %9d %8.1f %6s", p.id,
        m.role(), m.team(), p.Address(), "up", qps, m.in_flight(),
        m.queue_depth(), QueryP99(m), m.rows_loaded(),
        m.rss_bytes() / 1048576.0, cpu));
  }
  // Edges, each once (neighbour lists are symmetric).
  std::string edges = "edges:";
  for (const ProcessConfig& p : config.processes) {
    for (const std::string& n : p.neighbors) {
      if (n < p.id) continue;
      const bool broken = down.count(p.id) || down.count(n);
      absl::StrAppend(&edges, " ", p.id, "-", n, broken ? "(x)" : "");
    }
  }
  lines.push_back("");
  lines.push_back(edges);
  if (!down.empty()) {
    lines.push_back("(x): an end of the edge is down");
  }
  return lines;
}

}  // namespace overlay::top
