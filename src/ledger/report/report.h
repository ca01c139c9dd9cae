// The period report from the ledger: usage per party and model, the SLA of each reservation
// (availability, TTFT and time per output token against the SLO, attainment, service credit),
// and the settlement — what each customer owes and how each model's revenue splits. All money in
// integer micro-dollars; the settlement's totals equal the sum of their parts exactly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/result.h"

namespace accord {

struct Period {
  UnixMillis from = 0;  // inclusive
  UnixMillis to = 0;    // exclusive
  std::string label;    // "2026-11", or the two dates
};
// "2026-11" → that UTC month.
Result<Period> parse_month(std::string_view text);
// RFC 3339 or YYYY-MM-DD bounds (an empty one is open).
Result<Period> parse_range(std::string_view from, std::string_view to);

struct UsageLine {
  std::string party, model, cls, service_tier;
  int64_t requests = 0, failed = 0, prompt_tokens = 0, completion_tokens = 0;
  int64_t list_micro_usd = 0, net_micro_usd = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, billed at the cached input price
};

struct LatencyStats {
  int64_t count = 0;
  int64_t p50_us = 0, p95_us = 0, p99_us = 0;
};

struct ReservationLine {
  std::string party, model;
  double tokens_per_s = 0;
  int64_t eligible = 0;     // requests within the SLA: all but the client's own errors
  int64_t failed_ours = 0;  // failures of ours (5xx, capacity refusals inside the reservation)
  int64_t availability_ppm = 1'000'000;
  std::optional<double> availability_target;
  LatencyStats ttft, tpot;
  std::optional<double> ttft_target_ms, tpot_target_ms;
  int64_t attained = 0;  // successful requests within every latency target
  int64_t attainment_ppm = 1'000'000;
  int64_t credit_ppm = 0;
  int64_t credit_micro_usd = 0;
};

struct SettlementLine {
  std::string party;
  int64_t list_micro_usd = 0;      // at list price (× service-tier multipliers)
  int64_t discount_micro_usd = 0;  // the party's or tier's discount
  int64_t net_micro_usd = 0;       // list - discount
  int64_t credit_micro_usd = 0;    // SLA credits
  int64_t owed_micro_usd = 0;      // net - credit
  int64_t prompt_tokens = 0, cached_prompt_tokens = 0, completion_tokens = 0;  // what it bought
};

struct RevenueLine {
  std::string model, customer, recipient;
  int64_t share_ppm = 0;
  int64_t amount_micro_usd = 0;
};

struct DailyLine {
  std::string day;  // YYYY-MM-DD
  std::string party;
  int64_t requests = 0, tokens = 0;
};

struct Report {
  Period period;
  std::optional<std::string> party;  // only this party's figures
  std::vector<UsageLine> usage;
  std::vector<ReservationLine> reservations;
  std::vector<SettlementLine> settlement;
  std::vector<RevenueLine> revenue;
  std::vector<DailyLine> daily;
  int64_t owed_total_micro_usd = 0;
  int64_t revenue_total_micro_usd = 0;  // equals owed_total_micro_usd
};

Result<Report> build_report(const Agreement& agreement, const std::string& ledger_path,
                            const Period& period, const std::optional<std::string>& party);

enum class ReportFormat { kTable, kJson, kCsv, kHtml };
std::string format_report(const Report& report, ReportFormat format);
// Which sections a caller sees (the admin API serves them one by one).
enum class ReportSections : unsigned { kUsage = 1, kSla = 2, kSettlement = 4, kAll = 7 };
std::string report_json(const Report& report, ReportSections sections);

}  // namespace accord
