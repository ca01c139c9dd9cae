#include "gateway/request_id.h"

#include <atomic>
#include <cstdint>

#include "core/crypto.h"

namespace accord {
namespace {

uint64_t process_seed() {
  static const uint64_t seed = [] {
    uint64_t s = 0;
    random_bytes({reinterpret_cast<uint8_t*>(&s), sizeof s});
    return s;
  }();
  return seed;
}

std::atomic<uint64_t> g_counter{0};

}  // namespace

std::string new_request_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t n = g_counter.fetch_add(1, std::memory_order_relaxed);
  const uint64_t hi = process_seed();
  std::string id = "req_";
  id.resize(4 + 24);
  for (int i = 0; i < 8; ++i) id[4 + static_cast<size_t>(i)] = kHex[(hi >> (60 - 4 * i)) & 0xf];
  for (int i = 0; i < 16; ++i) id[12 + static_cast<size_t>(i)] = kHex[(n >> (60 - 4 * i)) & 0xf];
  return id;
}

std::string request_id_from(std::string_view v) {
  if (v.empty() || v.size() > 128) return new_request_id();
  for (const char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return new_request_id();
  }
  return std::string(v);
}

}  // namespace accord
