#include "runtime/memory_trim.h"

#ifdef ACCORD_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

namespace accord {
namespace {

// Returns the pages free() has kept for reuse to the system.
void give_back_free_pages() {
#ifdef ACCORD_JEMALLOC
  // Every arena's dirty and muzzy pages, now rather than after jemalloc's decay time (seconds).
  static_assert(MALLCTL_ARENAS_ALL == 4096);
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

}  // namespace

void MemoryTrimmer::opened(int64_t open) {
  int64_t peak = peak_.load(std::memory_order_relaxed);
  while (open > peak && !peak_.compare_exchange_weak(peak, open, std::memory_order_relaxed)) {
  }
}

void MemoryTrimmer::closed(int64_t open) {
  int64_t peak = peak_.load(std::memory_order_relaxed);
  if (peak - open < kMinDrop || open > peak / 2) return;
  // One thread wins the trim; the peak starts again from here.
  if (peak_.compare_exchange_strong(peak, open, std::memory_order_relaxed)) give_back_free_pages();
}

}  // namespace accord
