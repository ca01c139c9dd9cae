#include "runtime/memory_trim.h"

#include <malloc.h>

namespace accord {

void MemoryTrimmer::opened(int64_t open) {
  int64_t peak = peak_.load(std::memory_order_relaxed);
  while (open > peak && !peak_.compare_exchange_weak(peak, open, std::memory_order_relaxed)) {
  }
}

void MemoryTrimmer::closed(int64_t open) {
  int64_t peak = peak_.load(std::memory_order_relaxed);
  if (peak - open < kMinDrop || open > peak / 2) return;
  // One thread wins the trim; the peak starts again from here.
  if (peak_.compare_exchange_strong(peak, open, std::memory_order_relaxed)) malloc_trim(0);
}

}  // namespace accord
