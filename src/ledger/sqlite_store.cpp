#include <fmt/format.h>
#include <sqlite3.h>

#include "ledger/ledger_store.h"
#include "ledger/schema.h"

namespace accord {
namespace {

class SqliteStore final : public LedgerStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    sqlite3_finalize(insert_many_);
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  Status prepare() {
    if (Status s = prepare_insert(1, &insert_); !s.ok()) return s;
    return prepare_insert(kRowsPerInsert, &insert_many_);
  }

  Status begin() override {
    if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return error("begin");
    return Status();
  }

  Status insert(std::span<const UsageRecord> records) override {
    size_t i = 0;
    for (; i + kRowsPerInsert <= records.size(); i += kRowsPerInsert) {
      if (Status s = insert(insert_many_, records.subspan(i, kRowsPerInsert)); !s.ok()) return s;
    }
    for (; i < records.size(); ++i) {
      if (Status s = insert(insert_, records.subspan(i, 1)); !s.ok()) return s;
    }
    return Status();
  }

  Status commit() override {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return error("commit");
    return Status();
  }

  void rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // SQLite's own checkpoint would run inside the COMMIT that crosses the threshold, and a
  // checkpoint syncs the files: the writer thread runs it instead, never an event loop.
  bool maintenance_due() const override { return wal_pages_ >= kCheckpointPages; }

  Status maintain() override {
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
        SQLITE_OK) {
      return error("checkpoint");
    }
    wal_pages_ = 0;
    return Status();
  }

  void watch_wal() {
    sqlite3_wal_autocheckpoint(db_, 0);
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<SqliteStore*>(self)->wal_pages_ = pages;
          return SQLITE_OK;
        },
        this);
  }

 private:
  static constexpr size_t kRowsPerInsert = 32;
  // SQLite's default threshold (4 MiB of WAL). A checkpoint shares the proxy's core with the
  // loops; small ones held them up less than 64 MiB ones (p99 at 64 connections, interleaved
  // rounds of a bench/peers-like setup: 2380 µs against 2660 µs; nginx 2100 µs).
  static constexpr int kCheckpointPages = 1000;
  static constexpr int kColumns = 22;

  Status prepare_insert(size_t rows, sqlite3_stmt** out) {
    std::string sql =
        "INSERT INTO usage (ts_ms, request_id, key_id, party, model, pool, class, service_tier, "
        "status, failed, error_code, error_source, reserved, prompt_tokens, completion_tokens, "
        "queue_ms, ttft_ms, total_ms, endpoint, list_cost_micro_usd, cost_micro_usd, "
        "cached_prompt_tokens) VALUES ";
    for (size_t r = 0; r < rows; ++r) {
      sql += r == 0 ? "(" : ",(";
      for (int c = 0; c < kColumns; ++c) sql += c == 0 ? "?" : ",?";
      sql += ")";
    }
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, out, nullptr) != SQLITE_OK) {
      return error("prepare");
    }
    return Status();
  }

  Status insert(sqlite3_stmt* stmt, std::span<const UsageRecord> rows) {
    for (size_t k = 0; k < rows.size(); ++k) bind(stmt, static_cast<int>(k) * kColumns, rows[k]);
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return error("insert");
    return Status();
  }

  // Binds one record's columns after `base` (the bound texts must outlive the statement's step).
  void bind(sqlite3_stmt* stmt, int base, const UsageRecord& r) {
    const Agreement* a = r.agreement.get();
    auto text = [&](int i, std::string_view s) {
      sqlite3_bind_text(stmt, base + i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    };
    auto null_or = [&](int i, bool present, std::string_view s) {
      if (present) {
        text(i, s);
      } else {
        sqlite3_bind_null(stmt, base + i);
      }
    };
    sqlite3_bind_int64(stmt, base + 1, r.time_ms);
    text(2, r.request_id.view());
    null_or(3, r.key >= 0,
            r.key >= 0 ? std::string_view(a->keys[static_cast<size_t>(r.key)].id) : "");
    null_or(4, r.party != kNone,
            r.party != kNone ? std::string_view(a->parties[r.party].name) : "");
    null_or(5, r.model != kNone, r.model != kNone ? std::string_view(a->models[r.model].name) : "");
    null_or(6, r.pool != kNone, r.pool != kNone ? std::string_view(a->pools[r.pool].name) : "");
    null_or(7, r.model != kNone, class_name(r.cls));
    null_or(8, r.model != kNone, to_string(r.service_tier));
    sqlite3_bind_int(stmt, base + 9, r.status);
    sqlite3_bind_int(stmt, base + 10, r.failed ? 1 : 0);
    if (r.failed) {
      text(11, error_code_name(r.error_kind));
      text(12, error_source_name(r.error_source));
    } else {
      sqlite3_bind_null(stmt, base + 11);
      sqlite3_bind_null(stmt, base + 12);
    }
    sqlite3_bind_int(stmt, base + 13, r.reserved ? 1 : 0);
    sqlite3_bind_int64(stmt, base + 14, r.prompt_tokens);
    sqlite3_bind_int64(stmt, base + 15, r.completion_tokens);
    sqlite3_bind_double(stmt, base + 16, r.queue_ms);
    if (r.ttft_ms >= 0) {
      sqlite3_bind_double(stmt, base + 17, r.ttft_ms);
    } else {
      sqlite3_bind_null(stmt, base + 17);
    }
    sqlite3_bind_double(stmt, base + 18, r.total_ms);
    const bool has_endpoint = r.endpoint >= 0 && r.pool != kNone &&
                              static_cast<size_t>(r.endpoint) < a->pools[r.pool].upstreams.size();
    null_or(19, has_endpoint,
            has_endpoint
                ? std::string_view(a->pools[r.pool].upstreams[static_cast<size_t>(r.endpoint)].url)
                : "");
    sqlite3_bind_int64(stmt, base + 20, r.list_cost_micro_usd);
    sqlite3_bind_int64(stmt, base + 21, r.cost_micro_usd);
    sqlite3_bind_int64(stmt, base + 22, r.cached_prompt_tokens);
  }

  Error error(std::string_view what) const {
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("ledger {} failed: {}", what, sqlite3_errmsg(db_)));
  }

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* insert_many_ = nullptr;
  int wal_pages_ = 0;  // in the WAL after the last commit
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> open_sqlite_store(const SqliteOptions& options) {
  sqlite3* db = nullptr;
  // Only the writer thread uses this connection: no per-call locking inside SQLite.
  if (sqlite3_open_v2(options.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("cannot open the ledger {}: {}", options.path, message));
  }
  auto store = std::make_unique<SqliteStore>(db);
  // SQLite falls back to read-only where it may not write (a read-only filesystem or file);
  // a ledger that cannot record is no ledger.
  if (sqlite3_db_readonly(db, "main") == 1) {
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("the ledger {} is read-only: accord will not serve "
                                       "requests it cannot record",
                                       options.path));
  }
  sqlite3_busy_timeout(db, 5000);
  const std::string pragmas = fmt::format(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=ON; "
      "PRAGMA cache_size=-32768;",
      options.synchronous_full ? "FULL" : "NORMAL");
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error::internal(ErrorKind::kUnavailable,
                           fmt::format("ledger {}: {}", options.path, sqlite3_errmsg(db)));
  }
  if (Status s = migrate(db); !s.ok()) return s.take_error();
  if (Status s = store->prepare(); !s.ok()) return s.take_error();
  store->watch_wal();
  return std::unique_ptr<LedgerStore>(std::move(store));
}

}  // namespace accord
