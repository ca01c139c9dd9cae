// ConnectionGate: caps open connections in total and per source address, so one client cannot
// take every connection while many honest ones can connect. Taken once per accept and released
// once per close (never per request). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace accord {

class ConnectionGate {
 public:
  ConnectionGate(int64_t max_total, int64_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // True if the connection may stay open; then release() must follow on close.
  bool try_acquire(const std::string& address);
  void release(const std::string& address);
  int64_t open() const { return total_.load(std::memory_order_relaxed); }

 private:
  const int64_t max_total_;
  const int64_t max_per_address_;
  std::atomic<int64_t> total_{0};
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> per_address_;  // guarded by mu_
};

}  // namespace accord
