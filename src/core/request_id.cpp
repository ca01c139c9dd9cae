#include "core/request_id.h"

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

RequestId new_request_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t n = g_counter.fetch_add(1, std::memory_order_relaxed);
  const uint64_t hi = process_seed();
  char id[28] = {'r', 'e', 'q', '_'};
  for (int i = 0; i < 8; ++i) id[4 + i] = kHex[(hi >> (60 - 4 * i)) & 0xf];
  for (int i = 0; i < 16; ++i) id[12 + i] = kHex[(n >> (60 - 4 * i)) & 0xf];
  return RequestId(std::string_view(id, sizeof id));
}

RequestId request_id_from(std::string_view v) {
  if (v.empty() || v.size() > 128) return new_request_id();
  for (const char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return new_request_id();
  }
  return RequestId(v);
}

}  // namespace accord
