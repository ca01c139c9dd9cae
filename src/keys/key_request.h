// The bodies of the keys API's requests, read and checked for shape (what they ask is checked
// against the agreement and the caller by KeyAdmin):
//   POST /admin/keys             {"party", "name", "role", "expires_at", "models", "rpm", "tpm",
//                                 "budget_usd_per_month"}   (all optional)
//   POST /admin/keys/{id}/rotate {"grace_seconds"}          (optional; default 0)
// expires_at is RFC 3339 or Unix seconds; budget_usd_per_month a decimal read exactly. Errors
// are 400s naming the field.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/result.h"

namespace accord {

struct CreateKeyRequest {
  std::optional<std::string> party;
  std::string name;
  KeyRole role = KeyRole::kCustomer;
  UnixMillis expires_at = 0;  // 0: never
  std::vector<std::string> models;
  Limits limits;  // rpm, tpm, budget_micro_usd_per_month
};

// The longest grace a rotation may give the old secret: 30 days.
inline constexpr int64_t kMaxGraceSeconds = int64_t{30} * 86'400;

Result<CreateKeyRequest> read_create_key_request(std::string_view body);
// The grace in milliseconds.
Result<int64_t> read_rotate_key_request(std::string_view body);

}  // namespace accord
