// The report as one self-contained HTML statement a party could be sent: no scripts, no
// external assets; the chart of daily usage is inline SVG.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/decimal.h"
#include "core/html.h"
#include "ledger/report/report.h"

namespace accord {
namespace {

std::string usd(int64_t micros) {
  // Cents for reading; the exact micro-dollars in the title attribute.
  const int64_t cents = (micros + (micros >= 0 ? 5'000 : -5'000)) / 10'000;
  return fmt::format("<span title=\"{} micro-dollars\">${}.{:02d}</span>", micros, cents / 100,
                     std::abs(cents % 100));
}

std::string chart(const std::vector<DailyLine>& daily) {
  if (daily.empty()) return "<p class=\"muted\">No usage in this period.</p>";
  std::vector<std::string> days;
  std::set<std::string> parties;
  std::map<std::string, std::map<std::string, int64_t>> tokens;
  int64_t peak = 1;
  for (const DailyLine& d : daily) {
    if (days.empty() || days.back() != d.day) days.push_back(d.day);
    parties.insert(d.party);
    tokens[d.day][d.party] += d.tokens;
  }
  for (const auto& [day, by_party] : tokens) {
    int64_t total = 0;
    for (const auto& [p, t] : by_party) total += t;
    peak = std::max(peak, total);
  }
  static constexpr const char* kColours[] = {"#3b6fd8", "#e0803a", "#3aa17e", "#b0489b",
                                             "#c9a227", "#5aa0c8", "#d8574e", "#7a6bd1"};
  const int width = 760, height = 220, left = 60, bottom = 24;
  const double bar = static_cast<double>(width - left) / static_cast<double>(days.size());
  std::string svg =
      fmt::format("<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"tokens per day\">", width,
                  height + bottom);
  svg += fmt::format("<text x=\"0\" y=\"12\" class=\"axis\">{} tokens</text>", peak);
  for (size_t i = 0; i < days.size(); ++i) {
    double y = height;
    size_t colour = 0;
    for (const std::string& p : parties) {
      const int64_t t = tokens[days[i]][p];
      const double h = static_cast<double>(t) / static_cast<double>(peak) * (height - 20);
      y -= h;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>{} {}: {} tokens</title></rect>",
          left + static_cast<double>(i) * bar + 1, y, std::max(1.0, bar - 2), h,
          kColours[colour % 8], days[i], html_escape(p), t);
      ++colour;
    }
    if (days.size() <= 31 && (i % std::max<size_t>(1, days.size() / 8) == 0)) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"axis\">{}</text>",
                         left + static_cast<double>(i) * bar, height + 16, days[i].substr(5));
    }
  }
  svg += "</svg><p class=\"legend\">";
  size_t colour = 0;
  for (const std::string& p : parties) {
    svg += fmt::format("<span><i style=\"background:{}\"></i>{}</span> ", kColours[colour++ % 8],
                       html_escape(p));
  }
  return svg + "</p>";
}

}  // namespace

