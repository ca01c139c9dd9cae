// LedgerStore: where usage records are kept. The SQLite store serves one gateway; the interface
// is what a PostgreSQL store for several replicas implements.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/result.h"
#include "ledger/usage_record.h"

namespace accord {

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Appends the records in one transaction: all of them, or (on error) none.
  virtual Status append(std::span<const UsageRecord> records) = 0;
};

struct SqliteOptions {
  std::string path;
  bool synchronous_full = false;  // fsync every commit (durability: strict)
};

// Opens (creating if needed) and migrates the schema to the current version.
Result<std::unique_ptr<LedgerStore>> open_sqlite_store(const SqliteOptions& options);

// The schema version this build writes.
constexpr int kLedgerSchemaVersion = 1;

}  // namespace accord
