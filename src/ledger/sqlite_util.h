// Small helpers the SQLite stores share (ledger/sqlite_*.cpp): opening a database file the way
// they all do, and binding and reading text.
#pragma once

#include <sqlite3.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace accord::sqlite {

// Opens (creating) the database at `path` with a busy timeout, WAL and synchronous=NORMAL.
// `what` names the store in the error: "the response store".
Result<sqlite3*> open(const std::string& path, std::string_view what);

// A database handle and the statements prepared on it, finalised and closed together. Not
// thread-safe (the stores hold their own lock).
class Database {
 public:
  // `what` names the store in errors: "the key store".
  Database(sqlite3* db, std::string what) : db_(db), what_(std::move(what)) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  // Runs `sql` (statements without results); `action` names it in the error: "create".
  Status exec(const char* sql, std::string_view action);
  // Prepares each (sql, where the statement goes).
  Status prepare(std::initializer_list<std::pair<const char*, sqlite3_stmt**>> statements);
  // "Could not ACTION the store: SQLite's message".
  Error error(std::string_view action) const;
  // The same, after rolling back the open transaction.
  Error rollback(std::string_view action);

 private:
  sqlite3* db_;
  std::string what_;
  std::vector<sqlite3_stmt*> statements_;
};

// Runs a statement that returns no rows, and resets it: true when it succeeded.
inline bool step(sqlite3_stmt* s) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE;
}

inline void bind_text(sqlite3_stmt* s, int i, std::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

inline std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string()
                      : std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

}  // namespace accord::sqlite
