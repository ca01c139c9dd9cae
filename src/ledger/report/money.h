// The arithmetic of SLA and settlement reports, exact in integers: nothing here uses floating
// point, so every total reconciles with its parts to the micro-dollar.
#pragma once

#include <cstdint>
#include <vector>

#include "agreement/agreement.h"

namespace accord {

// The p-th percentile by nearest rank (p in 1..100) of values, sorted in place. 0 if empty.
int64_t percentile_nearest_rank(std::vector<int64_t>& values, int p);

// Availability in parts per million: (eligible - failed) / eligible, rounded down
// (1'000'000 when nothing was eligible).
int64_t availability_ppm(int64_t eligible, int64_t failed);

// The credit the agreement grants for an availability: the largest `percent` among the tiers
// whose `below` the availability falls under, in parts per million of the charges (0 if none).
int64_t credit_ppm(const Sla& sla, int64_t availability_ppm);

// amount × ppm / 10^6, rounded half up.
int64_t apply_ppm(int64_t amount, int64_t ppm);

// Splits `amount` by `shares` (parts per million, summing to 10^6) with the largest remainder
// method: each part is within one micro-dollar of its exact share and the parts sum to `amount`
// exactly. Ties go to the earlier share.
std::vector<int64_t> split_exactly(int64_t amount, const std::vector<int64_t>& shares_ppm);

}  // namespace accord
