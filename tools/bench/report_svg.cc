// Copyright 2026 The overlay Authors.

#include "tools/bench/report_svg.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace overlay::bench {
namespace {

constexpr int kWidth = 1000;
constexpr int kHeight = 940;
constexpr int kLeft = 90;    // plot area x offset
constexpr int kRight = 200;  // space for the legend
constexpr int kPlotWidth = kWidth - kLeft - kRight;
constexpr const char* kFont = "font-family=\"DejaVu Sans, Arial, sans-serif\"";
constexpr const char* kP50Color = "#1f77b4";
constexpr const char* kP90Color = "#ff7f0e";
constexpr const char* kP99Color = "#d62728";
constexpr const char* kOkColor = "#2ca02c";
constexpr const char* kErrorColor = "#d62728";
constexpr const char* kBarColor = "#6a8fc7";

std::string Escape(absl::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Fmt(double v) { return absl::StrFormat("%.1f", v); }

// A tick label: no trailing zeros, k/M suffixes for big numbers.
std::string TickLabel(double v) {
  if (std::fabs(v) >= 1e6) return absl::StrFormat("%gM", v / 1e6);
  if (std::fabs(v) >= 1e4) return absl::StrFormat("%gk", v / 1e3);
  return absl::StrFormat("%g", std::round(v * 1e6) / 1e6);
}

// A 1-2-5 step giving about `target` ticks over [0, max].
double NiceStep(double max, int target) {
  if (!(max > 0)) return 1;
  const double raw = max / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string Text(double x, double y, absl::string_view text,
                 absl::string_view extra = "") {
  return absl::StrCat("<text x=\"", Fmt(x), "\" y=\"", Fmt(y), "\" ", extra,
                      ">", Escape(text), "</text>\n");
}

std::string Line(double x1, double y1, double x2, double y2,
                 absl::string_view style) {
  return absl::StrCat("<line x1=\"", Fmt(x1), "\" y1=\"", Fmt(y1), "\" x2=\"",
                      Fmt(x2), "\" y2=\"", Fmt(y2), "\" ", style, "/>\n");
}

// A plot area with linear y, and linear or log10 x.
struct Panel {
  double top = 0;
  double height = 0;
  double x_min = 0;
  double x_max = 1;
  bool x_log = false;
  double y_max = 1;

  double X(double v) const {
    double f;
    if (x_log) {
      f = (std::log10(std::max(v, 1e-12)) - std::log10(x_min)) /
          (std::log10(x_max) - std::log10(x_min));
    } else {
      f = (v - x_min) / (x_max - x_min);
    }
    return kLeft + std::clamp(f, 0.0, 1.0) * kPlotWidth;
  }
  double Y(double v) const {
    return top + height - std::clamp(v / y_max, 0.0, 1.0) * height;
  }
  double bottom() const { return top + height; }
};

// Frame, title, gridlines, y ticks and the axis labels.
std::string DrawFrame(Panel& panel, absl::string_view title,
                      absl::string_view x_label, absl::string_view y_label,
                      double data_y_max) {
  std::string out;
  const double step = NiceStep(data_y_max > 0 ? data_y_max : 1, 5);
  panel.y_max = std::max(
      step,
      std::ceil((data_y_max > 0 ? data_y_max : 1) / step * 1.0001) * step);
  out += Text(kLeft, panel.top - 12, title,
              absl::StrCat(kFont, " font-size=\"15\" font-weight=\"bold\""));
  out +=
      absl::StrCat("<rect x=\"", kLeft, "\" y=\"", Fmt(panel.top),
                   "\" width=\"", kPlotWidth, "\" height=\"", Fmt(panel.height),
                   "\" fill=\"#fafafa\" stroke=\"#444\"/>\n");
  for (double v = 0; v <= panel.y_max * 1.0001; v += step) {
    const double y = panel.Y(v);
    if (v > 0) {
      out += Line(kLeft, y, kLeft + kPlotWidth, y,
                  "stroke=\"#ddd\" stroke-width=\"1\"");
    }
    out += Line(kLeft - 5, y, kLeft, y, "stroke=\"#444\"");
    out += Text(kLeft - 8, y + 4, TickLabel(v),
                absl::StrCat(kFont, " font-size=\"11\" text-anchor=\"end\""));
  }
  out += Text(kLeft + kPlotWidth / 2.0, panel.bottom() + 36, x_label,
              absl::StrCat(kFont, " font-size=\"12\" text-anchor=\"middle\""));
  const double mid = panel.top + panel.height / 2;
  out += absl::StrCat("<text transform=\"translate(", kLeft - 58, ",", Fmt(mid),
                      ") rotate(-90)\" ", kFont,
                      " font-size=\"12\" text-anchor=\"middle\">",
                      Escape(y_label), "</text>\n");
  return out;
}

// Linear x ticks for a time axis.
std::string DrawTimeTicks(const Panel& panel) {
  std::string out;
  const double step = NiceStep(panel.x_max - panel.x_min, 8);
  for (double v = panel.x_min; v <= panel.x_max + 1e-9; v += step) {
    const double x = panel.X(v);
    out += Line(x, panel.bottom(), x, panel.bottom() + 5, "stroke=\"#444\"");
    out +=
        Text(x, panel.bottom() + 18, TickLabel(v),
             absl::StrCat(kFont, " font-size=\"11\" text-anchor=\"middle\""));
  }
  return out;
}

std::string LegendEntry(double x, double y, const char* color,
                        absl::string_view label, bool dashed = false) {
  return Line(x, y, x + 24, y,
              absl::StrCat("stroke=\"", color, "\" stroke-width=\"2.5\"",
                           dashed ? " stroke-dasharray=\"5,3\"" : "")) +
         Text(x + 30, y + 4, label, absl::StrCat(kFont, " font-size=\"12\""));
}

// A polyline with a dot at each point; hollow where `partial` (a last
// second shorter than a second, whose figures rest on fewer requests).
std::string Series(const Panel& panel, const std::vector<double>& xs,
                   const std::vector<double>& ys,
                   const std::vector<bool>& partial, const char* color) {
  std::string points;
  std::string dots;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = panel.X(xs[i]);
    const double y = panel.Y(ys[i]);
    absl::StrAppend(&points, Fmt(x), ",", Fmt(y), " ");
    absl::StrAppend(&dots, "<circle cx=\"", Fmt(x), "\" cy=\"", Fmt(y),
                    partial[i] ? "\" r=\"3.5\" fill=\"white\" stroke=\""
                               : "\" r=\"2.5\" fill=\"",
                    color, "\"/>\n");
  }
  return absl::StrCat("<polyline fill=\"none\" stroke=\"", color,
                      "\" stroke-width=\"2\" points=\"", points, "\"/>\n",
                      dots);
}

std::string NoData(const Panel& panel, absl::string_view what) {
  return Text(kLeft + kPlotWidth / 2.0, panel.top + panel.height / 2, what,
              absl::StrCat(kFont,
                           " font-size=\"13\" fill=\"#888\" "
                           "text-anchor=\"middle\""));
}

std::string LatencyPanel(const BenchResult& r, Panel panel) {
  std::vector<double> xs, p50, p90, p99;
  std::vector<bool> partial;
  double y_max = 0;
  for (const TimelinePoint& p : r.timeline) {
    if (p.ok == 0) continue;
    xs.push_back(p.t_s + p.width_s / 2);
    partial.push_back(p.width_s < 0.999);
    p50.push_back(p.p50_ms);
    p90.push_back(p.p90_ms);
    p99.push_back(p.p99_ms);
    y_max = std::max(y_max, p.p99_ms);
  }
  panel.x_min = 0;
  panel.x_max = std::max(1.0, std::ceil(r.wall_s));
  std::string out =
      DrawFrame(panel,
                r.mode == "open"
                    ? "Latency per second (successes; from the scheduled start)"
                    : "Latency per second (successful requests)",
                "time since start (s)", "latency (ms)", y_max);
  out += DrawTimeTicks(panel);
  if (xs.empty()) return out + NoData(panel, "no successful requests");
  out += Series(panel, xs, p50, partial, kP50Color);
  out += Series(panel, xs, p90, partial, kP90Color);
  out += Series(panel, xs, p99, partial, kP99Color);
  const double lx = kLeft + kPlotWidth + 20;
  out += LegendEntry(lx, panel.top + 14, kP99Color,
                     absl::StrFormat("p99 (all: %.3g ms)", r.latency.p99_ms));
  out += LegendEntry(lx, panel.top + 34, kP90Color,
                     absl::StrFormat("p90 (all: %.3g ms)", r.latency.p90_ms));
  out += LegendEntry(lx, panel.top + 54, kP50Color,
                     absl::StrFormat("p50 (all: %.3g ms)", r.latency.p50_ms));
  return out;
}

std::string ThroughputPanel(const BenchResult& r, Panel panel) {
  std::vector<double> xs, qps;
  std::vector<bool> partial;
  double y_max = 0;
  for (const TimelinePoint& p : r.timeline) {
    xs.push_back(p.t_s + p.width_s / 2);
    partial.push_back(p.width_s < 0.999);
    qps.push_back(p.qps);
    y_max = std::max({y_max, p.qps, p.errors / p.width_s});
  }
  panel.x_min = 0;
  panel.x_max = std::max(1.0, std::ceil(r.wall_s));
  std::string out = DrawFrame(panel, "Throughput per second",
                              "time since start (s)", "requests/s", y_max);
  out += DrawTimeTicks(panel);
  if (xs.empty()) return out + NoData(panel, "no completed requests");
  // Errors as bars under the line.
  for (const TimelinePoint& p : r.timeline) {
    if (p.errors == 0) continue;
    const double x0 = panel.X(p.t_s) + 2;
    const double x1 = panel.X(p.t_s + p.width_s) - 2;
    const double y = panel.Y(p.errors / p.width_s);
    absl::StrAppend(&out, "<rect x=\"", Fmt(x0), "\" y=\"", Fmt(y),
                    "\" width=\"", Fmt(std::max(1.0, x1 - x0)), "\" height=\"",
                    Fmt(panel.bottom() - y), "\" fill=\"", kErrorColor,
                    "\" fill-opacity=\"0.45\"/>\n");
  }
  out += Series(panel, xs, qps, partial, kOkColor);
  // The run's mean as a dashed line.
  const double mean_y = panel.Y(r.qps);
  out += Line(kLeft, mean_y, kLeft + kPlotWidth, mean_y,
              absl::StrCat("stroke=\"", kOkColor,
                           "\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\""));
  const double lx = kLeft + kPlotWidth + 20;
  out += LegendEntry(lx, panel.top + 14, kOkColor, "ok/s per second");
  out += LegendEntry(lx, panel.top + 34, kOkColor,
                     absl::StrFormat("mean %.4g ok/s", r.qps), true);
  out += absl::StrCat("<rect x=\"", Fmt(lx), "\" y=\"", Fmt(panel.top + 48),
                      "\" width=\"24\" height=\"10\" fill=\"", kErrorColor,
                      "\" fill-opacity=\"0.45\"/>\n");
  out += Text(lx + 30, panel.top + 58,
              absl::StrFormat("errors/s (total %d)", r.errors),
              absl::StrCat(kFont, " font-size=\"12\""));
  if (std::find(partial.begin(), partial.end(), true) != partial.end()) {
    out += absl::StrCat("<circle cx=\"", Fmt(lx + 12), "\" cy=\"",
                        Fmt(panel.top + 74),
                        "\" r=\"3.5\" fill=\"white\" "
                        "stroke=\"#444\"/>\n");
    out += Text(lx + 30, panel.top + 78, "partial last second",
                absl::StrCat(kFont, " font-size=\"12\""));
  }
  return out;
}

std::string HistogramPanel(const BenchResult& r, Panel panel) {
  int64_t peak = 0;
  for (const LatencyBin& bin : r.histogram) peak = std::max(peak, bin.count);
  std::string out;
  if (r.histogram.empty()) {
    panel.x_log = false;
    out = DrawFrame(panel, "Latency histogram (successes)", "latency (ms)",
                    "requests", 1);
    return out + NoData(panel, "no successful requests");
  }
  // Whole decades around the data, so the log axis has labelled ends.
  const double lo_ms = r.histogram.front().lo_ns * 1e-6;
  const double hi_ms = r.histogram.back().hi_ns * 1e-6;
  panel.x_log = true;
  panel.x_min = std::pow(10.0, std::floor(std::log10(lo_ms) + 1e-9));
  panel.x_max = std::pow(10.0, std::ceil(std::log10(hi_ms) - 1e-9));
  if (panel.x_max <= panel.x_min) panel.x_max = panel.x_min * 10;
  out = DrawFrame(panel, "Latency histogram (successes, log-spaced bins)",
                  "latency (ms, log scale)", "requests per bin",
                  static_cast<double>(peak));
  const int decades =
      static_cast<int>(std::lround(std::log10(panel.x_max / panel.x_min)));
  for (double decade = panel.x_min; decade <= panel.x_max * 1.0001;
       decade *= 10) {
    for (const double m : {1.0, 2.0, 5.0}) {
      const double v = decade * m;
      if (v > panel.x_max * 1.0001) break;
      if (m != 1 && decades > 4) continue;
      const double x = panel.X(v);
      out += Line(x, panel.bottom(), x, panel.bottom() + (m == 1 ? 6 : 4),
                  "stroke=\"#444\"");
      out += Text(x, panel.bottom() + 18, TickLabel(v),
                  absl::StrCat(kFont,
                               " font-size=\"11\" "
                               "text-anchor=\"middle\"",
                               m == 1 ? "" : " fill=\"#666\""));
    }
  }
  for (const LatencyBin& bin : r.histogram) {
    if (bin.count == 0) continue;
    const double x0 = panel.X(bin.lo_ns * 1e-6) + 0.5;
    const double x1 = panel.X(bin.hi_ns * 1e-6) - 0.5;
    const double y = panel.Y(static_cast<double>(bin.count));
    absl::StrAppend(&out, "<rect x=\"", Fmt(x0), "\" y=\"", Fmt(y),
                    "\" width=\"", Fmt(std::max(1.0, x1 - x0)), "\" height=\"",
                    Fmt(panel.bottom() - y), "\" fill=\"", kBarColor, "\"/>\n");
  }
  struct Marker {
    double ms;
    const char* color;
    const char* name;
  };
  const Marker markers[] = {{r.latency.p50_ms, kP50Color, "p50"},
                            {r.latency.p99_ms, kP99Color, "p99"}};
  for (const Marker& m : markers) {
    const double x = panel.X(m.ms);
    out += Line(x, panel.top, x, panel.bottom(),
                absl::StrCat("stroke=\"", m.color,
                             "\" stroke-width=\"2\" stroke-dasharray=\"6,3\""));
  }
  const double lx = kLeft + kPlotWidth + 20;
  out += absl::StrCat("<rect x=\"", Fmt(lx), "\" y=\"", Fmt(panel.top + 9),
                      "\" width=\"24\" height=\"10\" fill=\"", kBarColor,
                      "\"/>\n");
  out += Text(lx + 30, panel.top + 18,
              absl::StrFormat("requests (%d)", r.latency.count),
              absl::StrCat(kFont, " font-size=\"12\""));
  out += LegendEntry(lx, panel.top + 34, kP50Color,
                     absl::StrFormat("p50 %.3g ms", r.latency.p50_ms), true);
  out += LegendEntry(lx, panel.top + 54, kP99Color,
                     absl::StrFormat("p99 %.3g ms", r.latency.p99_ms), true);
  out +=
      Text(lx, panel.top + 80, absl::StrFormat("max %.3g ms", r.latency.max_ms),
           absl::StrCat(kFont, " font-size=\"12\" fill=\"#444\""));
  return out;
}

}  // namespace

std::string RenderSvgReport(const BenchResult& r) {
  std::string out = absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", kWidth,
      "\" height=\"", kHeight, "\" viewBox=\"0 0 ", kWidth, " ", kHeight,
      "\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  std::string workload = r.workload_text;
  if (r.rpc == "query" && !r.fetch_chunks) workload += "  (no chunks)";
  if (workload.size() > 110) workload = workload.substr(0, 107) + "...";
  out += Text(kWidth / 2.0, 28, absl::StrCat("overlay_bench: ", workload),
              absl::StrCat(kFont,
                           " font-size=\"18\" font-weight=\"bold\" "
                           "text-anchor=\"middle\""));
  std::string load =
      r.mode == "open"
          ? absl::StrFormat("open loop %.4g req/s (cap %d in flight)", r.rate,
                            r.concurrency)
      : r.mode == "mixed"
          ? absl::StrFormat("open loop %.4g req/s + closed loop", r.rate)
          : absl::StrFormat("closed loop, %d in flight", r.concurrency);
  if (r.explicit_clients) {
    absl::StrAppend(&load, ", ", r.clients.size(), " clients");
  }
  out += Text(kWidth / 2.0, 50,
              absl::StrFormat("%s  ->  %s, %s, %s", r.started_at, r.target,
                              r.rpc, load),
              absl::StrCat(kFont,
                           " font-size=\"13\" fill=\"#333\" "
                           "text-anchor=\"middle\""));
  std::string figures = absl::StrFormat(
      "%d requests: %d ok, %d errors in %.2f s = %.4g ok/s;  latency p50 "
      "%.3g  p90 %.3g  p99 %.3g  max %.3g ms",
      r.requests, r.ok, r.errors, r.wall_s, r.qps, r.latency.p50_ms,
      r.latency.p90_ms, r.latency.p99_ms, r.latency.max_ms);
  if (r.ok_per_server_cpu_s > 0) {
    absl::StrAppendFormat(&figures, ";  %.4g ok per server CPU-s",
                          r.ok_per_server_cpu_s);
  }
  out += Text(kWidth / 2.0, 70, figures,
              absl::StrCat(kFont,
                           " font-size=\"13\" fill=\"#333\" "
                           "text-anchor=\"middle\""));
  Panel latency;
  latency.top = 115;
  latency.height = 200;
  Panel throughput;
  throughput.top = 400;
  throughput.height = 170;
  Panel histogram;
  histogram.top = 655;
  histogram.height = 220;
  out += LatencyPanel(r, latency);
  out += ThroughputPanel(r, throughput);
  out += HistogramPanel(r, histogram);
  out += "</svg>\n";
  return out;
}

}  // namespace overlay::bench
