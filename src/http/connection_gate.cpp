#include "http/connection_gate.h"

namespace accord {

bool ConnectionGate::try_acquire(const std::string& address) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >= max_total_) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  std::lock_guard lock(mu_);
  int64_t& n = per_address_[address];
  if (n >= max_per_address_) {
    if (n == 0) per_address_.erase(address);
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  ++n;
  return true;
}

void ConnectionGate::release(const std::string& address) {
  total_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

}  // namespace accord
