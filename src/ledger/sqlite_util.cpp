#include "ledger/sqlite_util.h"

#include <fmt/format.h>

namespace accord::sqlite {

Result<sqlite3*> open(const std::string& path, std::string_view what) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = fmt::format("Could not open {} {}: {}", what, path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return Error::internal(ErrorKind::kInternal, std::move(message));
  }
  sqlite3_busy_timeout(db, 5'000);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  return db;
}

Database::~Database() {
  for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Status Database::exec(const char* sql, std::string_view action) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(action);
  return Status();
}

Status Database::prepare(std::initializer_list<std::pair<const char*, sqlite3_stmt**>> statements) {
  for (const auto& [sql, stmt] : statements) {
    if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) return error("prepare");
    statements_.push_back(*stmt);
  }
  return Status();
}

Error Database::error(std::string_view action) const {
  return Error::internal(ErrorKind::kInternal,
                         fmt::format("Could not {} {}: {}", action, what_, sqlite3_errmsg(db_)));
}

Error Database::rollback(std::string_view action) {
  Error e = error(action);
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return e;
}

}  // namespace accord::sqlite
