// Gives memory back to the system after a crowd of connections has gone. The allocator keeps
// what was freed for reuse (jemalloc for its decay time, glibc until trimmed), so RSS stays at its
// peak after 10,000 connections close; trimming when the count has halved (and by at least a few
// hundred) returns it, a handful of times per crowd rather than on every close.
#pragma once

#include <atomic>
#include <cstdint>

namespace accord {

class MemoryTrimmer {
 public:
  // Call with the number of open connections after each one opens or closes.
  void opened(int64_t open);
  void closed(int64_t open);

 private:
  static constexpr int64_t kMinDrop = 512;
  std::atomic<int64_t> peak_{0};
};

}  // namespace accord
