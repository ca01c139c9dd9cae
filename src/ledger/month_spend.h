// What each party and key has spent this month according to the ledger: budgets start from it,
// so a restart does not give anyone a fresh budget.
#pragma once

#include <string>

#include "agreement/agreement.h"
#include "core/result.h"
#include "policy/limiter.h"

namespace accord {

// Adds the month-to-date spend of `path` to the budgets in `limits`.
Status seed_budgets_from_ledger(const std::string& path, const Agreement& agreement,
                                const LimitState& limits, UnixMillis now);

// The first millisecond of the UTC month containing `t`.
UnixMillis month_start(UnixMillis t);

}  // namespace accord
