#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

#include "ledger/key_store.h"
#include "ledger/sqlite_util.h"

namespace accord {
namespace {

using sqlite::bind_text;
using sqlite::column_text;
using sqlite::step;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  party TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  previous_sha256 TEXT NOT NULL,
  previous_valid_until_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  models TEXT NOT NULL,
  rpm INTEGER,
  tpm INTEGER,
  budget_micro_usd_per_month INTEGER,
  created_by TEXT NOT NULL,
  revoked_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS admin_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor_key TEXT NOT NULL,
  actor_party TEXT NOT NULL,
  action TEXT NOT NULL,
  key_id TEXT NOT NULL,
  party TEXT NOT NULL,
  address TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_audit_by_party ON admin_audit(party, seq);
)sql";

// Model names one per line (a name has no line break: the loader reads them as YAML keys).
std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out.push_back('\n');
    out += n;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void bind_optional(sqlite3_stmt* s, int i, const std::optional<int64_t>& v) {
  if (v) {
    sqlite3_bind_int64(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

std::optional<int64_t> column_optional(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(sqlite3* db) : db_(db, "the key store") {}

  Status prepare() {
    if (Status s = db_.exec(kSchema, "create"); !s.ok()) return s;
    return db_.prepare({
        {"INSERT OR REPLACE INTO api_keys VALUES "
         "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULL)",
         &put_},
        {"SELECT id, party, name, role, sha256, previous_sha256, previous_valid_until_ms, "
         "created_at_ms, expires_at_ms, models, rpm, tpm, budget_micro_usd_per_month, created_by "
         "FROM api_keys WHERE revoked_at_ms IS NULL ORDER BY created_at_ms, id",
         &active_},
        {"UPDATE api_keys SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
         &revoke_},
        {"SELECT seq, at_ms, actor_key, actor_party, action, key_id, party, address, detail "
         "FROM admin_audit WHERE party = ?1 OR actor_party = ?1 ORDER BY seq DESC LIMIT ?2",
         &audit_},
        {"SELECT seq, at_ms, actor_key, actor_party, action, key_id, party, address, detail "
         "FROM admin_audit ORDER BY seq DESC LIMIT ?1",
         &audit_all_},
        {"INSERT INTO admin_audit (at_ms, actor_key, actor_party, action, key_id, party, "
         "address, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
         &log_},
        {"BEGIN IMMEDIATE", &begin_},
        {"COMMIT", &commit_},
    });
  }

  Result<std::vector<ManagedKey>> active() override {
    const std::lock_guard lock(mu_);
    std::vector<ManagedKey> out;
    int rc = 0;
    while ((rc = sqlite3_step(active_)) == SQLITE_ROW) {
      ManagedKey& k = out.emplace_back();
      k.id = column_text(active_, 0);
      k.party = column_text(active_, 1);
      k.name = column_text(active_, 2);
      k.role = column_text(active_, 3) == "admin" ? KeyRole::kAdmin : KeyRole::kCustomer;
      k.sha256 = parse_sha256_hex(column_text(active_, 4)).value_or(Sha256Digest{});
      k.previous_sha256 = parse_sha256_hex(column_text(active_, 5));
      k.previous_valid_until = sqlite3_column_int64(active_, 6);
      k.created_at = sqlite3_column_int64(active_, 7);
      k.expires_at = sqlite3_column_int64(active_, 8);
      k.models = split_lines(column_text(active_, 9));
      k.limits.rpm = column_optional(active_, 10);
      k.limits.tpm = column_optional(active_, 11);
      k.limits.budget_micro_usd_per_month = column_optional(active_, 12);
      k.created_by = column_text(active_, 13);
    }
    sqlite3_reset(active_);
    if (rc != SQLITE_DONE) return db_.error("read the keys of");
    return out;
  }

  Status put(const ManagedKey& k, const AuditEntry& audit) override {
    const std::lock_guard lock(mu_);
    if (!step(begin_)) return db_.error("begin a write to");
    bind_text(put_, 1, k.id);
    bind_text(put_, 2, k.party);
    bind_text(put_, 3, k.name);
    bind_text(put_, 4, k.role == KeyRole::kAdmin ? "admin" : "customer");
    bind_text(put_, 5, to_hex(k.sha256));
    bind_text(put_, 6, k.previous_sha256 ? to_hex(*k.previous_sha256) : std::string());
    sqlite3_bind_int64(put_, 7, k.previous_valid_until);
    sqlite3_bind_int64(put_, 8, k.created_at);
    sqlite3_bind_int64(put_, 9, k.expires_at);
    bind_text(put_, 10, join_lines(k.models));
    bind_optional(put_, 11, k.limits.rpm);
    bind_optional(put_, 12, k.limits.tpm);
    bind_optional(put_, 13, k.limits.budget_micro_usd_per_month);
    bind_text(put_, 14, k.created_by);
    if (step(put_) && log(audit) && step(commit_)) return Status();
    return db_.rollback("store a key in");
  }

  Result<bool> revoke(std::string_view id, const AuditEntry& audit) override {
    const std::lock_guard lock(mu_);
    if (!step(begin_)) return db_.error("begin a write to");
    bind_text(revoke_, 1, id);
    sqlite3_bind_int64(revoke_, 2, audit.at);
    if (!step(revoke_)) return db_.rollback("revoke a key in");
    const bool revoked = sqlite3_changes(db_.handle()) > 0;
    if (revoked && !log(audit)) return db_.rollback("audit a revocation in");
    if (!step(commit_)) return db_.rollback("commit a revocation to");
    return revoked;
  }

  Result<std::vector<AuditEntry>> audit(std::string_view party, int64_t limit) override {
    const std::lock_guard lock(mu_);
    sqlite3_stmt* s = party.empty() ? audit_all_ : audit_;
    if (party.empty()) {
      sqlite3_bind_int64(s, 1, limit);
    } else {
      bind_text(s, 1, party);
      sqlite3_bind_int64(s, 2, limit);
    }
    std::vector<AuditEntry> out;
    int rc = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      AuditEntry& e = out.emplace_back();
      e.seq = sqlite3_column_int64(s, 0);
      e.at = sqlite3_column_int64(s, 1);
      e.actor_key = column_text(s, 2);
      e.actor_party = column_text(s, 3);
      e.action = column_text(s, 4);
      e.key_id = column_text(s, 5);
      e.party = column_text(s, 6);
      e.address = column_text(s, 7);
      e.detail_json = column_text(s, 8);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return db_.error("read the audit trail of");
    return out;
  }

 private:
  bool log(const AuditEntry& a) {
    sqlite3_bind_int64(log_, 1, a.at);
    bind_text(log_, 2, a.actor_key);
    bind_text(log_, 3, a.actor_party);
    bind_text(log_, 4, a.action);
    bind_text(log_, 5, a.key_id);
    bind_text(log_, 6, a.party);
    bind_text(log_, 7, a.address);
    bind_text(log_, 8, a.detail_json);
    return step(log_);
  }
  std::mutex mu_;
  sqlite::Database db_;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* active_ = nullptr;
  sqlite3_stmt* revoke_ = nullptr;
  sqlite3_stmt* audit_ = nullptr;
  sqlite3_stmt* audit_all_ = nullptr;
  sqlite3_stmt* log_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<KeyStore>> open_sqlite_key_store(const std::string& path) {
  auto opened = sqlite::open(path, "the key store");
  if (!opened.ok()) return opened.take_error();
  auto store = std::make_unique<SqliteKeyStore>(opened.value());
  if (Status s = store->prepare(); !s.ok()) return s.take_error();
  return std::unique_ptr<KeyStore>(std::move(store));
}

}  // namespace accord
