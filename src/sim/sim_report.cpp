#include "sim/sim_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/html.h"
#include "core/json_writer.h"

namespace accord {
namespace {

std::string target(const std::optional<double>& t) {
  return t ? fmt::format("{:.0f}", *t) : std::string("-");
}

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

// One SVG line chart: series of y values over buckets, with optional dashed reference lines.
std::string chart(const std::string& title, const std::vector<std::string>& names,
                  const std::vector<std::vector<double>>& rows, double bucket_s,
                  const std::vector<double>& references, const std::string& unit) {
  const double w = 860, h = 240, left = 70, right = 180, top = 24, bottom = 30;
  double ymax = 1;
  for (const auto& row : rows) {
    for (double v : row) ymax = std::max(ymax, v);
  }
  for (double v : references) ymax = std::max(ymax, v);
  ymax *= 1.1;
  const size_t n = rows.size();
  auto x = [&](size_t i) {
    return left +
           (w - left - right) * (n <= 1 ? 0 : static_cast<double>(i) / static_cast<double>(n - 1));
  };
  auto y = [&](double v) { return top + (h - top - bottom) * (1 - v / ymax); };
  std::string svg = fmt::format(
      R"(<svg viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}"><text x="{}" y="16" font-weight="600">{}</text>)",
      w, h, html_escape(title), left, html_escape(title));
  for (int i = 0; i <= 4; ++i) {
    const double v = ymax * i / 4;
    svg += fmt::format(
        R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#ddd"/><text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{:.0f}</text>)",
        left, w - right, y(v), y(v), left - 6, y(v) + 4, v);
  }
  svg +=
      fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle">seconds ({})</text>)",
                  (left + w - right) / 2, h - 4, html_escape(unit));
  for (int i = 0; i <= 4; ++i) {
    const size_t b = n <= 1 ? 0 : (n - 1) * static_cast<size_t>(i) / 4;
    svg +=
        fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{:.0f}</text>)",
                    x(b), h - bottom + 14, static_cast<double>(b) * bucket_s);
  }
  for (size_t s = 0; s < names.size(); ++s) {
    const char* color = kColors[s % std::size(kColors)];
    std::string d;
    for (size_t i = 0; i < n; ++i) {
      d += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : "L", x(i), y(rows[i][s]));
    }
    svg += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>)", d, color);
    if (s < references.size() && references[s] > 0) {
      svg += fmt::format(
          R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}" stroke-dasharray="5,4"/>)",
          left, w - right, y(references[s]), y(references[s]), color);
    }
    svg += fmt::format(
        R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" font-size="12">{}</text>)",
        w - right + 12, top + 16 * static_cast<double>(s), color, w - right + 28,
        top + 16 * static_cast<double>(s) + 9,
        html_escape(names[s]) +
            (s < references.size() && references[s] > 0 ? " (dashed: reserved)" : ""));
  }
  return svg + "</svg>";
}

}  // namespace

std::string sim_table(const SimResult& r) {
  std::string out =
      fmt::format("{:<12} {:<14} {:>8} {:>8} {:>7} {:>7} {:>6} {:>11} {:>10} {:>7} {:>15} {:>15}\n",
                  "party", "model", "requests", "served", "limit", "refused", "preempt",
                  "served tok/s", "reserved", "SLO met", "TTFT p50/p99 ms", "TPOT p50/p99 ms");
  for (const SimPartyResult& p : r.parties) {
    out += fmt::format(
        "{:<12} {:<14} {:>8} {:>8} {:>7} {:>7} {:>6} {:>11.0f} {:>10} {:>6.1f}% {:>15} {:>15}\n",
        p.party, p.model, p.requests, p.served, p.refused_limit, p.refused_capacity, p.preempted,
        p.served_tokens_per_s,
        p.reserved_tokens_per_s > 0 ? fmt::format("{:.0f}", p.reserved_tokens_per_s) : "-",
        p.attainment * 100, fmt::format("{:.0f}/{:.0f}", p.ttft.p50, p.ttft.p99),
        fmt::format("{:.1f}/{:.1f}", p.tpot.p50, p.tpot.p99));
  }
  out += fmt::format("\n{:<12} {:>8} {:>7} {:>9} {:>12} {:>12} {:>10}\n", "pool", "replicas",
                     "slots", "util", "goodput r/s", "output tok/s", "max queue");
  for (const SimPoolResult& p : r.pools) {
    out += fmt::format("{:<12} {:>8} {:>7} {:>8.1f}% {:>12.2f} {:>12.0f} {:>10}\n", p.pool,
                       p.replicas, p.slots, p.utilisation * 100, p.goodput_rps,
                       p.throughput_tokens_per_s, p.max_queue);
  }
  out += fmt::format("\nJain's index over backlogged shared parties: {:.3f}\n", r.jain_shared);
  out += fmt::format(
      "{} scheduler; {} requests over {:.1f} simulated s in {:.3f} s ({:.0f} requests/s)\n",
      r.scheduler, r.requests, r.simulated_s, r.wall_s,
      r.wall_s > 0 ? static_cast<double>(r.requests) / r.wall_s : 0.0);
  return out;
}

