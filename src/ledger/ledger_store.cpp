#include "ledger/ledger_store.h"

namespace accord {

Status LedgerStore::append(std::span<const UsageRecord> records) {
  Status s = begin();
  if (s.ok()) s = insert(records);
  if (s.ok()) s = commit();
  if (!s.ok()) rollback();
  return s;
}

}  // namespace accord
