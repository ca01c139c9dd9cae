#include "ledger/month_spend.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>

namespace accord {

UnixMillis month_start(UnixMillis t) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(t)))};
  const sys_days first = ymd.year() / ymd.month() / std::chrono::day(1);
  return duration_cast<milliseconds>(first.time_since_epoch()).count();
}

Status seed_budgets_from_ledger(const std::string& path, const Agreement& agreement,
                                const LimitState& limits, UnixMillis now) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status();  // no ledger yet: nothing spent
  }
  auto fail = [db](std::string_view what) {
    Error e = Error::internal(
        ErrorKind::kUnavailable,
        fmt::format("reading the month's spend ({}): {}", what, sqlite3_errmsg(db)));
    sqlite3_close(db);
    return e;
  };
  for (const bool by_party : {true, false}) {
    const char* sql = by_party ? "SELECT party, sum(cost_micro_usd) FROM usage "
                                 "WHERE ts_ms >= ? AND party IS NOT NULL GROUP BY party"
                               : "SELECT key_id, sum(cost_micro_usd) FROM usage "
                                 "WHERE ts_ms >= ? AND key_id IS NOT NULL GROUP BY key_id";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      // A database without the usage table yet has nothing spent.
      sqlite3_close(db);
      return Status();
    }
    sqlite3_bind_int64(stmt, 1, month_start(now));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const std::string name(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      const int64_t spent = sqlite3_column_int64(stmt, 1);
      SpendBudget* budget = nullptr;
      if (by_party) {
        if (auto p = agreement.find_party(name)) budget = limits.party_budget(*p);
      } else {
        for (size_t k = 0; k < agreement.keys.size(); ++k) {
          if (agreement.keys[k].id == name) budget = limits.key_budget(k);
        }
      }
      if (budget != nullptr) budget->add_settled(now, spent);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return fail("query");
  }
  sqlite3_close(db);
  return Status();
}

}  // namespace accord
