// KeyStore: the API keys made through the keys API (/admin/keys), and the audit trail of every
// admin action on them. Keys are kept as SHA-256 hashes only, never as the secret. The gateway
// reads them all at start and after each change, and authenticates from memory (no lookup per
// request). Behind an interface so it can move with the ledger (to PostgreSQL); the SQLite one
// lives in the ledger's database file, in its own tables. Thread-safe; its calls block, so the
// gateway makes them off the event loops.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/result.h"

namespace accord {

struct ManagedKey {
  std::string id;     // "key_…"
  std::string party;  // by name: a party that leaves the agreement takes its keys' use with it
  std::string name;
  KeyRole role = KeyRole::kCustomer;
  Sha256Digest sha256{};
  std::optional<Sha256Digest> previous_sha256;  // a rotated key's old secret
  UnixMillis previous_valid_until = 0;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;        // 0: never
  std::vector<std::string> models;  // empty: every model its party may call
  Limits limits;                    // rpm, tpm, budget_micro_usd_per_month
  std::string created_by;           // the key id that made it
};

// One admin action: who (the acting key and its party), what, when, from which address.
struct AuditEntry {
  int64_t seq = 0;  // assigned by the store
  UnixMillis at = 0;
  std::string actor_key;
  std::string actor_party;
  std::string action;  // "create", "rotate", "revoke"
  std::string key_id;  // the key acted on
  std::string party;   // its party
  std::string address;
  std::string detail_json = "{}";  // what changed (never a secret)
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Every key not revoked (expired ones included: authentication refuses them).
  virtual Result<std::vector<ManagedKey>> active() = 0;
  // Writes `key` (new, or rotated in place) and its audit row in one transaction.
  virtual Status put(const ManagedKey& key, const AuditEntry& audit) = 0;
  // Revokes the key (it stays in the table, marked); false: no such key not yet revoked.
  virtual Result<bool> revoke(std::string_view id, const AuditEntry& audit) = 0;
  // The newest `limit` audit rows, newest first; `party` not empty: those about that party.
  virtual Result<std::vector<AuditEntry>> audit(std::string_view party, int64_t limit) = 0;
};

// Opens (and creates) the keys and audit tables in the SQLite database at `path`.
Result<std::unique_ptr<KeyStore>> open_sqlite_key_store(const std::string& path);

}  // namespace accord