std::string sim_json(const SimResult& r) {
  std::string out;
  JsonWriter w(out);
  auto pct = [&](const char* key, const Percentiles& p) {
    w.key(key).begin_object().field("count", p.count).field("p50_ms", p.p50);
    w.field("p90_ms", p.p90).field("p99_ms", p.p99).end_object();
  };
  auto opt = [&](const char* key, const std::optional<double>& v) {
    w.key(key);
    if (v) {
      w.value(*v);
    } else {
      w.null();
    }
  };
  w.begin_object().field("scheduler", r.scheduler).field("requests", r.requests);
  w.field("simulated_s", r.simulated_s).field("wall_s", r.wall_s);
  w.field("requests_per_wall_s", r.wall_s > 0 ? static_cast<double>(r.requests) / r.wall_s : 0.0);
  w.field("jain_shared", r.jain_shared);
  w.key("parties").begin_array();
  for (const SimPartyResult& p : r.parties) {
    w.begin_object().field("party", p.party).field("model", p.model).field("role", p.role);
    w.field("shared", p.shared).field("requests", p.requests).field("served", p.served);
    w.field("refused_limit", p.refused_limit).field("refused_capacity", p.refused_capacity);
    w.field("fell_back", p.fell_back);
    w.field("preempted", p.preempted).field("demanded_weighted_tokens", p.demanded_weighted);
    w.field("served_weighted_tokens", p.served_weighted);
    w.field("served_tokens_per_s", p.served_tokens_per_s);
    w.field("reserved_tokens_per_s", p.reserved_tokens_per_s);
    opt("ttft_target_ms", p.ttft_target_ms);
    opt("tpot_target_ms", p.tpot_target_ms);
    w.field("slo_met", p.slo_met).field("attainment", p.attainment);
    pct("ttft", p.ttft);
    pct("tpot", p.tpot);
    w.end_object();
  }
  w.end_array().key("pools").begin_array();
  for (const SimPoolResult& p : r.pools) {
    w.begin_object().field("pool", p.pool).field("replicas", p.replicas).field("slots", p.slots);
    w.field("served", p.served).field("slo_met", p.slo_met).field("utilisation", p.utilisation);
    w.field("goodput_rps", p.goodput_rps).field("output_tokens_per_s", p.throughput_tokens_per_s);
    w.field("max_queue", p.max_queue).end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string sim_html(const SimResult& r, const std::string& title) {
  const SimSeries& s = r.series;
  std::vector<std::vector<double>> ttft;
  for (double v : s.ttft_p99_ms) ttft.push_back({v});
  std::string rows;
  for (const SimPartyResult& p : r.parties) {
    rows += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td>"
        "<td>{:.1f}%</td><td>{:.0f} / {:.0f}</td><td>{}</td><td>{:.1f} / "
        "{:.1f}</td><td>{}</td></tr>",
        html_escape(p.party), html_escape(p.model), p.requests, p.served,
        p.refused_limit + p.refused_capacity, p.served_tokens_per_s,
        p.reserved_tokens_per_s > 0 ? fmt::format("{:.0f}", p.reserved_tokens_per_s) : "-",
        p.attainment * 100, p.ttft.p50, p.ttft.p99, target(p.ttft_target_ms), p.tpot.p50,
        p.tpot.p99, target(p.tpot_target_ms));
  }
  std::string pools;
  for (const SimPoolResult& p : r.pools) {
    pools += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}%</td><td>{:.2f}</td><td>{:.0f}</"
        "td><td>{}</td></tr>",
        html_escape(p.pool), p.replicas, p.slots, p.utilisation * 100, p.goodput_rps,
        p.throughput_tokens_per_s, p.max_queue);
  }
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222}}
table{{border-collapse:collapse;width:100%;margin:8px 0 20px}}th,td{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right}}
th:first-child,td:first-child,td:nth-child(2){{text-align:left}}h1{{font-size:20px}}h2{{font-size:16px;margin-top:28px}}
.muted{{color:#666}}</style></head><body>
<h1>{0}</h1>
<p class="muted">{1} scheduler · {2} requests over {3:.1f} simulated seconds (computed in {4:.2f} s) · Jain's index over backlogged shared parties {5:.3f}</p>
<h2>Parties</h2>
<table><tr><th>party</th><th>model</th><th>requests</th><th>served</th><th>refused</th><th>served tok/s</th><th>reserved</th><th>SLO met</th><th>TTFT p50 / p99 ms</th><th>target</th><th>TPOT p50 / p99 ms</th><th>target</th></tr>{6}</table>
<h2>Pools</h2>
<table><tr><th>pool</th><th>replicas</th><th>slots</th><th>utilisation</th><th>goodput req/s</th><th>output tok/s</th><th>max queue</th></tr>{7}</table>
<h2>Over time</h2>
{8}
{9}
{10}
</body></html>
)",
                     html_escape(title), r.scheduler, r.requests, r.simulated_s, r.wall_s,
                     r.jain_shared, rows, pools,
                     chart("Served weighted tokens/s per party", s.parties, s.served, s.bucket_s,
                           s.reserved, "tokens/s"),
                     chart("Queue depth per pool", s.pools, s.queue, s.bucket_s, {}, "requests"),
                     chart("TTFT p99, all parties", {"TTFT p99 (ms)"}, ttft, s.bucket_s, {}, "ms"));
}

}  // namespace accord
