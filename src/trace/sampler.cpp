#include "trace/sampler.h"

namespace accord {

bool ratio_samples(double ratio, const TraceId& id) {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  uint64_t v = 0;
  for (size_t i = 8; i < 16; ++i) v = v << 8 | id.bytes[i];
  const auto bound = static_cast<uint64_t>(ratio * 9223372036854775808.0);  // ratio × 2^63
  return (v >> 1) < bound;
}

bool should_sample(const std::optional<TraceParent>& parent, const TraceId& id, double ratio) {
  if (parent) return parent->sampled();
  return ratio_samples(ratio, id);
}

}  // namespace accord