std::string format_report_html(const Report& r) {
  std::string html =
      fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statement {}{}</title>
<style>
body {{ font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433;
       max-width: 960px; margin: 2rem auto; padding: 0 1.5rem; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; }}
.muted, .axis {{ color: #6b7385; fill: #6b7385; font-size: 12px; }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0; }}
th, td {{ padding: .35rem .6rem; border-bottom: 1px solid #e4e7ee; text-align: right; }}
th:first-child, td:first-child, th.l, td.l {{ text-align: left; }}
th {{ font-weight: 600; color: #4a5266; background: #f6f7fa; }}
tr.total td {{ font-weight: 700; border-top: 2px solid #1d2433; }}
.legend span {{ margin-right: 1rem; }} .legend i {{ display: inline-block; width: .8rem;
  height: .8rem; margin-right: .3rem; border-radius: 2px; vertical-align: -1px; }}
</style></head><body>
<h1>Statement for {}</h1>
<p class="muted">{}{} · all amounts in US dollars; hover for exact micro-dollars</p>
<h2>Daily usage</h2>
)",
                  html_escape(r.period.label), r.party ? " · " + html_escape(*r.party) : "",
                  html_escape(r.period.label), html_escape(r.period.label),
                  r.party ? " · party " + html_escape(*r.party) : "");
  html += chart(r.daily);
  html +=
      "<h2>Usage</h2><table><tr><th>Party</th><th class=l>Model</th><th class=l>Class</th>"
      "<th class=l>Tier</th><th>Requests</th><th>Failed</th><th>Input tokens</th>"
      "<th>Cached input</th><th>Output tokens</th><th>Net</th></tr>";
  for (const UsageLine& u : r.usage) {
    html += fmt::format(
        "<tr><td>{}</td><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        html_escape(u.party), html_escape(u.model), u.cls, u.service_tier, u.requests, u.failed,
        u.prompt_tokens, u.cached_prompt_tokens, u.completion_tokens, usd(u.net_micro_usd));
  }
  html +=
      "</table><h2>Service levels</h2><table><tr><th>Reservation</th><th>Availability</th>"
      "<th>TTFT p50 / p99</th><th>TPOT p50 / p99</th><th>Attainment</th><th>Credit</th></tr>";
  for (const ReservationLine& s : r.reservations) {
    html += fmt::format(
        "<tr><td>{} on {}</td><td>{:.3f}%{}</td><td>{:.0f} / {:.0f} ms{}</td>"
        "<td>{:.1f} / {:.1f} ms{}</td><td>{:.2f}%</td><td>{:.0f}% · {}</td></tr>",
        html_escape(s.party), html_escape(s.model), static_cast<double>(s.availability_ppm) / 1e4,
        s.availability_target
            ? fmt::format(" <span class=muted>(≥ {}%)</span>", *s.availability_target)
            : "",
        static_cast<double>(s.ttft.p50_us) / 1e3, static_cast<double>(s.ttft.p99_us) / 1e3,
        s.ttft_target_ms ? fmt::format(" <span class=muted>(≤ {})</span>", *s.ttft_target_ms) : "",
        static_cast<double>(s.tpot.p50_us) / 1e3, static_cast<double>(s.tpot.p99_us) / 1e3,
        s.tpot_target_ms ? fmt::format(" <span class=muted>(≤ {})</span>", *s.tpot_target_ms) : "",
        static_cast<double>(s.attainment_ppm) / 1e4, static_cast<double>(s.credit_ppm) / 1e4,
        usd(s.credit_micro_usd));
  }
  html +=
      "</table><h2>Amounts due</h2><table><tr><th>Party</th><th>List</th><th>Discount</th>"
      "<th>Net</th><th>SLA credit</th><th>Owed</th></tr>";
  for (const SettlementLine& s : r.settlement) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>−{}</td><td>{}</td><td>−{}</td>"
        "<td>{}</td></tr>",
        html_escape(s.party), usd(s.list_micro_usd), usd(s.discount_micro_usd),
        usd(s.net_micro_usd), usd(s.credit_micro_usd), usd(s.owed_micro_usd));
  }
  html += fmt::format(
      "<tr class=total><td>Total</td><td></td><td></td><td></td><td></td>"
      "<td>{}</td></tr></table>",
      usd(r.owed_total_micro_usd));
  html +=
      "<h2>Revenue shares</h2><table><tr><th class=l>Model</th><th class=l>Customer</th>"
      "<th class=l>To</th><th>Share</th><th>Amount</th></tr>";
  for (const RevenueLine& v : r.revenue) {
    html += fmt::format(
        "<tr><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td>"
        "<td>{:.2f}%</td><td>{}</td></tr>",
        html_escape(v.model), html_escape(v.customer), html_escape(v.recipient),
        static_cast<double>(v.share_ppm) / 1e4, usd(v.amount_micro_usd));
  }
  html += fmt::format(
      "<tr class=total><td class=l>Total</td><td></td><td></td><td></td>"
      "<td>{}</td></tr></table>",
      usd(r.revenue_total_micro_usd));
  html += "<p class=\"muted\">Generated by accord from its usage ledger.</p></body></html>\n";
  return html;
}

}  // namespace accord
