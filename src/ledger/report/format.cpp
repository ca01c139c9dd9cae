// The report as a text table, JSON or CSV (format_html.cpp: the HTML statement).
#include <fmt/format.h>

#include "core/decimal.h"
#include "core/json_writer.h"
#include "ledger/report/report.h"

namespace accord {

std::string format_report_html(const Report& r);

namespace {

std::string usd(int64_t micros) {
  return fmt::format("${}", format_micros(micros));
}
std::string percent(int64_t ppm) {
  return fmt::format("{:.4f}%", static_cast<double>(ppm) / 1e4);
}
std::string ms(int64_t us) {
  return fmt::format("{:.1f}", static_cast<double>(us) / 1000.0);
}

std::string table(const Report& r) {
  std::string out = fmt::format("accord report for {}{}\n\nUsage\n", r.period.label,
                                r.party ? fmt::format(" (party {})", *r.party) : "");
  out += fmt::format("  {:<12} {:<20} {:<12} {:<9} {:>9} {:>7} {:>12} {:>12} {:>12} {:>14}\n",
                     "party", "model", "class", "tier", "requests", "failed", "input tok",
                     "cached tok", "output tok", "net");
  for (const UsageLine& u : r.usage) {
    out +=
        fmt::format("  {:<12} {:<20} {:<12} {:<9} {:>9} {:>7} {:>12} {:>12} {:>12} {:>14}\n",
                    u.party, u.model, u.cls, u.service_tier, u.requests, u.failed, u.prompt_tokens,
                    u.cached_prompt_tokens, u.completion_tokens, usd(u.net_micro_usd));
  }
  out += "\nReservations (SLA)\n";
  for (const ReservationLine& s : r.reservations) {
    out += fmt::format(
        "  {} on {}: {} weighted tokens/s reserved\n"
        "    availability {} of {} eligible requests ({} failed of ours){}\n"
        "    TTFT p50/p95/p99 {}/{}/{} ms{}; TPOT p50/p95/p99 {}/{}/{} ms{}\n"
        "    attainment {} ({} of {}); service credit {} = {}\n",
        s.party, s.model, s.tokens_per_s, percent(s.availability_ppm), s.eligible, s.failed_ours,
        s.availability_target ? fmt::format(", target {}%", *s.availability_target) : "",
        ms(s.ttft.p50_us), ms(s.ttft.p95_us), ms(s.ttft.p99_us),
        s.ttft_target_ms ? fmt::format(" (target p99 {} ms)", *s.ttft_target_ms) : "",
        ms(s.tpot.p50_us), ms(s.tpot.p95_us), ms(s.tpot.p99_us),
        s.tpot_target_ms ? fmt::format(" (target p99 {} ms)", *s.tpot_target_ms) : "",
        percent(s.attainment_ppm), s.attained, s.ttft.count, percent(s.credit_ppm),
        usd(s.credit_micro_usd));
  }
  out += "\nSettlement\n";
  out += fmt::format("  {:<12} {:>16} {:>16} {:>16} {:>16} {:>16}\n", "party", "list", "discount",
                     "net", "SLA credit", "owed");
  for (const SettlementLine& s : r.settlement) {
    out += fmt::format("  {:<12} {:>16} {:>16} {:>16} {:>16} {:>16}\n", s.party,
                       usd(s.list_micro_usd), usd(s.discount_micro_usd), usd(s.net_micro_usd),
                       usd(s.credit_micro_usd), usd(s.owed_micro_usd));
  }
  out += fmt::format("  {:<12} {:>84}\n", "total", usd(r.owed_total_micro_usd));
  out += "\nRevenue\n";
  for (const RevenueLine& v : r.revenue) {
    out += fmt::format("  {:<20} sold to {:<12} → {:<12} {:>9} {:>16}\n", v.model, v.customer,
                       v.recipient, percent(v.share_ppm), usd(v.amount_micro_usd));
  }
  out += fmt::format("  {:<20} {:>76}\n", "total", usd(r.revenue_total_micro_usd));
  return out;
}

void write_usage(JsonWriter& w, const Report& r) {
  w.key("usage").begin_array();
  for (const UsageLine& u : r.usage) {
    w.begin_object().field("party", u.party).field("model", u.model).field("class", u.cls);
    w.field("service_tier", u.service_tier).field("requests", u.requests).field("failed", u.failed);
    w.field("prompt_tokens", u.prompt_tokens).field("cached_prompt_tokens", u.cached_prompt_tokens);
    w.field("completion_tokens", u.completion_tokens);
    w.field("list_micro_usd", u.list_micro_usd).field("net_micro_usd", u.net_micro_usd);
    w.end_object();
  }
  w.end_array();
}

void write_latency(JsonWriter& w, std::string_view name, const LatencyStats& s) {
  w.key(name).begin_object().field("count", s.count).field("p50_us", s.p50_us);
  w.field("p95_us", s.p95_us).field("p99_us", s.p99_us).end_object();
}

void write_sla(JsonWriter& w, const Report& r) {
  w.key("reservations").begin_array();
  for (const ReservationLine& s : r.reservations) {
    w.begin_object().field("party", s.party).field("model", s.model);
    w.field("tokens_per_s", s.tokens_per_s).field("eligible", s.eligible);
    w.field("failed_ours", s.failed_ours).field("availability_ppm", s.availability_ppm);
    w.key("availability_target");
    if (s.availability_target) {
      w.value(*s.availability_target);
    } else {
      w.null();
    }
    write_latency(w, "ttft", s.ttft);
    write_latency(w, "tpot", s.tpot);
    w.key("ttft_target_ms");
    if (s.ttft_target_ms) {
      w.value(*s.ttft_target_ms);
    } else {
      w.null();
    }
    w.key("tpot_target_ms");
    if (s.tpot_target_ms) {
      w.value(*s.tpot_target_ms);
    } else {
      w.null();
    }
    w.field("attained", s.attained).field("attainment_ppm", s.attainment_ppm);
    w.field("credit_ppm", s.credit_ppm).field("credit_micro_usd", s.credit_micro_usd);
    w.end_object();
  }
  w.end_array();
}

void write_settlement(JsonWriter& w, const Report& r) {
  w.key("settlement").begin_array();
  for (const SettlementLine& s : r.settlement) {
    w.begin_object().field("party", s.party).field("list_micro_usd", s.list_micro_usd);
    w.field("discount_micro_usd", s.discount_micro_usd).field("net_micro_usd", s.net_micro_usd);
    w.field("credit_micro_usd", s.credit_micro_usd).field("owed_micro_usd", s.owed_micro_usd);
    w.field("prompt_tokens", s.prompt_tokens).field("cached_prompt_tokens", s.cached_prompt_tokens);
    w.field("completion_tokens", s.completion_tokens);
    w.end_object();
  }
  w.end_array();
  w.key("revenue").begin_array();
  for (const RevenueLine& v : r.revenue) {
    w.begin_object().field("model", v.model).field("customer", v.customer);
    w.field("recipient", v.recipient).field("share_ppm", v.share_ppm);
    w.field("amount_micro_usd", v.amount_micro_usd).end_object();
  }
  w.end_array();
  w.field("owed_total_micro_usd", r.owed_total_micro_usd);
  w.field("revenue_total_micro_usd", r.revenue_total_micro_usd);
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv(const Report& r) {
  std::string out =
      "section,party,model,class,service_tier,requests,failed,prompt_tokens,"
      "completion_tokens,list_micro_usd,net_micro_usd,cached_prompt_tokens\n";
  for (const UsageLine& u : r.usage) {
    out += fmt::format("usage,{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(u.party),
                       csv_field(u.model), u.cls, u.service_tier, u.requests, u.failed,
                       u.prompt_tokens, u.completion_tokens, u.list_micro_usd, u.net_micro_usd,
                       u.cached_prompt_tokens);
  }
  out +=
      "\nsection,party,model,eligible,failed_ours,availability_ppm,ttft_p50_us,ttft_p95_us,"
      "ttft_p99_us,tpot_p50_us,tpot_p95_us,tpot_p99_us,attainment_ppm,credit_ppm,"
      "credit_micro_usd\n";
  for (const ReservationLine& s : r.reservations) {
    out += fmt::format("sla,{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(s.party),
                       csv_field(s.model), s.eligible, s.failed_ours, s.availability_ppm,
                       s.ttft.p50_us, s.ttft.p95_us, s.ttft.p99_us, s.tpot.p50_us, s.tpot.p95_us,
                       s.tpot.p99_us, s.attainment_ppm, s.credit_ppm, s.credit_micro_usd);
  }
  out +=
      "\nsection,party,list_micro_usd,discount_micro_usd,net_micro_usd,credit_micro_usd,"
      "owed_micro_usd,prompt_tokens,cached_prompt_tokens,completion_tokens\n";
  for (const SettlementLine& s : r.settlement) {
    out +=
        fmt::format("settlement,{},{},{},{},{},{},{},{},{}\n", csv_field(s.party), s.list_micro_usd,
                    s.discount_micro_usd, s.net_micro_usd, s.credit_micro_usd, s.owed_micro_usd,
                    s.prompt_tokens, s.cached_prompt_tokens, s.completion_tokens);
  }
  out += "\nsection,model,customer,recipient,share_ppm,amount_micro_usd\n";
  for (const RevenueLine& v : r.revenue) {
    out += fmt::format("revenue,{},{},{},{},{}\n", csv_field(v.model), csv_field(v.customer),
                       csv_field(v.recipient), v.share_ppm, v.amount_micro_usd);
  }
  return out;
}

}  // namespace

std::string report_json(const Report& r, ReportSections sections) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("period", r.period.label);
  w.field("from", r.period.from).field("to", r.period.to);
  if (r.party) w.field("party", *r.party);
  const auto has = [sections](ReportSections s) {
    return (static_cast<unsigned>(sections) & static_cast<unsigned>(s)) != 0;
  };
  if (has(ReportSections::kUsage)) write_usage(w, r);
  if (has(ReportSections::kSla)) write_sla(w, r);
  if (has(ReportSections::kSettlement)) write_settlement(w, r);
  w.end_object();
  return out;
}

std::string format_report(const Report& r, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return table(r);
    case ReportFormat::kJson:
      return report_json(r, ReportSections::kAll) + "\n";
    case ReportFormat::kCsv:
      return csv(r);
    case ReportFormat::kHtml:
      return format_report_html(r);
  }
  return table(r);
}

}  // namespace accord
