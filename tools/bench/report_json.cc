// Copyright 2026 The overlay Authors.

#include "tools/bench/report_json.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace overlay::bench {
namespace {

std::string Num(double value) {
  if (!std::isfinite(value)) return "0";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.6f", value);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string Int(int64_t value) { return absl::StrCat(value); }
std::string Bool(bool value) { return value ? "true" : "false"; }

std::string Str(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x",
                        static_cast<unsigned char>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// An object whose values are already rendered JSON.
class Object {
 public:
  Object& Add(absl::string_view key, std::string json) {
    fields_.emplace_back(std::string(key), std::move(json));
    return *this;
  }
  // {"a": 1, "b": 2}
  std::string Inline() const {
    std::vector<std::string> parts;
    for (const auto& [key, value] : fields_) {
      parts.push_back(absl::StrCat(Str(key), ": ", value));
    }
    return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  }
  // One field a line, indented by `indent` spaces inside.
  std::string Block(int indent) const {
    if (fields_.empty()) return "{}";
    const std::string pad(indent, ' ');
    std::vector<std::string> parts;
    for (const auto& [key, value] : fields_) {
      parts.push_back(absl::StrCat(pad, Str(key), ": ", value));
    }
    return absl::StrCat("{\n", absl::StrJoin(parts, ",\n"), "\n",
                        std::string(indent - 2, ' '), "}");
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string InlineArray(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

// One element a line.
std::string BlockArray(const std::vector<std::string>& items, int indent) {
  if (items.empty()) return "[]";
  const std::string pad(indent, ' ');
  std::vector<std::string> parts;
  for (const std::string& item : items) parts.push_back(pad + item);
  return absl::StrCat("[\n", absl::StrJoin(parts, ",\n"), "\n",
                      std::string(indent - 2, ' '), "]");
}

std::string Latency(const LatencySummary& s, absl::string_view includes = "") {
  Object o;
  if (!includes.empty()) o.Add("includes", Str(includes));
  o.Add("count", Int(s.count))
      .Add("min", Num(s.min_ms))
      .Add("avg", Num(s.avg_ms))
      .Add("p50", Num(s.p50_ms))
      .Add("p90", Num(s.p90_ms))
      .Add("p95", Num(s.p95_ms))
      .Add("p99", Num(s.p99_ms))
      .Add("p999", Num(s.p999_ms))
      .Add("max", Num(s.max_ms));
  return o.Inline();
}

std::string Counts(const std::map<std::string, int64_t>& counts, int indent) {
  Object o;
  for (const auto& [key, count] : counts) o.Add(key, Int(count));
  return o.Block(indent);
}

std::string Sample(const NodeSample& s) {
  return Object()
      .Add("t_s", Num(s.t_s))
      .Add("phase", Str(s.phase))
      .Add("ok", Bool(s.ok))
      .Add("error", Str(s.error))
      .Add("queries_received", Int(s.queries_received))
      .Add("in_flight", Int(s.in_flight))
      .Add("queue_depth", Int(s.queue_depth))
      .Add("admitted", Int(s.admitted))
      .Add("rejected", Int(s.rejected))
      .Add("cpu_s", Num(s.cpu_s))
      .Add("rss_bytes", Int(s.rss_bytes))
      .Add("rss_shmem_bytes", Int(s.rss_shmem_bytes))
      .Add("chunks_served", Int(s.chunks_served))
      .Add("errors", Int(s.errors))
      .Inline();
}

std::string Node(const NodeReport& node) {
  std::vector<std::string> samples;
  for (const NodeSample& sample : node.samples)
    samples.push_back(Sample(sample));
  return Object()
      .Add("id", Str(node.id))
      .Add("address", Str(node.address))
      .Add("reachable", Bool(node.reachable))
      .Add("queries_received", Int(node.queries_received))
      .Add("cpu_s_used", Num(node.cpu_s_used))
      .Add("max_in_flight", Int(node.max_in_flight))
      .Add("max_queue_depth", Int(node.max_queue_depth))
      .Add("admitted", Int(node.admitted))
      .Add("rejected", Int(node.rejected))
      .Add("samples", BlockArray(samples, 8))
      .Block(6);
}

std::string WorkloadArray(const std::vector<WorkloadSummary>& entries,
                          int indent) {
  std::vector<std::string> workload;
  for (const WorkloadSummary& entry : entries) {
    workload.push_back(Object()
                           .Add("weight", Num(entry.weight))
                           .Add("words", Str(entry.words))
                           .Inline());
  }
  return BlockArray(workload, indent);
}

std::string OpenLoop(const std::string& mode, int64_t planned,
                     const LatencySummary& start_lag) {
  if (mode != "open") return "null";
  return Object()
      .Add("scheduled", Int(planned))
      .Add("start_lag_ms", Latency(start_lag))
      .Inline();
}

std::string Client(const ClientReport& c) {
  return Object()
      .Add("name", Str(c.name))
      .Add("client_id", Str(c.client_id))
      .Add("mode", Str(c.mode))
      .Add("workload", WorkloadArray(c.workload, 8))
      .Add("planned", Int(c.planned))
      .Add("concurrency", Int(c.concurrency))
      .Add("rate", Num(c.rate))
      .Add("duration_s", Num(c.duration_s))
      .Add("deadline_ms", Int(c.deadline_ms))
      .Add("channels", Int(c.channels))
      .Add("parallel", Int(c.parallel))
      .Add("requests", Int(c.requests))
      .Add("ok", Int(c.ok))
      .Add("errors", Int(c.errors))
      .Add("partial", Int(c.partial))
      .Add("release_failures", Int(c.release_failures))
      .Add("success_rate", Num(c.success_rate))
      .Add("wall_s", Num(c.wall_s))
      .Add("qps", Num(c.qps))
      .Add("attempted_qps", Num(c.attempted_qps))
      .Add("latency_ms", Latency(c.latency, "successes"))
      .Add("error_latency_ms", Latency(c.error_latency, "failures"))
      .Add("latency_split_ms", Object()
                                   .Add("query", Latency(c.query))
                                   .Add("chunk", Latency(c.chunk))
                                   .Add("release", Latency(c.release))
                                   .Inline())
      .Add("open_loop", OpenLoop(c.mode, c.planned, c.start_lag))
      .Add("retry_pushback_ms", Latency(c.retry_pushback))
      .Add("errors_by_code", Counts(c.errors_by_code, 8))
      .Add("errors_by_message", Counts(c.errors_by_message, 8))
      .Block(6);
}

double PerOk(const BenchResult& r, double total) {
  return r.ok > 0 ? total / static_cast<double>(r.ok) : 0;
}

}  // namespace

std::string RenderJsonReport(const BenchResult& r) {
  // A "mixed" run has open-loop clients too: the start lag is theirs, and
  // so is the schedule.
  int64_t scheduled = r.planned;
  if (r.mode == "mixed") {
    scheduled = 0;
    for (const ClientReport& client : r.clients) {
      if (client.mode == "open") scheduled += client.planned;
    }
  }
  const std::string open_loop =
      OpenLoop(r.mode == "mixed" ? "open" : r.mode, scheduled, r.start_lag);
  Object per_query;
  per_query.Add("records_avg", Num(PerOk(r, r.records_total)))
      .Add("records_min", Int(r.records_min))
      .Add("records_max", Int(r.records_max))
      .Add("records_total", Int(r.records_total))
      .Add("bytes_avg", Num(PerOk(r, r.bytes_total)))
      .Add("bytes_total", Int(r.bytes_total))
      .Add("chunks_avg", Num(PerOk(r, r.chunks_total)))
      .Add("chunks_total", Int(r.chunks_total));

  std::vector<std::string> bounds;
  std::vector<std::string> counts;
  int64_t histogram_total = 0;
  for (const LatencyBin& bin : r.histogram) {
    if (bounds.empty()) bounds.push_back(Num(bin.lo_ns * 1e-6));
    bounds.push_back(Num(bin.hi_ns * 1e-6));
    counts.push_back(Int(bin.count));
    histogram_total += bin.count;
  }
  Object histogram;
  histogram.Add("unit", Str("ms"))
      .Add("includes", Str("successes"))
      .Add("bounds", InlineArray(bounds))
      .Add("counts", InlineArray(counts))
      .Add("total", Int(histogram_total));

  std::vector<std::string> timeline;
  for (const TimelinePoint& p : r.timeline) {
    timeline.push_back(Object()
                           .Add("t_s", Num(p.t_s))
                           .Add("width_s", Num(p.width_s))
                           .Add("ok", Int(p.ok))
                           .Add("errors", Int(p.errors))
                           .Add("qps", Num(p.qps))
                           .Add("p50_ms", Num(p.p50_ms))
                           .Add("p90_ms", Num(p.p90_ms))
                           .Add("p99_ms", Num(p.p99_ms))
                           .Add("max_ms", Num(p.max_ms))
                           .Inline());
  }
  std::vector<std::string> nodes;
  for (const NodeReport& node : r.nodes) nodes.push_back(Node(node));
  std::vector<std::string> clients;
  for (const ClientReport& client : r.clients)
    clients.push_back(Client(client));

  Object top;
  top.Add("schema", Str(kJsonSchemaVersion))
      .Add("started_at", Str(r.started_at))
      .Add("target", Str(r.target))
      .Add("rpc", Str(r.rpc))
      .Add("mode", Str(r.mode))
      .Add("workload", WorkloadArray(r.workload, 4))
      .Add("fetch_chunks", Bool(r.fetch_chunks))
      .Add("planned", Int(r.planned))
      .Add("requests", Int(r.requests))
      .Add("concurrency", Int(r.concurrency))
      .Add("rate", Num(r.rate))
      .Add("duration_s", Num(r.duration_s))
      .Add("warmup", Int(r.warmup))
      .Add("honor_pushback", Bool(r.honor_pushback))
      .Add("deadline_ms", Int(r.deadline_ms))
      .Add("channels", Int(r.channels))
      .Add("cq_threads", Int(r.cq_threads))
      .Add("parallel", Int(r.parallel))
      .Add("ok", Int(r.ok))
      .Add("errors", Int(r.errors))
      .Add("partial", Int(r.partial))
      .Add("release_failures", Int(r.release_failures))
      .Add("wall_s", Num(r.wall_s))
      .Add("qps", Num(r.qps))
      .Add("attempted_qps", Num(r.attempted_qps))
      .Add("latency_ms", Latency(r.latency, "successes"))
      .Add("error_latency_ms", Latency(r.error_latency, "failures"))
      .Add("latency_split_ms", Object()
                                   .Add("query", Latency(r.query))
                                   .Add("chunk", Latency(r.chunk))
                                   .Add("release", Latency(r.release))
                                   .Block(4))
      .Add("open_loop", open_loop)
      .Add("retry_pushback_ms", Latency(r.retry_pushback))
      .Add("per_query", per_query.Inline())
      .Add("histogram", histogram.Block(4))
      .Add("timeline", BlockArray(timeline, 4))
      .Add("errors_by_code", Counts(r.errors_by_code, 4))
      .Add("errors_by_message", Counts(r.errors_by_message, 4))
      .Add("client",
           Object()
               .Add("cpu_s", Num(r.client_cpu_s))
               .Add("ok_per_cpu_s",
                    Num(r.client_cpu_s > 0 ? r.ok / r.client_cpu_s : 0))
               .Inline())
      .Add("server", Object()
                         .Add("cpu_s", Num(r.server_cpu_s))
                         .Add("ok_per_cpu_s", Num(r.ok_per_server_cpu_s))
                         .Add("cores_busy",
                              Num(r.wall_s > 0 ? r.server_cpu_s / r.wall_s : 0))
                         .Inline())
      .Add("nodes", BlockArray(nodes, 4))
      .Add("clients", BlockArray(clients, 4));
  return top.Block(2) + "\n";
}

}  // namespace overlay::bench
