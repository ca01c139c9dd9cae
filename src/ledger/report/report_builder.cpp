#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <map>

#include "core/rfc3339.h"
#include "ledger/report/money.h"
#include "ledger/report/report.h"

namespace accord {
namespace {

// A read-only connection and the statements run on it.
class Reader {
 public:
  explicit Reader(sqlite3* db) : db_(db) {}
  ~Reader() { sqlite3_close(db_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Runs `sql` with the bindings, calling row(stmt) for each row.
  template <class Row>
  Status each(const char* sql, const Period& p, const std::optional<std::string>& party,
              const std::vector<std::string>& extra, Row row) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return fail("prepare");
    sqlite3_bind_int64(stmt, 1, p.from);
    sqlite3_bind_int64(stmt, 2, p.to);
    if (party) {
      sqlite3_bind_text(stmt, 3, party->data(), static_cast<int>(party->size()), SQLITE_STATIC);
    } else {
      sqlite3_bind_null(stmt, 3);
    }
    for (size_t i = 0; i < extra.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(4 + i), extra[i].data(),
                        static_cast<int>(extra[i].size()), SQLITE_STATIC);
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return fail("query");
    return Status();
  }

  Error fail(std::string_view what) const {
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("reading the ledger ({}): {}", what, sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
};

std::string text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string() : std::string(p);
}

constexpr const char* kUsageSql =
    "SELECT party, model, class, service_tier, count(*), sum(failed), sum(prompt_tokens), "
    "sum(completion_tokens), sum(list_cost_micro_usd), sum(cost_micro_usd), "
    "sum(cached_prompt_tokens) FROM usage "
    "WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR party = ?3) AND key_id IS NOT NULL "
    "AND model IS NOT NULL GROUP BY party, model, class, service_tier "
    "ORDER BY party, model, class, service_tier";

constexpr const char* kAvailabilitySql =
    "SELECT count(*), coalesce(sum(failed AND error_source IN ('upstream', 'internal')), 0) "
    "FROM usage WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR party = ?3) "
    "AND party = ?4 AND model = ?5 AND reserved = 1 "
    "AND NOT (failed AND coalesce(error_source, 'client') = 'client')";

constexpr const char* kLatencySql =
    "SELECT ttft_ms, total_ms, completion_tokens FROM usage "
    "WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR party = ?3) "
    "AND party = ?4 AND model = ?5 AND reserved = 1 AND failed = 0 AND ttft_ms IS NOT NULL";

constexpr const char* kDailySql =
    "SELECT ts_ms / 86400000, party, count(*), sum(prompt_tokens + completion_tokens) FROM usage "
    "WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR party = ?3) AND party IS NOT NULL "
    "GROUP BY 1, 2 ORDER BY 1, 2";

LatencyStats stats_of(std::vector<int64_t>& us) {
  LatencyStats s;
  s.count = static_cast<int64_t>(us.size());
  s.p50_us = percentile_nearest_rank(us, 50);
  s.p95_us = percentile_nearest_rank(us, 95);
  s.p99_us = percentile_nearest_rank(us, 99);
  return s;
}

}  // namespace

Result<Period> parse_month(std::string_view text) {
  const auto from = parse_rfc3339(fmt::format("{}-01T00:00:00Z", text));
  if (text.size() != 7 || !from) {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("'{}' is not a month (YYYY-MM)", text), "period");
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = std::stoi(std::string(text.substr(5, 2)));
  const auto to = parse_rfc3339(fmt::format(
      "{:04d}-{:02d}-01T00:00:00Z", month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1));
  return Period{*from, *to, std::string(text)};
}

Result<Period> parse_range(std::string_view from, std::string_view to) {
  auto bound = [](std::string_view v, UnixMillis open) -> std::optional<UnixMillis> {
    if (v.empty()) return open;
    if (v.size() == 10) return parse_rfc3339(fmt::format("{}T00:00:00Z", v));
    return parse_rfc3339(v);
  };
  const auto f = bound(from, 0);
  const auto t = bound(to, INT64_MAX / 4);
  if (!f) return Error::client(ErrorKind::kInvalidRequest, "'from' is not a date", "from");
  if (!t) return Error::client(ErrorKind::kInvalidRequest, "'to' is not a date", "to");
  return Period{*f, *t,
                fmt::format("{} to {}", from.empty() ? "start" : from, to.empty() ? "now" : to)};
}

Result<Report> build_report(const Agreement& a, const std::string& ledger_path,
                            const Period& period, const std::optional<std::string>& party) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(ledger_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Error e = Error::internal(ErrorKind::kUnavailable,
                              fmt::format("cannot open the ledger {}: {}", ledger_path,
                                          db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return e;
  }
  Reader reader(db);
  Report report;
  report.period = period;
  report.party = party;

  // Usage, and what each (party, model) was charged.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> charged;  // list, net
  std::map<std::string, SettlementLine> tokens_of;  // the tokens each party bought
  Status s = reader.each(kUsageSql, period, party, {}, [&](sqlite3_stmt* st) {
    UsageLine u{text(st, 0),
                text(st, 1),
                text(st, 2),
                text(st, 3),
                sqlite3_column_int64(st, 4),
                sqlite3_column_int64(st, 5),
                sqlite3_column_int64(st, 6),
                sqlite3_column_int64(st, 7),
                sqlite3_column_int64(st, 8),
                sqlite3_column_int64(st, 9)};
    u.cached_prompt_tokens = sqlite3_column_int64(st, 10);
    SettlementLine& bought = tokens_of[u.party];
    bought.prompt_tokens += u.prompt_tokens;
    bought.cached_prompt_tokens += u.cached_prompt_tokens;
    bought.completion_tokens += u.completion_tokens;
    auto& c = charged[{u.party, u.model}];
    c.first += u.list_micro_usd;
    c.second += u.net_micro_usd;
    report.usage.push_back(std::move(u));
  });
  if (!s.ok()) return s.take_error();

  // The SLA of each reservation.
  std::map<std::pair<std::string, std::string>, int64_t> credit_ppm_of;
  for (const Reservation& r : a.reservations) {
    const std::string& p = a.parties[r.party].name;
    const std::string& m = a.models[r.model].name;
    if (party && *party != p) continue;
    ReservationLine line;
    line.party = p;
    line.model = m;
    line.tokens_per_s = r.tokens_per_s;
    line.availability_target = r.slo.availability_percent;
    line.ttft_target_ms = r.slo.ttft_p99_ms;
    line.tpot_target_ms = r.slo.tpot_p99_ms;
    s = reader.each(kAvailabilitySql, period, party, {p, m}, [&](sqlite3_stmt* st) {
      line.eligible = sqlite3_column_int64(st, 0);
      line.failed_ours = sqlite3_column_int64(st, 1);
    });
    if (!s.ok()) return s.take_error();
    line.availability_ppm = availability_ppm(line.eligible, line.failed_ours);
    std::vector<int64_t> ttft_us, tpot_us;
    int64_t served = 0;
    s = reader.each(kLatencySql, period, party, {p, m}, [&](sqlite3_stmt* st) {
      const int64_t ttft = std::llround(sqlite3_column_double(st, 0) * 1000);
      const int64_t total = std::llround(sqlite3_column_double(st, 1) * 1000);
      const int64_t completion = sqlite3_column_int64(st, 2);
      ++served;
      ttft_us.push_back(ttft);
      bool ok = !line.ttft_target_ms || ttft <= static_cast<int64_t>(*line.ttft_target_ms * 1000);
      if (completion >= 2) {
        const int64_t tpot = (total - ttft) / (completion - 1);
        tpot_us.push_back(tpot);
        ok = ok &&
             (!line.tpot_target_ms || tpot <= static_cast<int64_t>(*line.tpot_target_ms * 1000));
      }
      if (ok) ++line.attained;
    });
    if (!s.ok()) return s.take_error();
    line.ttft = stats_of(ttft_us);
    line.tpot = stats_of(tpot_us);
    line.attainment_ppm = served == 0 ? 1'000'000 : line.attained * 1'000'000 / served;
    line.credit_ppm = credit_ppm(a.sla, line.availability_ppm);
    const auto it = charged.find({p, m});
    line.credit_micro_usd = it == charged.end() ? 0 : apply_ppm(it->second.second, line.credit_ppm);
    credit_ppm_of[{p, m}] = line.credit_ppm;
    report.reservations.push_back(std::move(line));
  }

  // Settlement: per customer, then each (customer, model)'s revenue split.
  std::map<std::string, SettlementLine> by_party;
  for (const auto& [key, amounts] : charged) {
    const auto& [p, m] = key;
    SettlementLine& line = by_party[p];
    line.party = p;
    const int64_t credit =
        apply_ppm(amounts.second, credit_ppm_of.count(key) ? credit_ppm_of[key] : 0);
    const int64_t owed = amounts.second - credit;
    line.list_micro_usd += amounts.first;
    line.net_micro_usd += amounts.second;
    line.credit_micro_usd += credit;
    line.owed_micro_usd += owed;
    // Who gets it: the party's terms for the model, else the model's; a model or party no
    // longer in the agreement keeps its revenue unassigned rather than guessed.
    const auto party_id = a.find_party(p);
    const auto model_id = a.find_model(m);
    if (!model_id) {
      report.revenue.push_back({m, p, "(unassigned)", 1'000'000, owed});
      continue;
    }
    const auto& shares = a.revenue_share(party_id.value_or(kNone), *model_id);
    std::vector<int64_t> ppm;
    ppm.reserve(shares.size());
    for (const RevenueShare& share : shares) ppm.push_back(share.share_ppm);
    const std::vector<int64_t> parts = split_exactly(owed, ppm);
    for (size_t i = 0; i < shares.size(); ++i) {
      report.revenue.push_back(
          {m, p, a.parties[shares[i].party].name, shares[i].share_ppm, parts[i]});
    }
  }
  for (auto& [name, line] : by_party) {
    line.discount_micro_usd = line.list_micro_usd - line.net_micro_usd;
    const SettlementLine& bought = tokens_of[name];
    line.prompt_tokens = bought.prompt_tokens;
    line.cached_prompt_tokens = bought.cached_prompt_tokens;
    line.completion_tokens = bought.completion_tokens;
    report.owed_total_micro_usd += line.owed_micro_usd;
    report.settlement.push_back(line);
  }
  for (const RevenueLine& r : report.revenue) report.revenue_total_micro_usd += r.amount_micro_usd;

  // Daily usage, for the statement's chart.
  s = reader.each(kDailySql, period, party, {}, [&](sqlite3_stmt* st) {
    report.daily.push_back({format_rfc3339(sqlite3_column_int64(st, 0) * 86'400'000).substr(0, 10),
                            text(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)});
  });
  if (!s.ok()) return s.take_error();
  return report;
}

}  // namespace accord
