// How the keys API writes a key (never its secret, but where the answer makes one) and an audit
// row.
#pragma once

#include <string>
#include <string_view>

#include "agreement/agreement.h"
#include "core/json_writer.h"
#include "ledger/key_store.h"

namespace accord {

// A managed key: {"id","object":"api_key","source":"api","party","name","role","created_at",
// "expires_at","models","rpm","tpm","budget_usd_per_month","previous_key_valid_until"} (times in
// Unix seconds, null when none), then `secret` as "key" when it is not empty.
void write_managed_key(JsonWriter& w, const ManagedKey& key, std::string_view secret = {});
// A key of the agreement file (source "agreement": managed there, not through the API).
void write_agreement_key(JsonWriter& w, const Agreement& agreement, const ApiKey& key);
void write_audit_entry(JsonWriter& w, const AuditEntry& entry);

}  // namespace accord
