// Copyright 2026 The overlay Authors.

#include "tools/bench/terminal_report.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace overlay::bench {
namespace {

std::string Ms(double ms) {
  if (ms >= 100) return absl::StrFormat("%.0f", ms);
  if (ms >= 10) return absl::StrFormat("%.1f", ms);
  if (ms >= 1) return absl::StrFormat("%.2f", ms);
  return absl::StrFormat("%.3f", ms);
}

std::string Bytes(double bytes) {
  if (bytes >= 1 << 30) return absl::StrFormat("%.1f GiB", bytes / (1 << 30));
  if (bytes >= 1 << 20) return absl::StrFormat("%.1f MiB", bytes / (1 << 20));
  if (bytes >= 1 << 10) return absl::StrFormat("%.1f KiB", bytes / (1 << 10));
  return absl::StrFormat("%.0f B", bytes);
}

std::string LatencyLine(const char* name, const LatencySummary& s) {
  if (s.count == 0) return absl::StrFormat("  %-8s (none)\n", name);
  return absl::StrFormat(
      "  %-8s n=%-8d min %s  avg %s  p50 %s  p90 %s  p95 %s  p99 %s  "
      "p99.9 %s  max %s\n",
      name, s.count, Ms(s.min_ms), Ms(s.avg_ms), Ms(s.p50_ms), Ms(s.p90_ms),
      Ms(s.p95_ms), Ms(s.p99_ms), Ms(s.p999_ms), Ms(s.max_ms));
}

std::string BinEdge(double ns) {
  const double ms = ns * 1e-6;
  if (ms >= 100) return absl::StrFormat("%.0f", ms);
  if (ms >= 10) return absl::StrFormat("%.1f", ms);
  if (ms >= 1) return absl::StrFormat("%.2f", ms);
  if (ms >= 0.1) return absl::StrFormat("%.3f", ms);
  return absl::StrFormat("%.4f", ms);
}

// One client: its line of counts and latencies, then its errors by code.
std::string ClientLines(const ClientReport& c) {
  std::string out = absl::StrFormat("  %-10s %-6s %8d %8d %7d %7.2f%% %8d",
                                    c.name, c.mode, c.requests, c.ok, c.errors,
                                    100 * c.success_rate, c.partial);
  if (c.latency.count > 0) {
    absl::StrAppendFormat(&out, " %8s %8s %8s %8s\n", Ms(c.latency.p50_ms),
                          Ms(c.latency.p90_ms), Ms(c.latency.p99_ms),
                          Ms(c.latency.max_ms));
  } else {
    absl::StrAppendFormat(&out, " %8s %8s %8s %8s\n", "-", "-", "-", "-");
  }
  if (!c.errors_by_code.empty()) {
    out += "      errors:";
    for (const auto& [code, count] : c.errors_by_code) {
      absl::StrAppend(&out, "  ", code, " ", count);
    }
    if (c.errors > 0) {
      absl::StrAppend(&out, "  (failed p50 ", Ms(c.error_latency.p50_ms),
                      " p99 ", Ms(c.error_latency.p99_ms), " ms)");
    }
    if (c.retry_pushback.count > 0) {
      absl::StrAppend(&out, "  retry hints ", c.retry_pushback.count, " (max ",
                      Ms(c.retry_pushback.max_ms), " ms)");
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string RenderTerminalHistogram(const LatencyRecorder& recorder,
                                    int width) {
  std::vector<LatencyBin> bins = recorder.Bins(5);
  if (bins.size() > 24) bins = recorder.Bins(3);
  if (bins.empty()) return "  (no samples)\n";
  int64_t peak = 0;
  for (const LatencyBin& bin : bins) peak = std::max(peak, bin.count);
  std::string out;
  for (const LatencyBin& bin : bins) {
    const int bar =
        peak == 0 ? 0 : static_cast<int>((bin.count * width + peak - 1) / peak);
    absl::StrAppendFormat(&out, "  %8s - %8s ms |%-*s %9d %5.1f%%\n",
                          BinEdge(bin.lo_ns), BinEdge(bin.hi_ns), width,
                          std::string(bar, '#'), bin.count,
                          100.0 * static_cast<double>(bin.count) /
                              static_cast<double>(recorder.count()));
  }
  return out;
}

std::string RenderTextReport(const BenchResult& r) {
  std::string out;
  absl::StrAppendFormat(
      &out, "overlay_bench -> %s  rpc %s  %s loop%s\n", r.target, r.rpc, r.mode,
      r.explicit_clients ? absl::StrCat(", ", r.clients.size(), " clients")
                         : "");
  absl::StrAppendFormat(&out, "  workload: %s%s\n", r.workload_text,
                        r.rpc == "query" && !r.fetch_chunks
                            ? "  (--no-chunks: Query + Release only)"
                            : "");
  if (r.mode == "open") {
    absl::StrAppendFormat(&out,
                          "  rate %.1f req/s scheduled, at most %d in "
                          "flight, %d channels, %d CQ threads\n",
                          r.rate, r.concurrency, r.channels, r.cq_threads);
  } else if (r.mode == "mixed") {
    absl::StrAppendFormat(&out,
                          "  open-loop clients %.1f req/s scheduled; %d in "
                          "flight at most over all; %d channels, %d CQ "
                          "threads\n",
                          r.rate, r.concurrency, r.channels, r.cq_threads);
  } else {
    absl::StrAppendFormat(
        &out, "  concurrency %d, %d channels, %d CQ threads%s\n", r.concurrency,
        r.channels, r.cq_threads,
        r.warmup > 0 ? absl::StrCat(", after ", r.warmup, " warmup requests")
                     : "");
  }
  if (r.parallel > 1) {
    absl::StrAppendFormat(&out, "  %d GetChunk calls in flight a request\n",
                          r.parallel);
  }
  absl::StrAppendFormat(&out,
                        "requests %d  ok %d  errors %d  (partial %d, "
                        "release failures %d)\n",
                        r.requests, r.ok, r.errors, r.partial,
                        r.release_failures);
  absl::StrAppendFormat(&out,
                        "wall %.3f s  throughput %.1f ok/s  (attempted %.1f "
                        "req/s)\n",
                        r.wall_s, r.qps, r.attempted_qps);
  absl::StrAppendFormat(&out, "latency, ms (successes only%s):\n",
                        r.mode == "open"    ? "; from the scheduled start"
                        : r.mode == "mixed" ? "; open-loop clients' from the "
                                              "scheduled start"
                                            : "");
  out += LatencyLine("request", r.latency);
  if (r.rpc == "query") {
    out += LatencyLine("Query", r.query);
    if (r.fetch_chunks) out += LatencyLine("GetChunk", r.chunk);
    out += LatencyLine("Release", r.release);
  }
  if (r.errors > 0) out += LatencyLine("failed", r.error_latency);
  if (r.mode != "closed") out += LatencyLine("startlag", r.start_lag);
  if (r.ok > 0 && r.rpc == "query") {
    const double n = static_cast<double>(r.ok);
    absl::StrAppendFormat(&out,
                          "per query: records avg %.1f (min %d, max %d), "
                          "chunks avg %.2f, bytes avg %s (total %s)\n",
                          r.records_total / n, r.records_min, r.records_max,
                          r.chunks_total / n, Bytes(r.bytes_total / n),
                          Bytes(static_cast<double>(r.bytes_total)));
  }
  if (!r.errors_by_code.empty()) {
    out += "errors by code:";
    for (const auto& [code, count] : r.errors_by_code) {
      absl::StrAppend(&out, "  ", code, " ", count);
    }
    out += "\nerrors by message:\n";
    for (const auto& [message, count] : r.errors_by_message) {
      absl::StrAppendFormat(&out, "  %8d  %s\n", count, message);
    }
  }
  if (r.explicit_clients) {
    out += "clients (latency ms of successes; partial: ok but incomplete):\n";
    absl::StrAppendFormat(&out,
                          "  %-10s %-6s %8s %8s %7s %8s %8s %8s %8s %8s %8s\n",
                          "name", "mode", "requests", "ok", "errors", "success",
                          "partial", "p50", "p90", "p99", "max");
    for (const ClientReport& client : r.clients) out += ClientLines(client);
  }
  if (!r.nodes.empty()) {
    out += "nodes (GetMetrics before/after the run):\n";
    absl::StrAppendFormat(&out, "  %-6s %-22s %10s %9s %12s %11s %10s\n",
                          "id", "address", "queries", "cpu_s", "max_inflight",
                          "max_queue", "rejected");
    for (const NodeReport& node : r.nodes) {
      if (!node.reachable) {
        absl::StrAppendFormat(&out, "  %-6s %-22s unreachable\n", node.id,
                              node.address);
        continue;
      }
      absl::StrAppendFormat(&out, "  %-6s %-22s %10d %9.3f %12d %11d %10d\n",
                            node.id, node.address, node.queries_received,
                            node.cpu_s_used, node.max_in_flight,
                            node.max_queue_depth, node.rejected);
    }
    if (r.server_cpu_s > 0) {
      absl::StrAppendFormat(
          &out,
          "server CPU %.3f s (%.2f cores busy): %.1f ok requests per server "
          "CPU-second\n",
          r.server_cpu_s, r.wall_s > 0 ? r.server_cpu_s / r.wall_s : 0,
          r.ok_per_server_cpu_s);
    }
  }
  absl::StrAppendFormat(&out, "client CPU %.3f s (%.2f cores)\n",
                        r.client_cpu_s,
                        r.wall_s > 0 ? r.client_cpu_s / r.wall_s : 0);
  out += "latency histogram (successes):\n";
  out += RenderTerminalHistogram(r.latency_recorder);
  return out;
}

}  // namespace overlay::bench
