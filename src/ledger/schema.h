// The ledger's SQLite schema, versioned: a database is migrated forward on open, one step per
// version, each in its own transaction; a database from a newer accord is refused.
#pragma once

#include <string_view>

#include "core/error.h"
#include "core/result.h"

struct sqlite3;

namespace accord {

Status migrate(sqlite3* db);
std::string_view error_code_name(ErrorKind kind);

}  // namespace accord
