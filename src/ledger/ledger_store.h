// LedgerStore: where usage records are kept. The SQLite store serves one gateway; the interface
// is what a PostgreSQL store for several replicas implements.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/result.h"
#include "ledger/usage_record.h"

namespace accord {

// One transaction may be written in several calls (begin, insert..., commit), so that its work
// can be cut into short slices run between other work. One caller at a time.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  virtual Status begin() = 0;
  virtual Status insert(std::span<const UsageRecord> records) = 0;  // inside a transaction
  virtual Status commit() = 0;
  virtual void rollback() = 0;  // after a failed call; a no-op without a transaction
  // Housekeeping too long for a slice (a WAL checkpoint), run on the writer thread: whether it
  // is due (after a commit), and doing it.
  virtual bool maintenance_due() const { return false; }
  virtual Status maintain() { return Status(); }

  // Appends the records in one transaction: all of them, or (on error) none.
  Status append(std::span<const UsageRecord> records);
};

struct SqliteOptions {
  std::string path;
  bool synchronous_full = false;  // fsync every commit (durability: strict)
};

// Opens (creating if needed) and migrates the schema to the current version.
Result<std::unique_ptr<LedgerStore>> open_sqlite_store(const SqliteOptions& options);

// The schema version this build writes.
constexpr int kLedgerSchemaVersion = 2;

}  // namespace accord
