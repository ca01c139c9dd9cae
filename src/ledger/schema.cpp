#include "ledger/schema.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>

#include "http/openai_error.h"
#include "ledger/ledger_store.h"

namespace accord {
namespace {

// Migration i takes the schema from version i to i + 1.
constexpr std::array<const char*, kLedgerSchemaVersion> kMigrations{{
    // 0 → 1: one row per request that reached authentication.
    "CREATE TABLE usage ("
    "  id INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"  // arrival, Unix milliseconds
    "  request_id TEXT NOT NULL,"
    "  key_id TEXT,"  // NULL: authentication failed
    "  party TEXT, model TEXT, pool TEXT,"
    "  class TEXT,"                          // reserved | shared | preemptible
    "  service_tier TEXT,"                   // default | priority | flex
    "  status INTEGER NOT NULL,"             // the HTTP status the client got
    "  failed INTEGER NOT NULL,"             // 1: no complete answer
    "  error_code TEXT, error_source TEXT,"  // client | upstream | internal
    "  reserved INTEGER NOT NULL,"           // the party has a reservation on the model
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  queue_ms REAL, ttft_ms REAL, total_ms REAL,"
    "  endpoint TEXT,"
    "  list_cost_micro_usd INTEGER NOT NULL,"
    "  cost_micro_usd INTEGER NOT NULL);"
    "CREATE INDEX usage_ts ON usage(ts_ms);",
    // 1 → 2: prompt tokens a provider read from its prompt cache (of prompt_tokens), billed at
    // the model's cached input price.
    "ALTER TABLE usage ADD COLUMN cached_prompt_tokens INTEGER NOT NULL DEFAULT 0;",
}};

Status fail(sqlite3* db, std::string_view what) {
  return Error::internal(ErrorKind::kUnavailable,
                         fmt::format("ledger schema {}: {}", what, sqlite3_errmsg(db)));
}

}  // namespace

Status migrate(sqlite3* db) {
  if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(db, "version table");
  }
  int version = 0;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return fail(db, "version");
  }
  if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  if (version > kLedgerSchemaVersion) {
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("the ledger has schema version {}, newer than this "
                                       "accord's {}: use a newer accord",
                                       version, kLedgerSchemaVersion));
  }
  for (int v = version; v < kLedgerSchemaVersion; ++v) {
    const std::string step =
        fmt::format("BEGIN; {} INSERT INTO schema_version (version) VALUES ({}); COMMIT;",
                    kMigrations[static_cast<size_t>(v)], v + 1);
    if (sqlite3_exec(db, step.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status s = fail(db, fmt::format("migration to version {}", v + 1));
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  return Status();
}

std::string_view error_code_name(ErrorKind kind) {
  const std::string_view code = openai_error_code(kind);
  return code.empty() ? std::string_view("invalid_request") : code;
}

}  // namespace accord
