#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

#include "ledger/response_store.h"
#include "ledger/sqlite_util.h"

namespace accord {
namespace {

using sqlite::bind_text;
using sqlite::column_text;
using sqlite::step;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY,
  party TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  response TEXT NOT NULL,
  messages TEXT NOT NULL,
  upstream_pool TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS responses_by_expiry ON responses(expires_at_ms);
CREATE TABLE IF NOT EXISTS response_items (
  id TEXT PRIMARY KEY,
  response_id TEXT NOT NULL,
  party TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  item TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS response_items_by_response ON response_items(response_id);
CREATE INDEX IF NOT EXISTS response_items_by_expiry ON response_items(expires_at_ms);
)sql";

// Expired rows are deleted every this many puts (and never read: get() checks the time).
constexpr int kPutsPerPurge = 64;

class SqliteResponseStore final : public ResponseStore {
 public:
  explicit SqliteResponseStore(sqlite3* db) : db_(db, "the response store") {}

  Status prepare() {
    if (Status s = db_.exec(kSchema, "create"); !s.ok()) return s;
    if (Status s = add_upstream_pool_column(); !s.ok()) return s;
    return db_.prepare({
        {"INSERT OR REPLACE INTO responses (id, party, created_at_ms, expires_at_ms, response, "
         "messages, upstream_pool) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
         &put_},
        {"SELECT created_at_ms, expires_at_ms, response, messages, upstream_pool FROM responses "
         "WHERE id = ?1 AND party = ?2 AND expires_at_ms > ?3",
         &get_},
        {"DELETE FROM responses WHERE id = ?1 AND party = ?2", &remove_},
        {"DELETE FROM responses WHERE expires_at_ms <= ?1", &purge_},
        {"INSERT OR REPLACE INTO response_items VALUES (?1, ?2, ?3, ?4, ?5)", &put_item_},
        {"SELECT item FROM response_items WHERE id = ?1 AND party = ?2 AND expires_at_ms > ?3",
         &get_item_},
        {"DELETE FROM response_items WHERE response_id = ?1 AND party = ?2", &remove_items_},
        {"DELETE FROM response_items WHERE expires_at_ms <= ?1", &purge_items_},
        {"BEGIN", &begin_},
        {"COMMIT", &commit_},
    });
  }

  // A table made before relayed responses (upstream_pool) gains the column; its rows get ''.
  Status add_upstream_pool_column() {
    sqlite3_stmt* info = nullptr;
    if (sqlite3_prepare_v2(db_.handle(),
                           "SELECT 1 FROM pragma_table_info('responses') WHERE name = "
                           "'upstream_pool'",
                           -1, &info, nullptr) != SQLITE_OK) {
      return db_.error("inspect");
    }
    const int rc = sqlite3_step(info);
    sqlite3_finalize(info);
    if (rc == SQLITE_ROW) return Status();
    if (sqlite3_exec(db_.handle(),
                     "ALTER TABLE responses ADD COLUMN upstream_pool TEXT NOT NULL DEFAULT ''",
                     nullptr, nullptr, nullptr) != SQLITE_OK) {
      return db_.error("upgrade");
    }
    return Status();
  }

  // One transaction: the response and its items, or neither.
  Status put(const StoredResponse& r) override {
    const std::lock_guard lock(mu_);
    if (!step(begin_)) return db_.error("begin a write to");
    if (++puts_ % kPutsPerPurge == 0) {
      for (sqlite3_stmt* purge : {purge_, purge_items_}) {
        sqlite3_bind_int64(purge, 1, r.created_at);
        step(purge);
      }
    }
    bind_text(put_, 1, r.id);
    bind_text(put_, 2, r.party);
    sqlite3_bind_int64(put_, 3, r.created_at);
    sqlite3_bind_int64(put_, 4, r.expires_at);
    bind_text(put_, 5, r.response_json);
    bind_text(put_, 6, r.messages_json);
    bind_text(put_, 7, r.upstream_pool);
    bool ok = step(put_);
    for (const auto& [id, item] : r.items) {
      if (!ok) break;
      bind_text(put_item_, 1, id);
      bind_text(put_item_, 2, r.id);
      bind_text(put_item_, 3, r.party);
      sqlite3_bind_int64(put_item_, 4, r.expires_at);
      bind_text(put_item_, 5, item);
      ok = step(put_item_);
    }
    if (ok && step(commit_)) return Status();
    return db_.rollback("store a response in");
  }

  Result<std::optional<std::string>> get_item(std::string_view item_id, std::string_view party,
                                              UnixMillis now) override {
    const std::lock_guard lock(mu_);
    bind_text(get_item_, 1, item_id);
    bind_text(get_item_, 2, party);
    sqlite3_bind_int64(get_item_, 3, now);
    const int rc = sqlite3_step(get_item_);
    std::optional<std::string> found;
    if (rc == SQLITE_ROW) found = column_text(get_item_, 0);
    sqlite3_reset(get_item_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error("read an item from");
    return found;
  }

  Result<std::optional<StoredResponse>> get(std::string_view id, std::string_view party,
                                            UnixMillis now) override {
    const std::lock_guard lock(mu_);
    bind_text(get_, 1, id);
    bind_text(get_, 2, party);
    sqlite3_bind_int64(get_, 3, now);
    const int rc = sqlite3_step(get_);
    std::optional<StoredResponse> found;
    if (rc == SQLITE_ROW) {
      StoredResponse& r = found.emplace();
      r.id = id;
      r.party = party;
      r.created_at = sqlite3_column_int64(get_, 0);
      r.expires_at = sqlite3_column_int64(get_, 1);
      r.response_json = column_text(get_, 2);
      r.messages_json = column_text(get_, 3);
      r.upstream_pool = column_text(get_, 4);
    }
    sqlite3_reset(get_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error("read a response from");
    return found;
  }

  Result<bool> remove(std::string_view id, std::string_view party) override {
    const std::lock_guard lock(mu_);
    bind_text(remove_, 1, id);
    bind_text(remove_, 2, party);
    if (!step(remove_)) return db_.error("delete a response from");
    const bool removed = sqlite3_changes(db_.handle()) > 0;
    bind_text(remove_items_, 1, id);
    bind_text(remove_items_, 2, party);
    if (!step(remove_items_)) return db_.error("delete a response's items from");
    return removed;
  }

 private:
  std::mutex mu_;
  sqlite::Database db_;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* purge_ = nullptr;
  sqlite3_stmt* put_item_ = nullptr;
  sqlite3_stmt* get_item_ = nullptr;
  sqlite3_stmt* remove_items_ = nullptr;
  sqlite3_stmt* purge_items_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  int64_t puts_ = 0;
};

}  // namespace

Result<std::unique_ptr<ResponseStore>> open_sqlite_response_store(const std::string& path) {
  auto opened = sqlite::open(path, "the response store");
  if (!opened.ok()) return opened.take_error();
  sqlite3* db = opened.value();
  auto store = std::make_unique<SqliteResponseStore>(db);
  if (Status s = store->prepare(); !s.ok()) return s.take_error();
  return std::unique_ptr<ResponseStore>(std::move(store));
}

}  // namespace accord
